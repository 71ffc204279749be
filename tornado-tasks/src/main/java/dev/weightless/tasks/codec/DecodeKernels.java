package dev.weightless.tasks.codec;

import dev.weightless.jit.kernel.IntArray;
import dev.weightless.jit.kernel.KernelContext;
import dev.weightless.jit.kernel.LongArray;
import dev.weightless.jit.kernel.ShortArray;

/**
 * The GPU Huffman decoder for the codec's BF16 format (FORMAT.md), as a plain-Java kernel.
 * One warp per group of 32 chunks, one lane per chunk: the lane finds its start from the group's
 * offset and a shuffle scan of the chunk lengths, then decodes its chunk in rounds of {@link #ROUND}
 * symbols with a multi-symbol table in shared memory (one lookup gives up to three exponents, two lookups
 * per refill check). Each round's exponents go through shared memory so that the warp then reads the
 * sign|mantissa plane and writes the BF16 output one chunk at a time (256 bytes of output per warp store,
 * coalesced), instead of each lane streaming its own chunk 2 KiB away from its neighbours. Warps only
 * synchronise with themselves. src/main/cuda/huffman_decode.cu is the same kernel in CUDA C: keep the two in step.
 */
public final class DecodeKernels {
    /** Warps per block: the launch's local size is {@link #LOCAL_SIZE}. */
    public static final int WARPS = 8;
    public static final int LOCAL_SIZE = WARPS * KernelContext.WARP_SIZE;
    /** Symbols a lane decodes between two write-outs. */
    public static final int ROUND = 128;
    /** Chunk sizes must be multiples of it (the format's are powers of two from 64): a round ends at a chunk's end or its middle. */
    public static final int CHUNK_MULTIPLE = 64;
    /** Bits one lookup reads: the table has 2^12 int entries, 16 KiB (codes up to 12 bits, the encoder's default limit). */
    public static final int TABLE_BITS = 12;
    /** Ints per staged chunk row (a round's exponents, four per int): word w of row r is stored at w ^ r, so that neither
     *  the lanes staging side by side nor the warp reading one row meet in a shared-memory bank. 32 KiB for 8 warps. */
    private static final int ROW = ROUND / 4;
    /** The chunk size the write-out has a fast path for (the codec's default): its 16 addresses are one base plus constants. */
    static final int FAST_CHUNK = 1024;
    /** Bytes an L2 miss of a stream load brings in: each lane walks its own chunk, so its next loads find them there. */
    private static final int L2_FETCH = 256;
    /** Bytes an L2 miss of a plane load brings in: a round's 128, no more. A 256-byte fetch would hold the next round's
     *  half in L2 for a round's time, while the whole GPU streams past it: measured slower (NOTES.md, session 6). */
    private static final int PLANE_FETCH = 128;

    private DecodeKernels() {}

