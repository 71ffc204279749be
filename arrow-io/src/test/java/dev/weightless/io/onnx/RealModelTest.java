package dev.weightless.io.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.weightless.io.RealModel;
import dev.weightless.io.safetensors.Dtype;
import dev.weightless.io.safetensors.SafetensorsFile;
import dev.weightless.io.safetensors.TensorInfo;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RealModelTest {
    @Test
    void convertedModelHasTheKnownTensors() throws Exception {
        try (SafetensorsFile file = SafetensorsFile.open(RealModel.bf16())) {
            List<TensorInfo> tensors = file.tensors();
            assertEquals(101, tensors.size());
            assertEquals(22_565_376L, tensors.stream().mapToLong(TensorInfo::elementCount).sum());
            assertEquals(45_130_752L, tensors.stream().mapToLong(TensorInfo::byteSize).sum());
            assertEquals(Map.of("format", "pt"), file.metadata());
            assertEquals(file.dataStart() + 45_130_752L, Files.size(file.path()));
            tensors.forEach(t -> assertEquals(Dtype.BF16, t.dtype()));
            TensorInfo largest = tensors.stream().max(Comparator.comparingLong(TensorInfo::byteSize)).orElseThrow();
            assertEquals("embeddings.word_embeddings.weight", largest.name());
            assertArrayEquals(new long[] {30522, 384}, largest.shape());
            assertEquals(tensors.stream().map(TensorInfo::name).sorted().toList(), tensors.stream().map(TensorInfo::name).toList());

            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (TensorInfo t : tensors) sha.update(file.data(t).asByteBuffer());
            assertEquals("e13debf37d4f4dcfb640839659059a6a1c957d4b500badab4c2c35210c8cc439", HexFormat.of().formatHex(sha.digest()));
        }
    }

    @Test
    void importReportsCountsAndTheDroppedInitializer() throws Exception {
        HashingChannel out = new HashingChannel();
        OnnxImporter.Result result = OnnxImporter.convert(RealModel.onnx(), out);
        assertEquals(101, result.tensorCount());
        assertEquals(22_565_376L, result.weightCount());
        assertEquals(List.of("embeddings.position_ids"), result.dropped());
        assertEquals(HexFormat.of().formatHex(sha256(Files.readAllBytes(RealModel.bf16()))), out.hex());
    }

    private static byte[] sha256(byte[] bytes) throws NoSuchAlgorithmException {
        return MessageDigest.getInstance("SHA-256").digest(bytes);
    }

    /** Hashes what is written instead of storing it. */
    private static final class HashingChannel implements WritableByteChannel {
        private final MessageDigest sha;

        HashingChannel() throws NoSuchAlgorithmException {
            sha = MessageDigest.getInstance("SHA-256");
        }

        @Override
        public int write(ByteBuffer src) {
            int n = src.remaining();
            sha.update(src);
            return n;
        }

        String hex() {
            return HexFormat.of().formatHex(sha.digest());
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() throws IOException {}
    }
}
