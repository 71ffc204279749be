package dev.weightless.codec;

import java.lang.foreign.MemorySegment;
import java.util.zip.CRC32C;

/** CRC32C over memory segments of any size, and the combination of CRCs of adjacent pieces. */
public final class Crc32c {
    private static final int POLY = 0x82F63B78; // reflected Castagnoli polynomial
    private static final long SLICE = 1L << 30;  // ByteBuffer views stop at 2 GiB
    /** X2N[k] = x^(2^k) mod P, so that x^(8n) can be built by squaring. */
    private static final int[] X2N = new int[67];

    static {
        int p = 1 << 30; // x^1 in reflected form
        X2N[0] = p;
        for (int k = 1; k < X2N.length; k++) X2N[k] = p = multiply(p, p);
    }

    private Crc32c() {}

    public static int of(MemorySegment data) {
        CRC32C crc = new CRC32C();
        for (long at = 0, size = data.byteSize(); at < size; at += SLICE) {
            crc.update(data.asSlice(at, Math.min(SLICE, size - at)).asByteBuffer());
        }
        return (int) crc.getValue();
    }

    /** The CRC of A followed by B, from crc(A), crc(B) and B's length in bytes. */
    public static int combine(int crcA, int crcB, long lengthB) {
        if (lengthB < 0) throw new IllegalArgumentException("negative length " + lengthB);
        if (lengthB == 0) return crcA;
        return multiply(xPow8n(lengthB), crcA) ^ crcB;
    }

    private static int xPow8n(long n) {
        int p = 1 << 31; // x^0
        int k = 3;       // 8n = n * 2^3
        for (; n != 0; n >>>= 1, k++) {
            if ((n & 1) != 0) p = multiply(X2N[k], p);
        }
        return p;
    }

    /** a * b mod P, both in reflected bit order; a must not be zero. */
    private static int multiply(int a, int b) {
        int m = 1 << 31, p = 0;
        while (true) {
            if ((a & m) != 0) {
                p ^= b;
                if ((a & (m - 1)) == 0) break;
            }
            m >>>= 1;
            b = (b & 1) != 0 ? (b >>> 1) ^ POLY : b >>> 1;
        }
        return p;
    }
}
