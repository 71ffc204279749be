package dev.weightless.tasks.codec;

import dev.weightless.codec.ChunkLayout;
import dev.weightless.codec.CodeTable;
import dev.weightless.codec.CodecOptions;
import dev.weightless.codec.Crc32c;
import dev.weightless.codec.EncodedTensor;
import dev.weightless.codec.HuffmanEncoder;
import dev.weightless.jit.kernel.Grid;
import dev.weightless.jit.kernel.IntArray;
import dev.weightless.jit.kernel.KernelMethod;
import dev.weightless.jit.kernel.LongArray;
import dev.weightless.jit.kernel.ShortArray;
import dev.weightless.jit.ptx.PtxCompiler;
import dev.weightless.jit.ptx.PtxKernel;
import dev.weightless.tasks.DataTransferMode;
import dev.weightless.tasks.Device;
import dev.weightless.tasks.DeviceArray;
import dev.weightless.tasks.DeviceBuffer;
import dev.weightless.tasks.ExecutionPlan;
import dev.weightless.tasks.ExecutionResult;
import dev.weightless.tasks.TaskGraph;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Encodes BF16 tensors that already live on the device into the codec's format without copying their values
 * to the host: the exponent histogram and the CRC32C (per chunk, combined on the host) are computed
 * on the device, the code on the CPU from the 256 counts, then {@link EncodeKernels} measure, scan, pack and
 * split off the sign|mantissa plane there; only the coded parts come back. The result is byte-identical to
 * {@link HuffmanEncoder}'s for the same values and options.
 */
public final class ResidentEncoder {
    /** Alignment of the arrays inside one work allocation. */
    private static final long ALIGN = 256;

    private final Device device;
    private final Function<KernelMethod, PtxKernel> compiler;

    /** The encoded tensor and the device time of each step in milliseconds, in order. */
    public record Result(EncodedTensor tensor, Map<String, Double> stepMillis) {
        public double deviceMillis() { return stepMillis.values().stream().mapToDouble(Double::doubleValue).sum(); }
    }

    public ResidentEncoder(Device device) { this(device, PtxCompiler::compileCached); }

    /** With another compiler: tests run the kernels on a fake device. */
    public ResidentEncoder(Device device, Function<KernelMethod, PtxKernel> compiler) {
        this.device = device;
        this.compiler = compiler;
    }

    /**
     * What the first device passes found: the code, the CRC32C, the index and the payload's size, so a
     * file's header can be written before any tensor is packed. Holds only host memory (the index, about
     * 0.2% of the tensor); {@link #write} packs the values again from the device.
     */
    public static final class Plan {
        private final ChunkLayout layout;
        private final CodeTable code;
        private final int crc32c;
        private final MemorySegment index;
        private final long payloadBits;

        private Plan(ChunkLayout layout, CodeTable code, int crc32c, MemorySegment index, long payloadBits) {
            this.layout = layout;
            this.code = code;
            this.crc32c = crc32c;
            this.index = index;
            this.payloadBits = payloadBits;
        }

        public ChunkLayout layout() { return layout; }

        public CodeTable code() { return code; }

        public int crc32c() { return crc32c; }

        public long indexBytes() { return layout.indexBytes(); }

        public long payloadBytes() { return ChunkLayout.payloadBytes(payloadBits); }

        public long planeBytes() { return layout.elements(); }

        /** Bytes of the four parts together, as {@link HuffmanEncoder.Plan#encodedBytes} counts them. */
        public long encodedBytes() { return Math.addExact(Math.addExact(CodeTable.SERIALIZED_BYTES, indexBytes()), Math.addExact(payloadBytes(), planeBytes())); }
    }

