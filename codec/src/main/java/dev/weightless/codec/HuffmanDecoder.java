package dev.weightless.codec;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.zip.CRC32C;

import static dev.weightless.codec.Bf16.INT_IN_BYTES;
import static dev.weightless.codec.Bf16.LONG_IN_BYTES;
import static dev.weightless.codec.MalformedInputException.verify;

/**
 * The reference decoder. It validates the whole index against the payload before decoding anything,
 * decodes chunks on several threads (each chunk must consume exactly the bits the index gives it),
 * and checks the CRC32C of the result. Reads never leave the given segments: a chunk whose worst case
 * could run past the payload is decoded from a zero-padded copy.
 */
public final class HuffmanDecoder {
    private static final long TASK_SYMBOLS = 1 << 20;
    /** Symbols one multi-symbol lookup can return. */
    private static final int PER_LOOKUP = 4;

    private final EncodedTensor tensor;
    private final ChunkLayout layout;
    private final CodeTable code;
    private final long chunksPerTask;
    private final MultiSymbolTable table; // null for codes of fewer than two symbols

    private HuffmanDecoder(EncodedTensor tensor) {
        this.tensor = tensor;
        this.layout = layout(tensor);
        this.code = readTable(tensor.table());
        validateIndex();
        this.chunksPerTask = Math.max(1, TASK_SYMBOLS / layout.chunkSymbols());
        this.table = code.symbolCount() > 1 ? MultiSymbolTable.of(code) : null;
    }

    /** Validates {@code tensor} completely, or throws {@link MalformedInputException}. */
    public static HuffmanDecoder open(EncodedTensor tensor) { return new HuffmanDecoder(tensor); }

    public CodeTable code() { return code; }

    /** Decodes into {@code out} ({@code 2 × elements} bytes) and checks the CRC32C. */
    public void decode(MemorySegment out, CodecOptions options) {
        if (out.byteSize() != Math.multiplyExact(layout.elements(), 2)) {
            throw new IllegalArgumentException("output must be " + layout.elements() * 2 + " bytes, got " + out.byteSize());
        }
        long tasks = ChunkLayout.ceilDiv(layout.chunks(), chunksPerTask);
        int[] crcs = new int[Math.toIntExact(tasks)];
        Parallel.forEach(options.threads(), tasks, task -> {
            Worker w = new Worker();
            CRC32C crc = new CRC32C();
            long c1 = Math.min(layout.chunks(), (task + 1) * chunksPerTask);
            long bytes = 0;
            for (long c = task * chunksPerTask; c < c1; c += 2) {
                boolean pair = c + 1 < c1;
                w.decode(c, pair);
                for (int k = 0; k < (pair ? 2 : 1); k++) {
                    int n = layout.symbolsIn(c + k);
                    long first = (c + k) * layout.chunkSymbols();
                    w.join(w.exponents[k], first, n);
                    crc.update(w.values, 0, 2 * n);
                    MemorySegment.copy(w.values, 0, out, ValueLayout.JAVA_BYTE, 2 * first, 2 * n);
                    bytes += 2L * n;
                }
            }
            crcs[(int) task] = (int) crc.getValue();
            options.progress().accept(bytes);
        });
        int crc = 0;
        for (long t = 0; t < tasks; t++) {
            long symbols = Math.min(layout.elements(), (t + 1) * chunksPerTask * layout.chunkSymbols()) - t * chunksPerTask * layout.chunkSymbols();
            crc = Crc32c.combine(crc, crcs[(int) t], 2 * symbols);
        }
        if (crc != tensor.crc32c()) throw new ChecksumMismatchException("decoded tensor", tensor.crc32c(), crc);
    }

    /** The exponent histogram, decoding only the exponent stream (for statistics; no checksum). */
    public long[] exponentHistogram(CodecOptions options) {
        long[] histogram = new long[CodeTable.SYMBOLS];
        long tasks = ChunkLayout.ceilDiv(layout.chunks(), chunksPerTask);
        Parallel.forEach(options.threads(), tasks, task -> {
            Worker w = new Worker();
            long[] local = new long[CodeTable.SYMBOLS];
            long c1 = Math.min(layout.chunks(), (task + 1) * chunksPerTask);
            for (long c = task * chunksPerTask; c < c1; c += 2) {
                boolean pair = c + 1 < c1;
                w.decode(c, pair);
                for (int k = 0; k < (pair ? 2 : 1); k++) {
                    byte[] e = w.exponents[k];
                    for (int i = 0, n = layout.symbolsIn(c + k); i < n; i++) local[e[i] & 0xFF]++;
                }
            }
            synchronized (histogram) {
                for (int s = 0; s < local.length; s++) histogram[s] += local[s];
            }
        });
        return histogram;
    }

