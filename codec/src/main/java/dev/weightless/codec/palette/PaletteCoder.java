package dev.weightless.codec.palette;

import dev.weightless.codec.ChecksumMismatchException;
import dev.weightless.codec.MalformedInputException;
import dev.weightless.codec.coder.Coder;
import dev.weightless.codec.coder.CodedTensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.List;
import java.util.zip.CRC32C;

import static dev.weightless.codec.MalformedInputException.verify;

/**
 * The speed end of the range: each exponent becomes a fixed-width code of {@code b} bits (0..4, chosen per
 * tensor for the smallest size) into a per-tensor palette of its 2^b − 1 most frequent exponents; the last
 * code is an escape, and escaped exponents follow as whole bytes in a separate list. Sign|mantissa bytes
 * are stored raw. Any weight's code sits at a fixed bit offset, and the index gives each chunk's first
 * escape, so chunks decode independently (a GPU thread per run of codes, no bit-serial dependency).
 *
 * <p>Parts: {@code table} (version, b, CRC32C, the palette), {@code index} (u64 per chunk of
 * {@value #CHUNK_SYMBOLS}: escapes before it), {@code codes} (LSB-first b-bit codes), {@code escapes}
 * (one byte per escaped weight, in order), {@code sm} (one sign|mantissa byte per weight).
 */
public final class PaletteCoder implements Coder {
    static final int VERSION = 1;
    static final int HEADER_BYTES = 6;
    static final int MAX_BITS = 4;
    static final int CHUNK_SYMBOLS = 1 << 14;
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG_IN_BYTES = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT_IN_BYTES = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle SHORT_IN_BYTES = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    /** Marks the escape code's lane in the decode tables (bit 15: no exponent sets it). */
    private static final int ESCAPE_MARK = 0x8000;
    private static final long ESCAPES = 0x8000800080008000L;
    /** BF16 bits of each sign|mantissa byte. */
    private static final short[] SIGN_MANTISSA = new short[256];

    static {
        for (int s = 0; s < 256; s++) SIGN_MANTISSA[s] = (short) ((s & 0x80) << 8 | s & 0x7F);
    }

    @Override
    public String name() { return "palette"; }

    @Override
    public List<String> partNames() { return List.of("table", "index", "codes", "escapes", "sm"); }

