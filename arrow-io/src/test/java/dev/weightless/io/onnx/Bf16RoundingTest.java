package dev.weightless.io.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class Bf16RoundingTest {
    private static int fromBits(int floatBits) {
        return Bf16Rounding.fromFloatBits(floatBits) & 0xffff;
    }

    @Test
    void roundsTiesToEven() {
        assertEquals(0x3f80, fromBits(0x3f808000)); // halfway, kept part even: down
        assertEquals(0x3f82, fromBits(0x3f818000)); // halfway, kept part odd: up
        assertEquals(0x3f81, fromBits(0x3f808001)); // just above halfway
        assertEquals(0x3f80, fromBits(0x3f807fff)); // just below halfway
        assertEquals(0xbf82, fromBits(0xbf818000)); // sign does not matter
        assertEquals(0x4000, fromBits(0x3fffffff)); // carry into the exponent
    }

    @Test
    void keepsNaNsAndMakesThemQuiet() {
        assertEquals(0x7fc0, fromBits(0x7f800001)); // signalling, payload only in dropped bits: would truncate to infinity
        assertEquals(0x7fc0, fromBits(0x7fc00000));
        assertEquals(0xffc1, fromBits(0xff81ffff));
        assertEquals(0x7fff, fromBits(0x7fffffff));
        assertTrue(Float.isNaN(toFloat(Bf16Rounding.fromFloat(Float.NaN))));
    }

    @Test
    void handlesInfinitiesZerosAndOverflow() {
        assertEquals(0x7f80, fromBits(0x7f800000));
        assertEquals(0xff80, fromBits(0xff800000));
        assertEquals(0x0000, fromBits(0x00000000));
        assertEquals(0x8000, fromBits(0x80000000));
        assertEquals(0x7f80, fromBits(Float.floatToRawIntBits(Float.MAX_VALUE)));
        assertEquals(0xff80, fromBits(Float.floatToRawIntBits(-Float.MAX_VALUE)));
        assertEquals(0x7f7f, fromBits(0x7f7f7fff)); // the largest BF16 stays finite
        assertEquals(0x7f80, fromBits(0x7f7f8000)); // halfway to 2^128, odd: up to infinity
    }

    @Test
    void roundsSubnormals() {
        assertEquals(0x0000, fromBits(0x00000001));
        assertEquals(0x0000, fromBits(0x00008000));
        assertEquals(0x0002, fromBits(0x00018000));
        assertEquals(0x0001, fromBits(0x00010000));
        assertEquals(0x0080, fromBits(0x007fffff)); // largest subnormal rounds up to the smallest normal
        assertEquals(0x8001, fromBits(0x80010000));
    }

    @Test
    void agreesWithAReferenceOnRandomFloats() {
        SplittableRandom random = new SplittableRandom(1);
        for (int i = 0; i < 1_000_000; i++) {
            int bits = random.nextInt();
            if (!Float.isNaN(Float.intBitsToFloat(bits))) assertEquals(reference(bits), fromBits(bits), Integer.toHexString(bits));
        }
    }

    @Test
    void convertsEveryHalf() {
        for (int h = 0; h < 0x10000; h++) {
            float f = Float.float16ToFloat((short) h);
            int bf16 = Bf16Rounding.fromHalf((short) h) & 0xffff;
            if (Float.isNaN(f)) {
                assertTrue(Float.isNaN(toFloat((short) bf16)) && (bf16 & 0x40) != 0, Integer.toHexString(h));
            } else {
                assertEquals(reference(Float.floatToRawIntBits(f)), bf16, Integer.toHexString(h));
            }
        }
        assertEquals(0x3f80, Bf16Rounding.fromHalf((short) 0x3c00) & 0xffff); // 1.0
        assertEquals(0x4780, Bf16Rounding.fromHalf((short) 0x7bff) & 0xffff); // 65504 rounds to 65536
        assertEquals(0x3380, Bf16Rounding.fromHalf((short) 0x0001) & 0xffff); // smallest subnormal, 2^-24
        assertEquals(0x7fc0, Bf16Rounding.fromHalf((short) 0x7c01) & 0xffff); // signalling NaN
    }

    private static float toFloat(short bf16) {
        return Float.intBitsToFloat(bf16 << 16);
    }

    /** Round to nearest, ties to even, worked out on values rather than bits. */
    private static int reference(int bits) {
        float f = Float.intBitsToFloat(bits);
        int down = bits >>> 16;
        if (Float.isInfinite(f)) return down;
        int exponent = Math.max(down >>> 7 & 0xff, 1);
        double ulp = Math.scalb(1.0, exponent - 127 - 7);
        double low = Math.abs((double) toFloat((short) down));
        double excess = Math.abs((double) f) - low;
        boolean up = excess > ulp / 2 || excess == ulp / 2 && (down & 1) == 1;
        return up ? down + 1 : down;
    }
}
