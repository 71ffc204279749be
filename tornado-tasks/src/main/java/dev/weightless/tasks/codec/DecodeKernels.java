package dev.weightless.tasks.codec;

import dev.weightless.jit.kernel.IntArray;
import dev.weightless.jit.kernel.KernelContext;
import dev.weightless.jit.kernel.LongArray;
import dev.weightless.jit.kernel.ShortArray;

/**
 * The GPU Huffman decoder for the codec's BF16 format (FORMAT.md), as a plain-Java kernel.
 * One warp per group of 32 chunks, one lane per chunk: the lane finds its start from the group's
 * offset and a shuffle scan of the chunk lengths, then decodes its chunk in rounds of {@link #ROUND}
 * symbols with a multi-symbol table in shared memory (one lookup gives up to three exponents). Each
 * round's exponents go through shared memory so that the warp then reads the sign|mantissa plane and
 * writes the BF16 output side by side (coalesced), instead of each lane streaming its own chunk 2 KiB
 * away from its neighbours. src/main/cuda/huffman_decode.cu is the same kernel in CUDA C: keep the two in step.
 */
public final class DecodeKernels {
    /** Warps per block: the launch's local size is {@link #LOCAL_SIZE}. */
    public static final int WARPS = 8;
    public static final int LOCAL_SIZE = WARPS * KernelContext.WARP_SIZE;
    /** Symbols a lane decodes between two write-outs; chunk sizes must be multiples of it. */
    public static final int ROUND = 64;
    /** Bits one lookup reads: the table has 2^12 int entries, 16 KiB (codes up to 12 bits, the encoder's default limit). */
    public static final int TABLE_BITS = 12;
    /** Ints per staged chunk row: one more than a round's 16, so that lanes storing side by side mostly hit different banks. */
    private static final int ROW = ROUND / 4 + 1;

    private DecodeKernels() {}

    /**
     * Decodes the whole tensor. {@code payload} is the exponent stream as u32 words; {@code table} the
     * 2^tableBits-entry lookup table of {@link DecodeTable}; {@code plane} the sign|mantissa bytes and
     * {@code out} the BF16 values, both padded to whole words of four. The grid is ceil(groups / WARPS)
     * blocks of LOCAL_SIZE threads. The stream must have been validated: nothing here checks it.
     */
    public static void decode(KernelContext ctx, IntArray payload, LongArray groupOffsets, ShortArray chunkBits, IntArray table,
                              IntArray plane, LongArray out, long elements, int chunkSymbols, int tableBits) {
        int[] codes = ctx.sharedIntArray(1 << TABLE_BITS);
        int[] stage = ctx.sharedIntArray(WARPS * 32 * ROW);
        int mask = (1 << tableBits) - 1;
        for (int i = ctx.localIdx; i <= mask; i += ctx.localSize) codes[i] = table.get(i);
        ctx.barrier();

        int lane = ctx.laneId;
        int rows = (ctx.localIdx >>> 5) * 32 * ROW;
        long group = (long) ctx.groupIdx * WARPS + (ctx.localIdx >>> 5);
        long chunks = chunkBits.size();
        long chunk = group * 32 + lane;
        // Every lane takes part in the scan, past the last chunk too (with zero bits).
        int bits = chunk < chunks ? chunkBits.get(chunk) & 0xFFFF : 0;
        int before = bits;
        for (int d = 1; d < 32; d <<= 1) {
            int up = ctx.shuffleUp(before, d);
            if (lane >= d) before += up;
        }
        before -= bits;
        long start = chunk < chunks ? groupOffsets.get(group) + before : 0;
        int symbols = chunk < chunks ? (int) Math.min(chunkSymbols, elements - chunk * chunkSymbols) : 0;

        // buf holds the next `avail` bits of the stream, refilled 32 at a time (a lookup reads at most
        // 12). `ahead` is the next word, loaded one refill early so that its latency overlaps decoding.
        long lastWord = payload.size() - 1;
        long word = start >>> 5;
        long buf = (payload.get(word) & 0xFFFFFFFFL) >>> (start & 31);
        int avail = 32 - (int) (start & 31);
        long ahead = payload.get(word + 1) & 0xFFFFFFFFL; // the stream ends with a zero 64-bit guard word
        word += 2;
        // Decoded exponents not yet staged, lowest byte first: `held` of them, fewer than four between lookups.
        long pending = 0;
        int held = 0;
        for (int round = 0; round < chunkSymbols; round += ROUND) {
            int words = (Math.min(ROUND, symbols - round) + 3) >> 2; // ints of four exponents this lane stages
            for (int staged = 0; staged < words; ) {
                if (avail < 32) {
                    buf |= ahead << avail;
                    avail += 32;
                    // Past the stream's end (the last chunk's final lookups) a lane reads the last word again.
                    ahead = payload.get(Math.min(word, lastWord)) & 0xFFFFFFFFL;
                    word++;
                }
                int entry = codes[(int) buf & mask];
                int used = (entry >>> 24) & 15;
                buf >>>= used;
                avail -= used;
                pending |= (long) (entry & 0xFFFFFF) << (held << 3);
                held += entry >>> 28;
                if (held >= 4) {
                    stage[rows + lane * ROW + staged] = (int) pending;
                    staged++;
                    pending >>>= 32;
                    held -= 4;
                }
            }
            ctx.barrier();
            // The warp writes two chunks at a time: lanes 0-15 chunk j, lanes 16-31 chunk j + 1, four values each.
            int half = lane >>> 4, quarter = lane & 15;
            long at = (group * 32 + half) * chunkSymbols + round + 4 * quarter;
            int row = rows + half * ROW + quarter;
            writeEight(stage, row, plane, out, at, 2L * chunkSymbols, elements);
            writeEight(stage, row + 16 * ROW, plane, out, at + 16L * chunkSymbols, 2L * chunkSymbols, elements);
            ctx.barrier();
        }
    }

