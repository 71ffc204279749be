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
 * per refill check). Each
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
    /** Experiment: ints per staged row without padding (bank conflicts avoided by a swizzle instead), so that the 32 KiB quad table fits. */
    private static final int QROW = ROUND / 4;
    /** Experiment: where the quad table starts in the table array (DecodeInput). */
    public static final int QUAD_AT = 1 << TABLE_BITS;

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
                        ahead = payload.get(Math.min(word, lastWord)) & 0xFFFFFFFFL;
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
                        stage[rows + lane * ROW + staged] = pending;
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
                            stage[rows + lane * ROW + staged] = pending;
                            staged++;
                                pending = exponents1 >>> (32 - shift1);
                            held -= 4;
                        }
                    }
                }
                ctx.barrier();
                // The warp writes two chunks at a time: lanes 0-15 chunk j, lanes 16-31 chunk j + 1, four values each.
                int half = lane >>> 4, quarter = lane & 15;
                long at = (group * 32 + half) * chunkSymbols + round + 4 * quarter;
                int row = rows + half * ROW + quarter;
                // Values left from `at` on, capped: only the tensor's last group has fewer than 32 full chunks.
                int room = (int) Math.min(elements - at, 1 << 30);
                writeEight(stage, row, plane, out, at >>> 2, chunkSymbols >>> 1, room, 2 * chunkSymbols);
                writeEight(stage, row + 16 * ROW, plane, out, (at >>> 2) + 4L * chunkSymbols, chunkSymbols >>> 1, room - 16 * chunkSymbols, 2 * chunkSymbols);
                ctx.barrier();
            }
        }
    }

    public static void decodeSync(KernelContext ctx, IntArray payload, LongArray groupOffsets, ShortArray chunkBits, IntArray table,
                              IntArray plane, LongArray out, long elements, int chunkSymbols, int tableBits) {
        int[] codes = ctx.sharedIntArray(1 << TABLE_BITS);
        int[] stage = ctx.sharedIntArray(WARPS * 32 * ROW);
        int mask = (1 << tableBits) - 1;
        for (int i = ctx.localIdx; i <= mask; i += ctx.localSize) codes[i] = table.get(i);
        ctx.barrier();

        // A grid of fewer blocks than groups/WARPS loops: block b takes groups b*WARPS.., then b*WARPS + blocks*WARPS.., and so on.
        int lane = ctx.laneId;
        int rows = (ctx.localIdx >>> 5) * 32 * ROW;
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
                        ahead = payload.get(Math.min(word, lastWord)) & 0xFFFFFFFFL;
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
                        stage[rows + lane * ROW + staged] = pending;
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
                            stage[rows + lane * ROW + staged] = pending;
                            staged++;
                                pending = exponents1 >>> (32 - shift1);
                            held -= 4;
                        }
                    }
                }
                ctx.syncWarp();
                // The warp writes two chunks at a time: lanes 0-15 chunk j, lanes 16-31 chunk j + 1, four values each.
                int half = lane >>> 4, quarter = lane & 15;
                long at = (group * 32 + half) * chunkSymbols + round + 4 * quarter;
                int row = rows + half * ROW + quarter;
                // Values left from `at` on, capped: only the tensor's last group has fewer than 32 full chunks.
                int room = (int) Math.min(elements - at, 1 << 30);
                writeEight(stage, row, plane, out, at >>> 2, chunkSymbols >>> 1, room, 2 * chunkSymbols);
                writeEight(stage, row + 16 * ROW, plane, out, (at >>> 2) + 4L * chunkSymbols, chunkSymbols >>> 1, room - 16 * chunkSymbols, 2 * chunkSymbols);
                ctx.syncWarp();
            }
        }
    }

    public static void decodeSyncFast(KernelContext ctx, IntArray payload, LongArray groupOffsets, ShortArray chunkBits, IntArray table,
                              IntArray plane, LongArray out, long elements, int chunkSymbols, int tableBits) {
        int[] codes = ctx.sharedIntArray(1 << TABLE_BITS);
        int[] stage = ctx.sharedIntArray(WARPS * 32 * ROW);
        int mask = (1 << tableBits) - 1;
        for (int i = ctx.localIdx; i <= mask; i += ctx.localSize) codes[i] = table.get(i);
        ctx.barrier();

        // A grid of fewer blocks than groups/WARPS loops: block b takes groups b*WARPS.., then b*WARPS + blocks*WARPS.., and so on.
        int lane = ctx.laneId;
        int rows = (ctx.localIdx >>> 5) * 32 * ROW;
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
                        ahead = payload.get(Math.min(word, lastWord)) & 0xFFFFFFFFL;
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
                        stage[rows + lane * ROW + staged] = pending;
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
                            stage[rows + lane * ROW + staged] = pending;
                            staged++;
                                pending = exponents1 >>> (32 - shift1);
                            held -= 4;
                        }
                    }
                }
                ctx.syncWarp();
                // The warp writes two chunks at a time: lanes 0-15 chunk j, lanes 16-31 chunk j + 1, four values each.
                int half = lane >>> 4, quarter = lane & 15;
                long at = (group * 32 + half) * chunkSymbols + round + 4 * quarter;
                int row = rows + half * ROW + quarter;
                // Values left from `at` on, capped: only the tensor's last group has fewer than 32 full chunks.
                int room = (int) Math.min(elements - at, 1 << 30);
                if (chunkSymbols == FAST_CHUNK && room > 15 * 2 * FAST_CHUNK) {
                    writeSixteenFast(stage, row, plane, out, at >>> 2);
                } else {
                    writeEight(stage, row, plane, out, at >>> 2, chunkSymbols >>> 1, room, 2 * chunkSymbols);
                    writeEight(stage, row + 16 * ROW, plane, out, (at >>> 2) + 4L * chunkSymbols, chunkSymbols >>> 1, room - 16 * chunkSymbols, 2 * chunkSymbols);
                }
                ctx.syncWarp();
            }
        }
    }

    public static void decodeSyncFastL2(KernelContext ctx, IntArray payload, LongArray groupOffsets, ShortArray chunkBits, IntArray table,
                              IntArray plane, LongArray out, long elements, int chunkSymbols, int tableBits) {
        int[] codes = ctx.sharedIntArray(1 << TABLE_BITS);
        int[] stage = ctx.sharedIntArray(WARPS * 32 * ROW);
        int mask = (1 << tableBits) - 1;
        for (int i = ctx.localIdx; i <= mask; i += ctx.localSize) codes[i] = table.get(i);
        ctx.barrier();

        // A grid of fewer blocks than groups/WARPS loops: block b takes groups b*WARPS.., then b*WARPS + blocks*WARPS.., and so on.
        int lane = ctx.laneId;
        int rows = (ctx.localIdx >>> 5) * 32 * ROW;
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
                        ahead = payload.getL2Fetch(Math.min(word, lastWord), 128) & 0xFFFFFFFFL;
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
                        stage[rows + lane * ROW + staged] = pending;
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
                            stage[rows + lane * ROW + staged] = pending;
                            staged++;
                                pending = exponents1 >>> (32 - shift1);
                            held -= 4;
                        }
                    }
                }
                ctx.syncWarp();
                // The warp writes two chunks at a time: lanes 0-15 chunk j, lanes 16-31 chunk j + 1, four values each.
                int half = lane >>> 4, quarter = lane & 15;
                long at = (group * 32 + half) * chunkSymbols + round + 4 * quarter;
                int row = rows + half * ROW + quarter;
                // Values left from `at` on, capped: only the tensor's last group has fewer than 32 full chunks.
                int room = (int) Math.min(elements - at, 1 << 30);
                if (chunkSymbols == FAST_CHUNK && room > 15 * 2 * FAST_CHUNK) {
                    writeSixteenFast(stage, row, plane, out, at >>> 2);
                } else {
                    writeEight(stage, row, plane, out, at >>> 2, chunkSymbols >>> 1, room, 2 * chunkSymbols);
                    writeEight(stage, row + 16 * ROW, plane, out, (at >>> 2) + 4L * chunkSymbols, chunkSymbols >>> 1, room - 16 * chunkSymbols, 2 * chunkSymbols);
                }
                ctx.syncWarp();
            }
        }
    }

    public static void decodeSyncFast256(KernelContext ctx, IntArray payload, LongArray groupOffsets, ShortArray chunkBits, IntArray table,
                              IntArray plane, LongArray out, long elements, int chunkSymbols, int tableBits) {
        int[] codes = ctx.sharedIntArray(1 << TABLE_BITS);
        int[] stage = ctx.sharedIntArray(WARPS * 32 * ROW);
        int mask = (1 << tableBits) - 1;
        for (int i = ctx.localIdx; i <= mask; i += ctx.localSize) codes[i] = table.get(i);
        ctx.barrier();

        // A grid of fewer blocks than groups/WARPS loops: block b takes groups b*WARPS.., then b*WARPS + blocks*WARPS.., and so on.
        int lane = ctx.laneId;
        int rows = (ctx.localIdx >>> 5) * 32 * ROW;
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
                        ahead = payload.getL2Fetch(Math.min(word, lastWord), 256) & 0xFFFFFFFFL;
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
                        stage[rows + lane * ROW + staged] = pending;
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
                            stage[rows + lane * ROW + staged] = pending;
                            staged++;
                                pending = exponents1 >>> (32 - shift1);
                            held -= 4;
                        }
                    }
                }
                ctx.syncWarp();
                // The warp writes two chunks at a time: lanes 0-15 chunk j, lanes 16-31 chunk j + 1, four values each.
                int half = lane >>> 4, quarter = lane & 15;
                long at = (group * 32 + half) * chunkSymbols + round + 4 * quarter;
                int row = rows + half * ROW + quarter;
                // Values left from `at` on, capped: only the tensor's last group has fewer than 32 full chunks.
                int room = (int) Math.min(elements - at, 1 << 30);
                if (chunkSymbols == FAST_CHUNK && room > 15 * 2 * FAST_CHUNK) {
                    writeSixteenFast(stage, row, plane, out, at >>> 2);
                } else {
                    writeEight(stage, row, plane, out, at >>> 2, chunkSymbols >>> 1, room, 2 * chunkSymbols);
                    writeEight(stage, row + 16 * ROW, plane, out, (at >>> 2) + 4L * chunkSymbols, chunkSymbols >>> 1, room - 16 * chunkSymbols, 2 * chunkSymbols);
                }
                ctx.syncWarp();
            }
        }
    }

    public static void decodeRound128(KernelContext ctx, IntArray payload, LongArray groupOffsets, ShortArray chunkBits, IntArray table,
                              IntArray plane, LongArray out, long elements, int chunkSymbols, int tableBits) {
        int[] codes = ctx.sharedIntArray(1 << TABLE_BITS);
        int[] stage = ctx.sharedIntArray(WARPS * 32 * 32); // rows of 32 ints, swizzled: word w of row r at w ^ r
        int mask = (1 << tableBits) - 1;
        for (int i = ctx.localIdx; i <= mask; i += ctx.localSize) codes[i] = table.get(i);
        ctx.barrier();

        // A grid of fewer blocks than groups/WARPS loops: block b takes groups b*WARPS.., then b*WARPS + blocks*WARPS.., and so on.
        int lane = ctx.laneId;
        int rows = (ctx.localIdx >>> 5) * 32 * 32;
        int mine = rows + lane * 32;
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
            for (int round = 0; round < chunkSymbols; round += 128) {
                int words = (Math.min(128, symbols - round) + 3) >> 2; // ints of four exponents this lane stages
                for (int staged = 0; staged < words; ) {
                    if (avail < 32) {
                        buf |= ahead << avail;
                        avail += 32;
                        // Past the stream's end (the last chunk's final lookups) a lane reads the last word again.
                        ahead = payload.getL2Fetch(Math.min(word, lastWord), 256) & 0xFFFFFFFFL;
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
                ctx.syncWarp();
                // The warp writes one chunk at a time, four values per lane: 256 bytes of output, 128 of the plane.
                long first4 = (group * 32 * chunkSymbols + round) / 4 + lane;
                if (chunkSymbols == FAST_CHUNK && elements - group * 32 * FAST_CHUNK >= 32 * FAST_CHUNK) {
                    writeSixteenChunks0(stage, rows, lane, plane, out, first4);
                    writeSixteenChunks16(stage, rows, lane, plane, out, first4);
                } else {
                    for (int c = 0; c < 32; c++) {
                        long at = (group * 32 + c) * chunkSymbols + round + 4 * lane;
                        if (round + 4 * lane < chunkSymbols && at < elements) out.set(at >>> 2, join(stage[rows + c * 32 + (lane ^ c)], plane.get(at >>> 2)));
                    }
                }
                ctx.syncWarp();
            }
        }
    }

    public static void decodeSyncFast256P(KernelContext ctx, IntArray payload, LongArray groupOffsets, ShortArray chunkBits, IntArray table,
                              IntArray plane, LongArray out, long elements, int chunkSymbols, int tableBits) {
        int[] codes = ctx.sharedIntArray(1 << TABLE_BITS);
        int[] stage = ctx.sharedIntArray(WARPS * 32 * ROW);
        int mask = (1 << tableBits) - 1;
        for (int i = ctx.localIdx; i <= mask; i += ctx.localSize) codes[i] = table.get(i);
        ctx.barrier();

        // A grid of fewer blocks than groups/WARPS loops: block b takes groups b*WARPS.., then b*WARPS + blocks*WARPS.., and so on.
        int lane = ctx.laneId;
        int rows = (ctx.localIdx >>> 5) * 32 * ROW;
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
                        ahead = payload.getL2Fetch(Math.min(word, lastWord), 256) & 0xFFFFFFFFL;
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
                        stage[rows + lane * ROW + staged] = pending;
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
                            stage[rows + lane * ROW + staged] = pending;
                            staged++;
                                pending = exponents1 >>> (32 - shift1);
                            held -= 4;
                        }
                    }
                }
                ctx.syncWarp();
                // The warp writes two chunks at a time: lanes 0-15 chunk j, lanes 16-31 chunk j + 1, four values each.
                int half = lane >>> 4, quarter = lane & 15;
                long at = (group * 32 + half) * chunkSymbols + round + 4 * quarter;
                int row = rows + half * ROW + quarter;
                // Values left from `at` on, capped: only the tensor's last group has fewer than 32 full chunks.
                int room = (int) Math.min(elements - at, 1 << 30);
                if (chunkSymbols == FAST_CHUNK && room > 15 * 2 * FAST_CHUNK) {
                    writeSixteenFastHinted(stage, row, plane, out, at >>> 2);
                } else {
                    writeEight(stage, row, plane, out, at >>> 2, chunkSymbols >>> 1, room, 2 * chunkSymbols);
                    writeEight(stage, row + 16 * ROW, plane, out, (at >>> 2) + 4L * chunkSymbols, chunkSymbols >>> 1, room - 16 * chunkSymbols, 2 * chunkSymbols);
                }
                ctx.syncWarp();
            }
        }
    }

    public static void diagNoPlane(KernelContext ctx, IntArray payload, LongArray groupOffsets, ShortArray chunkBits, IntArray table,
                              IntArray plane, LongArray out, long elements, int chunkSymbols, int tableBits) {
        int[] codes = ctx.sharedIntArray(1 << TABLE_BITS);
        int[] stage = ctx.sharedIntArray(WARPS * 32 * ROW);
        int mask = (1 << tableBits) - 1;
        for (int i = ctx.localIdx; i <= mask; i += ctx.localSize) codes[i] = table.get(i);
        ctx.barrier();

        // A grid of fewer blocks than groups/WARPS loops: block b takes groups b*WARPS.., then b*WARPS + blocks*WARPS.., and so on.
        int lane = ctx.laneId;
        int rows = (ctx.localIdx >>> 5) * 32 * ROW;
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
                        ahead = payload.get(Math.min(word, lastWord)) & 0xFFFFFFFFL;
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
                        stage[rows + lane * ROW + staged] = pending;
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
                            stage[rows + lane * ROW + staged] = pending;
                            staged++;
                                pending = exponents1 >>> (32 - shift1);
                            held -= 4;
                        }
                    }
                }
                ctx.syncWarp();
                // The warp writes two chunks at a time: lanes 0-15 chunk j, lanes 16-31 chunk j + 1, four values each.
                int half = lane >>> 4, quarter = lane & 15;
                long at = (group * 32 + half) * chunkSymbols + round + 4 * quarter;
                int row = rows + half * ROW + quarter;
                // Values left from `at` on, capped: only the tensor's last group has fewer than 32 full chunks.
                int room = (int) Math.min(elements - at, 1 << 30);
                writeSixteenNoPlane(stage, row, out, at >>> 2, room);
                ctx.syncWarp();
            }
        }
    }

    public static void diagNoDecode(KernelContext ctx, IntArray payload, LongArray groupOffsets, ShortArray chunkBits, IntArray table,
                              IntArray plane, LongArray out, long elements, int chunkSymbols, int tableBits) {
        int[] codes = ctx.sharedIntArray(1 << TABLE_BITS);
        int[] stage = ctx.sharedIntArray(WARPS * 32 * ROW);
        int mask = (1 << tableBits) - 1;
        for (int i = ctx.localIdx; i <= mask; i += ctx.localSize) codes[i] = table.get(i);
        ctx.barrier();

        // A grid of fewer blocks than groups/WARPS loops: block b takes groups b*WARPS.., then b*WARPS + blocks*WARPS.., and so on.
        int lane = ctx.laneId;
        int rows = (ctx.localIdx >>> 5) * 32 * ROW;
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
                if (elements == -1) stage[rows + lane * ROW] = (int) buf + pending + held + avail + (int) ahead + (int) word + words; // never: keeps the set-up
                ctx.syncWarp();
                // The warp writes two chunks at a time: lanes 0-15 chunk j, lanes 16-31 chunk j + 1, four values each.
                int half = lane >>> 4, quarter = lane & 15;
                long at = (group * 32 + half) * chunkSymbols + round + 4 * quarter;
                int row = rows + half * ROW + quarter;
                // Values left from `at` on, capped: only the tensor's last group has fewer than 32 full chunks.
                int room = (int) Math.min(elements - at, 1 << 30);
                writeSixteenFast(stage, row, plane, out, at >>> 2); // diagnostic: 1024-symbol chunks, whole groups only
                ctx.syncWarp();
            }
        }
    }

    public static void diagNoDecodeHinted(KernelContext ctx, IntArray payload, LongArray groupOffsets, ShortArray chunkBits, IntArray table,
                              IntArray plane, LongArray out, long elements, int chunkSymbols, int tableBits) {
        int[] codes = ctx.sharedIntArray(1 << TABLE_BITS);
        int[] stage = ctx.sharedIntArray(WARPS * 32 * ROW);
        int mask = (1 << tableBits) - 1;
        for (int i = ctx.localIdx; i <= mask; i += ctx.localSize) codes[i] = table.get(i);
        ctx.barrier();

        // A grid of fewer blocks than groups/WARPS loops: block b takes groups b*WARPS.., then b*WARPS + blocks*WARPS.., and so on.
        int lane = ctx.laneId;
        int rows = (ctx.localIdx >>> 5) * 32 * ROW;
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
                if (elements == -1) stage[rows + lane * ROW] = (int) buf + pending + held + avail + (int) ahead + (int) word + words; // never: keeps the set-up
                ctx.syncWarp();
                // The warp writes two chunks at a time: lanes 0-15 chunk j, lanes 16-31 chunk j + 1, four values each.
                int half = lane >>> 4, quarter = lane & 15;
                long at = (group * 32 + half) * chunkSymbols + round + 4 * quarter;
                int row = rows + half * ROW + quarter;
                // Values left from `at` on, capped: only the tensor's last group has fewer than 32 full chunks.
                int room = (int) Math.min(elements - at, 1 << 30);
                writeSixteenFastHinted(stage, row, plane, out, at >>> 2); // diagnostic: 1024-symbol chunks, whole groups only
                ctx.syncWarp();
            }
        }
    }

    public static void diagNoWrite(KernelContext ctx, IntArray payload, LongArray groupOffsets, ShortArray chunkBits, IntArray table,
                              IntArray plane, LongArray out, long elements, int chunkSymbols, int tableBits) {
        int[] codes = ctx.sharedIntArray(1 << TABLE_BITS);
        int[] stage = ctx.sharedIntArray(WARPS * 32 * ROW);
        int mask = (1 << tableBits) - 1;
        for (int i = ctx.localIdx; i <= mask; i += ctx.localSize) codes[i] = table.get(i);
        ctx.barrier();

        // A grid of fewer blocks than groups/WARPS loops: block b takes groups b*WARPS.., then b*WARPS + blocks*WARPS.., and so on.
        int lane = ctx.laneId;
        int rows = (ctx.localIdx >>> 5) * 32 * ROW;
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
                        ahead = payload.get(Math.min(word, lastWord)) & 0xFFFFFFFFL;
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
                        stage[rows + lane * ROW + staged] = pending;
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
                            stage[rows + lane * ROW + staged] = pending;
                            staged++;
                                pending = exponents1 >>> (32 - shift1);
                            held -= 4;
                        }
                    }
                }
                ctx.syncWarp();
                // The warp writes two chunks at a time: lanes 0-15 chunk j, lanes 16-31 chunk j + 1, four values each.
                int half = lane >>> 4, quarter = lane & 15;
                long at = (group * 32 + half) * chunkSymbols + round + 4 * quarter;
                int row = rows + half * ROW + quarter;
                // Values left from `at` on, capped: only the tensor's last group has fewer than 32 full chunks.
                int room = (int) Math.min(elements - at, 1 << 30);
                int sink = stage[row] ^ stage[row + 2 * ROW] ^ stage[row + 16 * ROW] ^ stage[row + 30 * ROW];
                if (elements == -1) out.set(0, sink); // never: keeps the decoding
                ctx.syncWarp();
            }
        }
    }

    /** Experiment: the chunk size the fast write-out is specialised for (the codec's default), so that its 16 addresses are one base plus constants. */
    public static final int FAST_CHUNK = 1024;

    /** Experiment: a whole round of 1024-symbol chunks in range: sixteen plane loads, then sixteen stores, no bounds checks. */
    private static void writeSixteenFast(int[] stage, int row, IntArray plane, LongArray out, long q) {
        int p0 = plane.get(q + 0L);
        int p1 = plane.get(q + 512L);
        int p2 = plane.get(q + 1024L);
        int p3 = plane.get(q + 1536L);
        int p4 = plane.get(q + 2048L);
        int p5 = plane.get(q + 2560L);
        int p6 = plane.get(q + 3072L);
        int p7 = plane.get(q + 3584L);
        int p8 = plane.get(q + 4096L);
        int p9 = plane.get(q + 4608L);
        int p10 = plane.get(q + 5120L);
        int p11 = plane.get(q + 5632L);
        int p12 = plane.get(q + 6144L);
        int p13 = plane.get(q + 6656L);
        int p14 = plane.get(q + 7168L);
        int p15 = plane.get(q + 7680L);
        out.set(q + 0L, join(stage[row + 0 * ROW], p0));
        out.set(q + 512L, join(stage[row + 2 * ROW], p1));
        out.set(q + 1024L, join(stage[row + 4 * ROW], p2));
        out.set(q + 1536L, join(stage[row + 6 * ROW], p3));
        out.set(q + 2048L, join(stage[row + 8 * ROW], p4));
        out.set(q + 2560L, join(stage[row + 10 * ROW], p5));
        out.set(q + 3072L, join(stage[row + 12 * ROW], p6));
        out.set(q + 3584L, join(stage[row + 14 * ROW], p7));
        out.set(q + 4096L, join(stage[row + 16 * ROW], p8));
        out.set(q + 4608L, join(stage[row + 18 * ROW], p9));
        out.set(q + 5120L, join(stage[row + 20 * ROW], p10));
        out.set(q + 5632L, join(stage[row + 22 * ROW], p11));
        out.set(q + 6144L, join(stage[row + 24 * ROW], p12));
        out.set(q + 6656L, join(stage[row + 26 * ROW], p13));
        out.set(q + 7168L, join(stage[row + 28 * ROW], p14));
        out.set(q + 7680L, join(stage[row + 30 * ROW], p15));
    }

    /** Experiment: {@link #writeSixteenFast} with the plane loads fetching 256 bytes into L2 on a miss (four rounds of the chunk). */
    private static void writeSixteenFastHinted(int[] stage, int row, IntArray plane, LongArray out, long q) {
        int p0 = plane.getL2Fetch(q + 0L, 256);
        int p1 = plane.getL2Fetch(q + 512L, 256);
        int p2 = plane.getL2Fetch(q + 1024L, 256);
        int p3 = plane.getL2Fetch(q + 1536L, 256);
        int p4 = plane.getL2Fetch(q + 2048L, 256);
        int p5 = plane.getL2Fetch(q + 2560L, 256);
        int p6 = plane.getL2Fetch(q + 3072L, 256);
        int p7 = plane.getL2Fetch(q + 3584L, 256);
        int p8 = plane.getL2Fetch(q + 4096L, 256);
        int p9 = plane.getL2Fetch(q + 4608L, 256);
        int p10 = plane.getL2Fetch(q + 5120L, 256);
        int p11 = plane.getL2Fetch(q + 5632L, 256);
        int p12 = plane.getL2Fetch(q + 6144L, 256);
        int p13 = plane.getL2Fetch(q + 6656L, 256);
        int p14 = plane.getL2Fetch(q + 7168L, 256);
        int p15 = plane.getL2Fetch(q + 7680L, 256);
        out.set(q + 0L, join(stage[row + 0 * ROW], p0));
        out.set(q + 512L, join(stage[row + 2 * ROW], p1));
        out.set(q + 1024L, join(stage[row + 4 * ROW], p2));
        out.set(q + 1536L, join(stage[row + 6 * ROW], p3));
        out.set(q + 2048L, join(stage[row + 8 * ROW], p4));
        out.set(q + 2560L, join(stage[row + 10 * ROW], p5));
        out.set(q + 3072L, join(stage[row + 12 * ROW], p6));
        out.set(q + 3584L, join(stage[row + 14 * ROW], p7));
        out.set(q + 4096L, join(stage[row + 16 * ROW], p8));
        out.set(q + 4608L, join(stage[row + 18 * ROW], p9));
        out.set(q + 5120L, join(stage[row + 20 * ROW], p10));
        out.set(q + 5632L, join(stage[row + 22 * ROW], p11));
        out.set(q + 6144L, join(stage[row + 24 * ROW], p12));
        out.set(q + 6656L, join(stage[row + 26 * ROW], p13));
        out.set(q + 7168L, join(stage[row + 28 * ROW], p14));
        out.set(q + 7680L, join(stage[row + 30 * ROW], p15));
    }

    /** Experiment: chunks 0..15 of a full group of 1024-symbol chunks, one 128-symbol round: sixteen plane loads, then sixteen stores. */
    private static void writeSixteenChunks0(int[] stage, int rows, int lane, IntArray plane, LongArray out, long q) {
        int p0 = plane.getL2Fetch(q + 0L, 256);
        int p1 = plane.getL2Fetch(q + 256L, 256);
        int p2 = plane.getL2Fetch(q + 512L, 256);
        int p3 = plane.getL2Fetch(q + 768L, 256);
        int p4 = plane.getL2Fetch(q + 1024L, 256);
        int p5 = plane.getL2Fetch(q + 1280L, 256);
        int p6 = plane.getL2Fetch(q + 1536L, 256);
        int p7 = plane.getL2Fetch(q + 1792L, 256);
        int p8 = plane.getL2Fetch(q + 2048L, 256);
        int p9 = plane.getL2Fetch(q + 2304L, 256);
        int p10 = plane.getL2Fetch(q + 2560L, 256);
        int p11 = plane.getL2Fetch(q + 2816L, 256);
        int p12 = plane.getL2Fetch(q + 3072L, 256);
        int p13 = plane.getL2Fetch(q + 3328L, 256);
        int p14 = plane.getL2Fetch(q + 3584L, 256);
        int p15 = plane.getL2Fetch(q + 3840L, 256);
        out.set(q + 0L, join(stage[rows + 0 + (lane ^ 0)], p0));
        out.set(q + 256L, join(stage[rows + 32 + (lane ^ 1)], p1));
        out.set(q + 512L, join(stage[rows + 64 + (lane ^ 2)], p2));
        out.set(q + 768L, join(stage[rows + 96 + (lane ^ 3)], p3));
        out.set(q + 1024L, join(stage[rows + 128 + (lane ^ 4)], p4));
        out.set(q + 1280L, join(stage[rows + 160 + (lane ^ 5)], p5));
        out.set(q + 1536L, join(stage[rows + 192 + (lane ^ 6)], p6));
        out.set(q + 1792L, join(stage[rows + 224 + (lane ^ 7)], p7));
        out.set(q + 2048L, join(stage[rows + 256 + (lane ^ 8)], p8));
        out.set(q + 2304L, join(stage[rows + 288 + (lane ^ 9)], p9));
        out.set(q + 2560L, join(stage[rows + 320 + (lane ^ 10)], p10));
        out.set(q + 2816L, join(stage[rows + 352 + (lane ^ 11)], p11));
        out.set(q + 3072L, join(stage[rows + 384 + (lane ^ 12)], p12));
        out.set(q + 3328L, join(stage[rows + 416 + (lane ^ 13)], p13));
        out.set(q + 3584L, join(stage[rows + 448 + (lane ^ 14)], p14));
        out.set(q + 3840L, join(stage[rows + 480 + (lane ^ 15)], p15));
    }

    /** Experiment: chunks 16..31 of a full group of 1024-symbol chunks, one 128-symbol round: sixteen plane loads, then sixteen stores. */
    private static void writeSixteenChunks16(int[] stage, int rows, int lane, IntArray plane, LongArray out, long q) {
        int p0 = plane.getL2Fetch(q + 4096L, 256);
        int p1 = plane.getL2Fetch(q + 4352L, 256);
        int p2 = plane.getL2Fetch(q + 4608L, 256);
        int p3 = plane.getL2Fetch(q + 4864L, 256);
        int p4 = plane.getL2Fetch(q + 5120L, 256);
        int p5 = plane.getL2Fetch(q + 5376L, 256);
        int p6 = plane.getL2Fetch(q + 5632L, 256);
        int p7 = plane.getL2Fetch(q + 5888L, 256);
        int p8 = plane.getL2Fetch(q + 6144L, 256);
        int p9 = plane.getL2Fetch(q + 6400L, 256);
        int p10 = plane.getL2Fetch(q + 6656L, 256);
        int p11 = plane.getL2Fetch(q + 6912L, 256);
        int p12 = plane.getL2Fetch(q + 7168L, 256);
        int p13 = plane.getL2Fetch(q + 7424L, 256);
        int p14 = plane.getL2Fetch(q + 7680L, 256);
        int p15 = plane.getL2Fetch(q + 7936L, 256);
        out.set(q + 4096L, join(stage[rows + 512 + (lane ^ 16)], p0));
        out.set(q + 4352L, join(stage[rows + 544 + (lane ^ 17)], p1));
        out.set(q + 4608L, join(stage[rows + 576 + (lane ^ 18)], p2));
        out.set(q + 4864L, join(stage[rows + 608 + (lane ^ 19)], p3));
        out.set(q + 5120L, join(stage[rows + 640 + (lane ^ 20)], p4));
        out.set(q + 5376L, join(stage[rows + 672 + (lane ^ 21)], p5));
        out.set(q + 5632L, join(stage[rows + 704 + (lane ^ 22)], p6));
        out.set(q + 5888L, join(stage[rows + 736 + (lane ^ 23)], p7));
        out.set(q + 6144L, join(stage[rows + 768 + (lane ^ 24)], p8));
        out.set(q + 6400L, join(stage[rows + 800 + (lane ^ 25)], p9));
        out.set(q + 6656L, join(stage[rows + 832 + (lane ^ 26)], p10));
        out.set(q + 6912L, join(stage[rows + 864 + (lane ^ 27)], p11));
        out.set(q + 7168L, join(stage[rows + 896 + (lane ^ 28)], p12));
        out.set(q + 7424L, join(stage[rows + 928 + (lane ^ 29)], p13));
        out.set(q + 7680L, join(stage[rows + 960 + (lane ^ 30)], p14));
        out.set(q + 7936L, join(stage[rows + 992 + (lane ^ 31)], p15));
    }

    /** Diagnostic: the write-out without the plane (wrong output), 1024-symbol chunks in range only. */
    private static void writeSixteenNoPlane(int[] stage, int row, LongArray out, long q, int room) {
        if (room > 0 * 2048) out.set(q + 0L, join(stage[row + 0 * ROW], 0));
        if (room > 1 * 2048) out.set(q + 512L, join(stage[row + 2 * ROW], 0));
        if (room > 2 * 2048) out.set(q + 1024L, join(stage[row + 4 * ROW], 0));
        if (room > 3 * 2048) out.set(q + 1536L, join(stage[row + 6 * ROW], 0));
        if (room > 4 * 2048) out.set(q + 2048L, join(stage[row + 8 * ROW], 0));
        if (room > 5 * 2048) out.set(q + 2560L, join(stage[row + 10 * ROW], 0));
        if (room > 6 * 2048) out.set(q + 3072L, join(stage[row + 12 * ROW], 0));
        if (room > 7 * 2048) out.set(q + 3584L, join(stage[row + 14 * ROW], 0));
        if (room > 8 * 2048) out.set(q + 4096L, join(stage[row + 16 * ROW], 0));
        if (room > 9 * 2048) out.set(q + 4608L, join(stage[row + 18 * ROW], 0));
        if (room > 10 * 2048) out.set(q + 5120L, join(stage[row + 20 * ROW], 0));
        if (room > 11 * 2048) out.set(q + 5632L, join(stage[row + 22 * ROW], 0));
        if (room > 12 * 2048) out.set(q + 6144L, join(stage[row + 24 * ROW], 0));
        if (room > 13 * 2048) out.set(q + 6656L, join(stage[row + 26 * ROW], 0));
        if (room > 14 * 2048) out.set(q + 7168L, join(stage[row + 28 * ROW], 0));
        if (room > 15 * 2048) out.set(q + 7680L, join(stage[row + 30 * ROW], 0));
    }

    /** Experiment: {@link #decode} with the four-exponent table ({@link DecodeTable#quad}) and swizzled 16-int stage rows; {@code sync}: warp syncs. */
    public static void decodeQuad(KernelContext ctx, IntArray payload, LongArray groupOffsets, ShortArray chunkBits, IntArray table,
                              IntArray plane, LongArray out, long elements, int chunkSymbols, int tableBits) {
        long[] codes = ctx.sharedLongArray(1 << TABLE_BITS);
        int[] stage = ctx.sharedIntArray(WARPS * 32 * QROW);
        int mask = (1 << tableBits) - 1;
        for (int i = ctx.localIdx; i <= mask; i += ctx.localSize) codes[i] = table.getPair(QUAD_AT + 2L * i);
        ctx.barrier();

        int lane = ctx.laneId;
        int rows = (ctx.localIdx >>> 5) * 32 * QROW;
        int mine = rows + lane * QROW, swizzle = lane >>> 1;
        long groups = groupOffsets.size();
        for (long first = (long) ctx.groupIdx * WARPS; first < groups; first += (long) ctx.groups * WARPS) {
            long group = first + (ctx.localIdx >>> 5);
            long chunks = chunkBits.size();
            long chunk = group * 32 + lane;
            int bits = chunk < chunks ? chunkBits.get(chunk) & 0xFFFF : 0;
            int before = bits;
            for (int d = 1; d < 32; d <<= 1) {
                int up = ctx.shuffleUp(before, d);
                if (lane >= d) before += up;
            }
            before -= bits;
            long start = chunk < chunks ? groupOffsets.get(group) + before : 0;
            int symbols = chunk < chunks ? (int) Math.min(chunkSymbols, elements - chunk * chunkSymbols) : 0;

            long lastWord = payload.size() - 1;
            long word = start >>> 5;
            long buf = (payload.get(word) & 0xFFFFFFFFL) >>> (start & 31);
            int avail = 32 - (int) (start & 31);
            long ahead = payload.get(word + 1) & 0xFFFFFFFFL;
            word += 2;
            int pending = 0;
            int held = 0;
            for (int round = 0; round < chunkSymbols; round += ROUND) {
                int words = (Math.min(ROUND, symbols - round) + 3) >> 2;
                for (int staged = 0; staged < words; ) {
                    if (avail < 32) {
                        buf |= ahead << avail;
                        avail += 32;
                        ahead = payload.get(Math.min(word, lastWord)) & 0xFFFFFFFFL;
                        word++;
                    }
                    long entry = codes[(int) buf & mask];
                    int exponents = (int) entry, meta = (int) (entry >>> 32);
                    buf >>>= meta; // the bits used, in meta's low six (the count sits at bit 8)
                    avail -= meta & 0xFF;
                    int shift = held << 3;
                    pending |= exponents << shift;
                    held += meta >>> 8;
                    if (held >= 4) {
                        stage[mine + (staged ^ swizzle)] = pending;
                        staged++;
                        pending = KernelContext.funnelShiftLeft(exponents, 0, shift); // those that did not fit, none when shift is 0
                        held -= 4;
                    }
                    if (staged < words) {
                        long entry1 = codes[(int) buf & mask];
                        int exponents1 = (int) entry1, meta1 = (int) (entry1 >>> 32);
                        buf >>>= meta1;
                        avail -= meta1 & 0xFF;
                        int shift1 = held << 3;
                        pending |= exponents1 << shift1;
                        held += meta1 >>> 8;
                        if (held >= 4) {
                            stage[mine + (staged ^ swizzle)] = pending;
                            staged++;
                            pending = KernelContext.funnelShiftLeft(exponents1, 0, shift1);
                            held -= 4;
                        }
                    }
                }
                ctx.barrier();
                int half = lane >>> 4, quarter = lane & 15;
                long at = (group * 32 + half) * chunkSymbols + round + 4 * quarter;
                int room = (int) Math.min(elements - at, 1 << 30);
                writeEightSwizzled(stage, rows + half * QROW, quarter, 0, plane, out, at >>> 2, chunkSymbols >>> 1, room, 2 * chunkSymbols);
                writeEightSwizzled(stage, rows + (16 + half) * QROW, quarter, 8, plane, out, (at >>> 2) + 4L * chunkSymbols, chunkSymbols >>> 1, room - 16 * chunkSymbols, 2 * chunkSymbols);
                ctx.barrier();
            }
        }
    }

    /** Experiment: {@link #decode} with the four-exponent table ({@link DecodeTable#quad}) and swizzled 16-int stage rows; {@code sync}: warp syncs. */
    public static void decodeQuadSync(KernelContext ctx, IntArray payload, LongArray groupOffsets, ShortArray chunkBits, IntArray table,
                              IntArray plane, LongArray out, long elements, int chunkSymbols, int tableBits) {
        long[] codes = ctx.sharedLongArray(1 << TABLE_BITS);
        int[] stage = ctx.sharedIntArray(WARPS * 32 * QROW);
        int mask = (1 << tableBits) - 1;
        for (int i = ctx.localIdx; i <= mask; i += ctx.localSize) codes[i] = table.getPair(QUAD_AT + 2L * i);
        ctx.barrier();

        int lane = ctx.laneId;
        int rows = (ctx.localIdx >>> 5) * 32 * QROW;
        int mine = rows + lane * QROW, swizzle = lane >>> 1;
        long groups = groupOffsets.size();
        for (long first = (long) ctx.groupIdx * WARPS; first < groups; first += (long) ctx.groups * WARPS) {
            long group = first + (ctx.localIdx >>> 5);
            long chunks = chunkBits.size();
            long chunk = group * 32 + lane;
            int bits = chunk < chunks ? chunkBits.get(chunk) & 0xFFFF : 0;
            int before = bits;
            for (int d = 1; d < 32; d <<= 1) {
                int up = ctx.shuffleUp(before, d);
                if (lane >= d) before += up;
            }
            before -= bits;
            long start = chunk < chunks ? groupOffsets.get(group) + before : 0;
            int symbols = chunk < chunks ? (int) Math.min(chunkSymbols, elements - chunk * chunkSymbols) : 0;

            long lastWord = payload.size() - 1;
            long word = start >>> 5;
            long buf = (payload.get(word) & 0xFFFFFFFFL) >>> (start & 31);
            int avail = 32 - (int) (start & 31);
            long ahead = payload.get(word + 1) & 0xFFFFFFFFL;
            word += 2;
            int pending = 0;
            int held = 0;
            for (int round = 0; round < chunkSymbols; round += ROUND) {
                int words = (Math.min(ROUND, symbols - round) + 3) >> 2;
                for (int staged = 0; staged < words; ) {
                    if (avail < 32) {
                        buf |= ahead << avail;
                        avail += 32;
                        ahead = payload.get(Math.min(word, lastWord)) & 0xFFFFFFFFL;
                        word++;
                    }
                    long entry = codes[(int) buf & mask];
                    int exponents = (int) entry, meta = (int) (entry >>> 32);
                    buf >>>= meta; // the bits used, in meta's low six (the count sits at bit 8)
                    avail -= meta & 0xFF;
                    int shift = held << 3;
                    pending |= exponents << shift;
                    held += meta >>> 8;
                    if (held >= 4) {
                        stage[mine + (staged ^ swizzle)] = pending;
                        staged++;
                        pending = KernelContext.funnelShiftLeft(exponents, 0, shift); // those that did not fit, none when shift is 0
                        held -= 4;
                    }
                    if (staged < words) {
                        long entry1 = codes[(int) buf & mask];
                        int exponents1 = (int) entry1, meta1 = (int) (entry1 >>> 32);
                        buf >>>= meta1;
                        avail -= meta1 & 0xFF;
                        int shift1 = held << 3;
                        pending |= exponents1 << shift1;
                        held += meta1 >>> 8;
                        if (held >= 4) {
                            stage[mine + (staged ^ swizzle)] = pending;
                            staged++;
                            pending = KernelContext.funnelShiftLeft(exponents1, 0, shift1);
                            held -= 4;
                        }
                    }
                }
                ctx.syncWarp();
                int half = lane >>> 4, quarter = lane & 15;
                long at = (group * 32 + half) * chunkSymbols + round + 4 * quarter;
                int room = (int) Math.min(elements - at, 1 << 30);
                writeEightSwizzled(stage, rows + half * QROW, quarter, 0, plane, out, at >>> 2, chunkSymbols >>> 1, room, 2 * chunkSymbols);
                writeEightSwizzled(stage, rows + (16 + half) * QROW, quarter, 8, plane, out, (at >>> 2) + 4L * chunkSymbols, chunkSymbols >>> 1, room - 16 * chunkSymbols, 2 * chunkSymbols);
                ctx.syncWarp();
            }
        }
    }

    public static void decodeQuadSync16(KernelContext ctx, IntArray payload, LongArray groupOffsets, ShortArray chunkBits, IntArray table,
                              IntArray plane, LongArray out, long elements, int chunkSymbols, int tableBits) {
        long[] codes = ctx.sharedLongArray(1 << TABLE_BITS);
        int[] stage = ctx.sharedIntArray(WARPS * 32 * QROW);
        int mask = (1 << tableBits) - 1;
        for (int i = ctx.localIdx; i <= mask; i += ctx.localSize) codes[i] = table.getPair(QUAD_AT + 2L * i);
        ctx.barrier();

        int lane = ctx.laneId;
        int rows = (ctx.localIdx >>> 5) * 32 * QROW;
        int mine = rows + lane * QROW, swizzle = lane >>> 1;
        long groups = groupOffsets.size();
        for (long first = (long) ctx.groupIdx * WARPS; first < groups; first += (long) ctx.groups * WARPS) {
            long group = first + (ctx.localIdx >>> 5);
            long chunks = chunkBits.size();
            long chunk = group * 32 + lane;
            int bits = chunk < chunks ? chunkBits.get(chunk) & 0xFFFF : 0;
            int before = bits;
            for (int d = 1; d < 32; d <<= 1) {
                int up = ctx.shuffleUp(before, d);
                if (lane >= d) before += up;
            }
            before -= bits;
            long start = chunk < chunks ? groupOffsets.get(group) + before : 0;
            int symbols = chunk < chunks ? (int) Math.min(chunkSymbols, elements - chunk * chunkSymbols) : 0;

            long lastWord = payload.size() - 1;
            long word = start >>> 5;
            long buf = (payload.get(word) & 0xFFFFFFFFL) >>> (start & 31);
            int avail = 32 - (int) (start & 31);
            long ahead = payload.get(word + 1) & 0xFFFFFFFFL;
            word += 2;
            int pending = 0;
            int held = 0;
            for (int round = 0; round < chunkSymbols; round += ROUND) {
                int words = (Math.min(ROUND, symbols - round) + 3) >> 2;
                for (int staged = 0; staged < words; ) {
                    if (avail < 32) {
                        buf |= ahead << avail;
                        avail += 32;
                        ahead = payload.get(Math.min(word, lastWord)) & 0xFFFFFFFFL;
                        word++;
                    }
                    long entry = codes[(int) buf & mask];
                    int exponents = (int) entry, meta = (int) (entry >>> 32);
                    buf >>>= meta; // the bits used, in meta's low six (the count sits at bit 8)
                    avail -= meta & 0xFF;
                    int shift = held << 3;
                    pending |= exponents << shift;
                    held += meta >>> 8;
                    if (held >= 4) {
                        stage[mine + (staged ^ swizzle)] = pending;
                        staged++;
                        pending = KernelContext.funnelShiftLeft(exponents, 0, shift); // those that did not fit, none when shift is 0
                        held -= 4;
                    }
                    if (staged < words) {
                        long entry1 = codes[(int) buf & mask];
                        int exponents1 = (int) entry1, meta1 = (int) (entry1 >>> 32);
                        buf >>>= meta1;
                        avail -= meta1 & 0xFF;
                        int shift1 = held << 3;
                        pending |= exponents1 << shift1;
                        held += meta1 >>> 8;
                        if (held >= 4) {
                            stage[mine + (staged ^ swizzle)] = pending;
                            staged++;
                            pending = KernelContext.funnelShiftLeft(exponents1, 0, shift1);
                            held -= 4;
                        }
                    }
                }
                ctx.syncWarp();
                int half = lane >>> 4, quarter = lane & 15;
                long at = (group * 32 + half) * chunkSymbols + round + 4 * quarter;
                int room = (int) Math.min(elements - at, 1 << 30);
                writeSixteenSwizzled(stage, rows + half * QROW, quarter, plane, out, at >>> 2, chunkSymbols >>> 1, room, 2 * chunkSymbols);
                ctx.syncWarp();
            }
        }
    }

    /** Both of a round's {@link #writeEightSwizzled} at once: all sixteen plane loads before the stores. */
    private static void writeSixteenSwizzled(int[] stage, int pair, int quarter, IntArray plane, LongArray out, long q, int qs, int room, int step) {
        int p0 = room > 0 * step ? plane.get(q + 0L * qs) : 0;
        int p1 = room > 1 * step ? plane.get(q + 1L * qs) : 0;
        int p2 = room > 2 * step ? plane.get(q + 2L * qs) : 0;
        int p3 = room > 3 * step ? plane.get(q + 3L * qs) : 0;
        int p4 = room > 4 * step ? plane.get(q + 4L * qs) : 0;
        int p5 = room > 5 * step ? plane.get(q + 5L * qs) : 0;
        int p6 = room > 6 * step ? plane.get(q + 6L * qs) : 0;
        int p7 = room > 7 * step ? plane.get(q + 7L * qs) : 0;
        int p8 = room > 8 * step ? plane.get(q + 8L * qs) : 0;
        int p9 = room > 9 * step ? plane.get(q + 9L * qs) : 0;
        int p10 = room > 10 * step ? plane.get(q + 10L * qs) : 0;
        int p11 = room > 11 * step ? plane.get(q + 11L * qs) : 0;
        int p12 = room > 12 * step ? plane.get(q + 12L * qs) : 0;
        int p13 = room > 13 * step ? plane.get(q + 13L * qs) : 0;
        int p14 = room > 14 * step ? plane.get(q + 14L * qs) : 0;
        int p15 = room > 15 * step ? plane.get(q + 15L * qs) : 0;
        if (room > 0 * step) out.set(q + 0L * qs, join(stage[pair + 0 * QROW + (quarter ^ 0)], p0));
        if (room > 1 * step) out.set(q + 1L * qs, join(stage[pair + 2 * QROW + (quarter ^ 1)], p1));
        if (room > 2 * step) out.set(q + 2L * qs, join(stage[pair + 4 * QROW + (quarter ^ 2)], p2));
        if (room > 3 * step) out.set(q + 3L * qs, join(stage[pair + 6 * QROW + (quarter ^ 3)], p3));
        if (room > 4 * step) out.set(q + 4L * qs, join(stage[pair + 8 * QROW + (quarter ^ 4)], p4));
        if (room > 5 * step) out.set(q + 5L * qs, join(stage[pair + 10 * QROW + (quarter ^ 5)], p5));
        if (room > 6 * step) out.set(q + 6L * qs, join(stage[pair + 12 * QROW + (quarter ^ 6)], p6));
        if (room > 7 * step) out.set(q + 7L * qs, join(stage[pair + 14 * QROW + (quarter ^ 7)], p7));
        if (room > 8 * step) out.set(q + 8L * qs, join(stage[pair + 16 * QROW + (quarter ^ 8)], p8));
        if (room > 9 * step) out.set(q + 9L * qs, join(stage[pair + 18 * QROW + (quarter ^ 9)], p9));
        if (room > 10 * step) out.set(q + 10L * qs, join(stage[pair + 20 * QROW + (quarter ^ 10)], p10));
        if (room > 11 * step) out.set(q + 11L * qs, join(stage[pair + 22 * QROW + (quarter ^ 11)], p11));
        if (room > 12 * step) out.set(q + 12L * qs, join(stage[pair + 24 * QROW + (quarter ^ 12)], p12));
        if (room > 13 * step) out.set(q + 13L * qs, join(stage[pair + 26 * QROW + (quarter ^ 13)], p13));
        if (room > 14 * step) out.set(q + 14L * qs, join(stage[pair + 28 * QROW + (quarter ^ 14)], p14));
        if (room > 15 * step) out.set(q + 15L * qs, join(stage[pair + 30 * QROW + (quarter ^ 15)], p15));
    }

    /** As {@link #writeEight}, reading rows of {@link #QROW} ints whose word w of row r was stored at w ^ (r / 2): row pair i at {@code pair + 32 i}, key {@code k + i}. */
    private static void writeEightSwizzled(int[] stage, int pair, int quarter, int k, IntArray plane, LongArray out, long q, int qs, int room, int step) {
        int p0 = room > 0 ? plane.get(q) : 0;
        int p1 = room > step ? plane.get(q + qs) : 0;
        int p2 = room > 2 * step ? plane.get(q + 2 * qs) : 0;
        int p3 = room > 3 * step ? plane.get(q + 3 * qs) : 0;
        int p4 = room > 4 * step ? plane.get(q + 4 * qs) : 0;
        int p5 = room > 5 * step ? plane.get(q + 5 * qs) : 0;
        int p6 = room > 6 * step ? plane.get(q + 6 * qs) : 0;
        int p7 = room > 7 * step ? plane.get(q + 7 * qs) : 0;
        if (room > 0) out.set(q, join(stage[pair + (quarter ^ k)], p0));
        if (room > step) out.set(q + qs, join(stage[pair + 2 * QROW + (quarter ^ (k + 1))], p1));
        if (room > 2 * step) out.set(q + 2 * qs, join(stage[pair + 4 * QROW + (quarter ^ (k + 2))], p2));
        if (room > 3 * step) out.set(q + 3 * qs, join(stage[pair + 6 * QROW + (quarter ^ (k + 3))], p3));
        if (room > 4 * step) out.set(q + 4 * qs, join(stage[pair + 8 * QROW + (quarter ^ (k + 4))], p4));
        if (room > 5 * step) out.set(q + 5 * qs, join(stage[pair + 10 * QROW + (quarter ^ (k + 5))], p5));
        if (room > 6 * step) out.set(q + 6 * qs, join(stage[pair + 12 * QROW + (quarter ^ (k + 6))], p6));
        if (room > 7 * step) out.set(q + 7 * qs, join(stage[pair + 14 * QROW + (quarter ^ (k + 7))], p7));
    }

    /**
     * Writes four values in each of eight chunks {@code step} symbols apart, from word {@code q} on
     * ({@code qs} = step / 4 words apart), those of them below {@code room} values. The plane loads come
     * first: the compiler may not move a load above a store to another global array (they might
     * overlap), so loads interleaved with the stores would each wait a full memory latency.
     */
    private static void writeEight(int[] stage, int row, IntArray plane, LongArray out, long q, int qs, int room, int step) {
        int p0 = room > 0 ? plane.get(q) : 0;
        int p1 = room > step ? plane.get(q + qs) : 0;
        int p2 = room > 2 * step ? plane.get(q + 2 * qs) : 0;
        int p3 = room > 3 * step ? plane.get(q + 3 * qs) : 0;
        int p4 = room > 4 * step ? plane.get(q + 4 * qs) : 0;
        int p5 = room > 5 * step ? plane.get(q + 5 * qs) : 0;
        int p6 = room > 6 * step ? plane.get(q + 6 * qs) : 0;
        int p7 = room > 7 * step ? plane.get(q + 7 * qs) : 0;
        if (room > 0) out.set(q, join(stage[row], p0));
        if (room > step) out.set(q + qs, join(stage[row + 2 * ROW], p1));
        if (room > 2 * step) out.set(q + 2 * qs, join(stage[row + 4 * ROW], p2));
        if (room > 3 * step) out.set(q + 3 * qs, join(stage[row + 6 * ROW], p3));
        if (room > 4 * step) out.set(q + 4 * qs, join(stage[row + 8 * ROW], p4));
        if (room > 5 * step) out.set(q + 5 * qs, join(stage[row + 10 * ROW], p5));
        if (room > 6 * step) out.set(q + 6 * qs, join(stage[row + 12 * ROW], p6));
        if (room > 7 * step) out.set(q + 7 * qs, join(stage[row + 14 * ROW], p7));
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