    private static ChunkLayout layout(EncodedTensor t) {
        try {
            return t.layout();
        } catch (IllegalArgumentException e) {
            throw new MalformedInputException(t.index().fileOffset(), "bad chunk layout: " + e.getMessage());
        }
    }

    private static CodeTable readTable(EncodedTensor.Part table) {
        try {
            return CodeTable.read(table.bytes());
        } catch (MalformedInputException e) {
            throw new MalformedInputException(table.fileOffset() + e.offset(), "code table: " + e.reason());
        }
    }

    /** Checks sizes, every group offset and chunk length, and the zero guard after the stream. */
    private void validateIndex() {
        EncodedTensor.Part index = tensor.index(), payload = tensor.payload(), plane = tensor.plane();
        verify(plane.size() == layout.elements(), plane.fileOffset(),
                "sign|mantissa plane has " + plane.size() + " bytes for " + layout.elements() + " weights");
        verify(index.size() == layout.indexBytes(), index.fileOffset(),
                "chunk index has " + index.size() + " bytes, " + layout.indexBytes() + " expected for " + layout.elements() + " weights");
        if (layout.elements() > 0) {
            verify(code.symbolCount() > 0, tensor.table().fileOffset(), "code table is empty but the tensor has weights");
        }
        int minLength = CodeTable.MAX_LENGTH_LIMIT, maxLength = code.isSingleSymbol() ? 0 : code.maxLength();
        for (int s = 0; s < CodeTable.SYMBOLS; s++) if (code.length(s) > 0) minLength = Math.min(minLength, code.length(s));
        if (code.isSingleSymbol()) minLength = 0;
        long bits = 0;
        MemorySegment idx = index.bytes();
        for (long g = 0; g < layout.groups(); g++) {
            verify(layout.groupOffset(idx, g) == bits, index.fileOffset() + g * 8,
                    "group " + g + " starts at bit " + layout.groupOffset(idx, g) + " but its chunks put it at " + bits);
            long c1 = Math.min(layout.chunks(), (g + 1) * layout.groupChunks());
            for (long c = g * layout.groupChunks(); c < c1; c++) {
                int n = layout.symbolsIn(c), len = layout.chunkBits(idx, c);
                if (len < (long) n * minLength || len > (long) n * maxLength) {
                    throw new MalformedInputException(index.fileOffset() + layout.chunkBitsOffset(c),
                            "chunk " + c + " claims " + len + " bits for " + n + " symbols of " + minLength + ".." + maxLength + " bits");
                }
                bits += len;
            }
        }
        verify(payload.size() == ChunkLayout.payloadBytes(bits), payload.fileOffset(),
                "exponent stream has " + payload.size() + " bytes, the index needs " + ChunkLayout.payloadBytes(bits));
        MemorySegment p = payload.bytes();
        long firstFree = bits >>> 3;
        int partial = (int) (bits & 7);
        if (partial != 0) {
            verify((p.get(ValueLayout.JAVA_BYTE, firstFree) & 0xFF) >>> partial == 0, payload.fileOffset() + firstFree, "nonzero bits after the exponent stream");
            firstFree++;
        }
        for (long at = firstFree; at < p.byteSize(); at++) {
            verify(p.get(ValueLayout.JAVA_BYTE, at) == 0, payload.fileOffset() + at, "nonzero bits after the exponent stream");
        }
    }

    /**
     * Per-thread decode state. Each chunk's bytes are first copied into heap arrays: the hot loops then
     * index arrays, which the JIT compiles far better than access to segments of varying classes.
     */
    private final class Worker {
        final byte[][] exponents = {new byte[layout.chunkSymbols() + PER_LOOKUP * 3], new byte[layout.chunkSymbols() + PER_LOOKUP * 3]};
        final byte[] values = new byte[layout.chunkSymbols() * 2];
        private final byte[] signMantissas = new byte[layout.chunkSymbols()];
        // A chunk's worst case is chunkSymbols × maxLength bits after a start bit in 0..7, plus one 8-byte load.
        private final byte[][] bits = {new byte[bitsBufferSize()], new byte[bitsBufferSize()]};
        private final long[] used = new long[2];
        private long chunk = -1, chunkStart;

        private int bitsBufferSize() { return layout.chunkSymbols() * Math.max(1, code.maxLength()) / 8 + 17; }