    /** Encodes the values of {@code bf16} (a range of ShortArray type on this encoder's device); parts are allocated in {@code arena}. */
    public Result encode(DeviceArray bf16, CodecOptions options, Arena arena) {
        Map<String, Double> millis = new LinkedHashMap<>();
        Plan plan = plan(bf16, options, arena, millis);
        if (plan.layout().elements() == 0) return new Result(HuffmanEncoder.plan(arena.allocate(0), options).writeTo(arena), millis);
        MemorySegment table = arena.allocate(CodeTable.SERIALIZED_BYTES), index = arena.allocate(plan.indexBytes(), 8);
        MemorySegment payload = arena.allocate(plan.payloadBytes(), 8), plane = arena.allocate(plan.planeBytes(), 8);
        write(plan, bf16, table, index, payload, plane, millis);
        EncodedTensor tensor = new EncodedTensor(plan.layout().elements(), plan.layout().chunkSymbols(), plan.layout().groupChunks(), plan.crc32c(),
                EncodedTensor.Part.of(table), EncodedTensor.Part.of(index), EncodedTensor.Part.of(payload), EncodedTensor.Part.of(plane));
        return new Result(tensor, millis);
    }

    /**
     * The first passes over {@code bf16} on the device: exponent counts and chunk CRC32Cs, then the code, the
     * bits of every chunk and the group offsets. The plan's index is allocated in {@code arena}; each step's
     * device time goes into {@code millis}.
     */
    public Plan plan(DeviceArray bf16, CodecOptions options, Arena arena, Map<String, Double> millis) {
        if (bf16.arrayType() != ShortArray.class) throw new IllegalArgumentException("BF16 values must be a DeviceArray of ShortArray, got " + bf16.arrayType().getSimpleName());
        ChunkLayout layout = new ChunkLayout(bf16.elements(), options.chunkSymbols(), options.groupChunks());
        if (layout.groupChunks() != 32) throw new IllegalArgumentException("the GPU encoder needs 32-chunk groups, got " + layout.groupChunks());
        if (layout.elements() == 0) {
            HuffmanEncoder.Plan empty = HuffmanEncoder.plan(arena.allocate(0), options);
            return new Plan(layout, empty.code(), empty.crc32c(), arena.allocate(0), 0);
        }
        long groups = layout.groups(), chunks = layout.chunks();
        long[] at = new long[6];
        long[] sizes = {256 * 8, chunks * 4, chunks * 2, groups * 8, groups * 8};
        for (int i = 0; i < sizes.length; i++) at[i + 1] = at[i] + Math.ceilDiv(sizes[i], ALIGN) * ALIGN;
        try (DeviceBuffer work = device.allocate(at[5])) {
            DeviceArray histogram = new DeviceArray(work, at[0], 256, LongArray.class);
            DeviceArray chunkCrcs = new DeviceArray(work, at[1], chunks, IntArray.class);
            DeviceArray chunkBits = new DeviceArray(work, at[2], chunks, ShortArray.class);
            DeviceArray groupBits = new DeviceArray(work, at[3], groups, LongArray.class);
            DeviceArray offsets = new DeviceArray(work, at[4], groups, LongArray.class);

            // 1. Exponent counts and chunk CRCs.
            IntArray tables = crcTables(arena);
            run("stats", new TaskGraph("stats").transferToDevice(DataTransferMode.FIRST_EXECUTION, tables)
                    .task("histogram", kernel("histogram"), bf16, histogram)
                    .task("crc", kernel("chunkCrc"), bf16, tables, chunkCrcs, layout.chunkSymbols()),
                    List.of(Map.entry("histogram", new Grid(Math.max(1, Math.min(Math.ceilDiv(layout.elements(), EncodeKernels.LOCAL_SIZE), 8L * device.multiprocessors())), EncodeKernels.LOCAL_SIZE)),
                            Map.entry("crc", Grid.covering(chunks, EncodeKernels.LOCAL_SIZE))), millis);
            long[] counts = new long[256];
            MemorySegment.copy(read(work, at[0], 256 * 8, arena), ValueLayout.JAVA_LONG, 0, counts, 0, 256);
            int crc = combine(read(work, at[1], chunks * 4, arena), layout);
            CodeTable code = CodeTable.forHistogram(counts, options.maxCodeLength());
            IntArray codes = codes(code, arena);

            // 2. Bits per chunk and group, and the group offsets: the index, and the payload's size.
            run("measure", new TaskGraph("measure").transferToDevice(DataTransferMode.FIRST_EXECUTION, codes)
                    .task("measure", EncodeInput.measure(), bf16, codes, chunkBits, groupBits, layout.chunkSymbols())
                    .task("groupOffsets", EncodeInput.groupOffsets(), groupBits, offsets),
                    List.of(Map.entry("measure", EncodeInput.measureGrid(layout)),
                            Map.entry("groupOffsets", EncodeInput.groupOffsetsGrid())), millis);
            MemorySegment index = arena.allocate(layout.indexBytes(), 8);
            work.copyTo(index.asSlice(0, groups * 8), at[4]);
            work.copyTo(index.asSlice(groups * 8, chunks * 2), at[2]);
            MemorySegment lastGroupBits = read(work, at[3] + (groups - 1) * 8, 8, arena);
            long bits = index.getAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, groups - 1) + lastGroupBits.get(ValueLayout.JAVA_LONG, 0);
            return new Plan(layout, code, crc, index, bits);
        }
    }

    /**
     * Packs the values of {@code bf16} as {@code plan} (made from the same values) says and fills the four
     * parts, each exactly its planned size (as {@link HuffmanEncoder.Plan#write} does on the CPU): the index
     * goes back up, the stream and the plane are made on the device and copied down.
     */
    public void write(Plan plan, DeviceArray bf16, MemorySegment table, MemorySegment index, MemorySegment payload, MemorySegment plane,
                      Map<String, Double> millis) {
        ChunkLayout layout = plan.layout();
        if (bf16.elements() != layout.elements()) throw new IllegalArgumentException("planned " + layout.elements() + " values, got " + bf16.elements());
        long[] sizes = {CodeTable.SERIALIZED_BYTES, plan.indexBytes(), plan.payloadBytes(), plan.planeBytes()};
        MemorySegment[] parts = {table, index, payload, plane};
        String[] names = {"table", "index", "payload", "plane"};
        for (int i = 0; i < 4; i++) {
            if (parts[i].byteSize() != sizes[i]) throw new IllegalArgumentException(names[i] + " takes " + sizes[i] + " bytes, got a segment of " + parts[i].byteSize());
        }
        plan.code().write(table);
        MemorySegment.copy(plan.index, 0, index, 0, plan.indexBytes());
        if (layout.elements() == 0) return;
        long groups = layout.groups(), chunks = layout.chunks();
        long payloadBytes = plan.payloadBytes(), planeWords = Math.ceilDiv(layout.elements(), 4);
        long chunkBitsAt = Math.ceilDiv(groups * 8, ALIGN) * ALIGN, streamAt = chunkBitsAt + Math.ceilDiv(chunks * 2, ALIGN) * ALIGN;
        long planeAt = streamAt + Math.ceilDiv(payloadBytes, ALIGN) * ALIGN;
        try (Arena local = Arena.ofConfined(); DeviceBuffer out = device.allocate(planeAt + planeWords * 4)) {
            out.copyFrom(plan.index.asSlice(0, groups * 8), 0);
            out.copyFrom(plan.index.asSlice(groups * 8, chunks * 2), chunkBitsAt);
            DeviceArray offsets = new DeviceArray(out, 0, groups, LongArray.class);
            DeviceArray chunkBits = new DeviceArray(out, chunkBitsAt, chunks, ShortArray.class);
            DeviceArray stream = new DeviceArray(out, streamAt, payloadBytes / 4, IntArray.class);
            DeviceArray planeWordsOut = new DeviceArray(out, planeAt, planeWords, IntArray.class);
            IntArray codes = codes(plan.code(), local);
            run("pack", new TaskGraph("pack").transferToDevice(DataTransferMode.FIRST_EXECUTION, codes)
                    .task("clear", EncodeInput.clear(), stream)
                    .task("pack", EncodeInput.pack(), bf16, codes, offsets, chunkBits, stream, layout.chunkSymbols())
                    .task("plane", EncodeInput.plane(), bf16, planeWordsOut),
                    List.of(Map.entry("clear", EncodeInput.clearGrid(payloadBytes / 4)),
                            Map.entry("pack", EncodeInput.packGrid(layout)),
                            Map.entry("plane", EncodeInput.planeGrid(planeWords))), millis);
            // Each copy moves the target's size: the plane's last word may hold fewer than four values.
            out.copyTo(payload, streamAt);
            out.copyTo(plane, planeAt);
        }
    }

    /** Each symbol's reversed code with its length above bit 16, as the encoder kernels take them. */
    private static IntArray codes(CodeTable code, Arena arena) {
        IntArray codes = IntArray.allocate(arena, CodeTable.SYMBOLS);
        int[] cost = code.bitCosts();
        for (int s = 0; s < CodeTable.SYMBOLS; s++) codes.set(s, code.reversedCode(s) | cost[s] << 16);
        return codes;
    }

    /** The four slicing tables of the reflected CRC32C polynomial, 256 ints each, for {@link EncodeKernels#chunkCrc}. */
    static IntArray crcTables(Arena arena) {
        IntArray t = IntArray.allocate(arena, 1024);
        for (int i = 0; i < 256; i++) {
            int c = i;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? (c >>> 1) ^ 0x82F63B78 : c >>> 1;
            t.set(i, c);
        }
        for (int i = 0; i < 256; i++) {
            for (int k = 1; k < 4; k++) {
                int previous = t.get(256 * (k - 1) + i);
                t.set(256 * k + i, (previous >>> 8) ^ t.get(previous & 0xFF));
            }
        }
        return t;
    }

    private KernelMethod kernel(String name) { return KernelMethod.of(EncodeKernels.class, name); }

    /** Runs the graph's tasks once with these grids (in task order) and records each task's device time. */
    private void run(String graph, TaskGraph tasks, List<Map.Entry<String, Grid>> grids, Map<String, Double> millis) {
        try (ExecutionPlan plan = new ExecutionPlan(device, compiler, List.of(tasks.snapshot()))) {
            for (Map.Entry<String, Grid> g : grids) plan.withGrid(graph + "." + g.getKey(), g.getValue());
            ExecutionResult result = plan.execute();
            for (Map.Entry<String, Grid> g : grids) millis.put(g.getKey(), result.taskMillis(graph + "." + g.getKey()));
        }
    }

    private static MemorySegment read(DeviceBuffer buffer, long byteOffset, long bytes, Arena arena) {
        MemorySegment host = arena.allocate(bytes, 8);
        buffer.copyTo(host, byteOffset);
        return host;
    }

    /**
     * The tensor's CRC32C from those of its chunks, in order. Every chunk but the last has the same length,
     * so appending one is a fixed linear map of the running CRC (times x^(8 × chunk bytes) mod P) applied
     * with four byte tables, then an XOR; the last, possibly shorter chunk goes through {@link Crc32c#combine}.
     */
    private static int combine(MemorySegment crcs, ChunkLayout layout) {
        long chunks = layout.chunks();
        long chunkBytes = 2L * layout.chunkSymbols();
        int[][] shift = new int[4][256];
        for (int k = 0; k < 4; k++) {
            for (int b = 0; b < 256; b++) shift[k][b] = Crc32c.combine(b << (8 * k), 0, chunkBytes);
        }
        int crc = crcs.getAtIndex(ValueLayout.JAVA_INT, 0);
        for (long c = 1; c < chunks; c++) {
            int next = crcs.getAtIndex(ValueLayout.JAVA_INT, c);
            if (c < chunks - 1 || layout.symbolsIn(c) == layout.chunkSymbols()) {
                crc = shift[0][crc & 0xFF] ^ shift[1][(crc >>> 8) & 0xFF] ^ shift[2][(crc >>> 16) & 0xFF] ^ shift[3][crc >>> 24] ^ next;
            } else {
                crc = Crc32c.combine(crc, next, 2L * layout.symbolsIn(c));
            }
        }
        return crc;
    }
}
