package dev.weightless.codec;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32C;

import static dev.weightless.codec.Bf16.INT_IN_BYTES;
import static dev.weightless.codec.Bf16.LONG_IN_BYTES;
import static dev.weightless.codec.Bf16.SHORT_IN_BYTES;

/**
 * Encodes a BF16 tensor in two steps so the caller can size its output before writing it:
 * {@link #plan} reads the input twice (histogram and checksum, then the bit length of each chunk),
 * and {@link Plan#write} reads it once more to pack the exponent stream and copy the sign|mantissa plane.
 * All three passes run over groups of chunks on several threads. Progress reports each input byte once per pass.
 */
public final class HuffmanEncoder {
    /** Symbols per task: large enough to amortise scheduling, small enough to balance threads. */
    private static final long TASK_SYMBOLS = 1 << 20;

    private HuffmanEncoder() {}

    /** Analyses little-endian BF16 values; {@code bf16} must hold an even number of bytes. */
    public static Plan plan(MemorySegment bf16, CodecOptions options) {
        if ((bf16.byteSize() & 1) != 0) throw new IllegalArgumentException("BF16 data must have an even byte count, got " + bf16.byteSize());
        ChunkLayout layout = new ChunkLayout(bf16.byteSize() / 2, options.chunkSymbols(), options.groupChunks());
        return new Plan(bf16, options, layout);
    }

    public static final class Plan {
        private final MemorySegment bf16;
        private final CodecOptions options;
        private final ChunkLayout layout;
        private final long groupsPerTask;
        private final long[] histogram = new long[CodeTable.SYMBOLS];
        private final int crc32c;
        private final CodeTable code;
        private final long[] groupBits;
        private final MemorySegment index;
        private final long totalBits;

        private Plan(MemorySegment bf16, CodecOptions options, ChunkLayout layout) {
            this.bf16 = bf16;
            this.options = options;
            this.layout = layout;
            long groupSymbols = (long) layout.chunkSymbols() * layout.groupChunks();
            this.groupsPerTask = Math.max(1, TASK_SYMBOLS / groupSymbols);
            this.crc32c = histogramAndChecksum();
            this.code = CodeTable.forHistogram(histogram, options.maxCodeLength());
            this.index = MemorySegment.ofArray(new byte[Math.toIntExact(layout.indexBytes())]);
            this.groupBits = new long[Math.toIntExact(layout.groups())];
            this.totalBits = measureChunks();
        }

        public ChunkLayout layout() { return layout; }

        public long[] histogram() { return histogram.clone(); }

        public CodeTable code() { return code; }

        /** CRC32C of the input bytes. */
        public int crc32c() { return crc32c; }

        public long payloadBits() { return totalBits; }

        public long payloadBytes() { return ChunkLayout.payloadBytes(totalBits); }

        public long indexBytes() { return layout.indexBytes(); }

        public long planeBytes() { return layout.elements(); }

        /** Everything the coded tensor takes: table, index, exponent stream and sign|mantissa plane. */
        public long encodedBytes() {
            return Math.addExact(Math.addExact(CodeTable.SERIALIZED_BYTES, indexBytes()), Math.addExact(payloadBytes(), planeBytes()));
        }

        private long tasks() { return ChunkLayout.ceilDiv(layout.groups(), groupsPerTask); }

        private long firstElement(long task) {
            return Math.min(layout.elements(), task * groupsPerTask * layout.groupChunks() * layout.chunkSymbols());
        }

        /** Chunks [first, end) of a task: tasks are whole groups. */
        private long firstChunk(long task) { return Math.min(layout.chunks(), task * groupsPerTask * layout.groupChunks()); }

        /**
         * Copies chunk {@code c}'s values into {@code in}; returns their count. Hot loops then run over a
         * heap array: access to a segment whose class varies (mapped, native, heap) does not inline well.
         */
        private int load(long c, byte[] in) {
            int n = layout.symbolsIn(c);
            MemorySegment.copy(bf16, ValueLayout.JAVA_BYTE, c * layout.chunkSymbols() * 2, in, 0, 2 * n);
            return n;
        }