        /** Decodes the exponents of chunk {@code c} (into exponents[0]) and, if {@code pair}, of c + 1 (into exponents[1]). */
        void decode(long c, boolean pair) {
            long startA = startOf(c), startB = pair ? startOf(c + 1) : 0;
            int nA = layout.symbolsIn(c), nB = pair ? layout.symbolsIn(c + 1) : 0;
            if (code.isSingleSymbol()) {
                Arrays.fill(exponents[0], 0, nA, (byte) code.singleSymbol());
                Arrays.fill(exponents[1], 0, nB, (byte) code.singleSymbol());
                return;
            }
            fetch(c, startA, bits[0]);
            if (pair) {
                fetch(c + 1, startB, bits[1]);
                table.decodeTwo(bits[0], (int) (startA & 7), nA, exponents[0], bits[1], (int) (startB & 7), nB, exponents[1], used);
                check(c, startA, used[0]);
                check(c + 1, startB, used[1]);
            } else {
                check(c, startA, table.decode(bits[0], (int) (startA & 7), nA, exponents[0]));
            }
        }

        /**
         * Copies the bytes of chunk {@code c}'s bits, as the index gives them, to the start of {@code into}.
         * A chunk that decodes within its stated length reads nothing else; one that does not is rejected.
         */
        private void fetch(long c, long start, byte[] into) {
            MemorySegment src = tensor.payload().bytes();
            long from = start >>> 3;
            int length = (int) Math.min(src.byteSize() - from, ((start & 7) + layout.chunkBits(tensor.index().bytes(), c) + 7) / 8 + 8);
            MemorySegment.copy(src, ValueLayout.JAVA_BYTE, from, into, 0, length);
        }

        private void check(long c, long start, long used) {
            int expected = layout.chunkBits(tensor.index().bytes(), c);
            if (used != expected) {
                throw new MalformedInputException(tensor.payload().fileOffset() + (start >>> 3),
                        "chunk " + c + " decodes with " + used + " bits but the index gives it " + expected);
            }
        }

        private long startOf(long c) {
            if (c != chunk + 1 || c % layout.groupChunks() == 0) {
                long g = c / layout.groupChunks();
                chunkStart = layout.groupOffset(tensor.index().bytes(), g);
                for (long k = g * layout.groupChunks(); k < c; k++) chunkStart += layout.chunkBits(tensor.index().bytes(), k);
            } else {
                chunkStart += layout.chunkBits(tensor.index().bytes(), chunk);
            }
            chunk = c;
            return chunkStart;
        }

        /** Joins {@code n} decoded exponents with their sign|mantissa bytes into {@link #values}. */
        void join(byte[] exponents, long first, int n) {
            MemorySegment.copy(tensor.plane().bytes(), ValueLayout.JAVA_BYTE, first, signMantissas, 0, n);
            int i = 0;
            for (; i + 4 <= n; i += 4) {
                int e = (int) INT_IN_BYTES.get(exponents, i);
                LONG_IN_BYTES.set(values, 2 * i, Bf16.join4(e, (int) INT_IN_BYTES.get(signMantissas, i)));
            }
            for (; i < n; i++) {
                short v = Bf16.join(exponents[i] & 0xFF, signMantissas[i]);
                values[2 * i] = (byte) v;
                values[2 * i + 1] = (byte) (v >>> 8);
            }
        }
    }

    /**
     * A table indexed by the next W bits that returns up to four whole codewords at once:
     * entry = symbols (bytes 0..3) | count << 32 | bits << 40.
     */
    private record MultiSymbolTable(long[] multi, int mask, short[] single, int singleMask) {
        static MultiSymbolTable of(CodeTable code) {
            short[] single = code.decodeTable();
            int maxLength = code.maxLength();
            int window = Math.max(maxLength, 11);
            long[] multi = new long[1 << window];
            for (int i = 0; i < multi.length; i++) {
                long symbols = 0;
                int count = 0, bits = 0;
                while (count < PER_LOOKUP) {
                    int entry = single[(i >>> bits) & ((1 << maxLength) - 1)];
                    int len = entry >>> 8;
                    if (bits + len > window) break;
                    symbols |= (long) (entry & 0xFF) << (8 * count);
                    count++;
                    bits += len;
                }
                multi[i] = symbols | (long) count << 32 | (long) bits << 40;
            }
            return new MultiSymbolTable(multi, multi.length - 1, single, single.length - 1);
        }

