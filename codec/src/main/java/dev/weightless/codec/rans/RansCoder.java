package dev.weightless.codec.rans;

import dev.weightless.codec.ChecksumMismatchException;
import dev.weightless.codec.Crc32c;
import dev.weightless.codec.MalformedInputException;
import dev.weightless.codec.Parallel;
import dev.weightless.codec.Segments;
import dev.weightless.codec.coder.Coder;
import dev.weightless.codec.coder.CodedTensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.Reference;
import java.nio.ByteOrder;
import java.util.List;
import java.util.zip.CRC32C;

import static dev.weightless.codec.MalformedInputException.verify;

/**
 * Interleaved rANS over a per-tensor frequency table. Each weight is one symbol: its exponent and its top
 * {@code k} mantissa bits (k = 0: the exponent alone; k = 2: the context coder, H(e) + H(m2 | e) in one
 * step); the sign and the other 7 − k mantissa bits are stored raw, bit-packed. The tensor is cut into
 * chunks of {@code chunkSymbols}; in a chunk, symbol j belongs to lane j mod {@code lanes} (32 for all but
 * tiny tensors: one warp decodes a chunk, one lane per state, sharing one word stream through a ballot).
 * States are 32 bits in [2^16, 2^32), renormalised by 16-bit words.
 *
 * <p>Parts: {@code table} (version, k, scale bits, lanes, chunk symbols, CRC32C, gamma-coded frequencies),
 * {@code index} (u32 word count of each chunk), {@code stream} (per chunk: the lanes' final states as
 * two u16 words each, then the renormalisation words in decode order), {@code raw} (LSB-first fields of
 * 8 − k bits: sign above the low mantissa bits, for every weight except the last ⌊31 / (8 − k)⌋ rows of
 * each 32-lane chunk, whose fields are the low bits of the lanes' initial states 2^31 + fields: see
 * {@link #backRows}). Every byte of them counts in the coded size.
 */
public final class RansCoder implements Coder {
    static final int VERSION = 1;
    static final int HEADER_BYTES = 12;
    static final int STATE_LOW = 1 << 16;
    static final int DEFAULT_SCALE_BITS = 14;
    static final int DEFAULT_CHUNK_SYMBOLS = 1 << 18;
    static final int MAX_LANES = 32;
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfChar C16 = ValueLayout.JAVA_CHAR_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * Whether 32-lane chunks decode eight or sixteen lanes per vector instruction ({@link RansVectorRows}, {@link RansWideRows}): needs the
     * incubating module (java --add-modules jdk.incubator.vector, as the launchers, tests and benchmarks
     * pass it) and 256-bit vectors. Without them the scalar rows decode the same bits about 1.7x slower,
     * and the first rANS decode says so on stderr rather than slowing down silently. A holder class, so
     * that merely registering the coders decides (and prints) nothing.
     */
    static final class Vector {
        static final boolean ON = vectorRows();
        /**
         * The path 32-lane chunks decode on: where this JVM has 512-bit vectors (AVX-512), the 512-bit rows over two chunks
         * side by side, else the 256-bit rows (the fastest measured on each: codec/NOTES.md); the scalar rows without
         * vectors. The system properties {@code weightless.rans.rows} (auto, 256, 512) and {@code weightless.rans.chunks}
         * (auto, 1, 2) choose another for comparisons; one the hardware cannot run gets a notice and the 256-bit rows.
         * {@code weightless.rans.values} (direct, buffer) chooses whether the rows write the values straight into an
         * off-heap output (the default) or through a block buffer and a copy, as before, and {@code weightless.rans.blockRows}
         * (a power of two in 8..4096, default 256) the rows per block: both for A/B runs in one benchmark call.
         */
        static final DecodePath PATH = ON ? pathFromProperties() : DecodePath.SCALAR;

        private Vector() {}
    }

    private final String name;
    private final int k;
    private final int scaleBits;
    private final int chunkSymbols;