        private int histogramAndChecksum() {
            long tasks = tasks();
            int[] crcs = new int[Math.toIntExact(tasks)];
            Parallel.forEach(options.threads(), tasks, task -> {
                byte[] in = new byte[2 * layout.chunkSymbols()];
                // Four sub-histograms so that runs of one exponent do not serialise on one counter.
                int[][] h = new int[4][256];
                CRC32C crc = new CRC32C();
                for (long c = firstChunk(task), end = firstChunk(task + 1); c < end; c++) {
                    int n = load(c, in);
                    crc.update(in, 0, 2 * n);
                    countExponents(in, n, h);
                }
                crcs[(int) task] = (int) crc.getValue();
                synchronized (histogram) {
                    for (int s = 0; s < 256; s++) histogram[s] += (long) h[0][s] + h[1][s] + h[2][s] + h[3][s];
                }
                options.progress().accept((firstElement(task + 1) - firstElement(task)) * 2);
            });
            int crc = 0;
            for (long t = 0; t < tasks; t++) {
                crc = Crc32c.combine(crc, crcs[(int) t], (firstElement(t + 1) - firstElement(t)) * 2);
            }
            return crc;
        }

        private static void countExponents(byte[] in, int n, int[][] h) {
            int[] h0 = h[0], h1 = h[1], h2 = h[2], h3 = h[3];
            int i = 0;
            for (; i + 4 <= n; i += 4) {
                long v = (long) LONG_IN_BYTES.get(in, 2 * i);
                h0[(int) (v >>> 7) & 0xFF]++;
                h1[(int) (v >>> 23) & 0xFF]++;
                h2[(int) (v >>> 39) & 0xFF]++;
                h3[(int) (v >>> 55) & 0xFF]++;
            }
            for (; i < n; i++) h0[Bf16.exponent((short) SHORT_IN_BYTES.get(in, 2 * i))]++;
        }

        private long measureChunks() {
            int[] cost = code.bitCosts();
            Parallel.forEach(options.threads(), tasks(), task -> {
                byte[] in = new byte[2 * layout.chunkSymbols()];
                long g0 = task * groupsPerTask, g1 = Math.min(layout.groups(), g0 + groupsPerTask);
                for (long g = g0; g < g1; g++) {
                    long sum = 0;
                    for (long c = g * layout.groupChunks(), end = Math.min(layout.chunks(), c + layout.groupChunks()); c < end; c++) {
                        int bits = chunkCost(in, load(c, in), cost);
                        layout.chunkBits(index, c, bits);
                        sum += bits;
                    }
                    groupBits[(int) g] = sum;
                }
                options.progress().accept((firstElement(task + 1) - firstElement(task)) * 2);
            });
            long offset = 0;
            for (long g = 0; g < layout.groups(); g++) {
                layout.groupOffset(index, g, offset);
                offset += groupBits[(int) g];
            }
            return offset;
        }

        private static int chunkCost(byte[] in, int n, int[] cost) {
            int bits = 0, i = 0;
            for (; i + 4 <= n; i += 4) {
                long v = (long) LONG_IN_BYTES.get(in, 2 * i);
                bits += cost[(int) (v >>> 7) & 0xFF] + cost[(int) (v >>> 23) & 0xFF]
                        + cost[(int) (v >>> 39) & 0xFF] + cost[(int) (v >>> 55) & 0xFF];
            }
            for (; i < n; i++) bits += cost[Bf16.exponent((short) SHORT_IN_BYTES.get(in, 2 * i))];
            return bits;
        }

        /** Writes the coded tensor into fresh segments of {@code arena}. */
        public EncodedTensor writeTo(Arena arena) {
            MemorySegment t = arena.allocate(CodeTable.SERIALIZED_BYTES), i = arena.allocate(indexBytes());
            MemorySegment p = arena.allocate(payloadBytes()), s = arena.allocate(planeBytes());
            write(t, i, p, s);
            return new EncodedTensor(layout.elements(), layout.chunkSymbols(), layout.groupChunks(), crc32c,
                    EncodedTensor.Part.of(t), EncodedTensor.Part.of(i), EncodedTensor.Part.of(p), EncodedTensor.Part.of(s));
        }

        /**
         * Writes the four parts. Segments must have exactly the planned sizes
         * ({@link CodeTable#SERIALIZED_BYTES}, {@link #indexBytes()}, {@link #payloadBytes()}, {@link #planeBytes()}).
         */
        public void write(MemorySegment table, MemorySegment indexOut, MemorySegment payload, MemorySegment plane) {
            requireSize("code table", table, CodeTable.SERIALIZED_BYTES);
            requireSize("index", indexOut, indexBytes());
            requireSize("payload", payload, payloadBytes());
            requireSize("sign|mantissa plane", plane, planeBytes());
            code.write(table);
            MemorySegment.copy(index, 0, indexOut, 0, index.byteSize());
            int[] codes = new int[CodeTable.SYMBOLS];
            int[] cost = code.bitCosts();
            for (int s = 0; s < codes.length; s++) codes[s] = code.reversedCode(s) | cost[s] << 16;
            long tasks = tasks();
            List<long[]> edges = new ArrayList<>(); // {byte, value} of the first and last byte of each task, which neighbours share
            Parallel.forEach(options.threads(), tasks, task -> {
                long[][] own = pack(task, codes, payload, plane);
                synchronized (edges) {
                    edges.addAll(Arrays.asList(own));
                }
                options.progress().accept((firstElement(task + 1) - firstElement(task)) * 2);
            });
            Map<Long, Long> merged = new TreeMap<>();
            for (long[] e : edges) merged.merge(e[0], e[1], (x, y) -> x | y);
            merged.forEach((at, value) -> payload.set(ValueLayout.JAVA_BYTE, at, (byte) (long) value));
            long written = ChunkLayout.ceilDiv(totalBits, 8);
            payload.asSlice(written).fill((byte) 0);
        }