    /**
     * Decodes the whole tensor. {@code payload} is the exponent stream as u32 words; {@code table} the
     * 2^tableBits-entry lookup table of {@link DecodeTable}; {@code plane} the sign|mantissa bytes and
     * {@code out} the BF16 values, both padded to whole words of four. The grid is ceil(groups / WARPS)
     * blocks of LOCAL_SIZE threads, or fewer blocks (each then decodes several groups of WARPS groups, see
     * {@link DecodeInput#grid(int)}). The stream must have been validated: nothing here checks it.
     */
    public static void decode(KernelContext ctx, IntArray payload, LongArray groupOffsets, ShortArray chunkBits, IntArray table,
                              IntArray plane, LongArray out, long elements, int chunkSymbols, int tableBits) {
        int[] codes = ctx.sharedIntArray(1 << TABLE_BITS);
        int[] stage = ctx.sharedIntArray(WARPS * 32 * ROW);
        int mask = (1 << tableBits) - 1;
        for (int i = ctx.localIdx; i <= mask; i += ctx.localSize) codes[i] = table.get(i);
        ctx.barrier();

        // A grid of fewer blocks than groups/WARPS loops: block b takes groups b*WARPS.., then b*WARPS + blocks*WARPS.., and so on.
        int lane = ctx.laneId;
        int rows = (ctx.localIdx >>> 5) * 32 * ROW;
        int mine = rows + lane * ROW; // this lane's row
        long groups = groupOffsets.size();
        for (long first = (long) ctx.groupIdx * WARPS; first < groups; first += (long) ctx.groups * WARPS) {
            long group = first + (ctx.localIdx >>> 5);
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
            int pending = 0;
            int held = 0;
            for (int round = 0; round < chunkSymbols; round += ROUND) {
                int words = (Math.min(ROUND, symbols - round) + 3) >> 2; // ints of four exponents this lane stages
                for (int staged = 0; staged < words; ) {
                    if (avail < 32) {
                        buf |= ahead << avail;
                        avail += 32;
                        // Past the stream's end (the last chunk's final lookups) a lane reads the last word again.
                        ahead = payload.getL2Fetch(Math.min(word, lastWord), L2_FETCH) & 0xFFFFFFFFL;
                        word++;
                    }
                    int entry = codes[(int) buf & mask];
                    int used = (entry >>> 24) & 15;
                    buf >>>= used;
                    avail -= used;
                    int exponents = entry & 0xFFFFFF, shift = held << 3;
                    pending |= exponents << shift;
                    held += entry >>> 28;
                    if (held >= 4) {
                        stage[mine + (staged ^ lane)] = pending;
                        staged++;
                        // The exponents that did not fit: held was at least 1 before, so the shift is 8..24.
                        pending = exponents >>> (32 - shift);
                        held -= 4;
                    }
                    // A second lookup without a refill check: after a refill at least 32 bits are
                    // buffered and a lookup takes at most 12.
                    if (staged < words) {
                        int entry1 = codes[(int) buf & mask];
                        int used1 = (entry1 >>> 24) & 15;
                        buf >>>= used1;
                        avail -= used1;
                        int exponents1 = entry1 & 0xFFFFFF, shift1 = held << 3;
                        pending |= exponents1 << shift1;
                        held += entry1 >>> 28;
                        if (held >= 4) {
                            stage[mine + (staged ^ lane)] = pending;
                            staged++;
                            pending = exponents1 >>> (32 - shift1);
                            held -= 4;
                        }
                    }
                }
                // Each warp stages and writes only its own rows: a warp sync, not a block barrier, so warps never wait for each other.
                ctx.syncWarp();
                // The warp writes one chunk at a time, four values per lane: 256 bytes of output, 128 of the plane. The tensor's
                // last group (fewer than 32 full chunks) and chunks of other sizes (a 64-symbol chunk ends inside a round) take
                // the checked loop.
                long first4 = (group * 32 * chunkSymbols + round) / 4 + lane;
                if (chunkSymbols == FAST_CHUNK && elements - group * 32 * FAST_CHUNK >= 32 * FAST_CHUNK) {
                    writeSixteenChunks(stage, rows, lane, plane, out, first4, 0);
                    writeSixteenChunks(stage, rows, lane, plane, out, first4, 16);
                } else {
                    for (int c = 0; c < 32; c++) {
                        long at = (group * 32 + c) * chunkSymbols + round + 4 * lane;
                        if (round + 4 * lane < chunkSymbols && at < elements) out.setStreaming(at >>> 2, join(stage[rows + c * ROW + (lane ^ c)], plane.get(at >>> 2)));
                    }
                }
                ctx.syncWarp();
            }
        }
    }

