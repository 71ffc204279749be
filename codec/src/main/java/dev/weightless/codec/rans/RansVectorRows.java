package dev.weightless.codec.rans;

import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The rANS state machine of a 32-lane chunk, eight lanes per AVX2 vector (the Vector API,
 * jdk.incubator.vector): each step gathers the lanes' (frequency, offset) entries, updates the eight
 * states with one multiply-add, and refills the lanes that fell below 2^16 from the next words of the
 * shared stream in lane order (a shuffle from a 256-entry table places word i in the i-th refilling lane),
 * which is exactly the order the scalar decoder reads them in. It records each symbol's range start
 * (cumulative frequency); the caller turns those into BF16 bits. Loaded only where the module is present ({@link RansCoder#VECTOR}).
 */
final class RansVectorRows {
    private static final VectorSpecies<Integer> I8 = IntVector.SPECIES_256;
    /** For each mask of refilling lanes: lane i takes word popcount(mask below i). */
    private static final VectorShuffle<Integer>[] REFILL = refillShuffles();

    private RansVectorRows() {}

    /** Whether this JVM compiles 256-bit integer vectors to hardware (otherwise the Vector API would emulate them, slowly). */
    static boolean hardware() { return IntVector.SPECIES_PREFERRED.vectorBitSize() >= 256; }

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Integer>[] refillShuffles() {
        VectorShuffle<Integer>[] s = new VectorShuffle[256];
        int[] index = new int[8];
        for (int mask = 0; mask < 256; mask++) {
            for (int i = 0; i < 8; i++) index[i] = Integer.bitCount(mask & ((1 << i) - 1));
            s[mask] = VectorShuffle.fromArray(I8, index, 0);
        }
        return s;
    }

    /**
     * Decodes rows {@code [from, to)} of a 32-lane chunk (symbol j = 32 · row + lane): stores symbol j's range
     * start (slot − offset: its cumulative frequency) in {@code starts[j - 32 · from]} and returns the next word position. Stops after
     * the first row that reads past {@code count} (corrupt input), returning a position above it; the
     * caller's words array (one 16-bit word per int) has at least 40 zero words of guard after {@code count}.
     *
     * @param step  per slot: frequency (bits 16..31) and offset within the symbol's range (bits 0..15)
     * @param state the 32 lanes' states, read and written back
     */
    static int rows(int[] step, int scale, int[] state, int[] words, int p, int count, int[] starts, int from, int to) {
        IntVector mask = IntVector.broadcast(I8, (1 << scale) - 1);
        IntVector low = IntVector.broadcast(I8, 0xFFFF);
        IntVector x0 = IntVector.fromArray(I8, state, 0), x1 = IntVector.fromArray(I8, state, 8);
        IntVector x2 = IntVector.fromArray(I8, state, 16), x3 = IntVector.fromArray(I8, state, 24);
        for (int r = from; r < to; r++) {
            int j = 32 * (r - from);
            IntVector s0 = x0.and(mask), s1 = x1.and(mask), s2 = x2.and(mask), s3 = x3.and(mask);
            s0.intoArray(starts, j);
            s1.intoArray(starts, j + 8);
            s2.intoArray(starts, j + 16);
            s3.intoArray(starts, j + 24);
            // The four gathers are independent; issuing them together overlaps their latency.
            IntVector e0 = IntVector.fromArray(I8, step, 0, starts, j);
            IntVector e1 = IntVector.fromArray(I8, step, 0, starts, j + 8);
            IntVector e2 = IntVector.fromArray(I8, step, 0, starts, j + 16);
            IntVector e3 = IntVector.fromArray(I8, step, 0, starts, j + 24);
            // What the caller keeps is the symbol's range start, slot − offset: it names the symbol, and its
            // value table is hit at one entry per symbol (hot in L1) where one indexed by slot would miss.
            s0.sub(e0.and(low)).intoArray(starts, j);
            s1.sub(e1.and(low)).intoArray(starts, j + 8);
            s2.sub(e2.and(low)).intoArray(starts, j + 16);
            s3.sub(e3.and(low)).intoArray(starts, j + 24);
            x0 = e0.lanewise(VectorOperators.LSHR, 16).mul(x0.lanewise(VectorOperators.LSHR, scale)).add(e0.and(low));
            x1 = e1.lanewise(VectorOperators.LSHR, 16).mul(x1.lanewise(VectorOperators.LSHR, scale)).add(e1.and(low));
            x2 = e2.lanewise(VectorOperators.LSHR, 16).mul(x2.lanewise(VectorOperators.LSHR, scale)).add(e2.and(low));
            x3 = e3.lanewise(VectorOperators.LSHR, 16).mul(x3.lanewise(VectorOperators.LSHR, scale)).add(e3.and(low));
            // Refills in lane order: lanes 0..7, then 8..15, ..., as the scalar decoder reads the words.
            VectorMask<Integer> n0 = x0.lanewise(VectorOperators.LSHR, 16).compare(VectorOperators.EQ, 0);
            int k0 = (int) n0.toLong();
            x0 = x0.blend(x0.lanewise(VectorOperators.LSHL, 16).or(IntVector.fromArray(I8, words, p).rearrange(REFILL[k0])), n0);
            p += Integer.bitCount(k0);
            VectorMask<Integer> n1 = x1.lanewise(VectorOperators.LSHR, 16).compare(VectorOperators.EQ, 0);
            int k1 = (int) n1.toLong();
            x1 = x1.blend(x1.lanewise(VectorOperators.LSHL, 16).or(IntVector.fromArray(I8, words, p).rearrange(REFILL[k1])), n1);
            p += Integer.bitCount(k1);
            VectorMask<Integer> n2 = x2.lanewise(VectorOperators.LSHR, 16).compare(VectorOperators.EQ, 0);
            int k2 = (int) n2.toLong();
            x2 = x2.blend(x2.lanewise(VectorOperators.LSHL, 16).or(IntVector.fromArray(I8, words, p).rearrange(REFILL[k2])), n2);
            p += Integer.bitCount(k2);
            VectorMask<Integer> n3 = x3.lanewise(VectorOperators.LSHR, 16).compare(VectorOperators.EQ, 0);
            int k3 = (int) n3.toLong();
            x3 = x3.blend(x3.lanewise(VectorOperators.LSHL, 16).or(IntVector.fromArray(I8, words, p).rearrange(REFILL[k3])), n3);
            p += Integer.bitCount(k3);
            if (p > count) break;
        }
        x0.intoArray(state, 0);
        x1.intoArray(state, 8);
        x2.intoArray(state, 16);
        x3.intoArray(state, 24);
        return p;
    }
}
