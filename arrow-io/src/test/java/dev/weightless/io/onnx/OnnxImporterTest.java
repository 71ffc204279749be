package dev.weightless.io.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weightless.codec.MalformedInputException;
import dev.weightless.io.safetensors.Dtype;
import dev.weightless.io.safetensors.SafetensorsFile;
import dev.weightless.io.safetensors.TensorInfo;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxImporterTest {
    private static final int FLOAT = 1;
    private static final int INT8 = 3;
    private static final int INT64 = 7;
    private static final int FLOAT16 = 10;
    private static final int BFLOAT16 = 16;

    @TempDir
    Path dir;

    /** A ModelProto with an ir_version and a graph holding {@code initializers}. */
    private static Proto model(Proto... initializers) {
        return new Proto().varint(1, 7).message(7, graph(initializers));
    }

    private static Proto graph(Proto... initializers) {
        Proto graph = new Proto();
        for (Proto t : initializers) graph.message(5, t);
        return graph;
    }

    /** Offset of the first initializer's tag in {@link #model}'s bytes. */
    private static long firstInitializer(Proto... initializers) {
        int graphSize = graph(initializers).size();
        return 2 + 1 + new Proto().varint(graphSize).size();
    }

    private static Proto tensor(String name, int dataType, long... dims) {
        Proto t = new Proto();
        for (long d : dims) t.varint(1, d);
        return t.varint(2, dataType).string(8, name);
    }

    private static byte[] floats(float... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) b.putFloat(v);
        return b.array();
    }

    private static byte[] shorts(int... values) {
        ByteBuffer b = ByteBuffer.allocate(2 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : values) b.putShort((short) v);
        return b.array();
    }

    private OnnxImporter.Result convert(Proto model, Path out) throws IOException {
        Path onnx = Files.createTempFile(dir, "model", ".onnx");
        Files.write(onnx, model.toBytes());
        try (FileChannel channel = FileChannel.open(out, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            return OnnxImporter.convert(onnx, channel);
        }
    }

    private static MalformedInputException reject(Proto model) {
        return assertThrows(MalformedInputException.class, () ->
                OnnxImporter.convert(MemorySegment.ofArray(model.toBytes()), "test.onnx", new ByteChannelSink()));
    }

    private static short[] bf16(SafetensorsFile file, String name) {
        return file.data(file.tensor(name)).toArray(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
    }

    private static short[] expected(float... values) {
        short[] out = new short[values.length];
        for (int i = 0; i < values.length; i++) out[i] = Bf16Rounding.fromFloat(values[i]);
        return out;
    }

    @Test
    void convertsEveryStorageOfFloats() throws IOException {
        float[] values = {1f, -2.5f, 1.00390625f, 3.1415927f, Float.MAX_VALUE, Float.MIN_VALUE};
        Proto model = new Proto()
                .varint(1, 7).fixed64(90, 1).fixed32(91, 1).string(92, "unknown fields are skipped")
                .message(7, new Proto()
                        .message(1, new Proto().string(4, "Constant"))
                        .message(5, tensor("raw.fp32", FLOAT, 2, 3).bytes(9, floats(values)))
                        .message(5, tensor("packed.fp32", FLOAT).packedVarints(1, 3, 2).packedFloats(4, values).fixed32(99, 0))
                        .message(5, tensor("unpacked.fp32", FLOAT, 2).fixed32(4, Float.floatToIntBits(1.5f))
                                .fixed32(4, Float.floatToIntBits(-0f)).string(12, "doc"))
                        .message(5, tensor("raw.fp16", FLOAT16, 3).bytes(9, shorts(0x3c00, 0x7bff, 0xfc00)))
                        .message(5, tensor("int32.fp16", FLOAT16, 3).packedVarints(5, 0x3c00, 0x0001).varint(5, 0xffff_ffff_ffff_bc00L))
                        .message(5, tensor("raw.bf16", BFLOAT16, 2).bytes(9, shorts(0x7fc1, 0x1234)))
                        .message(5, tensor("int32.bf16", BFLOAT16, 2).varint(5, 0x3f80).varint(5, 0xc000))
                        .message(5, tensor("dropped.int64", INT64, 2).bytes(9, new byte[16]))
                        .message(5, tensor("a.scalar", FLOAT).bytes(9, floats(42f)))
                        .message(5, tensor("empty", FLOAT, 0, 3))
                        .message(5, tensor("dropped.int8", INT8, 1).packedVarints(5, 7)));
        Path out = dir.resolve("out.safetensors");
        OnnxImporter.Result result = convert(model, out);
        assertEquals(new OnnxImporter.Result(9, 6 + 6 + 2 + 3 + 3 + 2 + 2 + 1, List.of("dropped.int64", "dropped.int8")), result);

        try (SafetensorsFile f = SafetensorsFile.open(out)) {
            assertEquals(Map.of("format", "pt"), f.metadata());
            assertEquals(List.of("a.scalar", "empty", "int32.bf16", "int32.fp16", "packed.fp32", "raw.bf16", "raw.fp16",
                    "raw.fp32", "unpacked.fp32"), f.tensors().stream().map(TensorInfo::name).toList());
            f.tensors().forEach(t -> assertEquals(Dtype.BF16, t.dtype()));
            assertArrayEquals(new long[] {2, 3}, f.tensor("raw.fp32").shape());
            assertArrayEquals(new long[] {3, 2}, f.tensor("packed.fp32").shape());
            assertArrayEquals(new long[0], f.tensor("a.scalar").shape());
            assertArrayEquals(new long[] {0, 3}, f.tensor("empty").shape());
            assertArrayEquals(expected(values), bf16(f, "raw.fp32"));
            assertArrayEquals(expected(values), bf16(f, "packed.fp32"));
            assertArrayEquals(expected(1.5f, -0f), bf16(f, "unpacked.fp32"));
            assertArrayEquals(expected(1f, 65536f, Float.NEGATIVE_INFINITY), bf16(f, "raw.fp16"));
            assertArrayEquals(expected(1f, 0x1p-24f, -1f), bf16(f, "int32.fp16"));
            assertArrayEquals(new short[] {0x7fc1, 0x1234}, bf16(f, "raw.bf16"));
            assertArrayEquals(new short[] {0x3f80, (short) 0xc000}, bf16(f, "int32.bf16"));
            assertArrayEquals(expected(42f), bf16(f, "a.scalar"));
            assertEquals(0, f.data(f.tensor("empty")).byteSize());
        }
    }

    @Test
    void convertsLargeTensorsInChunks() throws IOException {
        int n = 700_001;
        float[] values = new float[n];
        for (int i = 0; i < n; i++) values[i] = i * 0.001f - 3;
        Path out = dir.resolve("big.safetensors");
        convert(model(tensor("w", FLOAT, n).bytes(9, floats(values)), tensor("v", FLOAT, n).packedFloats(4, values)), out);
        try (SafetensorsFile f = SafetensorsFile.open(out)) {
            assertArrayEquals(expected(values), bf16(f, "w"));
            assertArrayEquals(expected(values), bf16(f, "v"));
        }
    }

    @Test
    void refusesExternalData() {
        Proto t = tensor("w", FLOAT, 1).varint(14, 1).message(13, new Proto().string(1, "location").string(2, "w.bin"));
        MalformedInputException e = reject(model(t));
        assertEquals("test.onnx", e.source());
        assertEquals(firstInitializer(t), e.offset());
        assertTrue(e.reason().contains("external"), e.reason());
    }

    @Test
    void rejectsDataThatDoesNotMatchTheDims() {
        Proto raw = tensor("w", FLOAT, 2, 2).bytes(9, floats(1, 2, 3));
        MalformedInputException e = reject(model(raw));
        assertEquals(firstInitializer(raw), e.offset());
        assertTrue(e.reason().contains("raw_data holds 12 bytes"), e.reason());
        assertTrue(reject(model(tensor("w", FLOAT16, 2).bytes(9, new byte[3]))).reason().contains("raw_data"));
        assertTrue(reject(model(tensor("w", FLOAT, 3).packedFloats(4, 1, 2))).reason().contains("2 values stored, dims need 3"));
        assertTrue(reject(model(tensor("w", FLOAT16, 1))).reason().contains("0 values stored"));
        assertTrue(reject(model(tensor("w", FLOAT, 1).bytes(9, floats(1)).fixed32(4, 0))).reason().contains("both"));
        assertTrue(reject(model(tensor("w", FLOAT, 1).bytes(4, new byte[3]))).reason().contains("whole number of floats"));
        assertTrue(reject(model(tensor("w", FLOAT, 1L << 62, 4))).reason().contains("overflows"));
    }

    @Test
    void rejectsBadInitializers() {
        assertTrue(reject(model(tensor("w", FLOAT, 1).bytes(9, floats(1)), tensor("w", INT64))).reason().contains("duplicate"));
        assertTrue(reject(model(tensor("w", FLOAT, -1))).reason().contains("negative"));
        assertTrue(reject(model(tensor("", FLOAT))).reason().contains("name"));
        assertTrue(reject(model(tensor("__metadata__", FLOAT).bytes(9, floats(1)))).reason().contains("name"));
        assertTrue(reject(model(tensor("w", FLOAT).bytes(8, new byte[] {(byte) 0xc0, (byte) 0x80}))).reason().contains("UTF-8"));
        assertTrue(reject(model(tensor("w", FLOAT).message(3, new Proto().varint(1, 0)))).reason().contains("segmented"));
        assertTrue(reject(model(tensor("w", FLOAT).string(2, "x"))).reason().contains("wire type 2, expected 0"));
        assertTrue(reject(new Proto().varint(7, 1)).reason().contains("wire type"));
        assertTrue(reject(new Proto().varint(1, 7)).reason().contains("no graph"));
    }

    @Test
    void rejectsBrokenWireFormatWithItsOffset() {
        Proto group = tensor("w", FLOAT).tag(6, 3);
        long tensorStart = firstInitializer(group) + 1 + 1;
        assertEquals(tensorStart + group.size() - 1, reject(model(group)).offset());
        Proto bad = tensor("w", FLOAT).tag(6, 7);
        assertEquals(tensorStart + bad.size() - 1, reject(model(bad)).offset());
        assertEquals(1, reject(new Proto().raw(0x08, 0x80)).offset());
        assertTrue(reject(new Proto().raw(0x08).raw(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01)).reason()
                .contains("longer than 10 bytes"));
        // The tensor's raw_data claims more bytes than the tensor holds, though the file has them.
        Proto overlong = tensor("w", FLOAT, 1).tag(9, 2).varint(4);
        Proto model = new Proto().message(7, new Proto().message(5, overlong).string(1, "node after it"));
        MalformedInputException e = reject(model);
        assertEquals(2 + 2 + overlong.size() - 1, e.offset());
        assertTrue(e.reason().contains("enclosing message"));
    }

    /** Takes what is written and forgets it. */
    private static final class ByteChannelSink implements java.nio.channels.WritableByteChannel {
        @Override
        public int write(ByteBuffer src) {
            int n = src.remaining();
            src.position(src.limit());
            return n;
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {}
    }
}
