package dev.weightless.tasks.codec;

import dev.weightless.codec.CodeTable;

/**
 * The GPU decoder's lookup table: for each value of the next {@link DecodeKernels#TABLE_BITS} stream
 * bits, the whole codewords they start with, at most three: their exponents in bits 0..23 (first in
 * the low byte, unused bytes zero), the bits they take in 24..27 and their count in 28..29.
 */
public final class DecodeTable {
    private static final int MAX_SYMBOLS = 3;

    private DecodeTable() {}

    /** The table for {@code code}: 2^12 entries, or one for a single-symbol code (three symbols, no bits). */
    public static int[] of(CodeTable code) {
        if (code.isSingleSymbol()) {
            int s = code.singleSymbol();
            return new int[] {s | s << 8 | s << 16 | MAX_SYMBOLS << 28};
        }
        if (code.maxLength() > DecodeKernels.TABLE_BITS) {
            throw new IllegalArgumentException("codes of " + code.maxLength() + " bits do not fit the GPU decoder's "
                    + DecodeKernels.TABLE_BITS + "-bit table");
        }
        short[] single = code.decodeTable();
        int singleMask = single.length - 1;
        int[] table = new int[1 << DecodeKernels.TABLE_BITS];
        for (int i = 0; i < table.length; i++) {
            int symbols = 0, count = 0, used = 0;
            while (count < MAX_SYMBOLS) {
                int entry = single[(i >>> used) & singleMask];
                int length = entry >>> 8;
                if (used + length > DecodeKernels.TABLE_BITS) break;
                symbols |= (entry & 0xFF) << (8 * count);
                count++;
                used += length;
            }
            table[i] = symbols | used << 24 | count << 28;
        }
        return table;
    }
}
