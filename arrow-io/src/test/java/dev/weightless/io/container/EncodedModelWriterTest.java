package dev.weightless.io.container;

import dev.weightless.codec.CodecOptions;
import dev.weightless.codec.Crc32c;
import dev.weightless.codec.HuffmanEncoder;
import dev.weightless.io.safetensors.Dtype;
import dev.weightless.io.safetensors.SafetensorsWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * A file written from planned entries (here planned by the CPU encoder, as the GPU's resident writer plans
 * them) is byte for byte the file the Compressor writes from the same tensors, and decompresses to them.
 */
class EncodedModelWriterTest {
    @TempDir
    Path dir;

    private record Tensor(String name, Dtype dtype, long[] shape, MemorySegment bytes) {}

    /** Normal-like BF16 weights, a BF16 tensor of random bits (coding would grow it: raw), an F32 one (passthrough), an empty one. */
    private static List<Tensor> model(Arena arena) {
        SplittableRandom random = new SplittableRandom(42);
        List<Tensor> out = new ArrayList<>();
        out.add(new Tensor("layers.0.weight", Dtype.BF16, new long[] {96, 700}, bf16(arena, 96 * 700, random, true)));
        out.add(new Tensor("noise", Dtype.BF16, new long[] {3000}, bf16(arena, 3000, random, false)));
        MemorySegment f32 = arena.allocate(4 * 33);
        for (int i = 0; i < 33; i++) f32.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) random.nextGaussian());
        out.add(new Tensor("scale", Dtype.F32, new long[] {33}, f32));
        out.add(new Tensor("layers.1.weight", Dtype.BF16, new long[] {40 * 1024 + 5}, bf16(arena, 40 * 1024 + 5, random, true)));
        out.add(new Tensor("empty", Dtype.BF16, new long[] {0, 4}, arena.allocate(0)));
        return out;
    }

    private static MemorySegment bf16(Arena arena, long n, SplittableRandom random, boolean normal) {
        MemorySegment s = arena.allocate(2 * n, 8);
        for (long i = 0; i < n; i++) {
            short v = normal ? (short) (Float.floatToRawIntBits((float) (random.nextGaussian() * 0.02)) >>> 16) : (short) random.nextInt();
            s.setAtIndex(ValueLayout.JAVA_SHORT, i, v);
        }
        return s;
    }

    private static Path safetensors(Path file, Map<String, String> metadata, List<Tensor> tensors) throws IOException {
        SafetensorsWriter.Builder b = SafetensorsWriter.builder().metadata(metadata);
        for (Tensor t : tensors) b.tensor(t.name(), t.dtype(), t.shape());
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            SafetensorsWriter w = b.open(ch);
            for (Tensor t : tensors) w.write(t.name(), t.bytes());
            w.finish();
        }
        return file;
    }

    /** Entries as a resident writer makes them: Huffman when it shrinks the tensor, stored otherwise. */
    private static List<EncodedModelWriter.Entry> entries(List<Tensor> tensors, CodecOptions options) {
        List<EncodedModelWriter.Entry> out = new ArrayList<>();
        for (Tensor t : tensors) {
            if (t.dtype() != Dtype.BF16) {
                out.add(EncodedModelWriter.stored(t.name(), t.dtype(), t.shape(), Crc32c.of(t.bytes()), target -> MemorySegment.copy(t.bytes(), 0, target, 0, target.byteSize())));
                continue;
            }
            HuffmanEncoder.Plan plan = HuffmanEncoder.plan(t.bytes(), options);
            if (plan.encodedBytes() < t.bytes().byteSize()) {
                out.add(EncodedModelWriter.huffman(t.name(), t.shape(), plan.layout(), plan.crc32c(), plan.payloadBytes(), plan::write));
            } else {
                out.add(EncodedModelWriter.stored(t.name(), t.dtype(), t.shape(), plan.crc32c(), target -> MemorySegment.copy(t.bytes(), 0, target, 0, target.byteSize())));
            }
        }
        return out;
    }

    @Test
    void writesWhatTheCompressorWritesAndDecompressesToTheModel() throws IOException {
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", "pt");
        try (Arena arena = Arena.ofConfined()) {
            List<Tensor> tensors = model(arena);
            Path original = safetensors(dir.resolve("model.safetensors"), metadata, tensors);
            Path compressed = dir.resolve("compressor.wl");
            new Compressor(CodecOptions.defaults(), false, Progress.NONE).compress(original, compressed);

            Path written = dir.resolve("writer.wl");
            EncodedModelWriter.write(written, false, metadata, entries(tensors, CodecOptions.defaults()), Progress.NONE);
            assertArrayEquals(Files.readAllBytes(compressed), Files.readAllBytes(written));

            Path restored = dir.resolve("restored.safetensors");
            new Decompressor(CodecOptions.defaults(), false, Progress.NONE).decompress(written, restored);
            assertArrayEquals(Files.readAllBytes(original), Files.readAllBytes(restored));
        }
    }

    @Test
    void aFailingTensorLeavesNoFileAndAnExistingOneIsKept() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            List<Tensor> tensors = model(arena);
            List<EncodedModelWriter.Entry> entries = new ArrayList<>(entries(tensors, CodecOptions.defaults()));
            EncodedModelWriter.Entry first = entries.getFirst();
            entries.set(0, EncodedModelWriter.huffman(first.record().name(), first.record().shape(),
                    HuffmanEncoder.plan(tensors.getFirst().bytes(), CodecOptions.defaults()).layout(), first.record().crc32c(), first.partBytes()[2],
                    (table, index, payload, plane) -> { throw new IOException("device lost"); }));
            Path out = dir.resolve("failed.wl");
            IOException e = assertThrows(IOException.class, () -> EncodedModelWriter.write(out, false, Map.of(), entries, Progress.NONE));
            assertEquals("device lost", e.getMessage());
            try (var listing = Files.list(dir)) {
                assertEquals(List.of(), listing.toList(), "no file and no temporary left");
            }

            Path existing = Files.writeString(dir.resolve("existing.wl"), "keep me");
            assertThrows(FileAlreadyExistsException.class,
                    () -> EncodedModelWriter.write(existing, false, Map.of(), entries(tensors, CodecOptions.defaults()), Progress.NONE));
            assertEquals("keep me", Files.readString(existing));
        }
    }

    @Test
    void aLayoutThatDoesNotMatchTheShapeIsRefused() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment values = bf16(arena, 100, new SplittableRandom(1), true);
            HuffmanEncoder.Plan plan = HuffmanEncoder.plan(values, CodecOptions.defaults());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> EncodedModelWriter.huffman("w", new long[] {10, 11}, plan.layout(), plan.crc32c(), plan.payloadBytes(), plan::write));
            assertEquals("w: shape holds 110 values, the layout 100", e.getMessage());
        }
    }
}
