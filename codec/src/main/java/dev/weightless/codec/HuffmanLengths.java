package dev.weightless.codec;

import java.util.Arrays;

/**
 * Optimal length-limited Huffman code lengths by package-merge (Larmore and Hirschberg).
 * With at most 256 symbols and 15 levels this is a few thousand steps: no need for anything cleverer.
 */
final class HuffmanLengths {
    private HuffmanLengths() {}

    /**
     * Code lengths for {@code counts} (256 symbol frequencies), none longer than {@code maxLength}.
     * Unused symbols get 0. A single used symbol gets length 1 (the format then codes it with no bits at all).
     */
    static int[] of(long[] counts, int maxLength) {
        int[] lengths = new int[counts.length];
        int[] symbols = usedSymbolsByCount(counts);
        int m = symbols.length;
        if (m == 0) return lengths;
        if (m == 1) {
            lengths[symbols[0]] = 1;
            return lengths;
        }
        if (m > (1 << maxLength)) {
            throw new IllegalArgumentException(m + " symbols cannot be coded with codes of at most " + maxLength + " bits");
        }
        // Level lists, from the deepest (maxLength) to level 1. Each item is a leaf (symbol index >= 0)
        // or a package (-1) of two items of the level below; weights are sorted ascending.
        long[][] weights = new long[maxLength + 1][];
        int[][] kinds = new int[maxLength + 1][];
        long[] leafWeights = new long[m];
        for (int i = 0; i < m; i++) leafWeights[i] = counts[symbols[i]];
        weights[maxLength] = leafWeights.clone();
        kinds[maxLength] = identity(m);
        for (int level = maxLength - 1; level >= 1; level--) {
            long[] below = weights[level + 1];
            int packages = below.length / 2;
            long[] merged = new long[m + packages];
            int[] kind = new int[m + packages];
            int leaf = 0, pack = 0;
            for (int out = 0; out < merged.length; out++) {
                long packWeight = pack < packages ? Math.addExact(below[2 * pack], below[2 * pack + 1]) : Long.MAX_VALUE;
                // Leaves first on ties: keeps the result deterministic and favours shallower trees.
                if (leaf < m && leafWeights[leaf] <= packWeight) {
                    merged[out] = leafWeights[leaf];
                    kind[out] = leaf++;
                } else {
                    merged[out] = packWeight;
                    kind[out] = -1;
                    pack++;
                }
            }
            weights[level] = merged;
            kinds[level] = kind;
        }
        // Take the 2m-2 cheapest items of level 1; each package taken pulls its two children from the level below.
        int take = 2 * m - 2;
        for (int level = 1; level <= maxLength && take > 0; level++) {
            int packagesTaken = 0;
            for (int i = 0; i < take; i++) {
                int k = kinds[level][i];
                if (k >= 0) lengths[symbols[k]]++;
                else packagesTaken++;
            }
            take = 2 * packagesTaken;
        }
        return lengths;
    }

    /** Used symbols ordered by ascending count, ties by symbol value. */
    private static int[] usedSymbolsByCount(long[] counts) {
        int m = 0;
        for (int s = 0; s < counts.length; s++) {
            if (counts[s] < 0) throw new IllegalArgumentException("negative count for symbol " + s);
            if (counts[s] > 0) m++;
        }
        int[] symbols = new int[m];
        Integer[] order = new Integer[m];
        for (int s = 0, i = 0; s < counts.length; s++) if (counts[s] > 0) order[i++] = s;
        Arrays.sort(order, (a, b) -> counts[a] != counts[b] ? Long.compare(counts[a], counts[b]) : Integer.compare(a, b));
        for (int i = 0; i < m; i++) symbols[i] = order[i];
        return symbols;
    }

    private static int[] identity(int m) {
        int[] r = new int[m];
        for (int i = 0; i < m; i++) r[i] = i;
        return r;
    }
}