        /**
         * Packs the chunks of one task into a buffer and copies its sign|mantissa bytes. The buffer's
         * interior goes to {@code payload}; its first and last bytes are returned, since the tasks on either
         * side may have bits in them. Codes are added four at a time (at most 4 × 14 bits on at most 7
         * pending bits fit the accumulator), then whole bytes are flushed with one unaligned store.
         */
        private long[][] pack(long task, int[] codes, MemorySegment payload, MemorySegment plane) {
            long g0 = task * groupsPerTask, g1 = g0 + groupsPerTask;
            long startBit = layout.groupOffset(index, g0);
            long endBit = g1 < layout.groups() ? layout.groupOffset(index, g1) : totalBits;
            long firstByte = startBit >>> 3, endByte = ChunkLayout.ceilDiv(endBit, 8);
            byte[] out = new byte[Math.toIntExact(endByte - firstByte) + 8];
            byte[] in = new byte[2 * layout.chunkSymbols()];
            byte[] planeOut = new byte[layout.chunkSymbols()];
            int at = 0;                           // byte of out that holds bit 0 of acc
            int pending = (int) (startBit & 7);   // bits in acc; those before startBit are zero
            long acc = 0;
            for (long c = firstChunk(task), end = firstChunk(task + 1); c < end; c++) {
                int n = load(c, in), i = 0;
                for (; i + 4 <= n; i += 4) {
                    long v = (long) LONG_IN_BYTES.get(in, 2 * i);
                    INT_IN_BYTES.set(planeOut, i, Bf16.signMantissas4(v));
                    int c0 = codes[(int) (v >>> 7) & 0xFF], c1 = codes[(int) (v >>> 23) & 0xFF];
                    int c2 = codes[(int) (v >>> 39) & 0xFF], c3 = codes[(int) (v >>> 55) & 0xFF];
                    acc |= (long) (c0 & 0xFFFF) << pending;
                    pending += c0 >>> 16;
                    acc |= (long) (c1 & 0xFFFF) << pending;
                    pending += c1 >>> 16;
                    acc |= (long) (c2 & 0xFFFF) << pending;
                    pending += c2 >>> 16;
                    acc |= (long) (c3 & 0xFFFF) << pending;
                    pending += c3 >>> 16;
                    LONG_IN_BYTES.set(out, at, acc);
                    int bytes = pending >>> 3;
                    at += bytes;
                    acc >>>= bytes << 3;
                    pending &= 7;
                }
                for (; i < n; i++) {
                    short v = (short) SHORT_IN_BYTES.get(in, 2 * i);
                    planeOut[i] = (byte) Bf16.signMantissa(v);
                    int c0 = codes[Bf16.exponent(v)];
                    acc |= (long) (c0 & 0xFFFF) << pending;
                    pending += c0 >>> 16;
                    LONG_IN_BYTES.set(out, at, acc);
                    int bytes = pending >>> 3;
                    at += bytes;
                    acc >>>= bytes << 3;
                    pending &= 7;
                }
                MemorySegment.copy(planeOut, 0, plane, ValueLayout.JAVA_BYTE, c * layout.chunkSymbols(), n);
            }
            LONG_IN_BYTES.set(out, at, acc);
            if (firstByte * 8 + at * 8L + pending != endBit) {
                throw new IllegalStateException("packed " + (at * 8L + pending) + " bits where the index planned " + (endBit - firstByte * 8));
            }
            int length = (int) (endByte - firstByte);
            if (length == 0) return new long[0][]; // a single-symbol code spends no bits
            if (length > 2) MemorySegment.copy(out, 1, payload, ValueLayout.JAVA_BYTE, firstByte + 1, length - 2);
            return new long[][] {{firstByte, out[0] & 0xFF}, {endByte - 1, out[length - 1] & 0xFF}};
        }

        private static void requireSize(String what, MemorySegment s, long size) {
            if (s.byteSize() != size) throw new IllegalArgumentException(what + " must be " + size + " bytes, got " + s.byteSize());
        }
    }
}
