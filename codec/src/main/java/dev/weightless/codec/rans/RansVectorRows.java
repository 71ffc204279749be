package dev.weightless.codec.rans;

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
     * symbol j's BF16 bits (exponent and top mantissa bits) at {@code values[2 (j − 32 · from)]} and advances the
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
     * @param expand refill by {@code expand} (one vpexpandd on AVX-512 hardware, where it shortens the state's chain by the
     *        permutation table's load; elsewhere the Vector API emulates it, slowly) instead of the permutation table
     * @param offsetPairs per pair of slots: the offsets of slot 2i (bits 0..15) and 2i + 1 (bits 16..31) in their symbols' ranges
     * @param startEntries per symbol, at its range start: BF16 bits (bits 16..31) and frequency (bits 0..15)
     */
    static void rows(int[] offsetPairs, int[] startEntries, int scale, boolean expand, RansChunk a, int from, int to) {
        IntVector mask = IntVector.broadcast(I8, (1 << scale) - 1), low = IntVector.broadcast(I8, 0xFFFF);
        int[] state = a.state, words = a.words, index = a.index;
        byte[] values = a.values;
        int p = a.p, count = a.count;
        IntVector x0 = IntVector.fromArray(I8, state, 0), x1 = IntVector.fromArray(I8, state, 8);
        IntVector x2 = IntVector.fromArray(I8, state, 16), x3 = IntVector.fromArray(I8, state, 24);
        for (int r = from; r < to; r++) {
            int v = 64 * (r - from);
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
            e0.lanewise(VectorOperators.LSHR, 16).convertShape(VectorOperators.I2S, S8, 0).reinterpretAsBytes().intoArray(values, v);
            e1.lanewise(VectorOperators.LSHR, 16).convertShape(VectorOperators.I2S, S8, 0).reinterpretAsBytes().intoArray(values, v + 16);
            e2.lanewise(VectorOperators.LSHR, 16).convertShape(VectorOperators.I2S, S8, 0).reinterpretAsBytes().intoArray(values, v + 32);
            e3.lanewise(VectorOperators.LSHR, 16).convertShape(VectorOperators.I2S, S8, 0).reinterpretAsBytes().intoArray(values, v + 48);
            // Refills in lane order: lanes 0..7, then 8..15, ..., as the scalar decoder reads the words.
            VectorMask<Integer> n0 = x0.lanewise(VectorOperators.LSHR, 16).compare(VectorOperators.EQ, 0);
            if (expand) {
                x0 = x0.blend(x0.lanewise(VectorOperators.LSHL, 16).or(IntVector.fromArray(I8, words, p).expand(n0)), n0);
                p += n0.trueCount();
            } else {
                int k0 = (int) n0.toLong();
                x0 = x0.blend(x0.lanewise(VectorOperators.LSHL, 16).or(IntVector.fromArray(I8, REFILL, k0 << 3).selectFrom(IntVector.fromArray(I8, words, p))), n0);
                p += Integer.bitCount(k0);
            }
            VectorMask<Integer> n1 = x1.lanewise(VectorOperators.LSHR, 16).compare(VectorOperators.EQ, 0);
            if (expand) {
                x1 = x1.blend(x1.lanewise(VectorOperators.LSHL, 16).or(IntVector.fromArray(I8, words, p).expand(n1)), n1);
                p += n1.trueCount();
            } else {
                int k1 = (int) n1.toLong();
                x1 = x1.blend(x1.lanewise(VectorOperators.LSHL, 16).or(IntVector.fromArray(I8, REFILL, k1 << 3).selectFrom(IntVector.fromArray(I8, words, p))), n1);
                p += Integer.bitCount(k1);
            }
            VectorMask<Integer> n2 = x2.lanewise(VectorOperators.LSHR, 16).compare(VectorOperators.EQ, 0);
            if (expand) {
                x2 = x2.blend(x2.lanewise(VectorOperators.LSHL, 16).or(IntVector.fromArray(I8, words, p).expand(n2)), n2);
                p += n2.trueCount();
            } else {
                int k2 = (int) n2.toLong();
                x2 = x2.blend(x2.lanewise(VectorOperators.LSHL, 16).or(IntVector.fromArray(I8, REFILL, k2 << 3).selectFrom(IntVector.fromArray(I8, words, p))), n2);
                p += Integer.bitCount(k2);
            }
            VectorMask<Integer> n3 = x3.lanewise(VectorOperators.LSHR, 16).compare(VectorOperators.EQ, 0);
            if (expand) {
                x3 = x3.blend(x3.lanewise(VectorOperators.LSHL, 16).or(IntVector.fromArray(I8, words, p).expand(n3)), n3);
                p += n3.trueCount();
            } else {
                int k3 = (int) n3.toLong();
                x3 = x3.blend(x3.lanewise(VectorOperators.LSHL, 16).or(IntVector.fromArray(I8, REFILL, k3 << 3).selectFrom(IntVector.fromArray(I8, words, p))), n3);
                p += Integer.bitCount(k3);
            }
            if (p > count) break;
        }
        x0.intoArray(state, 0);
        x1.intoArray(state, 8);
        x2.intoArray(state, 16);
        x3.intoArray(state, 24);
        a.p = p;
    }

    /**
     * As {@link #rows}, over rows {@code [from, to)} of two chunks with the same number of rows at once: 8 independent
     * state chains instead of 4, so that one chunk's gathers and multiplies run while the other's wait (a row's
     * steps form a dependency chain through two gathers and a multiply; codec/NOTES.md). Each chunk reads its own
     * words, so the layout is untouched; both stop after the first row in which either reads past its words.
     */
    static void rowsPair(int[] offsetPairs, int[] startEntries, int scale, boolean expand, RansChunk a, RansChunk b, int from, int to) {
        IntVector mask = IntVector.broadcast(I8, (1 << scale) - 1), low = IntVector.broadcast(I8, 0xFFFF);
        int[] ia = a.index, ib = b.index, wa = a.words, wb = b.words;
        byte[] va = a.values, vb = b.values;
        int pa = a.p, pb = b.p, ca = a.count, cb = b.count;
        IntVector x0 = IntVector.fromArray(I8, a.state, 0), y0 = IntVector.fromArray(I8, b.state, 0);
        IntVector x1 = IntVector.fromArray(I8, a.state, 8), y1 = IntVector.fromArray(I8, b.state, 8);
        IntVector x2 = IntVector.fromArray(I8, a.state, 16), y2 = IntVector.fromArray(I8, b.state, 16);
        IntVector x3 = IntVector.fromArray(I8, a.state, 24), y3 = IntVector.fromArray(I8, b.state, 24);
        for (int r = from; r < to; r++) {
            int v = 64 * (r - from);
            IntVector sx0 = x0.and(mask);
            sx0.lanewise(VectorOperators.LSHR, 1).intoArray(ia, 0);
            IntVector ox0 = IntVector.fromArray(I8, offsetPairs, 0, ia, 0).lanewise(VectorOperators.LSHR, sx0.lanewise(VectorOperators.LSHL, 4).and(16)).and(low);
            sx0.sub(ox0).intoArray(ia, 32);
            IntVector sx1 = x1.and(mask);
            sx1.lanewise(VectorOperators.LSHR, 1).intoArray(ia, 8);
            IntVector ox1 = IntVector.fromArray(I8, offsetPairs, 0, ia, 8).lanewise(VectorOperators.LSHR, sx1.lanewise(VectorOperators.LSHL, 4).and(16)).and(low);
            sx1.sub(ox1).intoArray(ia, 40);
            IntVector sx2 = x2.and(mask);
            sx2.lanewise(VectorOperators.LSHR, 1).intoArray(ia, 16);
            IntVector ox2 = IntVector.fromArray(I8, offsetPairs, 0, ia, 16).lanewise(VectorOperators.LSHR, sx2.lanewise(VectorOperators.LSHL, 4).and(16)).and(low);
            sx2.sub(ox2).intoArray(ia, 48);
            IntVector sx3 = x3.and(mask);
            sx3.lanewise(VectorOperators.LSHR, 1).intoArray(ia, 24);
            IntVector ox3 = IntVector.fromArray(I8, offsetPairs, 0, ia, 24).lanewise(VectorOperators.LSHR, sx3.lanewise(VectorOperators.LSHL, 4).and(16)).and(low);
            sx3.sub(ox3).intoArray(ia, 56);
            IntVector sy0 = y0.and(mask);
            sy0.lanewise(VectorOperators.LSHR, 1).intoArray(ib, 0);
            IntVector oy0 = IntVector.fromArray(I8, offsetPairs, 0, ib, 0).lanewise(VectorOperators.LSHR, sy0.lanewise(VectorOperators.LSHL, 4).and(16)).and(low);
            sy0.sub(oy0).intoArray(ib, 32);
            IntVector sy1 = y1.and(mask);
            sy1.lanewise(VectorOperators.LSHR, 1).intoArray(ib, 8);
            IntVector oy1 = IntVector.fromArray(I8, offsetPairs, 0, ib, 8).lanewise(VectorOperators.LSHR, sy1.lanewise(VectorOperators.LSHL, 4).and(16)).and(low);
            sy1.sub(oy1).intoArray(ib, 40);
            IntVector sy2 = y2.and(mask);
            sy2.lanewise(VectorOperators.LSHR, 1).intoArray(ib, 16);
            IntVector oy2 = IntVector.fromArray(I8, offsetPairs, 0, ib, 16).lanewise(VectorOperators.LSHR, sy2.lanewise(VectorOperators.LSHL, 4).and(16)).and(low);
            sy2.sub(oy2).intoArray(ib, 48);
            IntVector sy3 = y3.and(mask);
            sy3.lanewise(VectorOperators.LSHR, 1).intoArray(ib, 24);
            IntVector oy3 = IntVector.fromArray(I8, offsetPairs, 0, ib, 24).lanewise(VectorOperators.LSHR, sy3.lanewise(VectorOperators.LSHL, 4).and(16)).and(low);
            sy3.sub(oy3).intoArray(ib, 56);
            IntVector ex0 = IntVector.fromArray(I8, startEntries, 0, ia, 32);
            IntVector ex1 = IntVector.fromArray(I8, startEntries, 0, ia, 40);
            IntVector ex2 = IntVector.fromArray(I8, startEntries, 0, ia, 48);
            IntVector ex3 = IntVector.fromArray(I8, startEntries, 0, ia, 56);
            IntVector ey0 = IntVector.fromArray(I8, startEntries, 0, ib, 32);
            IntVector ey1 = IntVector.fromArray(I8, startEntries, 0, ib, 40);
            IntVector ey2 = IntVector.fromArray(I8, startEntries, 0, ib, 48);
            IntVector ey3 = IntVector.fromArray(I8, startEntries, 0, ib, 56);
            x0 = ex0.and(low).mul(x0.lanewise(VectorOperators.LSHR, scale)).add(ox0);
            x1 = ex1.and(low).mul(x1.lanewise(VectorOperators.LSHR, scale)).add(ox1);
            x2 = ex2.and(low).mul(x2.lanewise(VectorOperators.LSHR, scale)).add(ox2);
            x3 = ex3.and(low).mul(x3.lanewise(VectorOperators.LSHR, scale)).add(ox3);
            y0 = ey0.and(low).mul(y0.lanewise(VectorOperators.LSHR, scale)).add(oy0);
            y1 = ey1.and(low).mul(y1.lanewise(VectorOperators.LSHR, scale)).add(oy1);
            y2 = ey2.and(low).mul(y2.lanewise(VectorOperators.LSHR, scale)).add(oy2);
            y3 = ey3.and(low).mul(y3.lanewise(VectorOperators.LSHR, scale)).add(oy3);
            ex0.lanewise(VectorOperators.LSHR, 16).convertShape(VectorOperators.I2S, S8, 0).reinterpretAsBytes().intoArray(va, v);
            ex1.lanewise(VectorOperators.LSHR, 16).convertShape(VectorOperators.I2S, S8, 0).reinterpretAsBytes().intoArray(va, v + 16);
            ex2.lanewise(VectorOperators.LSHR, 16).convertShape(VectorOperators.I2S, S8, 0).reinterpretAsBytes().intoArray(va, v + 32);
            ex3.lanewise(VectorOperators.LSHR, 16).convertShape(VectorOperators.I2S, S8, 0).reinterpretAsBytes().intoArray(va, v + 48);
            ey0.lanewise(VectorOperators.LSHR, 16).convertShape(VectorOperators.I2S, S8, 0).reinterpretAsBytes().intoArray(vb, v);
            ey1.lanewise(VectorOperators.LSHR, 16).convertShape(VectorOperators.I2S, S8, 0).reinterpretAsBytes().intoArray(vb, v + 16);
            ey2.lanewise(VectorOperators.LSHR, 16).convertShape(VectorOperators.I2S, S8, 0).reinterpretAsBytes().intoArray(vb, v + 32);
            ey3.lanewise(VectorOperators.LSHR, 16).convertShape(VectorOperators.I2S, S8, 0).reinterpretAsBytes().intoArray(vb, v + 48);
            VectorMask<Integer> nx0 = x0.lanewise(VectorOperators.LSHR, 16).compare(VectorOperators.EQ, 0);
            if (expand) {
                x0 = x0.blend(x0.lanewise(VectorOperators.LSHL, 16).or(IntVector.fromArray(I8, wa, pa).expand(nx0)), nx0);
                pa += nx0.trueCount();
            } else {
                int ka0 = (int) nx0.toLong();
                x0 = x0.blend(x0.lanewise(VectorOperators.LSHL, 16).or(IntVector.fromArray(I8, REFILL, ka0 << 3).selectFrom(IntVector.fromArray(I8, wa, pa))), nx0);
                pa += Integer.bitCount(ka0);
            }
            VectorMask<Integer> nx1 = x1.lanewise(VectorOperators.LSHR, 16).compare(VectorOperators.EQ, 0);
            if (expand) {
                x1 = x1.blend(x1.lanewise(VectorOperators.LSHL, 16).or(IntVector.fromArray(I8, wa, pa).expand(nx1)), nx1);
                pa += nx1.trueCount();
            } else {
                int ka1 = (int) nx1.toLong();
                x1 = x1.blend(x1.lanewise(VectorOperators.LSHL, 16).or(IntVector.fromArray(I8, REFILL, ka1 << 3).selectFrom(IntVector.fromArray(I8, wa, pa))), nx1);
                pa += Integer.bitCount(ka1);
            }
            VectorMask<Integer> nx2 = x2.lanewise(VectorOperators.LSHR, 16).compare(VectorOperators.EQ, 0);
            if (expand) {
                x2 = x2.blend(x2.lanewise(VectorOperators.LSHL, 16).or(IntVector.fromArray(I8, wa, pa).expand(nx2)), nx2);
                pa += nx2.trueCount();
            } else {
                int ka2 = (int) nx2.toLong();
                x2 = x2.blend(x2.lanewise(VectorOperators.LSHL, 16).or(IntVector.fromArray(I8, REFILL, ka2 << 3).selectFrom(IntVector.fromArray(I8, wa, pa))), nx2);
                pa += Integer.bitCount(ka2);
            }
            VectorMask<Integer> nx3 = x3.lanewise(VectorOperators.LSHR, 16).compare(VectorOperators.EQ, 0);
            if (expand) {
                x3 = x3.blend(x3.lanewise(VectorOperators.LSHL, 16).or(IntVector.fromArray(I8, wa, pa).expand(nx3)), nx3);
                pa += nx3.trueCount();
            } else {
                int ka3 = (int) nx3.toLong();
                x3 = x3.blend(x3.lanewise(VectorOperators.LSHL, 16).or(IntVector.fromArray(I8, REFILL, ka3 << 3).selectFrom(IntVector.fromArray(I8, wa, pa))), nx3);
                pa += Integer.bitCount(ka3);
            }
            VectorMask<Integer> ny0 = y0.lanewise(VectorOperators.LSHR, 16).compare(VectorOperators.EQ, 0);
            if (expand) {
                y0 = y0.blend(y0.lanewise(VectorOperators.LSHL, 16).or(IntVector.fromArray(I8, wb, pb).expand(ny0)), ny0);
                pb += ny0.trueCount();
            } else {
                int kb0 = (int) ny0.toLong();
                y0 = y0.blend(y0.lanewise(VectorOperators.LSHL, 16).or(IntVector.fromArray(I8, REFILL, kb0 << 3).selectFrom(IntVector.fromArray(I8, wb, pb))), ny0);
                pb += Integer.bitCount(kb0);
            }
            VectorMask<Integer> ny1 = y1.lanewise(VectorOperators.LSHR, 16).compare(VectorOperators.EQ, 0);
            if (expand) {
                y1 = y1.blend(y1.lanewise(VectorOperators.LSHL, 16).or(IntVector.fromArray(I8, wb, pb).expand(ny1)), ny1);
                pb += ny1.trueCount();
            } else {
                int kb1 = (int) ny1.toLong();
                y1 = y1.blend(y1.lanewise(VectorOperators.LSHL, 16).or(IntVector.fromArray(I8, REFILL, kb1 << 3).selectFrom(IntVector.fromArray(I8, wb, pb))), ny1);
                pb += Integer.bitCount(kb1);
            }
            VectorMask<Integer> ny2 = y2.lanewise(VectorOperators.LSHR, 16).compare(VectorOperators.EQ, 0);
            if (expand) {
                y2 = y2.blend(y2.lanewise(VectorOperators.LSHL, 16).or(IntVector.fromArray(I8, wb, pb).expand(ny2)), ny2);
                pb += ny2.trueCount();
            } else {
                int kb2 = (int) ny2.toLong();
                y2 = y2.blend(y2.lanewise(VectorOperators.LSHL, 16).or(IntVector.fromArray(I8, REFILL, kb2 << 3).selectFrom(IntVector.fromArray(I8, wb, pb))), ny2);
                pb += Integer.bitCount(kb2);
            }
            VectorMask<Integer> ny3 = y3.lanewise(VectorOperators.LSHR, 16).compare(VectorOperators.EQ, 0);
            if (expand) {
                y3 = y3.blend(y3.lanewise(VectorOperators.LSHL, 16).or(IntVector.fromArray(I8, wb, pb).expand(ny3)), ny3);
                pb += ny3.trueCount();
            } else {
                int kb3 = (int) ny3.toLong();
                y3 = y3.blend(y3.lanewise(VectorOperators.LSHL, 16).or(IntVector.fromArray(I8, REFILL, kb3 << 3).selectFrom(IntVector.fromArray(I8, wb, pb))), ny3);
                pb += Integer.bitCount(kb3);
            }
            if (pa > ca || pb > cb) break;
        }
        x0.intoArray(a.state, 0);
        y0.intoArray(b.state, 0);
        x1.intoArray(a.state, 8);
        y1.intoArray(b.state, 8);
        x2.intoArray(a.state, 16);
        y2.intoArray(b.state, 16);
        x3.intoArray(a.state, 24);
        y3.intoArray(b.state, 24);
        a.p = pa;
        b.p = pb;
    }
}
