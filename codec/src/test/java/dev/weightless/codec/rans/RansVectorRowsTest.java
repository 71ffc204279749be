package dev.weightless.codec.rans;

import dev.weightless.codec.ChecksumMismatchException;
import dev.weightless.codec.MalformedInputException;
import dev.weightless.codec.coder.CodedTensor;
import dev.weightless.codec.coder.Samples;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The vector rows (256 bits, and 512 bits one chunk at a time or two side by side, emulated where the hardware lacks
 * them) decode exactly what the scalar rows decode, and refuse damaged streams the same way.
 */
class RansVectorRowsTest {
    @Test
    void testsRunWithTheVectorRows() {
        assertTrue(RansCoder.Vector.ON, "the test JVM must run with --add-modules jdk.incubator.vector on a 256-bit vector unit,"
                + " or the vector decoder goes untested (the parent pom's weightless.jvmArgs passes the module)");
    }

    /** Coders whose chunks span zero, one, several and a merged last block of rows, with raw fields of 8 and 6 bits. */
    private static List<RansCoder> coders() {
        return List.of(RansCoder.exponentOnly(), RansCoder.withMantissaContext(),
                new RansCoder("rans-4k", 2, 14, 1 << 12), new RansCoder("rans-64k", 0, 12, 1 << 16), new RansCoder("rans-k3", 3, 15, 1 << 15));
    }

    private static final DecodePath SCALAR = DecodePath.SCALAR;
    private static final DecodePath NARROW = new DecodePath(256, 1);
    /** The 512-bit rows, one chunk at a time and two side by side: emulated, slowly, without AVX-512. */
    private static final List<DecodePath> WIDE = List.of(new DecodePath(512, 1), new DecodePath(512, 2));

    /** The 256-bit and scalar rows, and the 512-bit rows where the hardware has them (elsewhere they are emulated, slowly: see {@link #wideRowsEvenEmulated}). */
    private static void bothPaths(RansCoder c, MemorySegment in, String what) {
        // The 256-bit rows also through the block buffer (RansOutputsTest covers every path and kind of output on fewer shapes).
        List<DecodePath> all = new java.util.ArrayList<>(List.of(NARROW, NARROW.buffered()));
        if (RansWideRows.hardware()) all.addAll(WIDE);
        all.add(SCALAR);
        paths(c, in, what, all);
    }

    private static void paths(RansCoder c, MemorySegment in, String what, List<DecodePath> rows) {
        try (Arena arena = Arena.ofConfined()) {
            CodedTensor coded = c.encode(in, arena);
            for (DecodePath path : rows) {
                MemorySegment out = arena.allocate(in.byteSize());
                out.fill((byte) 0x5A);
                c.decode(coded, out, 1, path);
                assertEquals(-1, out.mismatch(in), () -> c.name() + " " + path + ", " + what + ": differs at byte " + out.mismatch(in));
            }
        }
    }

    @Test
    void restoreEveryShapeAndLength() {
        // 16,384 weights is the smallest tensor with 32 lanes; the odd lengths leave partial rows and last chunks of
        // 1..31 symbols (no full row at all), and 2^16 · 3 + 31 crosses the 256-row blocks.
        long[] sizes = {16_384, 16_385, 16_415, 20_000 + 7, (1 << 16) * 3 + 31, 300_001};
        for (RansCoder c : coders()) {
            for (long n : sizes) {
                try (Arena arena = Arena.ofConfined()) {
                    bothPaths(c, Samples.gaussian(arena, n, 0.02, n), "gaussian " + n);
                    bothPaths(c, Samples.geometric(arena, n, n + 1), "geometric " + n);
                }
            }
            try (Arena arena = Arena.ofConfined()) {
                bothPaths(c, Samples.uniform(arena, 70_001, 3), "uniform");
                bothPaths(c, Samples.single(arena, 50_000, 120, false, 5), "one exponent");
                bothPaths(c, Samples.single(arena, 40_000, 0, true, 5), "one value");
            }
        }
    }

    /** The 512-bit rows on a few shapes even on a 256-bit unit, where the Vector API emulates them (too slow for every shape). */
    @Test
    void wideRowsEvenEmulated() {
        for (RansCoder c : coders()) {
            try (Arena arena = Arena.ofConfined()) {
                List<DecodePath> wide = new java.util.ArrayList<>(WIDE);
                wide.add(SCALAR);
                paths(c, Samples.gaussian(arena, 16_415, 0.02, 3), "gaussian 16415", wide);
                paths(c, Samples.geometric(arena, (1 << 16) * 3 + 31, 4), "geometric " + ((1 << 16) * 3 + 31), wide);
                paths(c, Samples.single(arena, 40_000, 0, true, 5), "one value", wide);
            }
        }
    }

