package dev.weightless.io.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsRoundTripTest {
    @TempDir
    Path dir;

    private static MemorySegment bytes(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) (i * 31 + seed);
        return MemorySegment.ofArray(b);
    }

    private FileChannel create(Path file) throws IOException {
        return FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    }

    @Test
    void writesAndReadsBack() throws IOException {
        Path file = dir.resolve("model.safetensors");
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", "pt");
        metadata.put("note", "é \"quoted\"");
        MemorySegment a = bytes(2 * 3 * 2, 1);
        MemorySegment c = bytes(4, 2);
        byte[] header;
        try (FileChannel out = create(file)) {
            SafetensorsWriter w = SafetensorsWriter.builder().metadata(metadata)
                    .tensor("b.weight", Dtype.BF16, 2, 3)
                    .tensor("empty", Dtype.F32, 0, 5)
                    .tensor("a.scalar", Dtype.I32)
                    .open(out);
            header = w.header();
            assertEquals(8 + header.length + 16, w.fileSize());
            w.write("b.weight", a);
            w.write("empty", MemorySegment.NULL);
            w.begin("a.scalar");
            w.append(c.asSlice(0, 1));
            w.append(c.asSlice(1, 3));
            w.finish();
        }
        String json = "{\"__metadata__\":{\"format\":\"pt\",\"note\":\"é \\\"quoted\\\"\"},"
                + "\"b.weight\":{\"dtype\":\"BF16\",\"shape\":[2,3],\"data_offsets\":[0,12]},"
                + "\"empty\":{\"dtype\":\"F32\",\"shape\":[0,5],\"data_offsets\":[12,12]},"
                + "\"a.scalar\":{\"dtype\":\"I32\",\"shape\":[],\"data_offsets\":[12,16]}}";
        assertEquals(0, header.length % 8);
        assertEquals(json + " ".repeat(header.length - json.getBytes(StandardCharsets.UTF_8).length),
                new String(header, StandardCharsets.UTF_8));

        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertEquals(file, f.path());
            assertArrayEquals(header, f.header());
            assertEquals(8 + header.length, f.dataStart());
            assertEquals(metadata, f.metadata());
            assertEquals(List.of("format", "note"), List.copyOf(f.metadata().keySet()));
            assertEquals(List.of(
                    new TensorInfo("b.weight", Dtype.BF16, new long[] {2, 3}, 0, 12),
                    new TensorInfo("empty", Dtype.F32, new long[] {0, 5}, 12, 12),
                    new TensorInfo("a.scalar", Dtype.I32, new long[0], 12, 16)), f.tensors());
            TensorInfo b = f.tensor("b.weight");
            assertEquals(6, b.elementCount());
            assertEquals(12, b.byteSize());
            assertEquals(-1, f.data(b).mismatch(a));
            assertEquals(0, f.data(f.tensor("empty")).byteSize());
            assertEquals(0, f.tensor("empty").elementCount());
            assertEquals(-1, f.data(f.tensor("a.scalar")).mismatch(c));
            assertEquals(1, f.tensor("a.scalar").elementCount());
            assertThrows(NoSuchElementException.class, () -> f.tensor("missing"));
            assertThrows(IllegalArgumentException.class, () -> f.data(new TensorInfo("b.weight", Dtype.U8, new long[] {12}, 0, 12)));
            assertTrue(f.data(b).isReadOnly());
        }
    }

    @Test
    void emptyModelHasAPaddedEmptyHeader() throws IOException {
        Path file = dir.resolve("empty.safetensors");
        try (FileChannel out = create(file)) {
            SafetensorsWriter w = SafetensorsWriter.builder().open(out);
            w.finish();
        }
        byte[] expected = new byte[16];
        expected[0] = 8;
        System.arraycopy("{}      ".getBytes(StandardCharsets.US_ASCII), 0, expected, 8, 8);
        assertArrayEquals(expected, Files.readAllBytes(file));
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertEquals(List.of(), f.tensors());
            assertEquals(Map.of(), f.metadata());
        }
    }

    @Test
    void rawHeaderRestoresAFileByteForByte() throws IOException {
        // Unusual but valid: header not padded to 8, data listed out of order in the header.
        String header = "{\"y\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[2,5]},"
                + "\"x\":{\"shape\":[1],\"dtype\":\"F16\",\"data_offsets\":[0,2]},\"__metadata__\":{}}\n ";
        byte[] headerBytes = header.getBytes(StandardCharsets.UTF_8);
        Path original = dir.resolve("original.safetensors");
        ByteBuffer file = ByteBuffer.allocate(8 + headerBytes.length + 5).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        file.putLong(headerBytes.length).put(headerBytes).put(new byte[] {1, 2, 3, 4, 5});
        Files.write(original, file.array());

        Path copy = dir.resolve("copy.safetensors");
        try (SafetensorsFile in = SafetensorsFile.open(original); FileChannel out = create(copy)) {
            SafetensorsWriter w = SafetensorsWriter.withRawHeader(in.header(), out);
            assertEquals(List.of("x", "y"), w.tensors().stream().map(TensorInfo::name).toList());
            assertEquals(Files.size(original), w.fileSize());
            for (TensorInfo t : w.tensors()) w.write(t.name(), in.data(in.tensor(t.name())));
            w.finish();
        }
        assertArrayEquals(Files.readAllBytes(original), Files.readAllBytes(copy));
    }

    @Test
    void writerChecksWhatTheCallerWrites() throws IOException {
        SafetensorsWriter w = SafetensorsWriter.builder()
                .tensor("a", Dtype.U8, 2).tensor("z", Dtype.U8, 0).tensor("b", Dtype.U16, 1)
                .open(new CountingChannel());
        assertThrows(IllegalStateException.class, () -> w.append(bytes(1, 0)));
        assertThrows(IllegalStateException.class, () -> w.begin("b"));
        assertThrows(IllegalStateException.class, () -> w.write("a", bytes(3, 0)));
        w.append(bytes(1, 0));
        assertThrows(IllegalStateException.class, () -> w.begin("z"));
        assertThrows(IllegalStateException.class, w::finish);
        w.append(bytes(1, 0));
        w.begin("z");
        assertThrows(IllegalStateException.class, w::finish);
        assertThrows(IllegalStateException.class, () -> w.write("b", bytes(1, 0)));
        w.append(bytes(1, 0));
        w.finish();
        assertThrows(IllegalStateException.class, () -> w.begin("c"));
    }

    @Test
    void builderRejectsBadTensors() {
        var builder = SafetensorsWriter.builder().tensor("a", Dtype.U8, 1);
        assertThrows(IllegalArgumentException.class, () -> builder.tensor("a", Dtype.U8, 1));
        assertThrows(IllegalArgumentException.class, () -> builder.tensor("__metadata__", Dtype.U8, 1));
        assertThrows(IllegalArgumentException.class, () -> builder.tensor("n", Dtype.U8, -1));
        assertThrows(ArithmeticException.class, () -> builder.tensor("o", Dtype.BF16, 1L << 62, 2));
        assertThrows(IllegalArgumentException.class, () -> builder.tensor("\ud800", Dtype.U8, 1).open(new CountingChannel()));
    }

    @Test
    void sizesBeyondTwoGibibytesNeedNoAllocation() throws IOException {
        assertThrows(ArithmeticException.class, () -> Dtype.BF16.sizeOf(new long[] {1L << 32, 1L << 32}));
        assertThrows(ArithmeticException.class, () -> Dtype.F64.sizeOf(new long[] {1L << 61}));
        assertEquals(0, Dtype.F64.sizeOf(new long[] {0, Long.MAX_VALUE, Long.MAX_VALUE}));
        assertEquals(1L << 33, Dtype.BF16.sizeOf(new long[] {1L << 31, 2}));

        CountingChannel out = new CountingChannel();
        SafetensorsWriter w = SafetensorsWriter.builder()
                .tensor("big", Dtype.BF16, 1L << 31, 2)
                .tensor("after", Dtype.F32, 3)
                .open(out);
        assertEquals(new TensorInfo("after", Dtype.F32, new long[] {3}, 1L << 33, (1L << 33) + 12), w.tensors().get(1));
        assertEquals(8 + w.header().length + (1L << 33) + 12, w.fileSize());
        assertEquals(8 + w.header().length, out.count);
    }

    /** A sparse file over 2 GiB: mapped and read, and streamed through the writer, without touching its pages. */
    @Test
    void handlesTensorsOverTwoGibibytes() throws IOException {
        long big = (1L << 31) + 6;
        Path file = dir.resolve("big.safetensors");
        long dataStart;
        try (FileChannel out = create(file)) {
            SafetensorsWriter w = SafetensorsWriter.builder()
                    .tensor("big", Dtype.BF16, big / 2)
                    .tensor("tail", Dtype.U8, 1)
                    .open(out);
            dataStart = 8 + w.header().length;
        }
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(dataStart + big + 1);
            raf.seek(dataStart + big - 1);
            raf.write(0x5a);
            raf.write(0x7e);
        }
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            MemorySegment data = f.data(f.tensor("big"));
            assertEquals(big, data.byteSize());
            assertEquals(0x5a, data.get(ValueLayout.JAVA_BYTE, big - 1));
            assertEquals(0x7e, f.data(f.tensor("tail")).get(ValueLayout.JAVA_BYTE, 0));

            CountingChannel sink = new CountingChannel();
            SafetensorsWriter w = SafetensorsWriter.withRawHeader(f.header(), sink);
            w.write("big", data);
            w.write("tail", f.data(f.tensor("tail")));
            w.finish();
            assertEquals(Files.size(file), sink.count);
        }
    }

    /** Counts bytes without reading them, so large mapped sources cost nothing. */
    static final class CountingChannel implements WritableByteChannel {
        long count;

        @Override
        public int write(ByteBuffer src) {
            int n = src.remaining();
            src.position(src.limit());
            count += n;
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
