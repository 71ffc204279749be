package dev.weightless.io.onnx;

/** Rounding to bfloat16, which is the upper 16 bits of an IEEE 754 binary32. */
public final class Bf16Rounding {
    private Bf16Rounding() {}

    /**
     * Rounds binary32 bits to the nearest bfloat16, ties to even. Values past the largest
     * bfloat16 become infinities; a NaN stays a NaN, made quiet so truncation cannot turn it into
     * an infinity.
     */
    public static short fromFloatBits(int bits) {
        if ((bits & 0x7fffffff) > 0x7f800000) return (short) (bits >>> 16 | 0x0040);
        // Adding just under half an ulp, plus one when the kept part is odd, carries exactly when rounding up.
        return (short) ((bits + 0x7fff + (bits >>> 16 & 1)) >>> 16);
    }

    public static short fromFloat(float value) {
        return fromFloatBits(Float.floatToRawIntBits(value));
    }

    /** Binary16 to bfloat16: widening to binary32 is exact, so this rounds once. */
    public static short fromHalf(short half) {
        return fromFloat(Float.float16ToFloat(half));
    }
}
