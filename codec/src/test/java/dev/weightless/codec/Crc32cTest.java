package dev.weightless.codec;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertEquals;

class Crc32cTest {
    @Test
    void combineEqualsTheCrcOfTheWhole() {
        SplittableRandom r = new SplittableRandom(3);
        for (int k = 0; k < 200; k++) {
            byte[] data = new byte[r.nextInt(0, 5000)];
            r.nextBytes(data);
            int cut = data.length == 0 ? 0 : r.nextInt(data.length + 1);
            MemorySegment all = MemorySegment.ofArray(data);
            int a = Crc32c.of(all.asSlice(0, cut)), b = Crc32c.of(all.asSlice(cut));
            CRC32C whole = new CRC32C();
            whole.update(data);
            assertEquals((int) whole.getValue(), Crc32c.combine(a, b, data.length - cut));
            assertEquals((int) whole.getValue(), Crc32c.of(all));
        }
    }

    @Test
    void combineWorksForLengthsBeyondIntRange() {
        // crc(zeros of length n) can be built by combining; compare two decompositions of 5 GiB of zeros.
        long n = 5L << 30;
        int zeros1M = Crc32c.of(MemorySegment.ofArray(new byte[1 << 20]));
        int viaDoubling = zeros1M;
        long len = 1 << 20;
        while (len < n) {
            viaDoubling = Crc32c.combine(viaDoubling, viaDoubling, len);
            len *= 2;
        }
        // 2^20 doubled 13 times is 8 GiB; build 5 GiB as 4 GiB + 1 GiB instead.
        int g1 = zeros1M;
        for (long l = 1 << 20; l < 1L << 30; l *= 2) g1 = Crc32c.combine(g1, g1, l);
        int g4 = Crc32c.combine(Crc32c.combine(g1, g1, 1L << 30), Crc32c.combine(g1, g1, 1L << 30), 2L << 30);
        int g5 = Crc32c.combine(g4, g1, 1L << 30);
        int g5other = Crc32c.combine(g1, g4, 4L << 30);
        assertEquals(g5, g5other);
        int g8 = Crc32c.combine(g4, g4, 4L << 30);
        assertEquals(viaDoubling, g8);
    }
}
