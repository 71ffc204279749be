package dev.weightless.codec;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.zip.CRC32C;

import static dev.weightless.codec.Bf16.INT_IN_BYTES;
import static dev.weightless.codec.Bf16.LONG_IN_BYTES;
import static dev.weightless.codec.Bf16.SHORT_IN_BYTES;
import static dev.weightless.codec.MalformedInputException.verify;

/**
 * The reference decoder. It validates the whole index against the payload before decoding anything,
 * decodes chunks on several threads (each chunk must consume exactly the bits the index gives it),
 * and checks the CRC32C of the result. Reads never leave the given segments: each chunk's bytes are
 * copied into a heap buffer sized for the chunk's worst case, and the decoder reads only that buffer.
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
            Worker w = new Worker(true);
            CRC32C crc = new CRC32C();
            long bytes = 0;
            for (long c = task * chunksPerTask, end = Math.min(layout.chunks(), c + chunksPerTask); c < end; c++) {
                int n = w.decode(c);
                crc.update(w.values, 0, 2 * n);
                MemorySegment.copy(w.values, 0, out, ValueLayout.JAVA_BYTE, 2 * c * layout.chunkSymbols(), 2 * n);
                bytes += 2L * n;
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
            Worker w = new Worker(false);
            long[] local = new long[CodeTable.SYMBOLS];
            for (long c = task * chunksPerTask, end = Math.min(layout.chunks(), c + chunksPerTask); c < end; c++) {
                for (int i = 0, n = w.decode(c); i < n; i++) local[Bf16.exponent((short) SHORT_IN_BYTES.get(w.values, 2 * i))]++;
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
     * Per-thread decode state. Each chunk's bytes are first copied into heap arrays: the hot loop then
     * indexes arrays, which the JIT compiles far better than access to segments of varying classes.
     */
    private final class Worker {
        /** The decoded chunk: BF16 values, little-endian. */
        final byte[] values = new byte[2 * (layout.chunkSymbols() + PER_LOOKUP)];
        private final byte[] signMantissas = new byte[layout.chunkSymbols() + PER_LOOKUP];
        // A chunk's worst case is chunkSymbols × maxLength bits after a start bit in 0..7, plus one 8-byte load.
        private final byte[] bits = new byte[layout.chunkSymbols() * Math.max(1, code.maxLength()) / 8 + 17];
        private final boolean withPlane;
        private long chunk = -1, chunkStart;

        /** @param withPlane false to decode exponents alone (the sign|mantissa bits of the values are then zero) */
        Worker(boolean withPlane) { this.withPlane = withPlane; }

        /** Decodes chunk {@code c} into {@link #values}; returns its symbol count. */
        int decode(long c) {
            long start = startOf(c);
            int n = layout.symbolsIn(c);
            if (withPlane) MemorySegment.copy(tensor.plane().bytes(), ValueLayout.JAVA_BYTE, c * layout.chunkSymbols(), signMantissas, 0, n);
            long used = 0;
            if (code.isSingleSymbol()) {
                int e = code.singleSymbol();
                for (int i = 0; i < n; i++) SHORT_IN_BYTES.set(values, 2 * i, Bf16.join(e, signMantissas[i]));
            } else {
                fetch(c, start);
                used = table.decode(bits, start & 7, n, signMantissas, values);
            }
            int expected = layout.chunkBits(tensor.index().bytes(), c);
            if (used != expected) {
                throw new MalformedInputException(tensor.payload().fileOffset() + (start >>> 3),
                        "chunk " + c + " decodes with " + used + " bits but the index gives it " + expected);
            }
            return n;
        }

        /**
         * Copies the bytes of chunk {@code c}'s bits, as the index gives them, to the start of {@link #bits}.
         * A chunk that decodes within its stated length reads nothing else; one that does not is rejected.
         */
        private void fetch(long c, long start) {
            MemorySegment src = tensor.payload().bytes();
            long from = start >>> 3;
            int length = (int) Math.min(src.byteSize() - from, ((start & 7) + layout.chunkBits(tensor.index().bytes(), c) + 7) / 8 + 8);
            MemorySegment.copy(src, ValueLayout.JAVA_BYTE, from, bits, 0, length);
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
    }

    /**
     * Decode tables. One lookup in {@code multi} with the next W bits returns up to four whole codewords,
     * already placed as BF16 exponent fields in four 16-bit lanes (bits 7..14 of each), with the bits
     * used in bits 0..3 and the symbol count in bits 4..6 (where lane 0's mantissa goes, masked off).
     * {@code single} is the plain one-symbol table ({@code symbol | length << 8}) for a chunk's last symbols.
     */
    private record MultiSymbolTable(long[] multi, int mask, short[] single, int singleMask) {
        private static final long EXPONENTS = 0x7F807F807F807F80L;

        static MultiSymbolTable of(CodeTable code) {
            short[] single = code.decodeTable();
            int maxLength = code.maxLength();
            int window = Math.max(maxLength, 11);
            long[] multi = new long[1 << window];
            for (int i = 0; i < multi.length; i++) {
                long lanes = 0;
                int count = 0, bits = 0;
                while (count < PER_LOOKUP) {
                    int entry = single[(i >>> bits) & ((1 << maxLength) - 1)];
                    int len = entry >>> 8;
                    if (bits + len > window) break;
                    lanes |= (long) (entry & 0xFF) << (16 * count + 7);
                    count++;
                    bits += len;
                }
                multi[i] = lanes | count << 4 | bits;
            }
            return new MultiSymbolTable(multi, multi.length - 1, single, single.length - 1);
        }

        /**
         * Decodes {@code n} symbols starting at bit {@code pos} of {@code src}, joins each with its
         * sign|mantissa byte and writes the BF16 values to {@code out}; returns the bits used.
         */
        long decode(byte[] src, long pos, int n, byte[] signMantissas, byte[] out) {
            long start = pos;
            int i = 0;
            // Three lookups of at most 15 bits each fit the 57 valid bits of one unaligned load.
            while (i + 3 * PER_LOOKUP <= n) {
                long w = (long) LONG_IN_BYTES.get(src, (int) (pos >>> 3)) >>> (pos & 7);
                long e0 = multi[(int) w & mask];
                LONG_IN_BYTES.set(out, 2 * i, (e0 & EXPONENTS) | Bf16.signMantissaLanes((int) INT_IN_BYTES.get(signMantissas, i)));
                i += (int) (e0 >>> 4) & 7;
                w >>>= (int) e0 & 0xF;
                long e1 = multi[(int) w & mask];
                LONG_IN_BYTES.set(out, 2 * i, (e1 & EXPONENTS) | Bf16.signMantissaLanes((int) INT_IN_BYTES.get(signMantissas, i)));
                i += (int) (e1 >>> 4) & 7;
                w >>>= (int) e1 & 0xF;
                long e2 = multi[(int) w & mask];
                LONG_IN_BYTES.set(out, 2 * i, (e2 & EXPONENTS) | Bf16.signMantissaLanes((int) INT_IN_BYTES.get(signMantissas, i)));
                i += (int) (e2 >>> 4) & 7;
                pos += ((int) e0 & 0xF) + ((int) e1 & 0xF) + ((int) e2 & 0xF);
            }
            // The last symbols one lookup each, so that no lookup runs past the chunk.
            while (i < n) {
                long w = (long) LONG_IN_BYTES.get(src, (int) (pos >>> 3)) >>> (pos & 7);
                int entry = single[(int) w & singleMask];
                SHORT_IN_BYTES.set(out, 2 * i, Bf16.join(entry & 0xFF, signMantissas[i]));
                i++;
                pos += entry >>> 8;
            }
            return pos - start;
        }
    }
}
