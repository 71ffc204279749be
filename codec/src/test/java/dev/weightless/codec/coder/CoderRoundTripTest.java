package dev.weightless.codec.coder;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.function.BiFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every registered coder restores every kind of input bit for bit, and its parts are what it reports. */
class CoderRoundTripTest {
    static List<String> coders() { return Coders.all().stream().map(Coder::name).toList(); }

    private static void roundTrip(String name, MemorySegment in) {
        Coder coder = Coders.byName(name);
        try (Arena arena = Arena.ofConfined()) {
            CodedTensor coded = coder.encode(in, arena);
            assertEquals(name, coded.coder());
            assertEquals(in.byteSize() / 2, coded.elements());
            assertEquals(coder.partNames().size(), coded.parts().size());
            MemorySegment out = arena.allocate(in.byteSize());
            out.fill((byte) 0x5A);
            coder.decode(coded, out);
            assertEquals(-1, out.mismatch(in), () -> name + ": decoded differs at byte " + out.mismatch(in) + " of " + in.byteSize());
        }
    }

    private static void each(String name, long[] sizes, BiFunction<Arena, Long, MemorySegment> data) {
        for (long n : sizes) {
            try (Arena arena = Arena.ofConfined()) {
                roundTrip(name, data.apply(arena, n));
            }
        }
    }

    @ParameterizedTest
    @MethodSource("coders")
    void empty(String name) { each(name, new long[] {0}, (a, n) -> a.allocate(0)); }

    @ParameterizedTest
    @MethodSource("coders")
    void oddAndTinyLengths(String name) {
        each(name, new long[] {1, 2, 3, 7, 31, 33, 255, 257, 1023, 1025, 4097}, (a, n) -> Samples.gaussian(a, n, 0.02, n));
    }

    @ParameterizedTest
    @MethodSource("coders")
    void uniformBits(String name) { each(name, new long[] {1, 1000, 70_001}, (a, n) -> Samples.uniform(a, n, 3)); }

    @ParameterizedTest
    @MethodSource("coders")
    void skewed(String name) { each(name, new long[] {5, 20_000, 100_003}, (a, n) -> Samples.geometric(a, n, 4)); }

    @ParameterizedTest
    @MethodSource("coders")
    void singleExponentAndSingleValue(String name) {
        each(name, new long[] {1, 64, 50_000}, (a, n) -> Samples.single(a, n, 120, false, 5));
        each(name, new long[] {1, 64, 50_000}, (a, n) -> Samples.single(a, n, 0, true, 5));
        each(name, new long[] {3, 40_000}, (a, n) -> Samples.single(a, n, 255, true, 5));
    }

    /** More than one chunk of every coder (rANS 2^17, palette 2^14, Huffman 1024 symbols), with a partial last chunk. */
    @ParameterizedTest
    @MethodSource("coders")
    void severalChunks(String name) { each(name, new long[] {(1 << 17) * 2 + 12_345}, (a, n) -> Samples.gaussian(a, n, 0.05, 6)); }

    @Test
    void rangeOfCoderSettings() {
        // Small chunks and every mantissa split, so that chunk boundaries and raw widths 5..8 are crossed often.
        for (int k = 0; k <= 3; k++) {
            for (int scale : new int[] {8 + k, 12, 15}) {
                dev.weightless.codec.rans.RansCoder c = new dev.weightless.codec.rans.RansCoder("rans-test", k, scale, 256);
                try (Arena arena = Arena.ofConfined()) {
                    // 10,007 weights: 16 lanes; 18,020 and 18,120: 32 lanes with raw fields carried in the initial states of
                    // every whole chunk, and a last chunk too short for that (100 weights) or long enough (200).
                    for (MemorySegment in : List.of(Samples.gaussian(arena, 10_007, 0.02, k), Samples.geometric(arena, 3_001, scale),
                            Samples.gaussian(arena, 18_020, 0.02, scale), Samples.uniform(arena, 18_120, k))) {
                        CodedTensor coded = c.encode(in, arena);
                        MemorySegment out = arena.allocate(in.byteSize());
                        c.decode(coded, out);
                        assertEquals(-1, out.mismatch(in), "k=" + k + " scale=" + scale);
                    }
                }
            }
        }
    }

    @Test
    void decodesChunksOnSeveralThreads() {
        // 256-symbol chunks: 235 of them, decoded on 3 threads into shared memory, must equal the one-thread decode;
        // a damaged stream must still be refused, whichever thread meets it.
        dev.weightless.codec.rans.RansCoder c = new dev.weightless.codec.rans.RansCoder("rans-test", 2, 14, 256);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment in = Samples.gaussian(arena, 60_013, 0.02, 11);
            CodedTensor coded = c.encode(in, arena);
            MemorySegment out = arena.allocate(in.byteSize());
            c.decode(coded, out, 3);
            assertEquals(-1, out.mismatch(in));
            MemorySegment stream = coded.part(2);
            stream.set(java.lang.foreign.ValueLayout.JAVA_BYTE, stream.byteSize() / 2, (byte) (stream.get(java.lang.foreign.ValueLayout.JAVA_BYTE, stream.byteSize() / 2) ^ 0x10));
            RuntimeException e = assertThrows(RuntimeException.class, () -> c.decode(coded, arena.allocate(in.byteSize()), 3));
            assertTrue(e instanceof dev.weightless.codec.MalformedInputException || e instanceof dev.weightless.codec.ChecksumMismatchException, e.toString());
        }
    }

    @Test
    void compressesBellShapedWeights() {
        // Gaussian weights: exponent ≈ 2.6 bits, so every coder lands near (8 + 2.6) / 16, and rans-ctx lower than rans.
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = Samples.gaussian(arena, 300_000, 0.02, 7);
            double huffman = Coders.byName("huffman").encode(in, arena).ratio();
            double rans = Coders.byName("rans").encode(in, arena).ratio();
            double ctx = Coders.byName("rans-ctx").encode(in, arena).ratio();
            double palette = Coders.byName("palette").encode(in, arena).ratio();
            assertTrue(rans < huffman, "rans " + rans + " vs huffman " + huffman);
            assertTrue(ctx < rans, "rans-ctx " + ctx + " vs rans " + rans);
            assertTrue(huffman < palette && palette < 0.8, "palette " + palette);
        }
    }

    @Test
    void unknownNameListsTheKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Coders.byName("lzma"));
        assertTrue(e.getMessage().contains("huffman") && e.getMessage().contains("rans-ctx"), e.getMessage());
    }
}
