package dev.weightless.codec.rans;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link RansVectorRows} for 512-bit vector units (AVX-512): sixteen lanes per vector, two vectors per row,
 * and the refill by {@code expand} (one vpexpandd places the next words into the refilling lanes in lane
 * order) instead of a permutation table, which would need 2^16 entries. Same tables, same order of words:
 * it decodes exactly what the other rows decode. The default where the hardware has 512-bit vectors, over two
 * chunks side by side ({@link #rowsPair}), the fastest path measured on such a core (codec/NOTES.md); on a 256-bit
 * unit the Vector API would emulate it, slowly, so only tests run it there.
 */
final class RansWideRows {
    private static final VectorSpecies<Integer> I16 = IntVector.SPECIES_512;
    private static final VectorSpecies<Short> S16 = ShortVector.SPECIES_256;

    private RansWideRows() {}

    /** Whether this JVM compiles 512-bit integer vectors to hardware. */
    static boolean hardware() { return IntVector.SPECIES_PREFERRED.vectorBitSize() >= 512; }

    /** As {@link RansVectorRows#rows}, sixteen lanes per vector. */
    static void rows(int[] offsetPairs, int[] startEntries, int scale, RansChunk a, int from, int to) {
        IntVector mask = IntVector.broadcast(I16, (1 << scale) - 1), low = IntVector.broadcast(I16, 0xFFFF);
        int[] state = a.state, words = a.words, index = a.index;
        MemorySegment dst = a.dst;
        long at = a.at;
        int p = a.p, count = a.count;
        IntVector x0 = IntVector.fromArray(I16, state, 0), x1 = IntVector.fromArray(I16, state, 16);
        for (int r = from; r < to; r++) {
            long v = at + 64L * (r - from);
            IntVector s0 = x0.and(mask);
            s0.lanewise(VectorOperators.LSHR, 1).intoArray(index, 0);
            IntVector o0 = IntVector.fromArray(I16, offsetPairs, 0, index, 0).lanewise(VectorOperators.LSHR, s0.lanewise(VectorOperators.LSHL, 4).and(16)).and(low);
            s0.sub(o0).intoArray(index, 32);
            IntVector s1 = x1.and(mask);
            s1.lanewise(VectorOperators.LSHR, 1).intoArray(index, 16);
            IntVector o1 = IntVector.fromArray(I16, offsetPairs, 0, index, 16).lanewise(VectorOperators.LSHR, s1.lanewise(VectorOperators.LSHL, 4).and(16)).and(low);
            s1.sub(o1).intoArray(index, 48);
            IntVector e0 = IntVector.fromArray(I16, startEntries, 0, index, 32);
            IntVector e1 = IntVector.fromArray(I16, startEntries, 0, index, 48);
            x0 = e0.and(low).mul(x0.lanewise(VectorOperators.LSHR, scale)).add(o0);
            x1 = e1.and(low).mul(x1.lanewise(VectorOperators.LSHR, scale)).add(o1);
            e0.lanewise(VectorOperators.LSHR, 16).convertShape(VectorOperators.I2S, S16, 0).reinterpretAsShorts().intoMemorySegment(dst, v, ByteOrder.LITTLE_ENDIAN);
            e1.lanewise(VectorOperators.LSHR, 16).convertShape(VectorOperators.I2S, S16, 0).reinterpretAsShorts().intoMemorySegment(dst, v + 32, ByteOrder.LITTLE_ENDIAN);
            // Refills in lane order: lanes 0..15, then 16..31, as the scalar decoder reads the words.
            VectorMask<Integer> n0 = x0.lanewise(VectorOperators.LSHR, 16).compare(VectorOperators.EQ, 0);
            x0 = x0.blend(x0.lanewise(VectorOperators.LSHL, 16).or(IntVector.fromArray(I16, words, p).expand(n0)), n0);
            p += n0.trueCount();
            VectorMask<Integer> n1 = x1.lanewise(VectorOperators.LSHR, 16).compare(VectorOperators.EQ, 0);
            x1 = x1.blend(x1.lanewise(VectorOperators.LSHL, 16).or(IntVector.fromArray(I16, words, p).expand(n1)), n1);
            p += n1.trueCount();
            if (p > count) break;
        }
        x0.intoArray(state, 0);
        x1.intoArray(state, 16);
        a.p = p;
    }

    /**
     * As {@link #rows}, over rows {@code [from, to)} of two chunks with the same number of rows at once: 4 independent
     * state chains instead of 2, so that one chunk's gathers and multiplies run while the other's wait (a row's
     * steps form a dependency chain through two gathers and a multiply; codec/NOTES.md). Each chunk reads its own
     * words, so the layout is untouched; both stop after the first row in which either reads past its words.
     */
    static void rowsPair(int[] offsetPairs, int[] startEntries, int scale, RansChunk a, RansChunk b, int from, int to) {
        IntVector mask = IntVector.broadcast(I16, (1 << scale) - 1), low = IntVector.broadcast(I16, 0xFFFF);
        int[] ia = a.index, ib = b.index, wa = a.words, wb = b.words;
        MemorySegment da = a.dst, db = b.dst;
        long ata = a.at, atb = b.at;
        int pa = a.p, pb = b.p, ca = a.count, cb = b.count;
        IntVector x0 = IntVector.fromArray(I16, a.state, 0), y0 = IntVector.fromArray(I16, b.state, 0);
        IntVector x1 = IntVector.fromArray(I16, a.state, 16), y1 = IntVector.fromArray(I16, b.state, 16);
        for (int r = from; r < to; r++) {
            long v = 64L * (r - from);
            IntVector sx0 = x0.and(mask);
            sx0.lanewise(VectorOperators.LSHR, 1).intoArray(ia, 0);
            IntVector ox0 = IntVector.fromArray(I16, offsetPairs, 0, ia, 0).lanewise(VectorOperators.LSHR, sx0.lanewise(VectorOperators.LSHL, 4).and(16)).and(low);
            sx0.sub(ox0).intoArray(ia, 32);
            IntVector sx1 = x1.and(mask);
            sx1.lanewise(VectorOperators.LSHR, 1).intoArray(ia, 16);
            IntVector ox1 = IntVector.fromArray(I16, offsetPairs, 0, ia, 16).lanewise(VectorOperators.LSHR, sx1.lanewise(VectorOperators.LSHL, 4).and(16)).and(low);
            sx1.sub(ox1).intoArray(ia, 48);
            IntVector sy0 = y0.and(mask);
            sy0.lanewise(VectorOperators.LSHR, 1).intoArray(ib, 0);
            IntVector oy0 = IntVector.fromArray(I16, offsetPairs, 0, ib, 0).lanewise(VectorOperators.LSHR, sy0.lanewise(VectorOperators.LSHL, 4).and(16)).and(low);
            sy0.sub(oy0).intoArray(ib, 32);
            IntVector sy1 = y1.and(mask);
            sy1.lanewise(VectorOperators.LSHR, 1).intoArray(ib, 16);
            IntVector oy1 = IntVector.fromArray(I16, offsetPairs, 0, ib, 16).lanewise(VectorOperators.LSHR, sy1.lanewise(VectorOperators.LSHL, 4).and(16)).and(low);
            sy1.sub(oy1).intoArray(ib, 48);
            IntVector ex0 = IntVector.fromArray(I16, startEntries, 0, ia, 32);
            IntVector ex1 = IntVector.fromArray(I16, startEntries, 0, ia, 48);
            IntVector ey0 = IntVector.fromArray(I16, startEntries, 0, ib, 32);
            IntVector ey1 = IntVector.fromArray(I16, startEntries, 0, ib, 48);
            x0 = ex0.and(low).mul(x0.lanewise(VectorOperators.LSHR, scale)).add(ox0);
            x1 = ex1.and(low).mul(x1.lanewise(VectorOperators.LSHR, scale)).add(ox1);
            y0 = ey0.and(low).mul(y0.lanewise(VectorOperators.LSHR, scale)).add(oy0);
            y1 = ey1.and(low).mul(y1.lanewise(VectorOperators.LSHR, scale)).add(oy1);
            ex0.lanewise(VectorOperators.LSHR, 16).convertShape(VectorOperators.I2S, S16, 0).reinterpretAsShorts().intoMemorySegment(da, ata + v, ByteOrder.LITTLE_ENDIAN);
            ex1.lanewise(VectorOperators.LSHR, 16).convertShape(VectorOperators.I2S, S16, 0).reinterpretAsShorts().intoMemorySegment(da, ata + v + 32, ByteOrder.LITTLE_ENDIAN);
            ey0.lanewise(VectorOperators.LSHR, 16).convertShape(VectorOperators.I2S, S16, 0).reinterpretAsShorts().intoMemorySegment(db, atb + v, ByteOrder.LITTLE_ENDIAN);
            ey1.lanewise(VectorOperators.LSHR, 16).convertShape(VectorOperators.I2S, S16, 0).reinterpretAsShorts().intoMemorySegment(db, atb + v + 32, ByteOrder.LITTLE_ENDIAN);
            VectorMask<Integer> nx0 = x0.lanewise(VectorOperators.LSHR, 16).compare(VectorOperators.EQ, 0);
            x0 = x0.blend(x0.lanewise(VectorOperators.LSHL, 16).or(IntVector.fromArray(I16, wa, pa).expand(nx0)), nx0);
            pa += nx0.trueCount();
            VectorMask<Integer> nx1 = x1.lanewise(VectorOperators.LSHR, 16).compare(VectorOperators.EQ, 0);
            x1 = x1.blend(x1.lanewise(VectorOperators.LSHL, 16).or(IntVector.fromArray(I16, wa, pa).expand(nx1)), nx1);
            pa += nx1.trueCount();
            VectorMask<Integer> ny0 = y0.lanewise(VectorOperators.LSHR, 16).compare(VectorOperators.EQ, 0);
            y0 = y0.blend(y0.lanewise(VectorOperators.LSHL, 16).or(IntVector.fromArray(I16, wb, pb).expand(ny0)), ny0);
            pb += ny0.trueCount();
            VectorMask<Integer> ny1 = y1.lanewise(VectorOperators.LSHR, 16).compare(VectorOperators.EQ, 0);
            y1 = y1.blend(y1.lanewise(VectorOperators.LSHL, 16).or(IntVector.fromArray(I16, wb, pb).expand(ny1)), ny1);
            pb += ny1.trueCount();
            if (pa > ca || pb > cb) break;
        }
        x0.intoArray(a.state, 0);
        y0.intoArray(b.state, 0);
        x1.intoArray(a.state, 16);
        y1.intoArray(b.state, 16);
        a.p = pa;
        b.p = pb;
    }
}