    @Override
    public CodedTensor encode(MemorySegment bf16, Arena arena) {
        if ((bf16.byteSize() & 1) != 0) throw new IllegalArgumentException("BF16 data must have an even byte count, got " + bf16.byteSize());
        long n = bf16.byteSize() / 2;
        long chunks = Math.ceilDiv(n, CHUNK_SYMBOLS);
        short[] v = new short[(int) Math.min(n, CHUNK_SYMBOLS)];
        long[] histogram = new long[256];
        CRC32C crc = new CRC32C();
        for (long c = 0; c < chunks; c++) {
            int m = load(bf16, c, n, v);
            crc.update(bf16.asSlice(c * CHUNK_SYMBOLS * 2, 2L * m).asByteBuffer());
            for (int j = 0; j < m; j++) histogram[(v[j] >>> 7) & 0xFF]++;
        }
        // Exponents by falling count (ties: smaller exponent first), then the width with the smallest size.
        Integer[] order = new Integer[256];
        for (int e = 0; e < 256; e++) order[e] = e;
        java.util.Arrays.sort(order, (a, b) -> histogram[a] != histogram[b] ? Long.compare(histogram[b], histogram[a]) : Integer.compare(a, b));
        int distinct = 0;
        for (long h : histogram) if (h > 0) distinct++;
        int bits = distinct <= 1 ? 0 : -1;
        long best = Long.MAX_VALUE;
        for (int b = 1; b <= MAX_BITS && bits != 0; b++) {
            long escapes = n;
            for (int i = 0; i < (1 << b) - 1; i++) escapes -= histogram[order[i]];
            long size = Math.ceilDiv(n * b, 8) + escapes + ((1 << b) - 1);
            if (size < best) {
                best = size;
                bits = b;
            }
        }
        int entries = bits == 0 ? (distinct == 1 ? 1 : 0) : (1 << bits) - 1;
        MemorySegment table = arena.allocate(HEADER_BYTES + entries);
        table.set(ValueLayout.JAVA_BYTE, 0, (byte) VERSION);
        table.set(ValueLayout.JAVA_BYTE, 1, (byte) bits);
        table.set(U32, 2, (int) crc.getValue());
        int[] codeOf = new int[256];
        java.util.Arrays.fill(codeOf, bits == 0 ? 0 : (1 << bits) - 1);
        for (int i = 0; i < entries; i++) {
            table.set(ValueLayout.JAVA_BYTE, HEADER_BYTES + i, (byte) (int) order[i]);
            codeOf[order[i]] = i;
        }
        long escapeCount = n;
        for (int i = 0; i < entries; i++) escapeCount -= histogram[order[i]];
        if (bits == 0) escapeCount = 0;

        MemorySegment index = arena.allocate(8 * chunks);
        MemorySegment codes = arena.allocate(Math.ceilDiv(Math.multiplyExact(n, bits), 8));
        MemorySegment escapes = arena.allocate(escapeCount);
        MemorySegment sm = arena.allocate(n);
        byte[] smOut = new byte[v.length];
        byte[] codeOut = new byte[v.length * bits / 8 + 8];
        byte[] escapeOut = new byte[v.length];
        int escapeCode = (1 << bits) - 1;
        long escapesBefore = 0;
        for (long c = 0; c < chunks; c++) {
            int m = load(bf16, c, n, v);
            index.set(U64, 8 * c, escapesBefore);
            java.util.Arrays.fill(codeOut, (byte) 0);
            int esc = 0;
            for (int j = 0; j < m; j++) {
                int x = v[j];
                int e = (x >>> 7) & 0xFF;
                int code = codeOf[e];
                if (bits > 0) {
                    int bit = j * bits;
                    int field = code << (bit & 7); // may straddle two bytes (b = 3)
                    codeOut[bit >>> 3] |= (byte) field;
                    codeOut[(bit >>> 3) + 1] |= (byte) (field >>> 8);
                    if (code == escapeCode) escapeOut[esc++] = (byte) e;
                }
                smOut[j] = (byte) ((x >>> 8) & 0x80 | x & 0x7F);
            }
            MemorySegment.copy(codeOut, 0, codes, ValueLayout.JAVA_BYTE, c * CHUNK_SYMBOLS * bits / 8, (m * bits + 7) / 8);
            MemorySegment.copy(escapeOut, 0, escapes, ValueLayout.JAVA_BYTE, escapesBefore, esc);
            MemorySegment.copy(smOut, 0, sm, ValueLayout.JAVA_BYTE, c * CHUNK_SYMBOLS, m);
            escapesBefore += esc;
        }
        return new CodedTensor(name(), n, List.of(table, index, codes, escapes, sm));
    }

    private static int load(MemorySegment bf16, long c, long n, short[] v) {
        int m = (int) Math.min(CHUNK_SYMBOLS, n - c * CHUNK_SYMBOLS);
        MemorySegment.copy(bf16, U16, c * CHUNK_SYMBOLS * 2, v, 0, m);
        return m;
    }

    /**
     * A validated tensor: header, palette and part sizes checked, and every chunk's escape range from the
     * index ({@code chunks + 1} starts, the last one the escapes' count). The codes themselves are only
     * checked by decoding them (each chunk's escape count against its range, then the CRC32C).
     */
    public record Layout(long elements, int bits, int crc32c, int[] palette, long[] escapeStarts) {
        public long chunks() { return escapeStarts.length - 1L; }

        /** Weights per chunk of the index. */
        public static int chunkSymbols() { return CHUNK_SYMBOLS; }
    }

