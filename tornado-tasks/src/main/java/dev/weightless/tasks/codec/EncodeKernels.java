package dev.weightless.tasks.codec;

import dev.weightless.jit.kernel.IntArray;
import dev.weightless.jit.kernel.KernelContext;
import dev.weightless.jit.kernel.LongArray;
import dev.weightless.jit.kernel.ShortArray;

/**
 * The GPU Huffman encoder for the codec's BF16 format, in three passes with the CPU plan's code:
 * {@link #measure} (bits per chunk and per group, one warp per group), {@link #groupOffsets} (an
 * exclusive scan of the group totals in one block) and {@link #pack} (one lane per chunk writes its
 * codewords; the words a chunk shares with its neighbours are added atomically into a zeroed stream,
 * which is an OR since their bits do not overlap), plus {@link #plane} for the sign|mantissa bytes.
 * {@code codes[s]} is symbol s's bit-reversed code with its cost in bits (0 for a single-symbol code) in bits 16..20.
 */
public final class EncodeKernels {
    public static final int WARPS = 8;
    public static final int LOCAL_SIZE = WARPS * KernelContext.WARP_SIZE;
    /** Threads of the one block that scans the group totals. */
    public static final int SCAN_SIZE = 1024;

    private EncodeKernels() {}

    /** Chunk bit lengths into {@code chunkBits}, group totals into {@code groupBits}. Grid: ceil(groups / WARPS) blocks of LOCAL_SIZE. */
    public static void measure(KernelContext ctx, ShortArray bf16, IntArray codes, ShortArray chunkBits, LongArray groupBits, int chunkSymbols) {
        int[] cost = ctx.sharedIntArray(256);
        for (int i = ctx.localIdx; i < 256; i += ctx.localSize) cost[i] = codes.get(i) >>> 16;
        ctx.barrier();
        int lane = ctx.laneId;
        long group = (long) ctx.groupIdx * WARPS + (ctx.localIdx >>> 5);
        long elements = bf16.size();
        int mine = 0;
        // The warp reads each chunk side by side (coalesced) and sums it with shuffles; lane j keeps chunk j's.
        for (int j = 0; j < 32; j++) {
            long first = (group * 32 + j) * chunkSymbols;
            int sum = 0;
            for (int i = lane; i < chunkSymbols; i += 32) {
                if (first + i < elements) sum += cost[(bf16.get(first + i) >>> 7) & 0xFF];
            }
            for (int d = 16; d > 0; d >>= 1) sum += ctx.shuffleXor(sum, d);
            if (lane == j) mine = sum;
        }
        long chunk = group * 32 + lane;
        if (chunk < chunkBits.size()) chunkBits.set(chunk, (short) mine);
        int total = mine;
        for (int d = 16; d > 0; d >>= 1) total += ctx.shuffleXor(total, d); // at most 32 × 15 × 4096 bits: fits an int
        if (lane == 0 && group < groupBits.size()) groupBits.set(group, total);
    }

    /** {@code offsets[g]} = the sum of {@code groupBits[0..g)}. One block of SCAN_SIZE threads. */
    public static void groupOffsets(KernelContext ctx, LongArray groupBits, LongArray offsets) {
        long[] sums = ctx.sharedLongArray(SCAN_SIZE);
        long groups = groupBits.size();
        long per = (groups + SCAN_SIZE - 1) / SCAN_SIZE;
        long from = Math.min(groups, ctx.localIdx * per), to = Math.min(groups, from + per);
        long sum = 0;
        for (long g = from; g < to; g++) sum += groupBits.get(g);
        sums[ctx.localIdx] = sum;
        ctx.barrier();
        for (int d = 1; d < SCAN_SIZE; d <<= 1) {
            long add = ctx.localIdx >= d ? sums[ctx.localIdx - d] : 0;
            ctx.barrier();
            sums[ctx.localIdx] += add;
            ctx.barrier();
        }
        long at = sums[ctx.localIdx] - sum;
        for (long g = from; g < to; g++) {
            offsets.set(g, at);
            at += groupBits.get(g);
        }
    }

    /** Writes every chunk's codewords into {@code payload} (u32 words, zeroed beforehand). Grid: ceil(chunks / LOCAL_SIZE) blocks of LOCAL_SIZE. */
    public static void pack(KernelContext ctx, ShortArray bf16, IntArray codes, LongArray offsets, ShortArray chunkBits, IntArray payload, int chunkSymbols) {
        int[] code = ctx.sharedIntArray(256);
        for (int i = ctx.localIdx; i < 256; i += ctx.localSize) code[i] = codes.get(i);
        ctx.barrier();
        long chunk = ctx.globalIdx;
        long chunks = chunkBits.size();
        if (chunk >= chunks) return;
        int groupChunks = 32;
        long group = chunk / groupChunks;
        long pos = offsets.get(group);
        for (long c = group * groupChunks; c < chunk; c++) pos += chunkBits.get(c) & 0xFFFF;
        long first = chunk * chunkSymbols;
        long end = Math.min(bf16.size(), first + chunkSymbols);
        long word = pos >>> 5;
        int fill = (int) (pos & 31);
        long acc = 0;
        boolean shared = fill != 0; // the first word also holds the previous chunk's last bits
        for (long i = first; i < end; i++) {
            int c = code[(bf16.get(i) >>> 7) & 0xFF];
            acc |= (long) (c & 0xFFFF) << fill;
            fill += c >>> 16;
            if (fill >= 32) {
                if (shared) ctx.atomicAdd(payload, word, (int) acc);
                else payload.set(word, (int) acc);
                shared = false;
                word++;
                acc >>>= 32;
                fill -= 32;
            }
        }
        if (fill > 0) ctx.atomicAdd(payload, word, (int) acc); // the next chunk may start in this word
    }

    /** Zeroes the stream before {@link #pack} adds into it. Grid: covering payload.size() threads. */
    public static void clear(KernelContext ctx, IntArray payload) {
        long w = ctx.globalIdx;
        if (w < payload.size()) payload.set(w, 0);
    }

    /** The sign|mantissa bytes, four per thread into a plane padded to whole words. Grid: covering plane.size() threads. */
    public static void plane(KernelContext ctx, ShortArray bf16, IntArray plane) {
        long w = ctx.globalIdx;
        if (w >= plane.size()) return;
        int s = 0;
        for (int k = 0; k < 4; k++) {
            if (4 * w + k < bf16.size()) {
                int x = bf16.get(4 * w + k);
                s |= (((x >>> 8) & 0x80) | (x & 0x7F)) << (8 * k);
            }
        }
        plane.set(w, s);
    }
}
