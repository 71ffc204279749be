package dev.weightless.codec.coder;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

/** Synthetic BF16 tensors for coder tests: the histogram shapes that stress a coder. */
public final class Samples {
    static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Samples() {}

    /** Bell-shaped weights of scale sigma rounded to BF16: a realistic exponent histogram and a falling mantissa density. */
    public static MemorySegment gaussian(Arena arena, long n, double sigma, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        MemorySegment s = arena.allocate(n * 2);
        for (long i = 0; i < n; i++) {
            double u = r.nextDouble(), v = r.nextDouble();
            float f = (float) (Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v) * sigma);
            s.set(SHORT_LE, i * 2, (short) (Float.floatToRawIntBits(f) >>> 16));
        }
        return s;
    }

    /** Every 16-bit pattern equally likely: all exponents, NaN, infinities, subnormals. */
    public static MemorySegment uniform(Arena arena, long n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        MemorySegment s = arena.allocate(n * 2);
        for (long i = 0; i < n; i++) s.set(SHORT_LE, i * 2, (short) r.nextInt());
        return s;
    }

    /** One exponent (and, when {@code sameMantissa}, one value) only. */
    public static MemorySegment single(Arena arena, long n, int exponent, boolean sameMantissa, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        MemorySegment s = arena.allocate(n * 2);
        for (long i = 0; i < n; i++) {
            int sm = sameMantissa ? 0x35 : r.nextInt(256);
            s.set(SHORT_LE, i * 2, (short) ((sm & 0x80) << 8 | exponent << 7 | sm & 0x7F));
        }
        return s;
    }

    /** Very skewed: exponent k with probability about 2^-k, so rare symbols sit next to one of probability 1/2. */
    public static MemorySegment geometric(Arena arena, long n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        MemorySegment s = arena.allocate(n * 2);
        for (long i = 0; i < n; i++) {
            int e = Math.min(255, Long.numberOfTrailingZeros(r.nextLong() | Long.MIN_VALUE));
            int sm = r.nextInt(256);
            s.set(SHORT_LE, i * 2, (short) ((sm & 0x80) << 8 | e << 7 | sm & 0x7F));
        }
        return s;
    }
}
