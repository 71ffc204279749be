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
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** The vector rows (256 bits, and 512 bits, emulated where the hardware lacks them) decode exactly what the scalar rows decode, and refuse damaged streams the same way. */
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

    /** The 256-bit and scalar rows, and the 512-bit rows where the hardware has them (elsewhere they are emulated, slowly: see {@link #wideRowsEvenEmulated}). */
    private static void bothPaths(RansCoder c, MemorySegment in, String what) {
        paths(c, in, what, RansWideRows.hardware() ? new int[] {256, 512, 0} : new int[] {256, 0});
    }

    private static void paths(RansCoder c, MemorySegment in, String what, int[] rowBits) {
        try (Arena arena = Arena.ofConfined()) {
            CodedTensor coded = c.encode(in, arena);
            for (int bits : rowBits) {
                MemorySegment out = arena.allocate(in.byteSize());
                out.fill((byte) 0x5A);
                c.decode(coded, out, 1, bits);
                assertEquals(-1, out.mismatch(in), () -> c.name() + " " + rows(bits) + ", " + what + ": differs at byte " + out.mismatch(in));
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
                paths(c, Samples.gaussian(arena, 16_415, 0.02, 3), "gaussian 16415", new int[] {512, 0});
                paths(c, Samples.geometric(arena, (1 << 16) * 3 + 31, 4), "geometric " + ((1 << 16) * 3 + 31), new int[] {512, 0});
                paths(c, Samples.single(arena, 40_000, 0, true, 5), "one value", new int[] {512, 0});
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
                RuntimeException scalar = refusal(c, coded, in.byteSize(), 0);
                for (int bits : trial < 10 || RansWideRows.hardware() ? new int[] {256, 512} : new int[] {256}) {
                    RuntimeException vector = refusal(c, coded, in.byteSize(), bits);
                    assertEquals(scalar.getClass(), vector.getClass(), "byte " + at + ", " + rows(bits));
                    assertEquals(scalar.getMessage(), vector.getMessage(), "byte " + at + ", " + rows(bits));
                }
                stream.set(ValueLayout.JAVA_BYTE, at, (byte) (stream.get(ValueLayout.JAVA_BYTE, at) ^ flip));
            }
        }
    }

    /** The exception a decode raises; a flipped stream bit must be refused (the CRC32C catches what the states do not). */
    private static RuntimeException refusal(RansCoder c, CodedTensor coded, long bytes, int bits) {
        try (Arena arena = Arena.ofConfined()) {
            c.decode(coded, arena.allocate(bytes), 1, bits);
        } catch (MalformedInputException | ChecksumMismatchException e) {
            return e;
        }
        return fail(rows(bits) + " decoded a damaged stream without complaint");
    }

    private static String rows(int bits) { return bits == 0 ? "scalar rows" : bits + "-bit vector rows"; }
}
