package dev.weightless.codec.rans;

import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link RansVectorRows} for 512-bit vector units (AVX-512): sixteen lanes per vector, two vectors per row,
 * and the refill by {@code expand} (one vpexpandd places the next words into the refilling lanes in lane
 * order) instead of a permutation table, which would need 2^16 entries. Same tables, same order of words:
 * it decodes exactly what the other rows decode. Opt-in ({@code -Dweightless.rans.rows=512}) until measured
 * on such a machine (codec/NOTES.md); on a 256-bit unit the Vector API would emulate it, slowly.
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
        byte[] values = a.values;
        int p = a.p, count = a.count;
        IntVector x0 = IntVector.fromArray(I16, state, 0), x1 = IntVector.fromArray(I16, state, 16);
        for (int r = from; r < to; r++) {
            int v = 64 * (r - from);
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
            e0.lanewise(VectorOperators.LSHR, 16).convertShape(VectorOperators.I2S, S16, 0).reinterpretAsBytes().intoArray(values, v);
            e1.lanewise(VectorOperators.LSHR, 16).convertShape(VectorOperators.I2S, S16, 0).reinterpretAsBytes().intoArray(values, v + 32);
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
}