    public RansCoder(String name, int mantissaBits, int scaleBits, int chunkSymbols) {
        if (mantissaBits < 0 || mantissaBits > 3) throw new IllegalArgumentException("mantissa bits in the symbol: 0..3, got " + mantissaBits);
        if (scaleBits < 8 + mantissaBits || scaleBits > 15) throw new IllegalArgumentException("scale bits: " + (8 + mantissaBits) + "..15, got " + scaleBits);
        if (Integer.bitCount(chunkSymbols) != 1 || chunkSymbols < 256 || chunkSymbols > 1 << 24) {
            throw new IllegalArgumentException("chunk symbols: a power of two in 256..2^24, got " + chunkSymbols);
        }
        this.name = name;
        this.k = mantissaBits;
        this.scaleBits = scaleBits;
        this.chunkSymbols = chunkSymbols;
    }

    private static DecodePath pathFromProperties() {
        String rows = System.getProperty("weightless.rans.rows", "auto"), chunks = System.getProperty("weightless.rans.chunks", "auto");
        String values = System.getProperty("weightless.rans.values", "direct"), blockRows = System.getProperty("weightless.rans.blockRows", "" + DecodePath.BLOCK_ROWS);
        if (!values.equals("direct") && !values.equals("buffer")) throw new IllegalArgumentException("weightless.rans.values: direct or buffer, got '" + values + "'");
        if (!rows.equals("auto") && !rows.equals("256") && !rows.equals("512")) throw new IllegalArgumentException("weightless.rans.rows: auto, 256 or 512, got '" + rows + "'");
        if (!chunks.equals("auto") && !chunks.equals("1") && !chunks.equals("2")) throw new IllegalArgumentException("weightless.rans.chunks: auto, 1 or 2, got '" + chunks + "'");
        int bits = rows.equals("256") || !RansWideRows.hardware() ? 256 : 512;
        if (rows.equals("512") && bits != 512) System.err.println("weightless: weightless.rans.rows=512 asked for, but this JVM has no 512-bit vector unit; rANS decodes with 256-bit rows");
        int together = chunks.equals("1") || bits != 512 ? 1 : 2;
        if (chunks.equals("2") && together != 2) System.err.println("weightless: weightless.rans.chunks=2 asked for, but only the 512-bit rows decode two chunks side by side; rANS decodes one at a time");
        int block;
        try {
            block = Integer.parseInt(blockRows);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("weightless.rans.blockRows: a power of two in 8..4096, got '" + blockRows + "'");
        }
        return new DecodePath(bits, together, values.equals("direct"), block);
    }