        /** Decodes {@code n} symbols from bit {@code pos} of {@code src} into {@code out}; returns the bits used. */
        long decode(byte[] src, long pos, int n, byte[] out) {
            long start = pos;
            int i = 0;
            // Three lookups of at most 15 bits each fit the 57 valid bits of one unaligned load.
            while (i + 3 * PER_LOOKUP <= n) {
                long w = (long) LONG_IN_BYTES.get(src, (int) (pos >>> 3)) >>> (pos & 7);
                long e0 = multi[(int) w & mask];
                INT_IN_BYTES.set(out, i, (int) e0);
                i += (int) (e0 >>> 32) & 0xFF;
                w >>>= (int) (e0 >>> 40);
                long e1 = multi[(int) w & mask];
                INT_IN_BYTES.set(out, i, (int) e1);
                i += (int) (e1 >>> 32) & 0xFF;
                w >>>= (int) (e1 >>> 40);
                long e2 = multi[(int) w & mask];
                INT_IN_BYTES.set(out, i, (int) e2);
                i += (int) (e2 >>> 32) & 0xFF;
                pos += (int) (e0 >>> 40) + (int) (e1 >>> 40) + (int) (e2 >>> 40);
            }
            return finish(src, pos, i, n, out) - start;
        }

        /**
         * Decodes two chunks in one loop: two independent chains of table lookups keep the core busy
         * while each waits for its loads. Returns both bit counts.
         */
        void decodeTwo(byte[] srcA, long posA, int nA, byte[] outA, byte[] srcB, long posB, int nB, byte[] outB, long[] used) {
            long startA = posA, startB = posB;
            int i = 0, j = 0;
            while (i + 3 * PER_LOOKUP <= nA && j + 3 * PER_LOOKUP <= nB) {
                long wa = (long) LONG_IN_BYTES.get(srcA, (int) (posA >>> 3)) >>> (posA & 7);
                long wb = (long) LONG_IN_BYTES.get(srcB, (int) (posB >>> 3)) >>> (posB & 7);
                long a0 = multi[(int) wa & mask], b0 = multi[(int) wb & mask];
                INT_IN_BYTES.set(outA, i, (int) a0);
                INT_IN_BYTES.set(outB, j, (int) b0);
                i += (int) (a0 >>> 32) & 0xFF;
                j += (int) (b0 >>> 32) & 0xFF;
                wa >>>= (int) (a0 >>> 40);
                wb >>>= (int) (b0 >>> 40);
                long a1 = multi[(int) wa & mask], b1 = multi[(int) wb & mask];
                INT_IN_BYTES.set(outA, i, (int) a1);
                INT_IN_BYTES.set(outB, j, (int) b1);
                i += (int) (a1 >>> 32) & 0xFF;
                j += (int) (b1 >>> 32) & 0xFF;
                wa >>>= (int) (a1 >>> 40);
                wb >>>= (int) (b1 >>> 40);
                long a2 = multi[(int) wa & mask], b2 = multi[(int) wb & mask];
                INT_IN_BYTES.set(outA, i, (int) a2);
                INT_IN_BYTES.set(outB, j, (int) b2);
                i += (int) (a2 >>> 32) & 0xFF;
                j += (int) (b2 >>> 32) & 0xFF;
                posA += (int) (a0 >>> 40) + (int) (a1 >>> 40) + (int) (a2 >>> 40);
                posB += (int) (b0 >>> 40) + (int) (b1 >>> 40) + (int) (b2 >>> 40);
            }
            used[0] = finish(srcA, posA, i, nA, outA) - startA;
            used[1] = finish(srcB, posB, j, nB, outB) - startB;
        }

        /** The last symbols of a chunk, one lookup each, so that no lookup runs past the chunk. */
        private long finish(byte[] src, long pos, int i, int n, byte[] out) {
            while (i + 3 * PER_LOOKUP <= n) { // only when the other chunk of a pair ran out first
                long w = (long) LONG_IN_BYTES.get(src, (int) (pos >>> 3)) >>> (pos & 7);
                long e = multi[(int) w & mask];
                INT_IN_BYTES.set(out, i, (int) e);
                i += (int) (e >>> 32) & 0xFF;
                pos += (int) (e >>> 40);
            }
            while (i < n) {
                long w = (long) LONG_IN_BYTES.get(src, (int) (pos >>> 3)) >>> (pos & 7);
                int entry = single[(int) w & singleMask];
                out[i++] = (byte) entry;
                pos += entry >>> 8;
            }
            return pos;
        }
    }
}