    /** Checks everything but the codes ({@link Layout}); a malformed tensor is a {@link MalformedInputException}. */
    public Layout open(CodedTensor coded) {
        verify(coded.parts().size() == 5, 0, "palette: expected 5 parts (table, index, codes, escapes, sm), got " + coded.parts().size());
        long n = coded.elements();
        MemorySegment table = coded.part(0), index = coded.part(1), codes = coded.part(2), escapes = coded.part(3), sm = coded.part(4);
        verify(table.byteSize() >= HEADER_BYTES, 0, "table part: " + table.byteSize() + " bytes, shorter than its " + HEADER_BYTES + "-byte header");
        verify(table.get(ValueLayout.JAVA_BYTE, 0) == VERSION, 0, "table part: version " + table.get(ValueLayout.JAVA_BYTE, 0) + ", expected " + VERSION);
        int bits = table.get(ValueLayout.JAVA_BYTE, 1);
        verify(bits >= 0 && bits <= MAX_BITS, 1, "table part: code width " + bits + " outside 0.." + MAX_BITS);
        int expectedCrc = table.get(U32, 2);
        int entries = (int) table.byteSize() - HEADER_BYTES;
        int expectedEntries = bits > 0 ? (1 << bits) - 1 : (n > 0 ? 1 : 0);
        verify(entries == expectedEntries, HEADER_BYTES, "table part: " + entries + " palette entries, width " + bits + " needs " + expectedEntries);
        long chunks = Math.ceilDiv(n, CHUNK_SYMBOLS);
        verify(index.byteSize() == 8 * chunks, 0, "index part: " + index.byteSize() + " bytes, " + chunks + " chunks need " + 8 * chunks);
        long codeBytes = Math.ceilDiv(Math.multiplyExact(n, bits), 8);
        verify(codes.byteSize() == codeBytes, 0, "codes part: " + codes.byteSize() + " bytes, expected " + codeBytes);
        verify(sm.byteSize() == n, 0, "sm part: " + sm.byteSize() + " bytes, expected " + n);
        verify(bits > 0 || escapes.byteSize() == 0, 0, "escapes part: a palette of width 0 has no escapes");
        int[] palette = new int[entries];
        for (int i = 0; i < entries; i++) palette[i] = table.get(ValueLayout.JAVA_BYTE, HEADER_BYTES + i) & 0xFF;
        long[] starts = new long[Math.toIntExact(chunks + 1)];
        starts[(int) chunks] = escapes.byteSize();
        for (long c = 0; c < chunks; c++) {
            int m = (int) Math.min(CHUNK_SYMBOLS, n - c * CHUNK_SYMBOLS);
            long first = index.get(U64, 8 * c);
            long next = c + 1 < chunks ? index.get(U64, 8 * (c + 1)) : escapes.byteSize();
            verify(first >= 0 && first <= next && next - first <= m && next <= escapes.byteSize() && (c > 0 || first == 0), 8 * c,
                    "index part: chunk " + c + " escapes [" + first + ", " + next + ") do not fit " + m + " weights and " + escapes.byteSize() + " escapes");
            starts[(int) c] = first;
        }
        return new Layout(n, bits, expectedCrc, palette, starts);
    }

