package dev.weightless.codec;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A canonical Huffman code over the 256 exponent values, stored as 128 bytes of 4-bit code lengths
 * (symbol 2k in the low nibble of byte k). Codes are canonical (shorter first, then by symbol) and
 * written least-significant bit first, so the decoder indexes its table with the next bits as they are.
 */
public final class CodeTable {
    public static final int SYMBOLS = 256;
    public static final int SERIALIZED_BYTES = SYMBOLS / 2;
    /** The longest code the format allows; a nibble holds it. */
    public static final int MAX_LENGTH_LIMIT = 15;
    /**
     * The default length limit. A 2^12-entry table of (symbol, length) bytes is 8 KiB of GPU shared
     * memory; on real weights the limit costs nothing measurable against the unlimited code (NOTES.md).
     */
    public static final int DEFAULT_MAX_LENGTH = 12;

    private final byte[] lengths;   // per symbol, 0 = unused
    private final int[] reversedCodes;
    private final int maxLength;    // longest code present, 0 when there are no symbols
    private final int symbolCount;

    private CodeTable(byte[] lengths, int[] reversedCodes, int maxLength, int symbolCount) {
        this.lengths = lengths;
        this.reversedCodes = reversedCodes;
        this.maxLength = maxLength;
        this.symbolCount = symbolCount;
    }

    /** The optimal code for a histogram with codes no longer than {@code maxLength} bits. */
    public static CodeTable forHistogram(long[] histogram, int maxLength) {
        if (histogram.length != SYMBOLS) throw new IllegalArgumentException("histogram needs 256 counts");
        if (maxLength < 8 || maxLength > MAX_LENGTH_LIMIT) {
            throw new IllegalArgumentException("code length limit must be 8..15, got " + maxLength);
        }
        int[] lengths = HuffmanLengths.of(histogram, maxLength);
        byte[] bytes = new byte[SYMBOLS];
        for (int s = 0; s < SYMBOLS; s++) bytes[s] = (byte) lengths[s];
        return fromLengths(bytes, 0);
    }

    /** Reads 128 bytes of nibbles; rejects codes that are not complete prefix codes. */
    public static CodeTable read(MemorySegment table) {
        MalformedInputException.verify(table.byteSize() == SERIALIZED_BYTES, 0,
                "code table must be " + SERIALIZED_BYTES + " bytes, found " + table.byteSize());
        byte[] lengths = new byte[SYMBOLS];
        for (int k = 0; k < SERIALIZED_BYTES; k++) {
            int b = table.get(ValueLayout.JAVA_BYTE, k);
            lengths[2 * k] = (byte) (b & 0xF);
            lengths[2 * k + 1] = (byte) ((b >>> 4) & 0xF);
        }
        return fromLengths(lengths, 0);
    }

    public void write(MemorySegment table) {
        for (int k = 0; k < SERIALIZED_BYTES; k++) {
            table.set(ValueLayout.JAVA_BYTE, k, (byte) (lengths[2 * k] | lengths[2 * k + 1] << 4));
        }
    }

    /**
     * Builds the canonical code. The Kraft sum must be exactly 1 (a complete code, so every bit
     * pattern decodes), except for a single symbol, which takes length 1 and is coded with no bits.
     */
    private static CodeTable fromLengths(byte[] lengths, long offset) {
        int[] perLength = new int[MAX_LENGTH_LIMIT + 1];
        int maxLength = 0, count = 0;
        for (int s = 0; s < SYMBOLS; s++) {
            int len = lengths[s];
            MalformedInputException.verify(len >= 0 && len <= MAX_LENGTH_LIMIT, offset + s / 2, "code length " + len + " out of range");
            if (len > 0) {
                perLength[len]++;
                count++;
                maxLength = Math.max(maxLength, len);
            }
        }
        if (count == 1) {
            MalformedInputException.verify(maxLength == 1, offset, "a single-symbol code must have length 1");
        } else if (count > 1) {
            long kraft = 0; // in units of 2^-15
            for (int len = 1; len <= MAX_LENGTH_LIMIT; len++) kraft += (long) perLength[len] << (MAX_LENGTH_LIMIT - len);
            MalformedInputException.verify(kraft == 1L << MAX_LENGTH_LIMIT, offset,
                    kraft > 1L << MAX_LENGTH_LIMIT ? "code lengths are over-subscribed" : "code lengths leave the code incomplete");
        }
        int[] next = new int[MAX_LENGTH_LIMIT + 2];
        for (int len = 1, code = 0; len <= MAX_LENGTH_LIMIT; len++) {
            code = (code + perLength[len - 1]) << 1;
            next[len] = code;
        }
        int[] reversed = new int[SYMBOLS];
        for (int s = 0; s < SYMBOLS; s++) {
            int len = lengths[s];
            if (len > 0) reversed[s] = Integer.reverse(next[len]++) >>> (32 - len);
        }
        return new CodeTable(lengths.clone(), reversed, maxLength, count);
    }

    /** Code length of {@code symbol} in bits, 0 if unused. */
    public int length(int symbol) { return lengths[symbol]; }

    /** The code of {@code symbol}, first bit in bit 0. */
    public int reversedCode(int symbol) { return reversedCodes[symbol]; }

    public int maxLength() { return maxLength; }

    public int symbolCount() { return symbolCount; }

    /** True when the code has one symbol and so spends no bits per weight. */
    public boolean isSingleSymbol() { return symbolCount == 1; }

    /** The single symbol when {@link #isSingleSymbol()}. */
    public int singleSymbol() {
        for (int s = 0; s < SYMBOLS; s++) if (lengths[s] > 0) return s;
        throw new IllegalStateException("empty code");
    }

    /** Bits each symbol costs in the stream: the code length, or 0 for a single-symbol code. */
    public int[] bitCosts() {
        int[] cost = new int[SYMBOLS];
        if (!isSingleSymbol()) for (int s = 0; s < SYMBOLS; s++) cost[s] = lengths[s];
        return cost;
    }

    /**
     * The one-lookup decode table: entry i (for the next {@link #maxLength()} bits i) holds
     * {@code symbol | length << 8}. This is the table a GPU keeps in shared memory.
     */
    public short[] decodeTable() {
        if (symbolCount < 2) throw new IllegalStateException("a code of " + symbolCount + " symbols has no decode table");
        short[] table = new short[1 << maxLength];
        for (int s = 0; s < SYMBOLS; s++) {
            int len = lengths[s];
            if (len == 0) continue;
            for (int i = reversedCodes[s]; i < table.length; i += 1 << len) table[i] = (short) (s | len << 8);
        }
        return table;
    }
}
