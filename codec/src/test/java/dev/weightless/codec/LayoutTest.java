package dev.weightless.codec;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The index arithmetic for tensors past 2^31 and 2^32 elements, without allocating them. */
class LayoutTest {
    @Test
    void sizesPastIntRange() {
        long n = (1L << 32) + 12345; // 8 GiB of BF16
        ChunkLayout l = ChunkLayout.of(n);
        assertEquals(4194317, l.chunks());
        assertEquals(131073, l.groups());
        assertEquals(131073L * 8 + 4194317L * 2, l.indexBytes());
        assertEquals(12345 % 1024, l.symbolsIn(l.chunks() - 1));
        assertEquals(1024, l.symbolsIn(l.chunks() - 2));
        assertTrue(l.indexBytes() * 8.0 / n <= 0.05, "index budget");
        assertEquals(8L * ((5L * n + 63) / 64 + 1), ChunkLayout.payloadBytes(5L * n));
    }

    @Test
    void indexCostIsUnderBudget() {
        for (long n : new long[] {1 << 15, 1 << 20, 22_565_376L, 1L << 31, 1L << 40}) {
            ChunkLayout l = ChunkLayout.of(n);
            assertTrue(l.indexBytes() * 8.0 / n <= 0.0177, n + ": " + l.indexBytes() * 8.0 / n);
        }
    }

    @Test
    void hugeSizesFailLoudlyNotSilently() {
        assertThrows(IllegalArgumentException.class, () -> new ChunkLayout(-1, 1024, 32));
        assertThrows(IllegalArgumentException.class, () -> new ChunkLayout(10, 1000, 32));
        assertThrows(IllegalArgumentException.class, () -> new ChunkLayout(10, 8192, 32));
    }
}