    @Override
    public void decode(CodedTensor coded, MemorySegment out) {
        long n = coded.elements();
        if (out.byteSize() != Math.multiplyExact(n, 2)) throw new IllegalArgumentException("output must be " + 2 * n + " bytes, got " + out.byteSize());
        Layout layout = open(coded);
        MemorySegment codes = coded.part(2), escapes = coded.part(3), sm = coded.part(4);
        int bits = layout.bits(), expectedCrc = layout.crc32c(), entries = layout.palette().length;
        long chunks = layout.chunks();
        long codeBytes = codes.byteSize();
        // BF16 bits of each code; the escape code is marked by bit 15 (the sign's place, filled from sm later).
        int[] exponentBits = new int[1 << bits];
        for (int i = 0; i < entries; i++) exponentBits[i] = layout.palette()[i] << 7;
        int escapeCode = bits == 0 ? -1 : (1 << bits) - 1;
        if (bits > 0) exponentBits[escapeCode] = ESCAPE_MARK;
        // Two codes per lookup: their BF16 bits in two 16-bit lanes.
        int[] pairs = new int[1 << 2 * bits];
        for (int i = 0; i < pairs.length; i++) pairs[i] = exponentBits[i & ((1 << bits) - 1)] | exponentBits[i >>> bits] << 16;

        byte[] codeIn = new byte[(int) Math.min(n, CHUNK_SYMBOLS) * bits / 8 + 16];
        byte[] smIn = new byte[(int) Math.min(n, CHUNK_SYMBOLS)];
        byte[] escIn = new byte[smIn.length];
        byte[] values = new byte[2 * smIn.length + 8];
        CRC32C crc = new CRC32C();
        for (long c = 0; c < chunks; c++) {
            int m = (int) Math.min(CHUNK_SYMBOLS, n - c * CHUNK_SYMBOLS);
            long first = layout.escapeStarts()[(int) c], next = layout.escapeStarts()[(int) c + 1];
            int esc = (int) (next - first);
            long codeStart = c * CHUNK_SYMBOLS * bits / 8;
            MemorySegment.copy(codes, ValueLayout.JAVA_BYTE, codeStart, codeIn, 0, (int) Math.min(codeBytes - codeStart, m * bits / 8 + 1));
            MemorySegment.copy(sm, ValueLayout.JAVA_BYTE, c * CHUNK_SYMBOLS, smIn, 0, m);
            MemorySegment.copy(escapes, ValueLayout.JAVA_BYTE, first, escIn, 0, esc);
            int used = decodeChunk(codeIn, bits, pairs, escIn, smIn, values, m);
            if (used != esc) throw new MalformedInputException(8 * c, "index part: chunk " + c + " has " + used + " escape codes, the index gives " + esc);
            crc.update(values, 0, 2 * m);
            MemorySegment.copy(values, 0, out, ValueLayout.JAVA_BYTE, c * CHUNK_SYMBOLS * 2, 2 * m);
        }
        int actual = (int) crc.getValue();
        if (actual != expectedCrc) throw new ChecksumMismatchException("decoded tensor", expectedCrc, actual);
    }

    /**
     * Decodes m weights, four at a time: two pair lookups give four exponents in 16-bit lanes, a SWAR
     * spread gives four sign|mantissa lanes; a group holding an escape takes the slow path. Returns the
     * escape codes met (the caller checks them against the index; escIn is as long as a chunk, so a wrong
     * count can read stale bytes but never outside it).
     */
    private static int decodeChunk(byte[] codeIn, int bits, int[] pairs, byte[] escIn, byte[] smIn, byte[] values, int m) {
        int used = 0;
        int pairMask = (1 << 2 * bits) - 1;
        int j = 0;
        for (; j + 4 <= m; j += 4) {
            int bit = j * bits;
            long codes = (long) LONG_IN_BYTES.get(codeIn, bit >>> 3) >>> (bit & 7);
            long lanes = pairs[(int) codes & pairMask] & 0xFFFFFFFFL | (long) pairs[(int) (codes >>> 2 * bits) & pairMask] << 32;
            if ((lanes & ESCAPES) != 0) {
                for (int i = 0; i < 4; i++) {
                    if ((lanes >>> 16 * i & ESCAPE_MARK) != 0) lanes ^= (long) (ESCAPE_MARK | (escIn[used++] & 0xFF) << 7) << 16 * i;
                }
            }
            LONG_IN_BYTES.set(values, 2 * j, lanes | signMantissaLanes((int) INT_IN_BYTES.get(smIn, j)));
        }
        for (; j < m; j++) {
            int bit = j * bits;
            int code = (int) ((long) LONG_IN_BYTES.get(codeIn, bit >>> 3) >>> (bit & 7)) & ((1 << bits) - 1);
            int e = pairs[code] & 0xFFFF;
            if (e == ESCAPE_MARK) e = (escIn[used++] & 0xFF) << 7;
            SHORT_IN_BYTES.set(values, 2 * j, (short) (e | SIGN_MANTISSA[smIn[j] & 0xFF]));
        }
        return used;
    }

    /** Four sign|mantissa bytes placed where they go in four BF16 values (bit 15 and bits 0..6 of each lane). */
    private static long signMantissaLanes(int four) {
        long x = four & 0xFFFFFFFFL;
        x = (x | x << 16) & 0x0000FFFF0000FFFFL;
        x = (x | x << 8) & 0x00FF00FF00FF00FFL;
        return (x & 0x0080008000800080L) << 8 | x & 0x007F007F007F007FL;
    }
}
