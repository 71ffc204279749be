package dev.weightless.tasks.codec;

import dev.weightless.jit.kernel.ByteArray;
import dev.weightless.jit.kernel.IntArray;
import dev.weightless.jit.kernel.KernelContext;
import dev.weightless.jit.kernel.LongArray;
import dev.weightless.jit.kernel.ShortArray;

/**
 * The GPU decoder of the codec's interleaved rANS coders ({@code rans}, {@code rans-ctx}), as plain-Java
 * kernels. One warp per chunk, one lane per state: in each row of the chunk every lane decodes its
 * symbol (two shared-memory lookups: slot → symbol, symbol → frequency and start), and the lanes that must
 * refill load their word at the row's stream position plus the number of refilling lanes below them
 * (ballot + popcount), the order the encoder wrote them in. (A variant that kept the next 96 words in
 * registers and handed them out by shuffle measured no faster: NOTES.md.) Symbol j of a chunk is lane j mod lanes, so each
 * row's 32 values are side by side in the output: the warp's stores are coalesced without staging.
 * The raw fields (sign and low mantissa bits) are read per symbol from the raw part; those of the chunk's
 * last rows ride in the final states ("bits back"), joined at the end of the chunk.
 */
public final class RansDecodeKernels {
    /** Warps per block: the launch's local size is {@link #LOCAL_SIZE}. */
    public static final int WARPS = 4;
    public static final int LOCAL_SIZE = WARPS * KernelContext.WARP_SIZE;
    /** Largest frequency scale the shared slot table holds (2^14 shorts, 32 KiB; the coders' default scale). */
    public static final int MAX_SCALE_BITS = 14;
    /** Largest alphabet: 256 exponents times 2^3 mantissa contexts (8 KiB of shared ints). */
    public static final int MAX_ALPHABET = 256 << 3;
    /** Rows of raw fields each lane holds loaded ahead of their use (f0..f3 in the kernels). */
    static final int AHEAD = 4;
    /** States are renormalised to [2^16, 2^32). */
    static final int STATE_LOW = 1 << 16;
    /** Status bits per chunk: the stream words used differ from the index's count; a final state is not a valid initial state. */
    static final int WRONG_WORD_COUNT = 1, BAD_FINAL_STATE = 2;

    private RansDecodeKernels() {}

