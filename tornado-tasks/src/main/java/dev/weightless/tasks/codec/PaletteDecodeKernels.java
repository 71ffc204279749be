package dev.weightless.tasks.codec;

import dev.weightless.jit.kernel.ByteArray;
import dev.weightless.jit.kernel.IntArray;
import dev.weightless.jit.kernel.KernelContext;
import dev.weightless.jit.kernel.LongArray;

/**
 * The GPU decoder of the codec's palette coder, as a plain-Java kernel. One warp per index chunk
 * (2^14 weights); in each row of 128 weights (two rows per step) a lane takes four neighbours: their 4·b code bits, two
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

    /** Four codes (4·bits ≤ 16 bits) from bit {@code bit}, whose offset in its byte is 0 or 4 (bits of 3 or 1) or 0: two bytes. */
    private static int codesAt(ByteArray codes, long bit, long lastCode) {
        long at = bit >>> 3;
        return ((codes.get(Math.min(at, lastCode)) & 0xFF) | (codes.get(Math.min(at + 1, lastCode)) & 0xFF) << 8) >>> (bit & 7);
    }

    /** Escape flags of the four weights j.. (bit i: weight j + i), none at or past the chunk's end m. */
    private static int escapeFlags(int low, int high, int j, int m) {
        int flags = (low >>> ESCAPE_SHIFT & 3) | (high >>> ESCAPE_SHIFT & 3) << 2;
        if (j >= m) return 0;
        return m - j < 4 ? flags & ((1 << (m - j)) - 1) : flags;
    }

    /** The lane's escaped exponents put in: the lanes below take theirs first from the list at {@code at} (a shuffle scan). */
    private static int withEscapes(KernelContext ctx, int exponents, int flags, ByteArray escapes, long at, long lastEscape) {
        int count = Integer.bitCount(flags);
        int before = count;
        for (int d = 1; d < 32; d <<= 1) {
            int up = ctx.shuffleUp(before, d);
            if (ctx.laneId >= d) before += up;
        }
        long e = at + before - count;
        for (int i = 0; i < 4; i++) {
            if ((flags >>> i & 1) != 0) {
                exponents |= (escapes.get(Math.min(e, lastEscape)) & 0xFF) << 8 * i;
                e++;
            }
        }
        return exponents;
    }

    /** The sum of {@code value} over the warp, in every lane. */
    private static int warpSum(KernelContext ctx, int value) {
        for (int d = 16; d > 0; d >>= 1) value += ctx.shuffleXor(value, d);
        return value;
    }

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
            // Two rows of 128 per iteration, their loads issued together (twice the loads in flight per warp).
            for (int row = 0; row < m; row += 256) {
                int ja = row + 4 * lane, jb = ja + 128;
                long qa = (first + ja) >>> 2, qb = (first + jb) >>> 2;
                int fourA = ja < m ? codesAt(codes, (first + ja) * bits, lastCode) : 0;
                int fourB = jb < m ? codesAt(codes, (first + jb) * bits, lastCode) : 0;
                int smA = ja < m ? plane.get(qa) : 0;
                int smB = jb < m ? plane.get(qb) : 0;
                int lowA = pair[fourA & pairMask], highA = pair[(fourA >>> 2 * bits) & pairMask];
                int lowB = pair[fourB & pairMask], highB = pair[(fourB >>> 2 * bits) & pairMask];
                int exponentsA = (lowA & 0xFFFF) | highA << 16, exponentsB = (lowB & 0xFFFF) | highB << 16;
                int flagsA = escapeFlags(lowA, highA, ja, m), flagsB = escapeFlags(lowB, highB, jb, m);
                if (ctx.ballot((flagsA | flagsB) != 0) != 0) {
                    // Row A's escapes come before row B's in the list.
                    exponentsA = withEscapes(ctx, exponentsA, flagsA, escapes, escapeAt + used, lastEscape);
                    used += warpSum(ctx, Integer.bitCount(flagsA));
                    exponentsB = withEscapes(ctx, exponentsB, flagsB, escapes, escapeAt + used, lastEscape);
                    used += warpSum(ctx, Integer.bitCount(flagsB));
                }
                if (ja < m) out.set(qa, DecodeKernels.join(exponentsA, smA));
                if (jb < m) out.set(qb, DecodeKernels.join(exponentsB, smB));
            }
            if (lane == 0) status.set(c, used);
        }
    }
}
