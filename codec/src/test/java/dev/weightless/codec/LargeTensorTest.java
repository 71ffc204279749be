package dev.weightless.codec;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real round trip of a tensor past 2^31 elements (4 GiB of BF16, about 12 GiB of memory in all).
 * Too big for CI, so tagged "large" and excluded by default: run it with
 * {@code mvn -pl codec test -Dgroups=large -Dweightless.excludedGroups=none}.
 */
@Tag("large")
class LargeTensorTest {
    @Test
    void roundTripPast2To31Elements() {
        long n = (1L << 31) + 4097;
        CodecOptions o = CodecOptions.defaults();
        try (Arena arena = Arena.ofShared()) {
            MemorySegment bf16 = arena.allocate(n * 2);
            // Cheap pseudo-random weights with a realistic exponent spread: xorshift bits, exponent near 120.
            long x = 0x9E3779B97F4A7C15L;
            for (long i = 0; i < n; i++) {
                x ^= x << 13;
                x ^= x >>> 7;
                x ^= x << 17;
                int e = 117 + Long.numberOfTrailingZeros(x | 1L << 12) % 9;
                bf16.set(Bf16.SHORT_LE, 2 * i, Bf16.join(e, (int) (x >>> 40)));
            }
            HuffmanEncoder.Plan plan = HuffmanEncoder.plan(bf16, o);
            assertTrue(plan.layout().chunks() > Integer.MAX_VALUE / 1024);
            EncodedTensor t = plan.writeTo(arena);
            assertEquals(n, t.plane().bytes().byteSize());
            MemorySegment out = arena.allocate(n * 2);
            HuffmanDecoder.open(t).decode(out, o);
            assertEquals(-1, out.mismatch(bf16));
        }
    }
}