    /**
     * Writes four values in each of eight chunks {@code step} symbols apart. The plane loads come first:
     * the compiler may not move a load above a store to another global array (they might overlap), so
     * loads interleaved with the stores would each wait a full memory latency.
     */
    private static void writeEight(int[] stage, int row, IntArray plane, LongArray out, long at, long step, long elements) {
        int p0 = at < elements ? plane.get(at >>> 2) : 0;
        int p1 = at + step < elements ? plane.get((at + step) >>> 2) : 0;
        int p2 = at + 2 * step < elements ? plane.get((at + 2 * step) >>> 2) : 0;
        int p3 = at + 3 * step < elements ? plane.get((at + 3 * step) >>> 2) : 0;
        int p4 = at + 4 * step < elements ? plane.get((at + 4 * step) >>> 2) : 0;
        int p5 = at + 5 * step < elements ? plane.get((at + 5 * step) >>> 2) : 0;
        int p6 = at + 6 * step < elements ? plane.get((at + 6 * step) >>> 2) : 0;
        int p7 = at + 7 * step < elements ? plane.get((at + 7 * step) >>> 2) : 0;
        if (at < elements) out.set(at >>> 2, join(stage[row], p0));
        if (at + step < elements) out.set((at + step) >>> 2, join(stage[row + 2 * ROW], p1));
        if (at + 2 * step < elements) out.set((at + 2 * step) >>> 2, join(stage[row + 4 * ROW], p2));
        if (at + 3 * step < elements) out.set((at + 3 * step) >>> 2, join(stage[row + 6 * ROW], p3));
        if (at + 4 * step < elements) out.set((at + 4 * step) >>> 2, join(stage[row + 8 * ROW], p4));
        if (at + 5 * step < elements) out.set((at + 5 * step) >>> 2, join(stage[row + 10 * ROW], p5));
        if (at + 6 * step < elements) out.set((at + 6 * step) >>> 2, join(stage[row + 12 * ROW], p6));
        if (at + 7 * step < elements) out.set((at + 7 * step) >>> 2, join(stage[row + 14 * ROW], p7));
    }

    /** Four BF16 values from four exponent bytes and four sign|mantissa bytes: v = (s & 0x80) << 8 | e << 7 | (s & 0x7F). */
    static long join(int exponents, int signMantissas) {
        long e = spread(exponents), s = spread(signMantissas);
        return (s & 0x0080_0080_0080_0080L) << 8 | e << 7 | (s & 0x007F_007F_007F_007FL);
    }

    /** The four bytes of {@code x} in the low bytes of four 16-bit lanes. */
    private static long spread(int x) {
        long v = x & 0xFFFFFFFFL;
        v = (v | v << 16) & 0x0000_FFFF_0000_FFFFL;
        return (v | v << 8) & 0x00FF_00FF_00FF_00FFL;
    }
}
