package dev.weightless.tasks.codec;

import dev.weightless.jit.kernel.ByteArray;
import dev.weightless.jit.kernel.IntArray;
import dev.weightless.jit.kernel.KernelContext;
import dev.weightless.jit.kernel.LongArray;

/**
 * The GPU decoder of the codec's palette coder, as a plain-Java kernel. One warp per index chunk
 * (2^14 weights); in each row of 128 weights a lane takes four neighbours: their 4·b code bits, two
 * lookups in a shared table of code pairs (two exponent bytes and which of the two are escapes), the
 * four sign|mantissa bytes as one word, and one 8-byte store of four BF16 values. Escaped exponents come
 * from the escape list at the chunk's start from the index plus the escapes of the lanes below (a shuffle
 * scan, only in rows that have any).
 */
public final class PaletteDecodeKernels {
    /** Warps per block: the launch's local size is {@link #LOCAL_SIZE}. */
    public static final int WARPS = 8;
    public static final int LOCAL_SIZE = WARPS * KernelContext.WARP_SIZE;
    /** Weights per index chunk (PaletteCoder's). */
    public static final int CHUNK_SYMBOLS = 1 << 14;
    /** Pair-table entries for the widest codes: 2 × 4 bits. */
    static final int MAX_PAIRS = 1 << 8;
    /** In a pair entry: the low code is an escape (bit 16), the high code is one (bit 17). */
    static final int ESCAPE_SHIFT = 16;

    private PaletteDecodeKernels() {}

    /**
     * Decodes every chunk. {@code codes} is the codes part (padded to at least 8 bytes), {@code escapeStarts}
     * each chunk's first escape (chunks + 1 entries, validated on the host), {@code escapes} the escape list
     * (at least one byte), {@code pairs} the 2^(2·bits) pair entries, {@code plane} the sign|mantissa bytes
     * and {@code out} the BF16 values, both padded to whole words of four values; {@code status} receives
     * each chunk's escape count, for the host to compare with the index. Reads of the escape list are clamped.
     */
    public static void decode(KernelContext ctx, ByteArray codes, LongArray escapeStarts, ByteArray escapes, IntArray pairs,
                              IntArray plane, LongArray out, IntArray status, long elements, int bits) {
        int[] pair = ctx.sharedIntArray(MAX_PAIRS);
        int pairCount = 1 << 2 * bits;
        for (int i = ctx.localIdx; i < pairCount; i += ctx.localSize) pair[i] = pairs.get(i);
        ctx.barrier();

        int lane = ctx.laneId;
        int pairMask = pairCount - 1;
        long chunks = escapeStarts.size() - 1;
        long lastCode = codes.size() - 1, lastEscape = escapes.size() - 1;
        int warps = ctx.localSize >>> 5;
        for (long c = (long) ctx.groupIdx * warps + (ctx.localIdx >>> 5); c < chunks; c += (long) ctx.groups * warps) {
            long first = c * CHUNK_SYMBOLS;
            int m = (int) Math.min(CHUNK_SYMBOLS, elements - first);
            long escapeAt = escapeStarts.get(c);
            int used = 0;
            for (int row = 0; row < m; row += 128) {
                int j = row + 4 * lane;
                long q = (first + j) >>> 2;
                // Four codes, 4·bits ≤ 16 bits from a bit offset that is 0 or 4 in its byte (bits of 3 or 1) or 0.
                int four = 0;
                int sm = 0;
                if (j < m) {
                    long bit = (first + j) * bits;
                    long at = bit >>> 3;
                    four = ((codes.get(Math.min(at, lastCode)) & 0xFF) | (codes.get(Math.min(at + 1, lastCode)) & 0xFF) << 8) >>> (bit & 7);
                    sm = plane.get(q);
                }
                int low = pair[four & pairMask];
                int high = pair[(four >>> 2 * bits) & pairMask];
                int exponents = (low & 0xFFFF) | high << 16;
                // Escape flags of the four weights (bit i: weight j + i), none past the chunk's end.
                int flags = (low >>> ESCAPE_SHIFT & 3) | (high >>> ESCAPE_SHIFT & 3) << 2;
                if (j >= m) flags = 0;
                else if (m - j < 4) flags &= (1 << (m - j)) - 1;
                int count = Integer.bitCount(flags);
                if (ctx.ballot(count != 0) != 0) {
                    int before = count;
                    for (int d = 1; d < 32; d <<= 1) {
                        int up = ctx.shuffleUp(before, d);
                        if (lane >= d) before += up;
                    }
                    int total = ctx.shuffle(before, 31);
                    long e = escapeAt + used + before - count;
                    for (int i = 0; i < 4; i++) {
                        if ((flags >>> i & 1) != 0) {
                            exponents |= (escapes.get(Math.min(e, lastEscape)) & 0xFF) << 8 * i;
                            e++;
                        }
                    }
                    used += total;
                }
                if (j < m) out.set(q, DecodeKernels.join(exponents, sm));
            }
            if (lane == 0) status.set(c, used);
        }
    }
}