    /**
     * Chunks first..first+15 (first is the constant 0 or 16) of a full group of {@link #FAST_CHUNK}-symbol chunks, one
     * round: sixteen plane loads, then sixteen stores (the compiler may not move a load above a store to another global
     * array, so interleaved loads would each wait a full memory latency). The stores are streaming (evict first): the
     * output is never read here, and kept in L2 it would push out the stream words that the loads' 256-byte fetches
     * brought in ahead of use. Written out by hand: a kernel has no local arrays for the sixteen values.
     */
    private static void writeSixteenChunks(int[] stage, int rows, int lane, IntArray plane, LongArray out, long q, int first) {
        int p0 = plane.getL2Fetch(q + (first + 0) * 256L, PLANE_FETCH);
        int p1 = plane.getL2Fetch(q + (first + 1) * 256L, PLANE_FETCH);
        int p2 = plane.getL2Fetch(q + (first + 2) * 256L, PLANE_FETCH);
        int p3 = plane.getL2Fetch(q + (first + 3) * 256L, PLANE_FETCH);
        int p4 = plane.getL2Fetch(q + (first + 4) * 256L, PLANE_FETCH);
        int p5 = plane.getL2Fetch(q + (first + 5) * 256L, PLANE_FETCH);
        int p6 = plane.getL2Fetch(q + (first + 6) * 256L, PLANE_FETCH);
        int p7 = plane.getL2Fetch(q + (first + 7) * 256L, PLANE_FETCH);
        int p8 = plane.getL2Fetch(q + (first + 8) * 256L, PLANE_FETCH);
        int p9 = plane.getL2Fetch(q + (first + 9) * 256L, PLANE_FETCH);
        int p10 = plane.getL2Fetch(q + (first + 10) * 256L, PLANE_FETCH);
        int p11 = plane.getL2Fetch(q + (first + 11) * 256L, PLANE_FETCH);
        int p12 = plane.getL2Fetch(q + (first + 12) * 256L, PLANE_FETCH);
        int p13 = plane.getL2Fetch(q + (first + 13) * 256L, PLANE_FETCH);
        int p14 = plane.getL2Fetch(q + (first + 14) * 256L, PLANE_FETCH);
        int p15 = plane.getL2Fetch(q + (first + 15) * 256L, PLANE_FETCH);
        out.setStreaming(q + (first + 0) * 256L, join(stage[rows + (first + 0) * ROW + (lane ^ (first + 0))], p0));
        out.setStreaming(q + (first + 1) * 256L, join(stage[rows + (first + 1) * ROW + (lane ^ (first + 1))], p1));
        out.setStreaming(q + (first + 2) * 256L, join(stage[rows + (first + 2) * ROW + (lane ^ (first + 2))], p2));
        out.setStreaming(q + (first + 3) * 256L, join(stage[rows + (first + 3) * ROW + (lane ^ (first + 3))], p3));
        out.setStreaming(q + (first + 4) * 256L, join(stage[rows + (first + 4) * ROW + (lane ^ (first + 4))], p4));
        out.setStreaming(q + (first + 5) * 256L, join(stage[rows + (first + 5) * ROW + (lane ^ (first + 5))], p5));
        out.setStreaming(q + (first + 6) * 256L, join(stage[rows + (first + 6) * ROW + (lane ^ (first + 6))], p6));
        out.setStreaming(q + (first + 7) * 256L, join(stage[rows + (first + 7) * ROW + (lane ^ (first + 7))], p7));
        out.setStreaming(q + (first + 8) * 256L, join(stage[rows + (first + 8) * ROW + (lane ^ (first + 8))], p8));
        out.setStreaming(q + (first + 9) * 256L, join(stage[rows + (first + 9) * ROW + (lane ^ (first + 9))], p9));
        out.setStreaming(q + (first + 10) * 256L, join(stage[rows + (first + 10) * ROW + (lane ^ (first + 10))], p10));
        out.setStreaming(q + (first + 11) * 256L, join(stage[rows + (first + 11) * ROW + (lane ^ (first + 11))], p11));
        out.setStreaming(q + (first + 12) * 256L, join(stage[rows + (first + 12) * ROW + (lane ^ (first + 12))], p12));
        out.setStreaming(q + (first + 13) * 256L, join(stage[rows + (first + 13) * ROW + (lane ^ (first + 13))], p13));
        out.setStreaming(q + (first + 14) * 256L, join(stage[rows + (first + 14) * ROW + (lane ^ (first + 14))], p14));
        out.setStreaming(q + (first + 15) * 256L, join(stage[rows + (first + 15) * ROW + (lane ^ (first + 15))], p15));
    }

    /**
     * Four BF16 values from four exponent bytes and four sign|mantissa bytes, v = (s & 0x80) << 8 | e << 7 | (s & 0x7F),
     * in 32-bit steps: the four high bytes (s & 0x80 | e >>> 1) and the four low bytes ((e & 1) << 7 | s & 0x7F) at once,
     * then interleaved by two byte permutes (prmt): (low0, high0, low1, high1) and (low2, high2, low3, high3).
     */
    static long join(int exponents, int signMantissas) {
        int high = (signMantissas & 0x8080_8080) | (exponents >>> 1 & 0x7F7F_7F7F);
        int low = (exponents << 7 & 0x8080_8080) | (signMantissas & 0x7F7F_7F7F);
        int first = KernelContext.bytePermute(low, high, 0x5140), second = KernelContext.bytePermute(low, high, 0x7362);
        return (long) second << 32 | (first & 0xFFFF_FFFFL);
    }
}
