package dev.weightless.io.arrow;

import dev.weightless.codec.MalformedInputException;
import org.apache.arrow.memory.BufferAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TensorBatchFileTest {
    @TempDir
    Path dir;

    private static MemorySegment bytes(Arena arena, int n, int seed) {
        MemorySegment s = arena.allocate(Math.max(1, n)).asSlice(0, n);
        for (int i = 0; i < n; i++) s.set(ValueLayout.JAVA_BYTE, i, (byte) (i * 31 + seed));
        return s;
    }

    private List<TensorBatch> write(Path file, Arena arena) throws IOException {
        List<TensorBatch> batches = List.of(
                new TensorBatch("a.weight", "BF16", new long[] {3, 5}, "huffman", 0xCAFEBABE, 1024, 32,
                        bytes(arena, 128, 1), bytes(arena, 10, 2), bytes(arena, 16, 3), bytes(arena, 15, 4), null),
                new TensorBatch("b.bias", "F32", new long[] {7}, "passthrough", 7, 0, 0, null, null, null, null, bytes(arena, 28, 5)),
                new TensorBatch("c.empty", "BF16", new long[] {0}, "raw", 0, 0, 0, null, null, null, null, bytes(arena, 0, 6)),
                new TensorBatch("d.scalar", "I64", new long[] {}, "passthrough", -1, 0, 0, null, null, null, null, bytes(arena, 8, 7)));
        try (BufferAllocator job = ArrowMemory.job(); FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
             TensorBatchWriter w = new TensorBatchWriter(job, Map.of("weightless.format", "1"), ch)) {
            for (TensorBatch b : batches) w.write(b);
            w.finish();
        }
        return batches;
    }

    @Test
    void batchesComeBackAsWritten() throws IOException {
        Path file = dir.resolve("t.arrow");
        try (Arena arena = Arena.ofConfined()) {
            List<TensorBatch> written = write(file, arena);
            try (BufferAllocator job = ArrowMemory.job(); TensorBatchReader r = TensorBatchReader.open(file, job)) {
                assertEquals(written.size(), r.count());
                assertEquals("1", r.metadata().get("weightless.format"));
                assertEquals(TensorBatchSchema.LAYOUT_VERSION, r.metadata().get(TensorBatchSchema.LAYOUT_KEY));
                for (int i = 0; i < written.size(); i++) {
                    TensorBatch e = written.get(i), a = r.read(i);
                    assertEquals(e.name(), a.name());
                    assertEquals(e.dtype(), a.dtype());
                    assertArrayEquals(e.shape(), a.shape());
                    assertEquals(e.codec(), a.codec());
                    assertEquals(e.crc32c(), a.crc32c());
                    assertEquals(e.chunkSymbols(), a.chunkSymbols());
                    assertEquals(e.groupChunks(), a.groupChunks());
                    assertSame(e.code(), a.code());
                    assertSame(e.index(), a.index());
                    assertSame(e.exp(), a.exp());
                    assertSame(e.sm(), a.sm());
                    assertSame(e.data(), a.data());
                }
            }
        }
    }

    private static void assertSame(MemorySegment expected, MemorySegment actual) {
        if (expected == null) {
            assertNull(actual);
            return;
        }
        assertArrayEquals(expected.toArray(ValueLayout.JAVA_BYTE), actual.toArray(ValueLayout.JAVA_BYTE));
    }

    @Test
    void truncatedOrForeignFilesAreRejectedWithTheFileNamed() throws IOException {
        Path file = dir.resolve("t.arrow");
        try (Arena arena = Arena.ofConfined()) {
            write(file, arena);
        }
        byte[] all = Files.readAllBytes(file);
        for (int cut : new int[] {0, 7, all.length / 2, all.length - 1}) {
            Path bad = dir.resolve("cut" + cut + ".arrow");
            Files.write(bad, Arrays.copyOf(all, cut));
            assertRejected(bad);
        }
        Path text = dir.resolve("text.arrow");
        Files.writeString(text, "ARROW1 but not really an Arrow file at all, just some text of some length");
        assertRejected(text);
    }

    @Test
    void byteCorruptionsAreRejectedAsMalformedOrReadWithoutOtherErrors() throws IOException {
        Path file = dir.resolve("t.arrow");
        try (Arena arena = Arena.ofConfined()) {
            write(file, arena);
        }
        byte[] all = Files.readAllBytes(file);
        int rejected = 0;
        for (int at = 0; at < all.length; at += 7) {
            byte[] copy = all.clone();
            copy[at] ^= (byte) 0x5A;
            Path bad = dir.resolve("flip.arrow");
            Files.write(bad, copy);
            try (BufferAllocator job = ArrowMemory.job(); TensorBatchReader r = TensorBatchReader.open(bad, job)) {
                for (int i = 0; i < r.count(); i++) r.read(i);
            } catch (MalformedInputException e) {
                assertTrue(e.getMessage().startsWith(bad.toString()), e.getMessage());
                rejected++;
            }
        }
        assertTrue(rejected > 0, "no corruption was noticed");
    }

    private static void assertRejected(Path bad) throws IOException {
        MalformedInputException e = assertThrows(MalformedInputException.class, () -> {
            try (BufferAllocator job = ArrowMemory.job(); TensorBatchReader r = TensorBatchReader.open(bad, job)) {
                for (int i = 0; i < r.count(); i++) r.read(i);
            }
        });
        assertTrue(e.getMessage().startsWith(bad.toString()), e.getMessage());
    }
}
