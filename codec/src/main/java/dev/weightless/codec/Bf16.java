package dev.weightless.codec;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Bit layout of BF16 and the plane split: a value is sign(1) exponent(8) mantissa(7); the exponent
 * plane holds the middle 8 bits, the sign|mantissa plane holds sign in bit 7 and mantissa below.
 * The SWAR helpers work on four little-endian values packed in a long.
 */
public final class Bf16 {
    static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final VarHandle SHORT_IN_BYTES = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    static final VarHandle INT_IN_BYTES = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    static final VarHandle LONG_IN_BYTES = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private Bf16() {}

    public static int exponent(int bf16) { return (bf16 >>> 7) & 0xFF; }

    public static int signMantissa(int bf16) { return ((bf16 >>> 8) & 0x80) | (bf16 & 0x7F); }

    /** Counts the exponents of little-endian BF16 values (a plain loop, for statistics). */
    public static long[] exponentHistogram(MemorySegment bf16) {
        long[] h = new long[256];
        for (long i = 0, n = bf16.byteSize() / 2; i < n; i++) h[exponent(bf16.get(SHORT_LE, 2 * i))]++;
        return h;
    }

    public static short join(int exponent, int signMantissa) {
        return (short) ((signMantissa & 0x80) << 8 | exponent << 7 | (signMantissa & 0x7F));
    }

    /** The exponents of four values, one per byte. */
    static int exponents4(long values) { return pack4((values >>> 7) & 0x00FF00FF00FF00FFL); }

    /** The sign|mantissa bytes of four values. */
    static int signMantissas4(long values) {
        return pack4((values & 0x007F007F007F007FL) | ((values >>> 8) & 0x0080008000800080L));
    }

    /** Four values from four exponent bytes and four sign|mantissa bytes. */
    static long join4(int exponents, int signMantissas) {
        return spread4(exponents) << 7 | signMantissaLanes(signMantissas);
    }

    /** Four sign|mantissa bytes placed where they go in four BF16 values (bit 15 and bits 0..6 of each lane). */
    static long signMantissaLanes(int signMantissas) {
        long s = spread4(signMantissas);
        return (s & 0x0080008000800080L) << 8 | (s & 0x007F007F007F007FL);
    }

    /** The low bytes of four 16-bit lanes, packed into an int. */
    private static int pack4(long lanes) {
        lanes = (lanes | lanes >>> 8) & 0x0000FFFF0000FFFFL;
        return (int) (lanes | lanes >>> 16);
    }

    /** Four bytes spread into the low bytes of four 16-bit lanes. */
    private static long spread4(int bytes) {
        long x = bytes & 0xFFFFFFFFL;
        x = (x | x << 16) & 0x0000FFFF0000FFFFL;
        return (x | x << 8) & 0x00FF00FF00FF00FFL;
    }
}