    @Test
    void refuseDamagedStreamsAsTheScalarRowsDo() {
        RansCoder c = new RansCoder("rans-4k", 2, 14, 1 << 12);
        SplittableRandom r = new SplittableRandom(17);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = Samples.gaussian(arena, 40_000, 0.02, 9);
            CodedTensor coded = c.encode(in, arena);
            MemorySegment stream = coded.part(2);
            for (int trial = 0; trial < 40; trial++) {
                long at = r.nextLong(stream.byteSize());
                byte flip = (byte) (1 << r.nextInt(8));
                stream.set(ValueLayout.JAVA_BYTE, at, (byte) (stream.get(ValueLayout.JAVA_BYTE, at) ^ flip));
                RuntimeException scalar = refusal(c, coded, in.byteSize(), SCALAR);
                List<DecodePath> vectors = new java.util.ArrayList<>(List.of(NARROW));
                if (trial < 6 || RansWideRows.hardware()) vectors.addAll(WIDE); // emulated without AVX-512: a few trials
                for (DecodePath path : vectors) {
                    RuntimeException vector = refusal(c, coded, in.byteSize(), path);
                    assertEquals(scalar.getClass(), vector.getClass(), "byte " + at + ", " + path);
                    assertEquals(scalar.getMessage(), vector.getMessage(), "byte " + at + ", " + path);
                }
                stream.set(ValueLayout.JAVA_BYTE, at, (byte) (stream.get(ValueLayout.JAVA_BYTE, at) ^ flip));
            }
        }
    }

    /**
     * Two chunks decoded side by side, both damaged: refused with the lower chunk's error, as one chunk at a time refuses
     * them, also where the higher chunk's damage shows first (it reads past its words during the rows, while the lower
     * chunk's shows only in its final states): the pair is then decoded again one chunk at a time.
     */
    @Test
    void refuseTwoDamagedChunksOfAPairAsOneAtATime() {
        RansCoder c = new RansCoder("rans-4k", 2, 14, 1 << 12);
        SplittableRandom r = new SplittableRandom(23);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = Samples.gaussian(arena, 40_000, 0.02, 11);
            CodedTensor coded = c.encode(in, arena);
            MemorySegment index = coded.part(1), stream = coded.part(2);
            long words0 = Integer.toUnsignedLong(index.get(ValueLayout.JAVA_INT_UNALIGNED, 0));
            long words1 = Integer.toUnsignedLong(index.get(ValueLayout.JAVA_INT_UNALIGNED, 4));
            // A flip in chunk 0's words refused at its end, and one in chunk 1's refused while its rows run.
            long late = -1, early = -1;
            for (int tries = 0; tries < 2000 && (late < 0 || early < 0); tries++) {
                long at = r.nextLong(2 * (words0 + words1));
                String message = refusal(c, flipped(coded, at), in.byteSize(), SCALAR).getMessage();
                if (at < 2 * words0 && late < 0 && message.contains("chunk 0 ") && !message.contains("reads past")) late = at;
                if (at >= 2 * words0 && early < 0 && message.contains("chunk 1 reads past")) early = at;
            }
            assertTrue(late >= 0 && early >= 0, "no such flips found: " + late + ", " + early);
            flip(stream, late);
            flip(stream, early);
            RuntimeException one = refusal(c, coded, in.byteSize(), NARROW), pair = refusal(c, coded, in.byteSize(), WIDE.get(1));
            assertTrue(one.getMessage().contains("chunk 0 "), one.getMessage());
            assertEquals(one.getClass(), pair.getClass());
            assertEquals(one.getMessage(), pair.getMessage());
        }
    }

    private static void flip(MemorySegment stream, long at) { stream.set(ValueLayout.JAVA_BYTE, at, (byte) (stream.get(ValueLayout.JAVA_BYTE, at) ^ 0x10)); }

    /** The coded tensor with its stream's byte {@code at} flipped (a copy: parts are shared otherwise). */
    private static CodedTensor flipped(CodedTensor coded, long at) {
        MemorySegment stream = Arena.ofAuto().allocate(coded.part(2).byteSize());
        stream.copyFrom(coded.part(2));
        flip(stream, at);
        return new CodedTensor(coded.coder(), coded.elements(), List.of(coded.part(0), coded.part(1), stream, coded.part(3)));
    }

    /** Two chunks side by side inside each worker's run of chunks: runs of odd and even length, and a shorter last chunk. */
    @Test
    void pairsOnSeveralThreads() {
        RansCoder c = new RansCoder("rans-4k", 2, 14, 1 << 12);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment in = Samples.gaussian(arena, 9 * 4096 + 1000, 0.02, 13);
            CodedTensor coded = c.encode(in, arena);
            for (int threads = 1; threads <= 4; threads++) {
                MemorySegment out = arena.allocate(in.byteSize());
                c.decode(coded, out, threads, WIDE.get(1));
                assertEquals(-1, out.mismatch(in), threads + " threads: differs at byte " + out.mismatch(in));
            }
        }
    }

    @Test
    void onlyThe512BitRowsTakeTwoChunks() {
        assertThrows(IllegalArgumentException.class, () -> new DecodePath(256, 2));
        assertThrows(IllegalArgumentException.class, () -> new DecodePath(0, 2));
        assertThrows(IllegalArgumentException.class, () -> new DecodePath(128, 1));
        assertEquals("512-bit vector rows, two chunks side by side", new DecodePath(512, 2).toString());
        assertEquals("512-bit vector rows, two chunks side by side, values through a buffer, blocks of 128 rows", new DecodePath(512, 2).buffered().withBlockRows(128).toString());
        assertThrows(IllegalArgumentException.class, () -> new DecodePath(512, 2).withBlockRows(100));
        assertThrows(IllegalArgumentException.class, () -> new DecodePath(512, 2).withBlockRows(4));
    }

    /** The exception a decode raises; a flipped stream bit must be refused (the CRC32C catches what the states do not). */
    private static RuntimeException refusal(RansCoder c, CodedTensor coded, long bytes, DecodePath path) {
        try (Arena arena = Arena.ofConfined()) {
            c.decode(coded, arena.allocate(bytes), 1, path);
        } catch (MalformedInputException | ChecksumMismatchException e) {
            return e;
        }
        return fail(path + " decoded a damaged stream without complaint");
    }
}
