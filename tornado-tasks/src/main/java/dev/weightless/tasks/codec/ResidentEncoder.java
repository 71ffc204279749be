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

    /** Encodes the values of {@code bf16} (a range of ShortArray type on this encoder's device); parts are allocated in {@code arena}. */
    public Result encode(DeviceArray bf16, CodecOptions options, Arena arena) {
        if (bf16.arrayType() != ShortArray.class) throw new IllegalArgumentException("BF16 values must be a DeviceArray of ShortArray, got " + bf16.arrayType().getSimpleName());
        ChunkLayout layout = new ChunkLayout(bf16.elements(), options.chunkSymbols(), options.groupChunks());
        if (layout.groupChunks() != 32) throw new IllegalArgumentException("the GPU encoder needs 32-chunk groups, got " + layout.groupChunks());
        Map<String, Double> millis = new LinkedHashMap<>();
        if (layout.elements() == 0) return new Result(HuffmanEncoder.plan(arena.allocate(0), options).writeTo(arena), millis);
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
            IntArray codes = IntArray.allocate(arena, CodeTable.SYMBOLS);
            int[] cost = code.bitCosts();
            for (int s = 0; s < CodeTable.SYMBOLS; s++) codes.set(s, code.reversedCode(s) | cost[s] << 16);

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

            // 3. The stream and the plane.
            long payloadBytes = ChunkLayout.payloadBytes(bits), planeWords = Math.ceilDiv(layout.elements(), 4);
            long planeAt = Math.ceilDiv(payloadBytes, ALIGN) * ALIGN;
            MemorySegment payload = arena.allocate(payloadBytes, 8), plane = arena.allocate(layout.elements(), 8);
            try (DeviceBuffer out = device.allocate(planeAt + planeWords * 4)) {
                DeviceArray stream = new DeviceArray(out, 0, payloadBytes / 4, IntArray.class);
                DeviceArray planeWordsOut = new DeviceArray(out, planeAt, planeWords, IntArray.class);
                run("pack", new TaskGraph("pack").transferToDevice(DataTransferMode.FIRST_EXECUTION, codes)
                        .task("clear", EncodeInput.clear(), stream)
                        .task("pack", EncodeInput.pack(), bf16, codes, offsets, chunkBits, stream, layout.chunkSymbols())
                        .task("plane", EncodeInput.plane(), bf16, planeWordsOut),
                        List.of(Map.entry("clear", EncodeInput.clearGrid(payloadBytes / 4)),
                                Map.entry("pack", EncodeInput.packGrid(layout)),
                                Map.entry("plane", EncodeInput.planeGrid(planeWords))), millis);
                out.copyTo(payload, 0);
                out.copyTo(plane, planeAt);
            }
            MemorySegment table = arena.allocate(CodeTable.SERIALIZED_BYTES);
            code.write(table);
            EncodedTensor tensor = new EncodedTensor(layout.elements(), layout.chunkSymbols(), layout.groupChunks(), crc,
                    EncodedTensor.Part.of(table), EncodedTensor.Part.of(index), EncodedTensor.Part.of(payload), EncodedTensor.Part.of(plane));
            return new Result(tensor, millis);
        }
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
