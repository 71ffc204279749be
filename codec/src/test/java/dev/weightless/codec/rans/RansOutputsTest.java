package dev.weightless.codec.rans;

import dev.weightless.codec.ChecksumMismatchException;
import dev.weightless.codec.MalformedInputException;
import dev.weightless.codec.coder.CodedTensor;
import dev.weightless.codec.coder.Samples;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The rows write the values straight into an off-heap output, or through a block buffer (an output on the heap, or
 * {@link DecodePath#direct} off): every kind of output gets the same bytes, damaged streams are refused the same way,
 * and no decode, good or refused, writes a byte outside the output's range.
 */
class RansOutputsTest {
    private static final byte GUARD_BYTE = (byte) 0xA5;
    private static final int GUARD = 64;

    /**
     * The output {@code [offset, offset + bytes)} of {@code whole}, whose other bytes are guards that must stay as they
     * were. An odd offset leaves every vector store unaligned.
     */
    private record Guarded(String kind, MemorySegment whole, long offset, long bytes) {
        MemorySegment out() { return whole.asSlice(offset, bytes); }

        void assertGuardsIntact(String what) {
            for (long i = 0; i < whole.byteSize(); i++) {
                if (i == offset) i += bytes;
                if (i < whole.byteSize() && whole.get(ValueLayout.JAVA_BYTE, i) != GUARD_BYTE) {
                    fail(what + ", " + kind + ": byte " + (i - offset) + " relative to the output was written");
                }
            }
        }
    }

    private static Guarded guarded(String kind, MemorySegment whole, long bytes, int shift) {
        whole.fill(GUARD_BYTE);
        return new Guarded(kind, whole, GUARD + shift, bytes);
    }

    /** Off-heap (aligned and at an odd address), on the heap, and a mapped file. */
    private static List<Guarded> outputs(Arena arena, long bytes, Path file) throws IOException {
        long whole = bytes + 2 * GUARD + 1;
        List<Guarded> all = new ArrayList<>();
        all.add(guarded("native", arena.allocate(whole), bytes, 0));
        all.add(guarded("native, odd offset", arena.allocate(whole), bytes, 1));
        all.add(guarded("heap", MemorySegment.ofArray(new byte[Math.toIntExact(whole)]), bytes, 1));
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            all.add(guarded("mapped", ch.map(FileChannel.MapMode.READ_WRITE, 0, whole, arena), bytes, 0));
        }
        return all;
    }

    /** Each path, with its values straight into the output and through the buffer, in blocks of 256 rows and fewer. */
    private static List<DecodePath> paths() {
        List<DecodePath> all = new ArrayList<>();
        for (DecodePath p : List.of(DecodePath.SCALAR, new DecodePath(256, 1), new DecodePath(512, 1), new DecodePath(512, 2))) {
            all.add(p);
            all.add(p.buffered());
        }
        all.add(DecodePath.SCALAR.withBlockRows(8));
        all.add(new DecodePath(256, 1).withBlockRows(16).buffered());
        all.add(new DecodePath(512, 2).withBlockRows(128));
        all.add(new DecodePath(512, 2).withBlockRows(8).buffered());
        return all;
    }

    @Test
    void everyOutputGetsTheSameBytes() throws IOException {
        // 9 chunks of 4 Ki and a shorter last one (pairs and a single), and a tensor of one chunk with a partial last row.
        RansCoder small = new RansCoder("rans-4k", 2, 14, 1 << 12);
        Path file = Files.createTempFile("rans-out", ".bin");
        try (Arena arena = Arena.ofShared()) {
            for (MemorySegment in : List.of(Samples.gaussian(arena, 9 * 4096 + 1000, 0.02, 31), Samples.geometric(arena, 16_415, 32))) {
                CodedTensor coded = small.encode(in, arena);
                for (DecodePath path : paths()) {
                    for (Guarded g : outputs(arena, in.byteSize(), file)) {
                        for (int threads : new int[] {1, 3}) {
                            small.decode(coded, g.out(), threads, path);
                            String what = path + ", " + threads + " threads, " + in.byteSize() + " bytes";
                            assertEquals(-1, g.out().mismatch(in), () -> what + ", " + g.kind() + ": differs at byte " + g.out().mismatch(in));
                            g.assertGuardsIntact(what);
                        }
                    }
                }
            }
        } finally {
            Files.delete(file);
        }
    }

    @Test
    void damagedStreamsAreRefusedAlikeAndWriteNothingOutside() throws IOException {
        RansCoder c = new RansCoder("rans-4k", 2, 14, 1 << 12);
        SplittableRandom r = new SplittableRandom(41);
        Path file = Files.createTempFile("rans-out", ".bin");
        try (Arena arena = Arena.ofShared()) {
            MemorySegment in = Samples.gaussian(arena, 40_000, 0.02, 43);
            CodedTensor coded = c.encode(in, arena);
            MemorySegment stream = coded.part(2);
            List<Guarded> outputs = outputs(arena, in.byteSize(), file);
            for (int trial = 0; trial < 8; trial++) {
                long at = r.nextLong(stream.byteSize());
                byte flip = (byte) (1 << r.nextInt(8));
                stream.set(ValueLayout.JAVA_BYTE, at, (byte) (stream.get(ValueLayout.JAVA_BYTE, at) ^ flip));
                RuntimeException expected = null;
                for (DecodePath path : paths()) {
                    for (Guarded g : outputs) {
                        g.whole().fill(GUARD_BYTE);
                        RuntimeException e = refusal(c, coded, g.out(), path);
                        String what = "byte " + at + ", " + path + ", " + g.kind();
                        if (expected == null) expected = e;
                        assertEquals(expected.getClass(), e.getClass(), what);
                        assertEquals(expected.getMessage(), e.getMessage(), what);
                        g.assertGuardsIntact(what);
                    }
                }
                stream.set(ValueLayout.JAVA_BYTE, at, (byte) (stream.get(ValueLayout.JAVA_BYTE, at) ^ flip));
            }
        } finally {
            Files.delete(file);
        }
    }

    @Test
    void aReadOnlyOutputIsRefusedNotWrittenThrough() {
        RansCoder c = RansCoder.withMantissaContext();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = Samples.gaussian(arena, 20_000, 0.02, 47);
            CodedTensor coded = c.encode(in, arena);
            MemorySegment out = arena.allocate(in.byteSize());
            out.fill(GUARD_BYTE);
            for (DecodePath path : paths()) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.decode(coded, out.asReadOnly(), 1, path));
                assertEquals("output segment is read-only", e.getMessage());
            }
            for (long i = 0; i < out.byteSize(); i++) assertEquals(GUARD_BYTE, out.get(ValueLayout.JAVA_BYTE, i), "byte " + i + " written");
        }
    }

    /**
     * A thread's decodes reuse their arrays ({@link DecodeBuffers}), which then hold a larger, different tensor's words,
     * raw fields and tables: good streams decode bit-exact and damaged ones are refused exactly as on a fresh thread.
     */
    @Test
    void reusedArraysDecodeAsFreshOnes() throws InterruptedException {
        RansCoder big = new RansCoder("rans-4k", 2, 14, 1 << 12), other = new RansCoder("rans-k0", 0, 12, 1 << 13);
        SplittableRandom r = new SplittableRandom(53);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment large = Samples.uniform(arena, 9 * 4096 + 77, 54), small = Samples.gaussian(arena, 20_000, 0.02, 55);
            MemorySegment tiny = Samples.geometric(arena, 3_000, 56); // fewer than 32 lanes: the scalar rows
            List<CodedTensor> coded = List.of(big.encode(large, arena), other.encode(small, arena), big.encode(tiny, arena), big.encode(small, arena));
            List<RansCoder> coders = List.of(big, other, big, big);
            List<MemorySegment> inputs = List.of(large, small, tiny, small);
            for (DecodePath path : List.of(new DecodePath(256, 1), new DecodePath(512, 2), DecodePath.SCALAR)) {
                for (int round = 0; round < 2; round++) {
                    for (int i = 0; i < coded.size(); i++) {
                        MemorySegment out = arena.allocate(inputs.get(i).byteSize());
                        coders.get(i).decode(coded.get(i), out, 1, path);
                        assertEquals(-1, out.mismatch(inputs.get(i)), path + ", tensor " + i + ", round " + round);
                    }
                }
                // Damaged: the small tensor after the large one on this thread, against a fresh thread's arrays.
                MemorySegment stream = coded.get(3).part(2);
                for (int trial = 0; trial < 6; trial++) {
                    long at = r.nextLong(stream.byteSize());
                    stream.set(ValueLayout.JAVA_BYTE, at, (byte) (stream.get(ValueLayout.JAVA_BYTE, at) ^ 0x04));
                    big.decode(coded.get(0), arena.allocate(large.byteSize()), 1, path);
                    RuntimeException here = refusal(big, coded.get(3), arena.allocate(small.byteSize()), path);
                    RuntimeException[] fresh = new RuntimeException[1];
                    Thread t = new Thread(() -> fresh[0] = refusal(big, coded.get(3), arena.allocate(small.byteSize()), path));
                    t.start();
                    t.join();
                    assertEquals(fresh[0].getClass(), here.getClass(), path + ", byte " + at);
                    assertEquals(fresh[0].getMessage(), here.getMessage(), path + ", byte " + at);
                    stream.set(ValueLayout.JAVA_BYTE, at, (byte) (stream.get(ValueLayout.JAVA_BYTE, at) ^ 0x04));
                }
            }
        }
    }

    private static RuntimeException refusal(RansCoder c, CodedTensor coded, MemorySegment out, DecodePath path) {
        try {
            c.decode(coded, out, 1, path);
        } catch (MalformedInputException | ChecksumMismatchException e) {
            return e;
        }
        return fail(path + " decoded a damaged stream without complaint");
    }
}
