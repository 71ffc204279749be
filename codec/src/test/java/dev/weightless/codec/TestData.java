package dev.weightless.codec;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/** Synthetic BF16 tensors with the shapes of histogram that matter. */
final class TestData {
    private TestData() {}

    /** Gaussian weights of scale {@code sigma}, rounded to BF16 (a realistic exponent histogram). */
    static MemorySegment gaussian(Arena arena, long n, double sigma, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        MemorySegment s = arena.allocate(n * 2);
        for (long i = 0; i < n; i++) {
            float f = (float) (nextGaussian(r) * sigma);
            s.set(Bf16.SHORT_LE, i * 2, (short) (Float.floatToRawIntBits(f) >>> 16));
        }
        return s;
    }

    /** Every 16-bit pattern equally likely: all 256 exponents, NaN, Inf, subnormals and zeros. */
    static MemorySegment uniformBits(Arena arena, long n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        MemorySegment s = arena.allocate(n * 2);
        for (long i = 0; i < n; i++) s.set(Bf16.SHORT_LE, i * 2, (short) r.nextInt());
        return s;
    }

    /** One exponent only, random sign and mantissa. */
    static MemorySegment singleExponent(Arena arena, long n, int exponent, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        MemorySegment s = arena.allocate(n * 2);
        for (long i = 0; i < n; i++) s.set(Bf16.SHORT_LE, i * 2, Bf16.join(exponent, r.nextInt(256)));
        return s;
    }

    /** A very skewed histogram that forces the length limit: exponent k with probability ~2^-k. */
    static MemorySegment geometric(Arena arena, long n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        MemorySegment s = arena.allocate(n * 2);
        for (long i = 0; i < n; i++) {
            int e = Math.min(255, Long.numberOfTrailingZeros(r.nextLong() | Long.MIN_VALUE));
            s.set(Bf16.SHORT_LE, i * 2, Bf16.join(e, r.nextInt(256)));
        }
        return s;
    }

    private static double nextGaussian(SplittableRandom r) {
        double u = r.nextDouble(), v = r.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v);
    }

    static byte[] bytes(MemorySegment s) { return s.toArray(ValueLayout.JAVA_BYTE); }
}
