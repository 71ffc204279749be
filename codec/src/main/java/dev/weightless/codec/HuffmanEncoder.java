package dev.weightless.codec;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32C;


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
        private final MemorySegment input; // as given: holds its arena while the plain view below is in use
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
            this.input = bf16;
            this.bf16 = Segments.plain(bf16);
            this.options = options;
            this.layout = layout;
            long groupSymbols = (long) layout.chunkSymbols() * layout.groupChunks();
            this.groupsPerTask = Math.max(1, TASK_SYMBOLS / groupSymbols);
            this.crc32c = histogramAndChecksum();
            this.code = CodeTable.forHistogram(histogram, options.maxCodeLength());
            // Off-heap, released with the plan: the index is the one part sized by the input that the plan holds.
            this.index = Arena.ofAuto().allocate(Math.max(1, layout.indexBytes())).asSlice(0, layout.indexBytes());
            this.groupBits = new long[Math.toIntExact(layout.groups())];
            this.totalBits = measureChunks();
            Reference.reachabilityFence(input);
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

        /** Byte offset of chunk {@code c}'s first value in the input. */
        private long at(long c) { return 2 * c * layout.chunkSymbols(); }

        private int histogramAndChecksum() {
            long tasks = tasks();
            int[] crcs = new int[Math.toIntExact(tasks)];
            Parallel.forEach(options.threads(), tasks, task -> {
                // Four sub-histograms so that runs of one exponent do not serialise on one counter.
                int[][] h = new int[4][256];
                CRC32C crc = new CRC32C();
                long from = 2 * firstElement(task), to = 2 * firstElement(task + 1);
                crc.update(bf16.asSlice(from, to - from).asByteBuffer()); // the input in place, no heap copy
                for (long c = firstChunk(task), end = firstChunk(task + 1); c < end; c++) {
                    countExponents(bf16, at(c), layout.symbolsIn(c), h);
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

        private static void countExponents(MemorySegment in, long at, int n, int[][] h) {
            int[] h0 = h[0], h1 = h[1], h2 = h[2], h3 = h[3];
            int i = 0;
            for (; i + 4 <= n; i += 4) {
                long v = in.get(Bf16.LONG_LE, at + 2L * i);
                h0[(int) (v >>> 7) & 0xFF]++;
                h1[(int) (v >>> 23) & 0xFF]++;
                h2[(int) (v >>> 39) & 0xFF]++;
                h3[(int) (v >>> 55) & 0xFF]++;
            }
            for (; i < n; i++) h0[Bf16.exponent(in.get(Bf16.SHORT_LE, at + 2L * i))]++;
        }

        private long measureChunks() {
            int[] cost = code.bitCosts();
            Parallel.forEach(options.threads(), tasks(), task -> {
                long g0 = task * groupsPerTask, g1 = Math.min(layout.groups(), g0 + groupsPerTask);
                for (long g = g0; g < g1; g++) {
                    long sum = 0;
                    for (long c = g * layout.groupChunks(), end = Math.min(layout.chunks(), c + layout.groupChunks()); c < end; c++) {
                        int bits = chunkCost(bf16, at(c), layout.symbolsIn(c), cost);
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

        private static int chunkCost(MemorySegment in, long at, int n, int[] cost) {
            int bits = 0, i = 0;
            for (; i + 4 <= n; i += 4) {
                long v = in.get(Bf16.LONG_LE, at + 2L * i);
                bits += cost[(int) (v >>> 7) & 0xFF] + cost[(int) (v >>> 23) & 0xFF]
                        + cost[(int) (v >>> 39) & 0xFF] + cost[(int) (v >>> 55) & 0xFF];
            }
            for (; i < n; i++) bits += cost[Bf16.exponent(in.get(Bf16.SHORT_LE, at + 2L * i))];
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
            if (payload.isReadOnly() || plane.isReadOnly()) throw new IllegalArgumentException("output segments must be writable");
            code.write(table);
            MemorySegment.copy(index, 0, indexOut, 0, index.byteSize());
            int[] codes = new int[CodeTable.SYMBOLS];
            int[] cost = code.bitCosts();
            for (int s = 0; s < codes.length; s++) codes[s] = code.reversedCode(s) | cost[s] << 16;
            MemorySegment outPayload = Segments.plain(payload), outPlane = Segments.plain(plane);
            long tasks = tasks();
            List<long[]> edges = new ArrayList<>(); // {byte, value} of the first and last byte of each task, which neighbours share
            Parallel.forEach(options.threads(), tasks, task -> {
                long[][] own = pack(task, codes, outPayload, outPlane);
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
            Reference.reachabilityFence(input);
        }

        /**
         * Packs the chunks of one task straight into {@code payload} and writes their sign|mantissa bytes to
         * {@code plane}, reading the input in place: no heap buffer holds tensor data. The task's first and
         * last payload bytes are returned instead of written, since the tasks on either side may have bits
         * in them. Codes are added four at a time (at most 4 × 14 bits on at most 7 pending bits fit the
         * accumulator), then whole bytes are flushed with one unaligned 8-byte store, which may also write
         * bytes not yet complete (later stores overwrite them); stores that would touch a shared edge byte
         * or the next task's bytes go a byte at a time instead.
         */
        private long[][] pack(long task, int[] codes, MemorySegment payload, MemorySegment plane) {
            long g0 = task * groupsPerTask, g1 = g0 + groupsPerTask;
            long startBit = layout.groupOffset(index, g0);
            long endBit = g1 < layout.groups() ? layout.groupOffset(index, g1) : totalBits;
            long firstByte = startBit >>> 3, endByte = ChunkLayout.ceilDiv(endBit, 8);
            Edges edges = new Edges(payload, firstByte, endByte - firstByte);
            long at = 0;                          // byte of the task (from firstByte) that holds bit 0 of acc
            int pending = (int) (startBit & 7);   // bits in acc; those before startBit are zero
            long acc = 0;
            long fastEnd = endByte - firstByte - 9; // an 8-byte store at or before this stays inside the interior
            for (long c = firstChunk(task), end = firstChunk(task + 1); c < end; c++) {
                int n = layout.symbolsIn(c), i = 0;
                long in = at(c), sm = c * layout.chunkSymbols();
                for (; i + 4 <= n; i += 4) {
                    long v = bf16.get(Bf16.LONG_LE, in + 2L * i);
                    plane.set(Bf16.INT_LE, sm + i, Bf16.signMantissas4(v));
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
                    int bytes = pending >>> 3;
                    if (at >= 1 && at <= fastEnd) payload.set(Bf16.LONG_LE, firstByte + at, acc);
                    else edges.put(at, acc, bytes);
                    at += bytes;
                    acc >>>= bytes << 3;
                    pending &= 7;
                }
                for (; i < n; i++) {
                    short v = bf16.get(Bf16.SHORT_LE, in + 2L * i);
                    plane.set(ValueLayout.JAVA_BYTE, sm + i, (byte) Bf16.signMantissa(v));
                    int c0 = codes[Bf16.exponent(v)];
                    acc |= (long) (c0 & 0xFFFF) << pending;
                    pending += c0 >>> 16;
                    int bytes = pending >>> 3;
                    if (at >= 1 && at <= fastEnd) payload.set(Bf16.LONG_LE, firstByte + at, acc);
                    else edges.put(at, acc, bytes);
                    at += bytes;
                    acc >>>= bytes << 3;
                    pending &= 7;
                }
            }
            if (pending > 0) edges.put(at, acc, 1); // the last, partial byte
            if (firstByte * 8 + at * 8 + pending != endBit) {
                throw new IllegalStateException("packed " + (at * 8 + pending) + " bits where the index planned " + (endBit - firstByte * 8));
            }
            if (endByte == firstByte) return new long[0][]; // a single-symbol code spends no bits
            return new long[][] {{firstByte, edges.first & 0xFF}, {endByte - 1, edges.last & 0xFF}};
        }

        /** Byte-at-a-time stores near a task's ends: its first and last bytes are kept aside, the rest written. */
        private static final class Edges {
            private final MemorySegment payload;
            private final long firstByte, length;
            int first, last;

            Edges(MemorySegment payload, long firstByte, long length) {
                this.payload = payload;
                this.firstByte = firstByte;
                this.length = length;
            }

            /** Stores the low {@code bytes} bytes of {@code acc} at task byte {@code at} onwards. */
            void put(long at, long acc, int bytes) {
                for (int k = 0; k < bytes; k++, at++, acc >>>= 8) {
                    if (at == 0) first = (int) acc & 0xFF;
                    else if (at == length - 1) last = (int) acc & 0xFF;
                    else payload.set(ValueLayout.JAVA_BYTE, firstByte + at, (byte) acc);
                }
            }
        }

        private static void requireSize(String what, MemorySegment s, long size) {
            if (s.byteSize() != size) throw new IllegalArgumentException(what + " must be " + size + " bytes, got " + s.byteSize());
        }
    }
}
