package dev.weightless.tasks.codec;

import dev.weightless.jit.kernel.IntArray;
import dev.weightless.jit.kernel.KernelContext;
import dev.weightless.jit.kernel.LongArray;
import dev.weightless.jit.kernel.ShortArray;

/**
 * The GPU Huffman encoder for the codec's BF16 format, in three passes with the CPU plan's code:
 * {@link #measure} (bits per chunk and per group, one warp per group), {@link #groupOffsets} (an
 * exclusive scan of the group totals in one block) and {@link #pack} (one warp per chunk writes its
 * codewords through shared memory; the words a chunk shares with its neighbours are added atomically into a
 * zeroed stream, which is an OR since their bits do not overlap), plus {@link #plane} for the sign|mantissa bytes.
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
            int n = (int) Math.max(0, Math.min(chunkSymbols, elements - first)); // the chunk's symbols
            int sum = 0;
            int i = lane;
            // Four loads in flight before their lookups; then the rest one at a time.
            for (; i + 96 < n; i += 128) {
                int v0 = bf16.get(first + i), v1 = bf16.get(first + i + 32), v2 = bf16.get(first + i + 64), v3 = bf16.get(first + i + 96);
                sum += cost[(v0 >>> 7) & 0xFF] + cost[(v1 >>> 7) & 0xFF] + cost[(v2 >>> 7) & 0xFF] + cost[(v3 >>> 7) & 0xFF];
            }
            for (; i < n; i += 32) sum += cost[(bf16.get(first + i) >>> 7) & 0xFF];
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

    /** Warps per block of {@link #pack}: its shared memory (about 25 KB) stays well inside the static 48 KB. */
    public static final int PACK_WARPS = 4;
    /** Symbols a warp packs per round: 32 per lane. */
    static final int ROUND = 32 * 32;
    /** Stream words one round can touch: 15-bit codes, plus one word for the unaligned start. */
    static final int ROUND_WORDS = (ROUND * 15 + 31) / 32 + 1;

    /**
     * Writes every chunk's codewords into {@code payload} (u32 words, zeroed beforehand), one warp per chunk,
     * 1024 symbols per round: the warp reads them side by side (coalesced) and leaves each symbol's code in
     * shared memory where lane j finds symbols 32j..32j+31 (positions XOR-swizzled, so neither side has bank
     * conflicts); each lane sums its 32 costs, a warp scan gives its bit position, and it adds its codes into
     * the round's words in shared memory; the warp then stores those words side by side. Only the first and
     * last word of a round can hold bits of another round or chunk: those are added atomically, which is an
     * OR since the bits do not overlap. Grid: ceil(chunks / PACK_WARPS) blocks of PACK_WARPS * 32.
     */
    public static void pack(KernelContext ctx, ShortArray bf16, IntArray codes, LongArray offsets, ShortArray chunkBits, IntArray payload, int chunkSymbols) {
        int[] code = ctx.sharedIntArray(256);
        int[] staged = ctx.sharedIntArray(PACK_WARPS * ROUND);
        int[] words = ctx.sharedIntArray(PACK_WARPS * ROUND_WORDS);
        int lane = ctx.laneId;
        int warp = ctx.localIdx >>> 5;
        for (int i = ctx.localIdx; i < 256; i += ctx.localSize) code[i] = codes.get(i);
        for (int i = ctx.localIdx; i < PACK_WARPS * ROUND_WORDS; i += ctx.localSize) words[i] = 0;
        ctx.barrier();
        long chunks = chunkBits.size();
        long chunk = (long) ctx.groupIdx * PACK_WARPS + warp;
        boolean live = chunk < chunks;
        long elements = bf16.size();
        // The chunk's first bit: its group's offset plus the lengths of the chunks before it in the group.
        long pos = 0;
        if (live) {
            long group = chunk >>> 5;
            int before = lane < (int) (chunk & 31) ? chunkBits.get(group * 32 + lane) & 0xFFFF : 0;
            for (int d = 16; d > 0; d >>= 1) before += ctx.shuffleXor(before, d);
            pos = offsets.get(group) + before;
        }
        long first = chunk * chunkSymbols;
        long end = live ? Math.min(elements, first + chunkSymbols) : first;
        int stage = warp * ROUND;
        int out = warp * ROUND_WORDS;
        int rounds = (chunkSymbols + ROUND - 1) / ROUND; // the same for every warp: the barriers stay uniform
        for (int r = 0; r < rounds; r++) {
            long base = first + (long) r * ROUND;
            // The round's symbols: this chunk's, inside the tensor (none for a warp past the last chunk).
            int limit = (int) Math.max(0, Math.min(Math.min(ROUND, chunkSymbols - r * ROUND), end - base));
            for (int k = 0; k < 32; k += 8) {
                // Symbol j goes to lane j / 32's row, position (j % 32) XOR (j / 32); eight loads in flight first.
                int j = k * 32 + lane;
                int v0 = j < limit ? bf16.get(base + j) : 0;
                int v1 = j + 32 < limit ? bf16.get(base + j + 32) : 0;
                int v2 = j + 64 < limit ? bf16.get(base + j + 64) : 0;
                int v3 = j + 96 < limit ? bf16.get(base + j + 96) : 0;
                int v4 = j + 128 < limit ? bf16.get(base + j + 128) : 0;
                int v5 = j + 160 < limit ? bf16.get(base + j + 160) : 0;
                int v6 = j + 192 < limit ? bf16.get(base + j + 192) : 0;
                int v7 = j + 224 < limit ? bf16.get(base + j + 224) : 0;
                staged[stage + (k << 5) + (lane ^ k)] = j < limit ? code[(v0 >>> 7) & 0xFF] : 0;
                staged[stage + ((k + 1) << 5) + (lane ^ (k + 1))] = j + 32 < limit ? code[(v1 >>> 7) & 0xFF] : 0;
                staged[stage + ((k + 2) << 5) + (lane ^ (k + 2))] = j + 64 < limit ? code[(v2 >>> 7) & 0xFF] : 0;
                staged[stage + ((k + 3) << 5) + (lane ^ (k + 3))] = j + 96 < limit ? code[(v3 >>> 7) & 0xFF] : 0;
                staged[stage + ((k + 4) << 5) + (lane ^ (k + 4))] = j + 128 < limit ? code[(v4 >>> 7) & 0xFF] : 0;
                staged[stage + ((k + 5) << 5) + (lane ^ (k + 5))] = j + 160 < limit ? code[(v5 >>> 7) & 0xFF] : 0;
                staged[stage + ((k + 6) << 5) + (lane ^ (k + 6))] = j + 192 < limit ? code[(v6 >>> 7) & 0xFF] : 0;
                staged[stage + ((k + 7) << 5) + (lane ^ (k + 7))] = j + 224 < limit ? code[(v7 >>> 7) & 0xFF] : 0;
            }
            ctx.barrier();
            int row = stage + (lane << 5);
            int bits = 0;
            for (int p = 0; p < 32; p += 4) {
                bits += (staged[row + (p ^ lane)] >>> 16) + (staged[row + ((p + 1) ^ lane)] >>> 16)
                        + (staged[row + ((p + 2) ^ lane)] >>> 16) + (staged[row + ((p + 3) ^ lane)] >>> 16);
            }
            int before = bits; // inclusive scan over the lanes, then exclusive
            for (int d = 1; d < 32; d <<= 1) {
                int up = ctx.shuffleUp(before, d);
                if (lane >= d) before += up;
            }
            int total = ctx.shuffle(before, 31);
            before -= bits;
            int start = (int) (pos & 31);
            int at = start + before;
            int word = at >>> 5;
            int fill = at & 31;
            long acc = 0;
            // Two codes per step: fill stays below 32 between steps, so two codes of at most 15 bits
            // leave it below 62 and at most one word is full.
            for (int p = 0; p < 32; p += 2) {
                int c0 = staged[row + (p ^ lane)], c1 = staged[row + ((p + 1) ^ lane)];
                acc |= (long) (c0 & 0xFFFF) << fill;
                fill += c0 >>> 16;
                acc |= (long) (c1 & 0xFFFF) << fill;
                fill += c1 >>> 16;
                if (fill >= 32) {
                    ctx.atomicAdd(words, out + word, (int) acc);
                    word++;
                    acc >>>= 32;
                    fill -= 32;
                }
            }
            if (fill > 0) ctx.atomicAdd(words, out + word, (int) acc);
            ctx.barrier();
            int count = total == 0 ? 0 : (start + total + 31) >>> 5;
            long firstWord = pos >>> 5;
            for (int w = lane; w < count; w += 32) {
                int v = words[out + w];
                words[out + w] = 0;
                if (w == 0 || w == count - 1) {
                    if (v != 0) ctx.atomicAdd(payload, firstWord + w, v);
                } else {
                    payload.set(firstWord + w, v);
                }
            }
            pos += total;
            ctx.barrier();
        }
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

    /**
     * Adds the exponent counts of {@code bf16} into {@code histogram} (256 longs, zeroed beforehand): per-block
     * counts in shared memory, then one atomic add per block and exponent. Grid: any number of blocks of
     * LOCAL_SIZE; each thread strides over the values.
     */
    public static void histogram(KernelContext ctx, ShortArray bf16, LongArray histogram) {
        int[] counts = ctx.sharedIntArray(256);
        for (int i = ctx.localIdx; i < 256; i += ctx.localSize) counts[i] = 0;
        ctx.barrier();
        long n = bf16.size();
        for (long i = ctx.globalIdx; i < n; i += ctx.globalSize) ctx.atomicAdd(counts, (bf16.get(i) >>> 7) & 0xFF, 1);
        ctx.barrier();
        for (int i = ctx.localIdx; i < 256; i += ctx.localSize) {
            if (counts[i] != 0) ctx.atomicAdd(histogram, i, counts[i]);
        }
    }

    /**
     * {@code crcs[c]} = the CRC32C of chunk {@code c}'s bytes (values {@code c * chunkSymbols ..}, the last chunk
     * possibly shorter), one thread per chunk, four bytes per step with the slicing tables {@code tables}
     * (4 × 256 ints, {@link ResidentEncoder#crcTables}). The host combines them in order.
     * Grid: covering crcs.size() threads of LOCAL_SIZE.
     */
    public static void chunkCrc(KernelContext ctx, ShortArray bf16, IntArray tables, IntArray crcs, int chunkSymbols) {
        int[] t = ctx.sharedIntArray(1024);
        for (int i = ctx.localIdx; i < 1024; i += ctx.localSize) t[i] = tables.get(i);
        ctx.barrier();
        long c = ctx.globalIdx;
        if (c >= crcs.size()) return;
        long first = c * chunkSymbols;
        long end = Math.min(bf16.size(), first + chunkSymbols);
        int crc = -1;
        long i = first;
        for (; i + 1 < end; i += 2) {
            crc ^= (bf16.get(i) & 0xFFFF) | bf16.get(i + 1) << 16; // the four bytes in memory order
            crc = t[768 + (crc & 0xFF)] ^ t[512 + ((crc >>> 8) & 0xFF)] ^ t[256 + ((crc >>> 16) & 0xFF)] ^ t[crc >>> 24];
        }
        if (i < end) {
            int v = bf16.get(i) & 0xFFFF;
            crc = (crc >>> 8) ^ t[(crc ^ v) & 0xFF];
            crc = (crc >>> 8) ^ t[(crc ^ (v >>> 8)) & 0xFF];
        }
        crcs.set(c, ~crc);
    }
}