    private static boolean vectorRows() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            System.err.println("weightless: jdk.incubator.vector is not enabled (java --add-modules jdk.incubator.vector); rANS decodes with scalar code, about 1.7x slower");
            return false;
        }
        if (!RansVectorRows.hardware()) {
            System.err.println("weightless: no 256-bit vector unit; rANS decodes with scalar code, about 1.7x slower");
            return false;
        }
        return true;
    }

    /** The path 32-lane chunks decode on in this JVM (the system properties and the hardware decide), for benchmark logs. */
    public static String decoderPath() { return Vector.PATH.toString(); }

    /** "rans": the exponent alone, sign|mantissa raw (the exponent-only bound, without Huffman's whole bits). */
    public static RansCoder exponentOnly() { return new RansCoder("rans", 0, DEFAULT_SCALE_BITS, DEFAULT_CHUNK_SYMBOLS); }

    /** "rans-ctx": exponent and the top two mantissa bits in one symbol, i.e. the mantissa bits coded given the exponent. */
    public static RansCoder withMantissaContext() { return new RansCoder("rans-ctx", 2, DEFAULT_SCALE_BITS, DEFAULT_CHUNK_SYMBOLS); }

    @Override
    public String name() { return name; }

    @Override
    public List<String> partNames() { return List.of("table", "index", "stream", "raw"); }

    /** Lanes for a tensor of n weights: 32, fewer for tiny tensors where 32 flushed states would not pay. */
    static int lanesFor(long n) {
        return (int) Math.max(1, Math.min(MAX_LANES, Long.highestOneBit(Math.max(1, n / 512))));
    }

    private int rawBits() { return 8 - k; }

    /**
     * Rows at the end of a chunk whose raw fields ride in the lanes' initial encoder states instead of the
     * raw part ("bits back"): a lane's state starts at 2^31 plus up to 30 bits of fields and the decoder
     * ends with exactly that state. A full initial state emits one more word than one at 2^16, so this
     * saves about 14 of the 32 bits each flushed state costs (codec/NOTES.md). Only 32-lane chunks that
     * are long enough, so that every whole chunk's raw fields start on a byte.
     */
    private int backRows(int lanes, int m) {
        int rows = 31 / rawBits();
        return lanes == MAX_LANES && m >= rows * lanes ? rows : 0;
    }

    /** Size of the raw part: every weight's field except those carried in initial states. */
    private long rawBytes(long n, int lanes, int chunk) {
        long chunks = Math.ceilDiv(n, chunk);
        long fields = n;
        if (chunks > 0) {
            fields -= (chunks - 1) * backRows(lanes, chunk) * lanes;
            fields -= (long) backRows(lanes, (int) (n - (chunks - 1) * chunk)) * lanes;
        }
        return Math.ceilDiv(Math.multiplyExact(fields, rawBits()), 8);
    }

    private int symbolOf(int v) { return ((v >>> 7) & 0xFF) << k | (v & 0x7F) >>> (7 - k); }

    private int rawOf(int v) { return (v >>> 15 & 1) << (7 - k) | v & ((1 << (7 - k)) - 1); }

    /** BF16 bits of each symbol (exponent and top mantissa bits in place). */
    private int[] symbolValues() {
        int[] value = new int[256 << k];
        for (int s = 0; s < value.length; s++) value[s] = (s >>> k) << 7 | (s & ((1 << k) - 1)) << (7 - k);
        return value;
    }

    @Override
    public CodedTensor encode(MemorySegment bf16, Arena arena) {
        if ((bf16.byteSize() & 1) != 0) throw new IllegalArgumentException("BF16 data must have an even byte count, got " + bf16.byteSize());
        long n = bf16.byteSize() / 2;
        int lanes = lanesFor(n);
        long chunks = Math.ceilDiv(n, chunkSymbols);
        short[] v = new short[(int) Math.min(n, chunkSymbols)];

        // Pass 1: symbol counts and checksum.
        long[] counts = new long[256 << k];
        CRC32C crc = new CRC32C();
        for (long c = 0; c < chunks; c++) {
            int m = load(bf16, c, n, v);
            crc.update(bf16.asSlice(c * chunkSymbols * 2, 2L * m).asByteBuffer());
            for (int j = 0; j < m; j++) counts[symbolOf(v[j])]++; // the bulk of encode time is pass 2
        }
        GammaWriter tableBits = new GammaWriter();
        FrequencyTable table = n == 0 ? null : FrequencyTable.quantize(counts, scaleBits);
        if (table != null) table.write(tableBits);
        byte[] freqBytes = tableBits.toByteArray();
        MemorySegment header = arena.allocate(HEADER_BYTES + (n == 0 ? 0 : freqBytes.length));
        header.set(ValueLayout.JAVA_BYTE, 0, (byte) VERSION);
        header.set(ValueLayout.JAVA_BYTE, 1, (byte) k);
        header.set(ValueLayout.JAVA_BYTE, 2, (byte) scaleBits);
        header.set(ValueLayout.JAVA_BYTE, 3, (byte) lanes);
        header.set(U32, 4, chunkSymbols);
        header.set(U32, 8, (int) crc.getValue());
        if (n > 0) MemorySegment.copy(freqBytes, 0, header, ValueLayout.JAVA_BYTE, HEADER_BYTES, freqBytes.length);

        // Pass 2: each chunk's words, coded last symbol first into the end of a buffer.
        MemorySegment index = arena.allocate(4 * chunks);
        SymbolEncoder enc = table == null ? null : new SymbolEncoder(table);
        char[] chunkWords = new char[2 * lanes + v.length];
        long[] state = new long[lanes];
        MemorySegment raw = arena.allocate(rawBytes(n, lanes, chunkSymbols));
        RawPacker packer = new RawPacker(raw, rawBits());
        // Each chunk's words, kept until the stream's size is known (a tensor may exceed 2^31 symbols; a chunk never does).
        java.util.List<char[]> chunkStreams = new java.util.ArrayList<>();
        long used = 0;
        for (long c = 0; c < chunks; c++) {
            int m = load(bf16, c, n, v);
            int back = backRows(lanes, m);
            int kept = m - back * lanes;
            for (int lane = 0; lane < lanes; lane++) {
                long payload = 0;
                for (int r = 0; r < back; r++) payload |= (long) rawOf(v[kept + r * lanes + lane]) << (r * rawBits());
                state[lane] = back == 0 ? STATE_LOW : 1L << 31 | payload;
            }
            int p = chunkWords.length;
            for (int j = m - 1; j >= 0; j--) {
                int lane = j & (lanes - 1);
                int s = symbolOf(v[j]);
                long x = state[lane];
                // Branch-free renormalisation: the word is always stored, and kept only when x reached the limit.
                int emit = (int) ((enc.limit[s] - 1 - x) >>> 63);
                chunkWords[p - 1] = (char) x;
                p -= emit;
                state[lane] = enc.step(x >>> (emit << 4), s);
            }
            for (int lane = lanes - 1; lane >= 0; lane--) {
                chunkWords[--p] = (char) (state[lane] >>> 16);
                chunkWords[--p] = (char) state[lane];
            }
            int count = chunkWords.length - p;
            chunkStreams.add(java.util.Arrays.copyOfRange(chunkWords, p, chunkWords.length));
            used += count;
            index.set(U32, 4 * c, count);
            for (int j = 0; j < kept; j++) packer.put(rawOf(v[j]));
        }
        packer.flush();
        MemorySegment stream = arena.allocate(Math.multiplyExact(2L, used));
        long at = 0;
        for (char[] words : chunkStreams) {
            MemorySegment.copy(words, 0, stream, C16, at, words.length);
            at += 2L * words.length;
        }
        return new CodedTensor(name, n, List.of(header, index, stream, raw));
    }

    /** Copies chunk c's values into v; returns their count. */
    private int load(MemorySegment bf16, long c, long n, short[] v) {
        int m = (int) Math.min(chunkSymbols, n - c * chunkSymbols);
        MemorySegment.copy(bf16, U16, c * chunkSymbols * 2, v, 0, m);
        return m;
    }

    /** The encoder's per-symbol constants: the renormalisation limit and an inverse for the division. */
    private static final class SymbolEncoder {
        final long[] limit;
        final int[] freq, cum;
        final double[] inverse;
        final int scaleBits;

        SymbolEncoder(FrequencyTable t) {
            scaleBits = t.scaleBits;
            freq = t.freq;
            cum = t.cum;
            limit = new long[freq.length];
            inverse = new double[freq.length];
            for (int s = 0; s < freq.length; s++) {
                limit[s] = ((long) (STATE_LOW >>> scaleBits) << 16) * freq[s];
                inverse[s] = freq[s] == 0 ? 0 : 1.0 / freq[s];
            }
        }

        /** x → (x / f) · 2^scale + x mod f + cum, with the quotient from a double product, corrected by one if it rounded wrong. */
        long step(long x, int s) {
            int f = freq[s];
            long q = (long) (x * inverse[s]);
            long r = x - q * f;
            if (r < 0) { q--; r += f; } else if (r >= f) { q++; r -= f; }
            return (q << scaleBits) + r + cum[s];
        }
    }

    /** Packs fields of {@code bits} bits, least significant first, into a segment. */
    private static final class RawPacker {
        private final MemorySegment out;
        private final int bits;
        private long buffer, at;
        private int used;

        RawPacker(MemorySegment out, int bits) {
            this.out = out;
            this.bits = bits;
        }

        void put(int field) {
            buffer |= (long) field << used;
            used += bits;
            if (used >= 32) {
                out.set(U32, at, (int) buffer);
                at += 4;
                buffer >>>= 32;
                used -= 32;
            }
        }

        void flush() {
            for (; used > 0; used -= 8, buffer >>>= 8) out.set(ValueLayout.JAVA_BYTE, at++, (byte) buffer);
        }
    }

    @Override
    public void decode(CodedTensor coded, MemorySegment out) { decode(coded, out, 1); }

    /**
     * A validated tensor: header, frequency table, index and part sizes checked against each other, the
     * chunks' word offsets in the stream ({@code chunks + 1} of them). What a decoder needs before decoding
     * anything; the stream's words themselves are only checked by decoding them (final states, word counts, CRC32C).
     */
    public record Layout(long elements, int mantissaBits, int scaleBits, int lanes, int chunkSymbols, int crc32c,
                         int[] freq, int[] cum, long[] chunkStarts, long rawBytes) {
        public long chunks() { return chunkStarts.length - 1L; }
    }

    /** Checks everything but the stream's words ({@link Layout}); a malformed tensor is a {@link MalformedInputException}. */
    public Layout open(CodedTensor coded) {
        verify(coded.parts().size() == 4, 0, name + ": expected 4 parts (table, index, stream, raw), got " + coded.parts().size());
        long n = coded.elements();
        MemorySegment header = coded.part(0), index = coded.part(1), stream = coded.part(2), raw = coded.part(3);
        verify(header.byteSize() >= HEADER_BYTES, 0, "table part: " + header.byteSize() + " bytes, shorter than the " + HEADER_BYTES + "-byte header");
        verify(header.get(ValueLayout.JAVA_BYTE, 0) == VERSION, 0, "table part: version " + header.get(ValueLayout.JAVA_BYTE, 0) + ", expected " + VERSION);
        verify(header.get(ValueLayout.JAVA_BYTE, 1) == k, 1, "table part: " + header.get(ValueLayout.JAVA_BYTE, 1) + " mantissa bits, coder " + name + " codes " + k);
        int scale = header.get(ValueLayout.JAVA_BYTE, 2);
        verify(scale >= 8 + k && scale <= 15, 2, "table part: scale bits " + scale + " outside " + (8 + k) + "..15");
        int lanes = header.get(ValueLayout.JAVA_BYTE, 3);
        verify(lanes == lanesFor(n), 3, "table part: " + lanes + " lanes, a tensor of " + n + " weights has " + lanesFor(n));
        int chunk = header.get(U32, 4);
        verify(Integer.bitCount(chunk) == 1 && chunk >= 256 && chunk <= 1 << 24, 4, "table part: chunk symbols " + Integer.toUnsignedString(chunk) + " is not a power of two in 256..2^24");
        int expectedCrc = header.get(U32, 8);
        long chunks = Math.ceilDiv(n, chunk);
        verify(index.byteSize() == 4 * chunks, 0, "index part: " + index.byteSize() + " bytes, " + chunks + " chunks need " + 4 * chunks);
        long rawBytes = rawBytes(n, lanes, chunk);
        verify(raw.byteSize() == rawBytes, 0, "raw part: " + raw.byteSize() + " bytes, expected " + rawBytes);
        verify((stream.byteSize() & 1) == 0, 0, "stream part: odd byte count " + stream.byteSize());
        if (n == 0) {
            verify(header.byteSize() == HEADER_BYTES, HEADER_BYTES, "table part: an empty tensor has no frequency table");
            verify(stream.byteSize() == 0, 0, "stream part: an empty tensor has no stream");
            verify(expectedCrc == 0, 8, "table part: an empty tensor's CRC32C is 0");
            return new Layout(0, k, scale, lanes, chunk, 0, new int[256 << k], new int[256 << k], new long[1], 0);
        }
        GammaReader bits = new GammaReader(header, HEADER_BYTES, header.byteSize());
        FrequencyTable table = FrequencyTable.read(bits, 256 << k, scale);
        verify(HEADER_BYTES + bits.bytesRead() == header.byteSize() && bits.paddingIsZero(), bits.position(), "table part: bytes after the frequency table");
        // Word offsets of the chunks, validated against the stream before decoding anything.
        long[] start = new long[Math.toIntExact(chunks + 1)];
        int mostWords = 0;
        for (long c = 0; c < chunks; c++) {
            long count = Integer.toUnsignedLong(index.get(U32, 4 * c));
            int m = (int) Math.min(chunk, n - c * chunk);
            verify(count >= 2L * lanes && count <= 2L * lanes + m, 4 * c, "index part: chunk " + c + " has " + count + " words, outside " + 2 * lanes + ".." + (2L * lanes + m));
            start[(int) c + 1] = start[(int) c] + count;
            mostWords = (int) Math.max(mostWords, count);
        }
        verify(start[(int) chunks] * 2 == stream.byteSize(), 0, "stream part: " + stream.byteSize() + " bytes, the index gives " + start[(int) chunks] * 2);
        return new Layout(n, k, scale, lanes, chunk, expectedCrc, table.freq.clone(), table.cum.clone(), start, rawBytes);
    }

    /** Validates everything first, then decodes the chunks (independent by construction) on up to {@code threads} threads. */
    @Override
    public void decode(CodedTensor coded, MemorySegment out, int threads) { decode(coded, out, threads, Vector.PATH); }

    /**
     * As {@link #decode(CodedTensor, MemorySegment, int)} on a given {@link DecodePath} (tests compare them; 512-bit rows run,
     * emulated and slowly, on any JVM with the module). Chunks of fewer than 32 lanes take the scalar rows.
     */
    void decode(CodedTensor coded, MemorySegment out, int threads, DecodePath path) {
        if (path.bits() != 0 && !Vector.ON) throw new IllegalStateException("vector decoding needs --add-modules jdk.incubator.vector and 256-bit vectors");
        long n = coded.elements();
        if (out.byteSize() != Math.multiplyExact(n, 2)) throw new IllegalArgumentException("output must be " + 2 * n + " bytes, got " + out.byteSize());
        if (out.isReadOnly()) throw new IllegalArgumentException("output segment is read-only");
        Layout layout = open(coded);
        if (n == 0) return;
        MemorySegment header = coded.part(0), index = coded.part(1), stream = coded.part(2), raw = coded.part(3);
        int scale = layout.scaleBits(), lanes = layout.lanes(), chunk = layout.chunkSymbols(), expectedCrc = layout.crc32c();
        long chunks = layout.chunks(), rawBytes = layout.rawBytes();
        long[] start = layout.chunkStarts();
        int mostWords = 0;
        for (long c = 0; c < chunks; c++) mostWords = (int) Math.max(mostWords, start[(int) c + 1] - start[(int) c]);
        FrequencyTable table = new FrequencyTable(scale, layout.freq());
        DecodeBuffers buffers = DecodeBuffers.ofThisThread(); // this thread's tables, reused from the previous tensor
        // Values straight into an off-heap output (a plain view: one segment class in the rows, no liveness checks there;
        // out is fenced below); an output on the heap takes them through a block buffer and a copy.
        MemorySegment target = path.direct() && out.isNative() ? Segments.plain(out) : null;
        RansChunk.Tensor tensor = new RansChunk.Tensor(stream, raw, out, target, start, mostWords, n, chunk, lanes, rawBits(), backRows(lanes, chunk), rawBytes,
                table.offsetPairs(buffers.zeroedInts(DecodeBuffers.OFFSET_PAIRS, table.offsetPairsLength())),
                table.startEntries(symbolValues(), buffers.zeroedInts(DecodeBuffers.START_ENTRIES, 1 << scale)), scale);
        int[] chunkCrcs = new int[Math.toIntExact(chunks)];
        DecodePath p = lanes == MAX_LANES ? path : new DecodePath(0, 1, path.direct(), path.blockRows()); // fewer lanes: the scalar rows
        int workers = Parallel.shareable(out, header, index, stream, raw) ? threads : 1; // a confined segment stays on this thread
        // One task per worker, over a run of whole chunks, with its own buffers (chunks are independent).
        long tasks = Math.min(workers, chunks);
        boolean pairs = p.chunks() == 2;
        try {
            Parallel.forEach(workers, tasks, task -> {
                long first = chunks * task / tasks, last = chunks * (task + 1) / tasks;
                try (Arena blockBuffers = Arena.ofConfined()) {
                    // The second chunk's buffers only where a pair can occur (most tensors of a model are a single chunk).
                    RansChunk a = new RansChunk(tensor, blockBuffers, p.blockRows(), 0);
                    RansChunk b = pairs && last - first >= 2 ? new RansChunk(tensor, blockBuffers, p.blockRows(), 1) : null;
                    for (long c = first; c < last; ) {
                        if (b != null && c + 1 < last && tensor.symbols(c + 1) == tensor.symbols(c)) {
                            decodePair(tensor, a, b, c, p, chunkCrcs);
                            c += 2;
                        } else {
                            decodeOne(tensor, a, c, p, chunkCrcs);
                            c++;
                        }
                    }
                }
            });
        } finally {
            Reference.reachabilityFence(out); // the plain view does not hold out's arena
        }
        int actual = chunkCrcs[0];
        for (long c = 1; c < chunks; c++) actual = Crc32c.combine(actual, chunkCrcs[(int) c], 2 * Math.min(chunk, n - c * chunk));
        if (actual != expectedCrc) throw new ChecksumMismatchException("decoded tensor", expectedCrc, actual);
    }

    /** Decodes chunk c alone, block of rows by block of rows, on the path's rows. */
    private void decodeOne(RansChunk.Tensor tensor, RansChunk a, long c, DecodePath path, int[] chunkCrcs) {
        a.begin(c, backRows(tensor.lanes(), tensor.symbols(c)));
        for (int r0 = 0, r1; ; r0 = r1) {
            r1 = a.openBlock(r0);
            if (path.bits() == 256) RansVectorRows.rows(tensor.offsetPairs(), tensor.startEntries(), tensor.scale(), a, r0, r1);
            else if (path.bits() == 512) RansWideRows.rows(tensor.offsetPairs(), tensor.startEntries(), tensor.scale(), a, r0, r1);
            else a.scalarRows(r0, r1);
            a.checkPosition();
            if (a.finishBlock(r0, r1)) break;
        }
        chunkCrcs[(int) c] = a.crc();
    }

    /**
     * Decodes chunks c and c + 1, of equal length, side by side with the 512-bit rows (two chunks' state chains in one loop:
     * codec/NOTES.md). A damaged stream is then decoded again one chunk at a time, so that it is refused with the
     * same exception as by {@link #decodeOne} (the lower chunk's error first), whichever of the two went wrong first here.
     */
    private void decodePair(RansChunk.Tensor tensor, RansChunk a, RansChunk b, long c, DecodePath path, int[] chunkCrcs) {
        try {
            int back = backRows(tensor.lanes(), tensor.symbols(c));
            a.begin(c, back);
            b.begin(c + 1, back);
            for (int r0 = 0, r1; ; r0 = r1) {
                r1 = a.openBlock(r0);
                b.openBlock(r0);
                RansWideRows.rowsPair(tensor.offsetPairs(), tensor.startEntries(), tensor.scale(), a, b, r0, r1);
                a.checkPosition();
                b.checkPosition();
                boolean done = a.finishBlock(r0, r1);
                b.finishBlock(r0, r1);
                if (done) break;
            }
            chunkCrcs[(int) c] = a.crc();
            chunkCrcs[(int) c + 1] = b.crc();
        } catch (MalformedInputException e) {
            decodeOne(tensor, a, c, path, chunkCrcs);
            decodeOne(tensor, a, c + 1, path, chunkCrcs);
            throw e; // only if neither is refused alone, which the pair's checks (decodeOne's, row by row) rule out
        }
    }
}
