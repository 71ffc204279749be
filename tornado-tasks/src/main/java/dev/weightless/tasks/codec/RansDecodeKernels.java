package dev.weightless.tasks.codec;

import dev.weightless.jit.kernel.IntArray;
import dev.weightless.jit.kernel.KernelContext;
import dev.weightless.jit.kernel.LongArray;
import dev.weightless.jit.kernel.ShortArray;

/**
 * The GPU decoder of the codec's interleaved rANS coders ({@code rans}, {@code rans-ctx}), as a plain-Java
 * kernel. One warp per chunk, one lane per state: in each row of the chunk every lane decodes its symbol
 * (two shared-memory lookups: slot → symbol, symbol → frequency and start), and the lanes that must refill
 * load their word at the row's stream position plus the number of refilling lanes below them (ballot +
 * popcount), the order the encoder wrote them in. Symbol j of a chunk is lane j mod lanes, so each row's
 * 32 values are side by side in the output: the warp's stores are coalesced without staging. The raw
 * fields (sign and low mantissa bits) come through shared memory: the warp loads the raw ints of the next
 * 32 rows (coalesced) a block of rows ahead, so no global load waits in the row loop but the refill's
 * (loading each field in its row cost a fifth of the time: NOTES.md); those of the chunk's last rows ride
 * in the final states ("bits back"), joined at the end of the chunk.
 */
public final class RansDecodeKernels {
    /** Warps per block: the launch's local size is {@link #LOCAL_SIZE} (the staging buffers are sized for them). */
    public static final int WARPS = 4;
    public static final int LOCAL_SIZE = WARPS * KernelContext.WARP_SIZE;
    /** Largest frequency scale the shared slot table holds (2^14 shorts, 32 KiB; the coders' default scale). */
    public static final int MAX_SCALE_BITS = 14;
    /** Most mantissa bits in a symbol (rans 0, rans-ctx 2): 256 · 2^2 symbols' frequencies fill 4 KiB of shared ints. */
    public static final int MAX_MANTISSA_BITS = 2;
    /** Rows of raw fields staged at a time, and the ints each warp's buffer holds (32 rows of up to 32 lanes of 8 bits). */
    static final int STAGE_ROWS = 32, STAGE_INTS = 256;
    /** States are renormalised to [2^16, 2^32). */
    static final int STATE_LOW = 1 << 16;
    /** Status bits per chunk: the stream words used differ from the index's count; a final state is not a valid initial state. */
    static final int WRONG_WORD_COUNT = 1, BAD_FINAL_STATE = 2;

    private RansDecodeKernels() {}

    /**
     * Decodes every chunk. {@code stream} is the stream part as u16 words, {@code chunkStarts} each chunk's
     * first word (chunks + 1 entries), {@code slots} the symbol of each of the 2^scaleBits slots,
     * {@code symbols} each symbol's frequency (bits 0..14) and cumulative start (bits 15..28), {@code raw}
     * the raw part as ints (zero-padded to whole ints), {@code out} the BF16 values and {@code status} one
     * word per chunk (0 when its words and final states are consistent). The grid: blocks of {@link #WARPS}
     * warps, warp i of a block taking chunk i of the block's group of chunks, the blocks looping over the
     * groups when there are fewer of them. The warps of a block share a barrier per 32 rows, so each loops
     * over the longest chunk's row blocks (idle where its chunk has fewer). The tables and sizes must have
     * been validated on the host (RansCoder.open; at most {@link #MAX_SCALE_BITS} and
     * {@link #MAX_MANTISSA_BITS}); the words are not trusted: reads are clamped to the stream and
     * inconsistencies land in {@code status}.
     */
    public static void decode(KernelContext ctx, ShortArray stream, LongArray chunkStarts, ShortArray slots, IntArray symbols,
                              IntArray raw, ShortArray out, IntArray status, long elements, int chunkSymbols, int lanes,
                              int mantissaBits, int scaleBits) {
        short[] slotSymbol = ctx.sharedShortArray(1 << MAX_SCALE_BITS);
        int[] symbolInfo = ctx.sharedIntArray(256 << MAX_MANTISSA_BITS); // with the stage, 44 of the 48 KiB
        int[] stage = ctx.sharedIntArray(2 * WARPS * STAGE_INTS);
        chunks(ctx, stream, chunkStarts, slots, symbols, raw, out, status, elements, chunkSymbols, lanes, mantissaBits, scaleBits,
                slotSymbol, symbolInfo, stage);
    }

