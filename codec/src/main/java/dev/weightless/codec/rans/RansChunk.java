package dev.weightless.codec.rans;

import dev.weightless.codec.MalformedInputException;
import dev.weightless.codec.Segments;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * One worker's buffers for decoding a chunk of a {@link RansCoder} tensor, block of rows by block of rows:
 * the chunk's words (one per int, with a zero guard), its raw fields, the lanes' states, the word position and
 * the running CRC32C. The state machine runs over a block (scalar rows here, or {@link RansVectorRows},
 * {@link RansWideRows}) and writes the symbols' BF16 bits where the block's values go ({@link #dst} at {@link #at}):
 * straight into the output where it is off-heap (no second pass over the values), else into a small off-heap buffer.
 * Then {@link #finishBlock} ORs in the raw fields, checks and sums the block, and copies it out if it was buffered.
 * Everything it reads has been validated by the caller (the index against the stream); what remains to check is
 * the stream itself. Every write stays inside the block's own values, so a damaged stream never touches bytes
 * outside its chunk's part of the output.
 */
final class RansChunk {
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG_IN_BYTES = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    /**
     * The tensor being decoded: its parts, its layout and its tables, shared by the workers. {@code target} is the output
     * as a plain native view ({@link Segments#plain}: one segment class in the hot loops) where the values are written
     * straight into it, or null where they go through a buffer (an output on the heap, or {@link DecodePath#direct} off).
     */
    record Tensor(MemorySegment stream, MemorySegment raw, MemorySegment out, MemorySegment target, long[] start, int mostWords, long n, int chunk,
                  int lanes, int w, int backRowsWhole, long rawBytes, int[] offsetPairs, int[] startEntries, int scale) {
        int symbols(long c) { return (int) Math.min(chunk, n - c * chunk); }
    }

    private final Tensor t;
    /** Rows of 32 lanes per block ({@link DecodePath#blockRows}). */
    private final int blockRows;
    private final short[] wordBits;
    final int[] words;
    private final byte[] rawIn;
    /** Where the values go when they are not written into the output: one block's worth, off-heap (null when they are). */
    private final MemorySegment buffer;
    /**
     * Where the current block's values are: value j of the chunk at byte {@code at + 2 (j − the block's first j)} of
     * {@code dst} (little-endian BF16: the symbols' bits, then with the raw fields ORed in). Set by {@link #openBlock}.
     */
    MemorySegment dst;
    long at;
    /** The chunk's values (in the output, or the buffer) as a buffer for the CRC32C, set once per chunk: no allocation per block. */
    private ByteBuffer sums;
    /** The byte of {@link #dst} where {@link #sums} starts. */
    private long sumsAt;
    /** The vector rows' gather indices: a row's 32 slots, then their 32 range starts. */
    final int[] index = new int[64];
    final int[] state;
    private final CRC32C crc = new CRC32C();
    long c;
    int m, rows, count, p;
    private int back, kept;

    /**
     * On the worker's thread: {@code arena}, confined to it, holds the values' buffer where the output is not the target;
     * the words and raw fields are this thread's {@link DecodeBuffers} for its chunk {@code which} (0, or 1 for a pair's second).
     */
    RansChunk(Tensor t, Arena arena, int blockRows, int which) {
        this.t = t;
        this.blockRows = blockRows;
        int most = (int) Math.min(t.n(), t.chunk());
        // Guard after the words: a corrupt row reads up to one word per lane, and a vector load 8 more, past the count.
        // Sized by the largest chunk's words and by one block, not by a whole chunk.
        int block = Math.min(most, 2 * blockRows * t.lanes() + t.lanes());
        // Reused arrays, left over from earlier tensors: begin() writes the words it reads, their zero guard included, and
        // the raw fields; joinRaw's 8-byte reads past a chunk's fields keep only the fields' bits.
        DecodeBuffers reused = DecodeBuffers.ofThisThread();
        wordBits = reused.shorts(which, t.mostWords());
        words = reused.ints(DecodeBuffers.WORDS + which, t.mostWords() + t.lanes() + 8);
        rawIn = reused.bytes(which, most * t.w() / 8 + 16);
        buffer = t.target() != null ? null : Segments.plain(arena.allocate(2L * block));
        state = new int[t.lanes()];
    }

    /** Starts chunk c: its words, raw fields and the lanes' states (the encoder's final states). */
    void begin(long c, int backRows) {
        this.c = c;
        int lanes = t.lanes(), w = t.w();
        m = t.symbols(c);
        rows = m / lanes;
        count = (int) (t.start()[(int) c + 1] - t.start()[(int) c]);
        MemorySegment.copy(t.stream(), U16, 2 * t.start()[(int) c], wordBits, 0, count);
        for (int i = 0; i < count; i++) words[i] = wordBits[i] & 0xFFFF;
        Arrays.fill(words, count, count + lanes + 8, 0);
        back = backRows;
        kept = m - back * lanes;
        // Earlier chunks are whole; whole chunks hold a multiple of 8 raw fields, so each starts on a byte.
        long rawStart = c * (t.chunk() - (long) t.backRowsWhole() * lanes) * w / 8;
        int rawCount = (int) Math.min(t.rawBytes() - rawStart, (long) kept * w / 8 + 1);
        MemorySegment.copy(t.raw(), ValueLayout.JAVA_BYTE, rawStart, rawIn, 0, rawCount);
        for (int lane = 0; lane < lanes; lane++) state[lane] = words[2 * lane] | words[2 * lane + 1] << 16;
        p = 2 * lanes;
        crc.reset();
        sumsAt = buffer == null ? 2 * c * t.chunk() : 0;
        sums = (buffer == null ? t.target().asSlice(sumsAt, 2L * m) : buffer).asByteBuffer();
    }

    /**
     * Starts the block at row r0: sets where its values go ({@link #dst}, {@link #at}) and returns its end row (the last
     * block takes blockRows..2 blockRows − 1 rows, or all).
     */
    int openBlock(int r0) {
        if (buffer == null) {
            dst = t.target();
            at = 2 * (c * t.chunk() + (long) r0 * t.lanes());
        } else {
            dst = buffer;
            at = 0;
        }
        return rows - r0 < 2 * blockRows ? rows : r0 + blockRows;
    }

    /** Scalar rows [r0, r1) into the block's values (the symbols' bits). */
    void scalarRows(int r0, int r1) { p = decodeRows(t.offsetPairs(), t.startEntries(), t.scale(), state, t.lanes(), words, p, count, dst, at, r0, r1); }

    /** After a block's rows: refuses a chunk whose rows read past its words. */
    void checkPosition() {
        if (p > count) throw new MalformedInputException(2 * t.start()[(int) c], "stream part: chunk " + c + " reads past its " + count + " words");
    }

    /**
     * After rows [r0, r1) ran and {@link #checkPosition} passed: decodes the partial last row and checks the final states
     * when r1 is the last row, joins the block's values with their raw fields, sums them, and copies them out if buffered.
     * Returns whether the chunk is done.
     */
    boolean finishBlock(int r0, int r1) {
        int lanes = t.lanes(), w = t.w();
        long streamAt = 2 * t.start()[(int) c];
        int from = r0 * lanes, to = r1 * lanes;
        boolean last = r1 == rows;
        if (last) {
            p = decodeTail(t.offsetPairs(), t.startEntries(), t.scale(), state, words, p, dst, at + 2L * (to - from), m - to);
            to = m;
            if (p != count) throw new MalformedInputException(streamAt, "stream part: chunk " + c + " used " + p + " of its " + count + " words");
        }
        joinRaw(rawIn, w, dst, at, from, to, kept);
        // Value j of this block is at at + 2 (j − from).
        if (last) {
            for (int lane = 0; lane < lanes; lane++) {
                int x = state[lane];
                boolean valid = back == 0 ? x == RansCoder.STATE_LOW : x >>> 31 == 1 && (x & 0x7FFFFFFF) >>> (back * w) == 0;
                if (!valid) throw new MalformedInputException(streamAt, "stream part: chunk " + c + " lane " + lane + " ends in state " + Integer.toUnsignedString(x) + ", not a valid initial state");
                for (int r = 0; r < back; r++) {
                    int f = x >>> (r * w) & ((1 << w) - 1);
                    long v = at + 2L * (kept + r * lanes + lane - from);
                    dst.set(U16, v, (short) (dst.get(U16, v) | (f >>> (w - 1)) << 15 | f & ((1 << (w - 1)) - 1)));
                }
            }
        }
        int sum = (int) (at - sumsAt);
        crc.update(sums.limit(sum + 2 * (to - from)).position(sum));
        if (buffer != null) MemorySegment.copy(buffer, 0, t.out(), c * t.chunk() * 2 + 2L * from, 2L * (to - from));
        return last;
    }

    /** The chunk's CRC32C, once its last block is finished. */
    int crc() { return (int) crc.getValue(); }

    /**
     * Scalar rows {@code [from, to)} of a chunk (symbol j = lanes · row + lane): writes each symbol's BF16 bits at
     * byte {@code at + 2 (j − lanes · from)} of {@code dst}, returns the next word position; stops after a row that reads past
     * {@code count} (the words array has a zero guard of a row's worth).
     */
    private static int decodeRows(int[] offsetPairs, int[] startEntries, int scale, int[] state, int lanes, int[] words, int p, int count,
                                  MemorySegment dst, long at, int from, int to) {
        int mask = (1 << scale) - 1;
        int laneMask = lanes - 1;
        for (int j = 0, end = (to - from) * lanes; j < end; j++) {
            int lane = j & laneMask;
            int x = state[lane];
            int slot = x & mask;
            int off = offsetPairs[slot >>> 1] >>> ((slot & 1) << 4) & 0xFFFF;
            int e = startEntries[slot - off];
            x = (e & 0xFFFF) * (x >>> scale) + off;
            // Branch-free refill (a branch here mispredicts on a quarter of the symbols): need = 1 when x < 2^16.
            int need = ((x >>> 16) - 1) >>> 31;
            x = x << (need << 4) | (words[p] & -need);
            p += need;
            state[lane] = x;
            dst.set(U16, at + 2L * j, (short) (e >>> 16));
            if (lane == laneMask && p > count) return p;
        }
        return p;
    }

    /** The chunk's last, partial row: lanes 0..t−1 once more; the symbols' bits from byte {@code at} of {@code dst}. */
    private static int decodeTail(int[] offsetPairs, int[] startEntries, int scale, int[] state, int[] words, int p, MemorySegment dst, long at, int t) {
        int mask = (1 << scale) - 1;
        for (int lane = 0; lane < t; lane++) {
            int x = state[lane];
            int slot = x & mask;
            int off = offsetPairs[slot >>> 1] >>> ((slot & 1) << 4) & 0xFFFF;
            int e = startEntries[slot - off];
            x = (e & 0xFFFF) * (x >>> scale) + off;
            if (x >>> 16 == 0) x = x << 16 | words[p++];
            state[lane] = x;
            dst.set(U16, at + 2L * lane, (short) (e >>> 16));
        }
        return p;
    }

    /**
     * ORs the raw fields (w bits: sign above w − 1 low mantissa bits) into values {@code [from, to)} of the chunk,
     * at byte {@code at + 2 (j − from)} of {@code dst}, which hold the symbols' bits, for j below {@code kept}; the bits-back rows get
     * theirs from the final states afterwards. Eight at a time where it can: one 64-bit load holds eight fields,
     * deposited into two words of four 16-bit lanes. {@code from} is a multiple of 8.
     */
    private static void joinRaw(byte[] rawIn, int w, MemorySegment dst, long at, int from, int to, int kept) {
        int j = from;
        int low = w - 1;
        long fieldMask = (1L << w) - 1;
        // Where four fields land in four 16-bit lanes: the low mantissa bits at the bottom, the sign at bit 15.
        long lanes = (0x8000L | (1L << low) - 1) * 0x0001000100010001L;
        for (int end = Math.min(to, kept); j + 8 <= end; j += 8) {
            long s = at + 2L * (j - from);
            long r = (long) LONG_IN_BYTES.get(rawIn, j * w >>> 3);
            // Long.expand is one PDEP (BMI2); the symbols' bits are below 2^15 and apart from the fields' bits.
            dst.set(U64, s, Long.expand(r, lanes) | dst.get(U64, s));
            dst.set(U64, s + 8, Long.expand(r >>> 4 * w, lanes) | dst.get(U64, s + 8));
        }
        for (int end = Math.min(to, kept); j < end; j++) {
            long bit = (long) j * w;
            int f = (int) ((long) LONG_IN_BYTES.get(rawIn, (int) (bit >>> 3)) >>> (bit & 7) & fieldMask);
            long v = at + 2L * (j - from);
            dst.set(U16, v, (short) (dst.get(U16, v) | (f >>> low) << 15 | f & ((1 << low) - 1)));
        }
    }
}