    /**
     * Decodes every chunk. {@code stream} is the stream part as u16 words, {@code chunkStarts} each chunk's
     * first word (chunks + 1 entries), {@code slots} the symbol of each of the 2^scaleBits slots,
     * {@code symbols} each symbol's frequency (bits 0..14) and cumulative start (bits 15..28), {@code raw}
     * the raw part, {@code out} the BF16 values and {@code status} one word per chunk (0 when its words
     * and final states are consistent). The grid: one warp per chunk, or fewer warps each looping over
     * chunks. The tables and sizes must have been validated on the host (RansCoder.open); the words are
     * not trusted: reads are clamped to the stream and inconsistencies land in {@code status}.
     */
    public static void decode(KernelContext ctx, ShortArray stream, LongArray chunkStarts, ShortArray slots, IntArray symbols,
                              ByteArray raw, ShortArray out, IntArray status, long elements, int chunkSymbols, int lanes,
                              int mantissaBits, int scaleBits) {
        short[] slotSymbol = ctx.sharedShortArray(1 << MAX_SCALE_BITS);
        int[] symbolInfo = ctx.sharedIntArray(MAX_ALPHABET);
        int slotCount = 1 << scaleBits;
        for (int i = ctx.localIdx; i < slotCount; i += ctx.localSize) slotSymbol[i] = slots.get(i);
        for (int i = ctx.localIdx; i < 256 << mantissaBits; i += ctx.localSize) symbolInfo[i] = symbols.get(i);
        ctx.barrier();

        int lane = ctx.laneId;
        int k = mantissaBits, w = 8 - k;
        int slotMask = slotCount - 1, lowMask = (1 << (w - 1)) - 1;
        int backOfWhole = backRows(lanes, chunkSymbols, w);
        long chunks = chunkStarts.size() - 1;
        long lastWord = stream.size() - 1, lastRaw = raw.size() - 1;
        int warps = ctx.localSize >>> 5;
        boolean active = lane < lanes;
        for (long c = (long) ctx.groupIdx * warps + (ctx.localIdx >>> 5); c < chunks; c += (long) ctx.groups * warps) {
            long first = c * chunkSymbols;
            int m = (int) Math.min(chunkSymbols, elements - first);
            int back = backRows(lanes, m, w);
            int kept = m - back * lanes;
            long fieldBase = c * (chunkSymbols - (long) backOfWhole * lanes);
            long p = chunkStarts.get(c);
            long end = chunkStarts.get(c + 1);
            int x = 0;
            if (active) x = (stream.get(Math.min(p + 2 * lane, lastWord)) & 0xFFFF) | (stream.get(Math.min(p + 2 * lane + 1, lastWord)) & 0xFFFF) << 16;
            p += 2L * lanes;
            // This lane's raw fields of the next AHEAD rows, and the bit of the field after them.
            long bitStep = (long) lanes * w;
            long aheadBit = (fieldBase + lane) * w;
            int f0 = active && lane < kept ? rawField(raw, aheadBit, lastRaw, w) : 0;
            aheadBit += bitStep;
            int f1 = active && lane + lanes < kept ? rawField(raw, aheadBit, lastRaw, w) : 0;
            aheadBit += bitStep;
            int f2 = active && lane + 2 * lanes < kept ? rawField(raw, aheadBit, lastRaw, w) : 0;
            aheadBit += bitStep;
            int f3 = active && lane + 3 * lanes < kept ? rawField(raw, aheadBit, lastRaw, w) : 0;
            aheadBit += bitStep;
            for (int row = 0; row < m; row += lanes) {
                int j = row + lane;
                boolean mine = active && j < m;
                // Raw fields are loaded AHEAD rows early (f0..f3), off the state chain.
                int field = f0;
                f0 = f1;
                f1 = f2;
                f2 = f3;
                f3 = active && j + AHEAD * lanes < kept ? rawField(raw, aheadBit, lastRaw, w) : 0;
                aheadBit += bitStep;
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
                if (need) x = x << 16 | stream.get(Math.min(p + Integer.bitCount(refills & ((1 << lane) - 1)), lastWord)) & 0xFFFF;
                p += Integer.bitCount(refills);
                if (mine) out.set(first + j, (short) v);
            }
            finishChunk(ctx, raw, out, status, c, first, x, p, end, kept, back, lanes, w, active);
        }
    }

    /**
     * The end of a chunk: the fields carried in the final states joined to the last rows' values, and the
     * chunk's status. Symbol kept + r·lanes + i has its field in lane i's state at bits r·w; it was decoded
     * by lane (kept + i) mod lanes, so each lane fetches the state of lane (lane − kept) mod lanes by shuffle
     * and rewrites values it wrote itself (no other lane's store to wait for).
     */
    private static void finishChunk(KernelContext ctx, ByteArray raw, ShortArray out, IntArray status, long c, long first, int x,
                                    long p, long end, int kept, int back, int lanes, int w, boolean active) {
        int lane = ctx.laneId;
        int fieldMask = (1 << w) - 1, lowMask = (1 << (w - 1)) - 1;
        boolean valid = back == 0 ? x == STATE_LOW : x >>> 31 == 1 && (x & 0x7FFF_FFFF) >>> (back * w) == 0;
        int invalid = ctx.ballot(active && !valid);
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

    /** The w-bit field at bit {@code bit} of the raw part (LSB first): one or two bytes. */
    private static int rawField(ByteArray raw, long bit, long lastRaw, int w) {
        long at = bit >>> 3;
        int shift = (int) (bit & 7);
        int bits = raw.get(at) & 0xFF;
        if (shift + w > 8) bits |= (raw.get(Math.min(at + 1, lastRaw)) & 0xFF) << 8;
        return bits >>> shift & ((1 << w) - 1);
    }

    /** RansCoder's rows of fields carried in the final states of a chunk of m symbols. */
    static int backRows(int lanes, int m, int w) {
        int rows = 31 / w;
        return lanes == 32 && m >= rows * lanes ? rows : 0;
    }
}