    /**
     * The kernel's body. The refill word is loaded in the row that needs it, but at the start of each block of
     * 32 rows each lane loads the stream word at p + 16·lane and p + 512 + 16·lane, one word per 32-byte sector
     * of the next 1,024 words (a block of rows uses about 170 of them for rans, 300 for rans-ctx), so that the
     * refill loads of the next rows find their sectors in L1 or L2 (NOTES.md: 11–17% faster on the H200 than
     * loading in the row alone, and faster than a shared-memory ring of the stream). The loaded words are folded
     * into a value the chunk's status ballot reads (where it cannot change the status), so that ptxas keeps them.
     */
    private static void chunks(KernelContext ctx, ShortArray stream, LongArray chunkStarts, ShortArray slots, IntArray symbols,
                               IntArray raw, ShortArray out, IntArray status, long elements, int chunkSymbols, int lanes,
                               int mantissaBits, int scaleBits, short[] slotSymbol, int[] symbolInfo, int[] stage) {
        int slotCount = 1 << scaleBits;
        for (int i = ctx.localIdx; i < slotCount; i += ctx.localSize) slotSymbol[i] = slots.get(i);
        for (int i = ctx.localIdx; i < 256 << mantissaBits; i += ctx.localSize) symbolInfo[i] = symbols.get(i);
        ctx.barrier();

        int lane = ctx.laneId, warp = ctx.localIdx >>> 5;
        int k = mantissaBits, w = 8 - k;
        int slotMask = slotCount - 1, fieldMask = (1 << w) - 1, lowMask = (1 << (w - 1)) - 1;
        int backOfWhole = backRows(lanes, chunkSymbols, w);
        long chunks = chunkStarts.size() - 1;
        long lastWord = stream.size() - 1, lastInt = raw.size() - 1;
        int rowsMax = (int) ((Math.min(chunkSymbols, elements) + lanes - 1) / lanes); // the longest chunk's rows
        int blockInts = lanes * w; // ints per block of 32 rows
        boolean active = lane < lanes;
        // Block-uniform loop (the barrier): warp i of the block takes chunk first + i.
        for (long firstChunk = (long) ctx.groupIdx * WARPS; firstChunk < chunks; firstChunk += (long) ctx.groups * WARPS) {
            long c = firstChunk + warp;
            boolean has = c < chunks;
            long first = c * chunkSymbols;
            int m = has ? (int) Math.min(chunkSymbols, elements - first) : 0;
            int back = backRows(lanes, m, w);
            int kept = m - back * lanes;
            // Whole chunks hold a multiple of 32 fields' worth of ints: each chunk's raw fields start on an int.
            long intBase = c * (chunkSymbols - (long) backOfWhole * lanes) * w / 32;
            long p = has ? chunkStarts.get(c) : 0;
            long end = has ? chunkStarts.get(c + 1) : 0;
            int x = 0;
            if (has && active) x = (stream.get(Math.min(p + 2 * lane, lastWord)) & 0xFFFF) | (stream.get(Math.min(p + 2 * lane + 1, lastWord)) & 0xFFFF) << 16;
            p += 2L * lanes;
            // The words touched a block ahead, and what they are folded into.
            int touched0 = 0, touched1 = 0, sink = 0;
            // The first block's ints: int i·32 + lane of the block in register r_i.
            long at = intBase + lane;
            int r0 = has ? raw.get(Math.min(at, lastInt)) : 0, r1 = has ? raw.get(Math.min(at + 32, lastInt)) : 0;
            int r2 = has ? raw.get(Math.min(at + 64, lastInt)) : 0, r3 = has ? raw.get(Math.min(at + 96, lastInt)) : 0;
            int r4 = has ? raw.get(Math.min(at + 128, lastInt)) : 0, r5 = has ? raw.get(Math.min(at + 160, lastInt)) : 0;
            int r6 = has ? raw.get(Math.min(at + 192, lastInt)) : 0, r7 = has ? raw.get(Math.min(at + 224, lastInt)) : 0;
            for (int rowBlock = 0; rowBlock < rowsMax; rowBlock += STAGE_ROWS) {
                int buffer = ((rowBlock / STAGE_ROWS) & 1) * WARPS * STAGE_INTS + warp * STAGE_INTS;
                stage[buffer + lane] = r0;
                stage[buffer + 32 + lane] = r1;
                stage[buffer + 64 + lane] = r2;
                stage[buffer + 96 + lane] = r3;
                stage[buffer + 128 + lane] = r4;
                stage[buffer + 160 + lane] = r5;
                stage[buffer + 192 + lane] = r6;
                stage[buffer + 224 + lane] = r7;
                // The next block's ints, stored 32 rows from now: no register move waits on these loads.
                at += blockInts;
                boolean next = has && rowBlock + STAGE_ROWS < rowsMax;
                if (next) {
                    r0 = raw.get(Math.min(at, lastInt));
                    r1 = raw.get(Math.min(at + 32, lastInt));
                    r2 = raw.get(Math.min(at + 64, lastInt));
                    r3 = raw.get(Math.min(at + 96, lastInt));
                    r4 = raw.get(Math.min(at + 128, lastInt));
                    r5 = raw.get(Math.min(at + 160, lastInt));
                    r6 = raw.get(Math.min(at + 192, lastInt));
                    r7 = raw.get(Math.min(at + 224, lastInt));
                }
                if (has) {
                    sink ^= touched0 ^ touched1; // last block's loads, long arrived
                    touched0 = stream.get(Math.min(p + 16 * lane, lastWord));
                    touched1 = stream.get(Math.min(p + 512 + 16 * lane, lastWord));
                }
                ctx.barrier(); // every warp's stores of this block before any reads; reads of the block before last are done
                for (int i = 0; i < STAGE_ROWS && (rowBlock + i) * lanes < m; i++) {
                    int row = (rowBlock + i) * lanes;
                    int j = row + lane;
                    boolean mine = active && j < m;
                    int field = 0;
                    if (mine && j < kept) {
                        int bit = (i * lanes + lane) * w;
                        int idx = buffer + (bit >>> 5), shift = bit & 31;
                        int bits = stage[idx] >>> shift;
                        if (shift + w > 32) bits |= stage[idx + 1] << (32 - shift);
                        field = bits & fieldMask;
                    }
                    int v = 0;
                    if (mine) {
                        int slot = x & slotMask;
                        int s = slotSymbol[slot] & 0xFFFF;
                        int info = symbolInfo[s];
                        x = (info & 0x7FFF) * (x >>> scaleBits) + slot - (info >>> 15);
                        v = (s >>> k) << 7 | (s & ((1 << k) - 1)) << (7 - k) | (field >>> (w - 1)) << 15 | field & lowMask;
                    }
                    boolean need = mine && (x >>> 16) == 0;
                    int refills = ctx.ballot(need);
                    if (need) {
                        long q = p + Integer.bitCount(refills & ((1 << lane) - 1));
                        int word = stream.get(Math.min(q, lastWord));
                        x = x << 16 | word & 0xFFFF;
                    }
                    p += Integer.bitCount(refills);
                    if (mine) out.set(first + j, (short) v);
                }
            }
            if (has) finishChunk(ctx, out, status, c, first, x, p, end, kept, back, lanes, w, active, sink ^ touched0 ^ touched1);
        }
    }

