package dev.weightless.codec;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

import static dev.weightless.codec.MalformedInputException.verify;

/**
 * The reference decoder. It validates the whole index against the payload before decoding anything,
 * decodes chunks on several threads (each chunk must consume exactly the bits the index gives it),
 * and checks the CRC32C of the result. It reads the stored parts and writes the output in place, with
 * no copy through the heap; reads never leave the given segments (each access is bounds-checked).
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

    private HuffmanDecoder(EncodedTensor tensor, boolean forDecoding) {
        this.tensor = tensor;
        this.layout = layout(tensor);
        this.code = readTable(tensor.table());
        validateIndex();
        this.chunksPerTask = Math.max(1, TASK_SYMBOLS / layout.chunkSymbols());
        this.table = forDecoding && code.symbolCount() > 1 ? MultiSymbolTable.of(code) : null;
    }

    /** Validates {@code tensor} completely, or throws {@link MalformedInputException}. */
    public static HuffmanDecoder open(EncodedTensor tensor) { return new HuffmanDecoder(tensor, true); }

    /**
     * Validates {@code tensor} as {@link #open} does and returns its code, without building the CPU decode
     * tables: for decoders elsewhere (the GPU's), which need only to know the input is sound.
     */
    public static CodeTable validate(EncodedTensor tensor) { return new HuffmanDecoder(tensor, false).code; }

    public CodeTable code() { return code; }

    /** Decodes into {@code out} ({@code 2 × elements} bytes) and checks the CRC32C. */
    public void decode(MemorySegment out, CodecOptions options) {
        if (out.byteSize() != Math.multiplyExact(layout.elements(), 2)) {
            throw new IllegalArgumentException("output must be " + layout.elements() * 2 + " bytes, got " + out.byteSize());
        }
        if (out.isReadOnly()) throw new IllegalArgumentException("output segment is read-only");
        MemorySegment target = Segments.plain(out);
        long tasks = ChunkLayout.ceilDiv(layout.chunks(), chunksPerTask);
        int[] crcs = new int[Math.toIntExact(tasks)];
        Parallel.forEach(options.threads(), tasks, task -> {
            Worker w = new Worker();
            CRC32C crc = new CRC32C();
            long first = task * chunksPerTask, end = Math.min(layout.chunks(), first + chunksPerTask);
            long base = 2 * first * layout.chunkSymbols();
            // One view of the task's output for the checksum; each chunk is summed just after it is written, while in cache.
            ByteBuffer view = target.asSlice(base, 2 * (Math.min(layout.elements(), end * layout.chunkSymbols()) - first * layout.chunkSymbols())).asByteBuffer();
            long bytes = 0;
            for (long c = first; c < end; c++) {
                long at = 2 * c * layout.chunkSymbols();
                int n = w.decode(c, target, at);
                view.limit((int) (at - base) + 2 * n).position((int) (at - base));
                crc.update(view);
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
        Reference.reachabilityFence(out); // the plain views do not hold the segments' arenas
        Reference.reachabilityFence(tensor);
        if (crc != tensor.crc32c()) throw new ChecksumMismatchException("decoded tensor", tensor.crc32c(), crc);
    }

    /** The exponent histogram, decoding each chunk into a small off-heap scratch (for statistics; no checksum). */
    public long[] exponentHistogram(CodecOptions options) {
        long[] histogram = new long[CodeTable.SYMBOLS];
        long tasks = ChunkLayout.ceilDiv(layout.chunks(), chunksPerTask);
        Parallel.forEach(options.threads(), tasks, task -> {
            Worker w = new Worker();
            long[] local = new long[CodeTable.SYMBOLS];
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment scratch = Segments.plain(arena.allocate(2L * layout.chunkSymbols()));
                for (long c = task * chunksPerTask, end = Math.min(layout.chunks(), c + chunksPerTask); c < end; c++) {
                    for (int i = 0, n = w.decode(c, scratch, 0); i < n; i++) local[Bf16.exponent(scratch.get(Bf16.SHORT_LE, 2L * i))]++;
                }
            }
            synchronized (histogram) {
                for (int s = 0; s < local.length; s++) histogram[s] += local[s];
            }
        });
        Reference.reachabilityFence(tensor);
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
        long chunks = layout.chunks(), bitsAt = layout.chunkBitsOffset(0);
        long fullMin = (long) layout.chunkSymbols() * minLength, fullMax = (long) layout.chunkSymbols() * maxLength;
        // A group's chunk lengths are read in one bulk copy and checked in a plain loop: segment reads one by one
        // are slow until the JIT has compiled them, and a model load validates hundreds of tensors before it has.
        short[] lengths = new short[layout.groupChunks()];
        for (long g = 0; g < layout.groups(); g++) {
            long start = layout.groupOffset(idx, g);
            if (start != bits) {
                // The message is built only here: once per group it dominated a model load's validation (NOTES.md).
                throw new MalformedInputException(index.fileOffset() + g * 8, "group " + g + " starts at bit " + start + " but its chunks put it at " + bits);
            }
            long c0 = g * layout.groupChunks();
            int count = (int) (Math.min(chunks, c0 + layout.groupChunks()) - c0);
            MemorySegment.copy(idx, ChunkLayout.U16, bitsAt + c0 * 2, lengths, 0, count);
            for (int i = 0; i < count; i++) {
                long c = c0 + i;
                int len = Short.toUnsignedInt(lengths[i]);
                boolean full = c < chunks - 1;
                if (full ? len < fullMin || len > fullMax : len < (long) layout.symbolsIn(c) * minLength || len > (long) layout.symbolsIn(c) * maxLength) {
                    throw new MalformedInputException(index.fileOffset() + layout.chunkBitsOffset(c),
                            "chunk " + c + " claims " + len + " bits for " + layout.symbolsIn(c) + " symbols of " + minLength + ".." + maxLength + " bits");
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
     * Per-thread decode state. Chunks are read from the stored parts and written to the output where they
     * are, with no copy through the heap: every read is bounds-checked by its segment, and a chunk whose
     * codewords run past the end of the stream (a hostile index) is rejected like one of the wrong length.
     */
    private final class Worker {
        private final MemorySegment payload = Segments.plain(tensor.payload().bytes());
        private final MemorySegment plane = Segments.plain(tensor.plane().bytes());
        private long chunk = -1, chunkStart;

        /** Decodes chunk {@code c} into {@code out} from byte {@code at} (2 bytes per value); returns its symbol count. */
        int decode(long c, MemorySegment out, long at) {
            long start = startOf(c);
            int n = layout.symbolsIn(c);
            long sm = c * layout.chunkSymbols();
            long used = 0;
            if (code.isSingleSymbol()) {
                int e = code.singleSymbol();
                for (int i = 0; i < n; i++) out.set(Bf16.SHORT_LE, at + 2L * i, Bf16.join(e, plane.get(ValueLayout.JAVA_BYTE, sm + i)));
            } else {
                try {
                    used = table.decode(payload, start, n, plane, sm, out, at);
                } catch (IndexOutOfBoundsException e) {
                    throw new MalformedInputException(tensor.payload().fileOffset() + (start >>> 3),
                            "chunk " + c + " runs past the end of the exponent stream");
                }
            }
            int expected = layout.chunkBits(tensor.index().bytes(), c);
            if (used != expected) {
                throw new MalformedInputException(tensor.payload().fileOffset() + (start >>> 3),
                        "chunk " + c + " decodes with " + used + " bits but the index gives it " + expected);
            }
            return n;
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
         * sign|mantissa byte ({@code sm} from byte {@code smAt}) and writes the BF16 values to {@code out}
         * from byte {@code outAt}; returns the bits used.
         */
        long decode(MemorySegment src, long pos, int n, MemorySegment sm, long smAt, MemorySegment out, long outAt) {
            long start = pos;
            int i = 0;
            // Three lookups of at most 15 bits each fit the 57 valid bits of one unaligned load.
            while (i + 3 * PER_LOOKUP <= n) {
                long w = src.get(Bf16.LONG_LE, pos >>> 3) >>> (pos & 7);
                long e0 = multi[(int) w & mask];
                out.set(Bf16.LONG_LE, outAt + 2L * i, (e0 & EXPONENTS) | Bf16.signMantissaLanes(sm.get(Bf16.INT_LE, smAt + i)));
                i += (int) (e0 >>> 4) & 7;
                w >>>= (int) e0 & 0xF;
                long e1 = multi[(int) w & mask];
                out.set(Bf16.LONG_LE, outAt + 2L * i, (e1 & EXPONENTS) | Bf16.signMantissaLanes(sm.get(Bf16.INT_LE, smAt + i)));
                i += (int) (e1 >>> 4) & 7;
                w >>>= (int) e1 & 0xF;
                long e2 = multi[(int) w & mask];
                out.set(Bf16.LONG_LE, outAt + 2L * i, (e2 & EXPONENTS) | Bf16.signMantissaLanes(sm.get(Bf16.INT_LE, smAt + i)));
                i += (int) (e2 >>> 4) & 7;
                pos += ((int) e0 & 0xF) + ((int) e1 & 0xF) + ((int) e2 & 0xF);
            }
            // The last symbols one lookup each, so that no lookup runs past the chunk.
            while (i < n) {
                long w = src.get(Bf16.LONG_LE, pos >>> 3) >>> (pos & 7);
                int entry = single[(int) w & singleMask];
                out.set(Bf16.SHORT_LE, outAt + 2L * i, Bf16.join(entry & 0xFF, sm.get(ValueLayout.JAVA_BYTE, smAt + i)));
                i++;
                pos += entry >>> 8;
            }
            return pos - start;
        }
    }
}
