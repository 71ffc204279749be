package dev.weightless.codec.rans;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The rANS state machine of a 32-lane chunk, eight lanes per AVX2 vector (the Vector API,
 * jdk.incubator.vector): each step gathers the lanes' slot offsets from a 16-bit table, then by each symbol's
 * range start (slot − offset) its frequency and BF16 bits from a second table, updates the eight states with
 * one multiply-add, writes the symbols' bits as 16-bit lanes, and refills the lanes that fell below 2^16 from
 * the next words of the shared stream in lane order (a permutation from a 256-entry table places word i in
 * the i-th refilling lane), which is exactly the order the scalar decoder reads them in: the file layout is
 * unchanged. {@link RansChunk} then ORs in the raw fields. Loaded only where the module is present
 * ({@link RansCoder.Vector#ON}).
 */
final class RansVectorRows {
    private static final VectorSpecies<Integer> I8 = IntVector.SPECIES_256;
    private static final VectorSpecies<Short> S8 = ShortVector.SPECIES_128;
    /**
     * For each mask of refilling lanes, eight indices: lane i takes word popcount(mask below i). A flat int
     * table read by one vector load ({@code selectFrom}); an array of {@code VectorShuffle} objects cost
     * three dependent loads and a type check on the state's critical path (codec/NOTES.md).
     */
    private static final int[] REFILL = refillIndices();

    private RansVectorRows() {}

    /** Whether this JVM compiles 256-bit integer vectors to hardware (otherwise the Vector API would emulate them, slowly). */
    static boolean hardware() { return IntVector.SPECIES_PREFERRED.vectorBitSize() >= 256; }

    private static int[] refillIndices() {
        int[] t = new int[256 * 8];
        for (int mask = 0; mask < 256; mask++) for (int i = 0; i < 8; i++) t[8 * mask + i] = Integer.bitCount(mask & ((1 << i) - 1));
        return t;
    }

    /**
     * Decodes rows {@code [from, to)} of a 32-lane chunk (symbol j = 32 · row + lane) from its position: writes
     * symbol j's BF16 bits (exponent and top mantissa bits), little-endian, at byte {@code a.at + 2 (j − 32 · from)} of
     * {@code a.dst} (the output itself, or a block buffer: {@link RansChunk#openBlock}) and advances the
     * position. Stops after the first row that reads past the chunk's words (corrupt input), leaving the
     * position above the count; the words array has at least 40 zero words of guard.
     *
     * <p>Per eight lanes: slot = x mod 2^scale; the slots' offsets come from {@code offsetPairs} (two 16-bit
     * offsets per int, 32 KiB at a 14-bit scale, so the gather that the state waits on hits L1 more often
     * than one from a table of an int per slot); slot − offset is the symbol's range start, by which
     * {@code startEntries} gives its frequency and bits (at most one entry per symbol is read: it stays in
     * L1); x → freq · (x >> scale) + offset, exact in 32-bit lanes; lanes below 2^16 shift in the next
     * words. The Java gather API reads its indices from an int array, hence the stores to {@code index} (C2
     * forwards them in registers). Written out by hand, four times: C2 does not inline vector helpers
     * reliably here, and a vector that is not inlined is boxed on the heap.
     *
     * @param offsetPairs per pair of slots: the offsets of slot 2i (bits 0..15) and 2i + 1 (bits 16..31) in their symbols' ranges
     * @param startEntries per symbol, at its range start: BF16 bits (bits 16..31) and frequency (bits 0..15)
     */
    static void rows(int[] offsetPairs, int[] startEntries, int scale, RansChunk a, int from, int to) {
        IntVector mask = IntVector.broadcast(I8, (1 << scale) - 1), low = IntVector.broadcast(I8, 0xFFFF);
        int[] state = a.state, words = a.words, index = a.index;
        MemorySegment dst = a.dst;
        long at = a.at;
        int p = a.p, count = a.count;
        IntVector x0 = IntVector.fromArray(I8, state, 0), x1 = IntVector.fromArray(I8, state, 8);
        IntVector x2 = IntVector.fromArray(I8, state, 16), x3 = IntVector.fromArray(I8, state, 24);
        for (int r = from; r < to; r++) {
            long v = at + 64L * (r - from);
            IntVector s0 = x0.and(mask);
            s0.lanewise(VectorOperators.LSHR, 1).intoArray(index, 0);
            IntVector o0 = IntVector.fromArray(I8, offsetPairs, 0, index, 0).lanewise(VectorOperators.LSHR, s0.lanewise(VectorOperators.LSHL, 4).and(16)).and(low);
            s0.sub(o0).intoArray(index, 32);
            IntVector s1 = x1.and(mask);
            s1.lanewise(VectorOperators.LSHR, 1).intoArray(index, 8);
            IntVector o1 = IntVector.fromArray(I8, offsetPairs, 0, index, 8).lanewise(VectorOperators.LSHR, s1.lanewise(VectorOperators.LSHL, 4).and(16)).and(low);
            s1.sub(o1).intoArray(index, 40);
            IntVector s2 = x2.and(mask);
            s2.lanewise(VectorOperators.LSHR, 1).intoArray(index, 16);
            IntVector o2 = IntVector.fromArray(I8, offsetPairs, 0, index, 16).lanewise(VectorOperators.LSHR, s2.lanewise(VectorOperators.LSHL, 4).and(16)).and(low);
            s2.sub(o2).intoArray(index, 48);
            IntVector s3 = x3.and(mask);
            s3.lanewise(VectorOperators.LSHR, 1).intoArray(index, 24);
            IntVector o3 = IntVector.fromArray(I8, offsetPairs, 0, index, 24).lanewise(VectorOperators.LSHR, s3.lanewise(VectorOperators.LSHL, 4).and(16)).and(low);
            s3.sub(o3).intoArray(index, 56);
            IntVector e0 = IntVector.fromArray(I8, startEntries, 0, index, 32);
            IntVector e1 = IntVector.fromArray(I8, startEntries, 0, index, 40);
            IntVector e2 = IntVector.fromArray(I8, startEntries, 0, index, 48);
            IntVector e3 = IntVector.fromArray(I8, startEntries, 0, index, 56);
            x0 = e0.and(low).mul(x0.lanewise(VectorOperators.LSHR, scale)).add(o0);
            x1 = e1.and(low).mul(x1.lanewise(VectorOperators.LSHR, scale)).add(o1);
            x2 = e2.and(low).mul(x2.lanewise(VectorOperators.LSHR, scale)).add(o2);
            x3 = e3.and(low).mul(x3.lanewise(VectorOperators.LSHR, scale)).add(o3);
            // The symbols' BF16 bits, the entries' high halves, as 16-bit lanes.
            e0.lanewise(VectorOperators.LSHR, 16).convertShape(VectorOperators.I2S, S8, 0).reinterpretAsShorts().intoMemorySegment(dst, v, ByteOrder.LITTLE_ENDIAN);
            e1.lanewise(VectorOperators.LSHR, 16).convertShape(VectorOperators.I2S, S8, 0).reinterpretAsShorts().intoMemorySegment(dst, v + 16, ByteOrder.LITTLE_ENDIAN);
            e2.lanewise(VectorOperators.LSHR, 16).convertShape(VectorOperators.I2S, S8, 0).reinterpretAsShorts().intoMemorySegment(dst, v + 32, ByteOrder.LITTLE_ENDIAN);
            e3.lanewise(VectorOperators.LSHR, 16).convertShape(VectorOperators.I2S, S8, 0).reinterpretAsShorts().intoMemorySegment(dst, v + 48, ByteOrder.LITTLE_ENDIAN);
            // Refills in lane order: lanes 0..7, then 8..15, ..., as the scalar decoder reads the words.
            VectorMask<Integer> n0 = x0.lanewise(VectorOperators.LSHR, 16).compare(VectorOperators.EQ, 0);
            int k0 = (int) n0.toLong();
            x0 = x0.blend(x0.lanewise(VectorOperators.LSHL, 16).or(IntVector.fromArray(I8, REFILL, k0 << 3).selectFrom(IntVector.fromArray(I8, words, p))), n0);
            p += Integer.bitCount(k0);
            VectorMask<Integer> n1 = x1.lanewise(VectorOperators.LSHR, 16).compare(VectorOperators.EQ, 0);
            int k1 = (int) n1.toLong();
            x1 = x1.blend(x1.lanewise(VectorOperators.LSHL, 16).or(IntVector.fromArray(I8, REFILL, k1 << 3).selectFrom(IntVector.fromArray(I8, words, p))), n1);
            p += Integer.bitCount(k1);
            VectorMask<Integer> n2 = x2.lanewise(VectorOperators.LSHR, 16).compare(VectorOperators.EQ, 0);
            int k2 = (int) n2.toLong();
            x2 = x2.blend(x2.lanewise(VectorOperators.LSHL, 16).or(IntVector.fromArray(I8, REFILL, k2 << 3).selectFrom(IntVector.fromArray(I8, words, p))), n2);
            p += Integer.bitCount(k2);
            VectorMask<Integer> n3 = x3.lanewise(VectorOperators.LSHR, 16).compare(VectorOperators.EQ, 0);
            int k3 = (int) n3.toLong();
            x3 = x3.blend(x3.lanewise(VectorOperators.LSHL, 16).or(IntVector.fromArray(I8, REFILL, k3 << 3).selectFrom(IntVector.fromArray(I8, words, p))), n3);
            p += Integer.bitCount(k3);
            if (p > count) break;
        }
        x0.intoArray(state, 0);
        x1.intoArray(state, 8);
        x2.intoArray(state, 16);
        x3.intoArray(state, 24);
        a.p = p;
    }
}