    /**
     * The end of a chunk: the fields carried in the final states joined to the last rows' values, and the
     * chunk's status. Symbol kept + r·lanes + i has its field in lane i's state at bits r·w; it was decoded
     * by lane (kept + i) mod lanes, so each lane fetches the state of lane (lane − kept) mod lanes by shuffle
     * and rewrites values it wrote itself (no other lane's store to wait for).
     */
    private static void finishChunk(KernelContext ctx, ShortArray out, IntArray status, long c, long first, int x,
                                    long p, long end, int kept, int back, int lanes, int w, boolean active, int sink) {
        int lane = ctx.laneId;
        int fieldMask = (1 << w) - 1, lowMask = (1 << (w - 1)) - 1;
        boolean valid = back == 0 ? x == STATE_LOW : x >>> 31 == 1 && (x & 0x7FFF_FFFF) >>> (back * w) == 0;
        // x == 0 is never valid, so the prefetch's sink changes nothing here; it only keeps its loads alive.
        int invalid = ctx.ballot(active && (!valid || x == 0 && sink == 0x5EED_F00D));
        // back > 0 only with 32 lanes, so the source lane is within the warp.
        int carrier = ctx.shuffle(x, (lane - kept) & 31);
        if (back > 0) {
            for (int r = 0; r < back; r++) {
                long at = first + kept + (long) r * lanes + ((lane - kept) & 31);
                int f = carrier >>> (r * w) & fieldMask;
                out.set(at, (short) (out.get(at) | (f >>> (w - 1)) << 15 | f & lowMask));
            }
        }
        if (lane == 0) status.set(c, (p == end ? 0 : WRONG_WORD_COUNT) | (invalid == 0 ? 0 : BAD_FINAL_STATE));
    }

    /** RansCoder's rows of fields carried in the final states of a chunk of m symbols. */
    static int backRows(int lanes, int m, int w) {
        int rows = 31 / w;
        return lanes == 32 && m >= rows * lanes ? rows : 0;
    }
}
