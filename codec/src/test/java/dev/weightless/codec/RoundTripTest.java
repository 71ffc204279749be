package dev.weightless.codec;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RoundTripTest {
    private static final CodecOptions ONE = CodecOptions.defaults().withThreads(1);
    private static final CodecOptions FOUR = CodecOptions.defaults().withThreads(4);

    static EncodedTensor encode(MemorySegment bf16, CodecOptions o, Arena arena) {
        return HuffmanEncoder.plan(bf16, o).writeTo(arena);
    }

    static byte[] decode(EncodedTensor t, CodecOptions o, Arena arena) {
        MemorySegment out = arena.allocate(t.elements() * 2);
        HuffmanDecoder.open(t).decode(out, o);
        return TestData.bytes(out);
    }

    private static void assertRoundTrip(MemorySegment bf16, CodecOptions o) {
        try (Arena arena = Arena.ofShared()) {
            EncodedTensor t = encode(bf16, o, arena);
            assertArrayEquals(TestData.bytes(bf16), decode(t, o, arena));
            assertArrayEquals(TestData.bytes(bf16), decode(t, o.withThreads(o.threads() == 1 ? 3 : 1), arena));
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 1, 2, 3, 4, 5, 7, 12, 13, 1023, 1024, 1025, 32767, 32768, 32769, 1 << 20, (1 << 20) + 4097, 3_000_001})
    void gaussianOfEveryLength(long n) {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment bf16 = TestData.gaussian(arena, n, 0.02, n);
            assertRoundTrip(bf16, ONE);
            assertRoundTrip(bf16, FOUR);
        }
    }

    @Test
    void allBitPatternsIncludingNanInfSubnormals() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment all = arena.allocate(65536 * 2);
            for (int v = 0; v < 65536; v++) all.set(Bf16.SHORT_LE, v * 2L, (short) v);
            assertRoundTrip(all, ONE);
            EncodedTensor t = encode(all, ONE, arena);
            assertEquals(256, HuffmanDecoder.open(t).code().symbolCount());
            assertRoundTrip(TestData.uniformBits(arena, 500_000, 7), FOUR);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 127, 128, 254, 255})
    void singleExponentCostsNoStreamBits(int exponent) {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment bf16 = TestData.singleExponent(arena, 100_003, exponent, exponent);
            EncodedTensor t = encode(bf16, FOUR, arena);
            assertEquals(8, t.payload().bytes().byteSize(), "only the guard word");
            assertArrayEquals(TestData.bytes(bf16), decode(t, FOUR, arena));
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {8, 9, 11, 12, 13, 14})
    void lengthLimitHoldsOnSkewedData(int limit) {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment bf16 = TestData.geometric(arena, 400_000, limit);
            CodecOptions o = FOUR.withMaxCodeLength(limit);
            EncodedTensor t = encode(bf16, o, arena);
            CodeTable code = HuffmanDecoder.open(t).code();
            assertTrue(code.maxLength() <= limit, "max length " + code.maxLength());
            assertArrayEquals(TestData.bytes(bf16), decode(t, o, arena));
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {64, 256, 4096})
    void otherChunkSizes(int chunk) {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment bf16 = TestData.gaussian(arena, 777_777, 1.0, chunk);
            assertRoundTrip(bf16, FOUR.withChunks(chunk, 8));
            assertRoundTrip(bf16, ONE.withChunks(chunk, 1));
        }
    }

    @Test
    void outputDoesNotDependOnThreadCount() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment bf16 = TestData.gaussian(arena, 5_000_123, 0.05, 11);
            EncodedTensor a = encode(bf16, ONE, arena), b = encode(bf16, FOUR, arena);
            assertArrayEquals(TestData.bytes(a.payload().bytes()), TestData.bytes(b.payload().bytes()));
            assertArrayEquals(TestData.bytes(a.index().bytes()), TestData.bytes(b.index().bytes()));
            assertArrayEquals(TestData.bytes(a.plane().bytes()), TestData.bytes(b.plane().bytes()));
            assertEquals(a.crc32c(), b.crc32c());
            assertEquals(Crc32c.of(bf16), a.crc32c());
        }
    }

    @Test
    void randomLengthsAndScales() {
        SplittableRandom r = new SplittableRandom(42);
        for (int k = 0; k < 60; k++) {
            try (Arena arena = Arena.ofShared()) {
                long n = r.nextInt(1, 70_000);
                MemorySegment bf16 = TestData.gaussian(arena, n, Math.pow(10, r.nextInt(-6, 4)), k);
                CodecOptions o = CodecOptions.defaults().withThreads(r.nextInt(1, 5))
                        .withMaxCodeLength(r.nextInt(8, 15)).withChunks(64 << r.nextInt(7), 1 << r.nextInt(6));
                assertRoundTrip(bf16, o);
            }
        }
    }

    @Test
    void histogramFromTheStreamMatchesTheInput() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment bf16 = TestData.gaussian(arena, 300_001, 0.1, 3);
            HuffmanEncoder.Plan plan = HuffmanEncoder.plan(bf16, FOUR);
            EncodedTensor t = plan.writeTo(arena);
            assertArrayEquals(plan.histogram(), HuffmanDecoder.open(t).exponentHistogram(FOUR));
        }
    }

    @Test
    void gaussianCompressesNearItsEntropy() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment bf16 = TestData.gaussian(arena, 2_000_000, 0.02, 5);
            HuffmanEncoder.Plan plan = HuffmanEncoder.plan(bf16, FOUR);
            double h = Entropy.bits(plan.histogram());
            double bitsPerWeight = plan.encodedBytes() * 8.0 / plan.layout().elements();
            assertTrue(bitsPerWeight < 8 + h + 0.1, bitsPerWeight + " bits/weight against entropy " + h);
            assertTrue(bitsPerWeight > 8 + h, "cannot beat the entropy");
        }
    }
}
