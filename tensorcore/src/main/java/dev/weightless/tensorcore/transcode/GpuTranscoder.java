package dev.weightless.tensorcore.transcode;

import dev.weightless.jit.kernel.ByteArray;
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
import dev.weightless.tasks.codec.EncodeKernels;
import dev.weightless.tensorcore.layout.PaletteEncoder;
import dev.weightless.tensorcore.layout.PaletteLayout;
import dev.weightless.tensorcore.layout.PaletteLayout.Coding;
import dev.weightless.tensorcore.layout.PaletteTensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * BF16 weights already on the device into the palette layout on the device, without a round trip through
 * the host: the exponent histogram ({@link EncodeKernels#histogram}), the tensor's palette (or window base)
 * on the host from its 256 counts, then {@link TranscodeKernels}' three passes for the coding. Only the
 * counts and the escape total come back. The result equals {@link PaletteEncoder} with {@code Scope.TENSOR}
 * and the same {@link Coding} byte for byte.
 */
public final class GpuTranscoder {
    private final Device device;
    private final Function<KernelMethod, PtxKernel> compiler;

    /** The layout on the device and each step's device time in milliseconds. */
    public record Result(DevicePalette palette, Map<String, Double> stepMillis) {
        public double deviceMillis() { return stepMillis.values().stream().mapToDouble(Double::doubleValue).sum(); }
    }

    public GpuTranscoder(Device device) { this(device, PtxCompiler::compileCached); }

    /** With another compiler: tests run the kernels on a fake device. */
    public GpuTranscoder(Device device, Function<KernelMethod, PtxKernel> compiler) {
        this.device = device;
        this.compiler = compiler;
    }

    /** Transcodes {@code bf16} (ShortArray, rows x cols row-major, on this device) into the 3-bit palette coding; the caller closes the result. */
    public Result transcode(DeviceArray bf16, long rows, long cols) { return transcode(bf16, rows, cols, Coding.PALETTE); }

    /** Transcodes {@code bf16} (ShortArray, rows x cols row-major, on this device) into {@code coding}; the caller closes the result. */
    public Result transcode(DeviceArray bf16, long rows, long cols, Coding coding) {
        Objects.requireNonNull(coding, "coding");
        PaletteTensor.checkShape(rows, cols);
        if (bf16.arrayType() != ShortArray.class) throw new IllegalArgumentException("BF16 values must be a DeviceArray of ShortArray, got " + bf16.arrayType().getSimpleName());
        if (bf16.elements() < Math.multiplyExact(rows, cols)) throw new IllegalArgumentException(bf16.elements() + " values on the device, " + rows + " x " + cols + " needed");
        if (rows > Integer.MAX_VALUE || cols > Integer.MAX_VALUE) throw new IllegalArgumentException("rows and cols must fit an int: " + rows + " x " + cols);
        DeviceArray values = bf16.elements() == rows * cols ? bf16 : new DeviceArray(bf16.buffer(), bf16.byteOffset(), rows * cols, ShortArray.class);
        long tiles = PaletteTensor.tileCount(rows, cols);
        Map<String, Double> millis = new LinkedHashMap<>();
        List<DeviceBuffer> held = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            // 1. The tensor's exponent counts, and its palette or window base.
            DeviceBuffer counts = hold(held, device.allocate(256 * 8));
            DeviceArray histogram = new DeviceArray(counts, 0, 256, LongArray.class);
            long blocks = Math.max(1, Math.min(Math.ceilDiv(rows * cols, EncodeKernels.LOCAL_SIZE), 8L * device.multiprocessors()));
            run(new TaskGraph("histogram").task("count", KernelMethod.of(EncodeKernels.class, "histogram"), values, histogram),
                    Map.of("count", new Grid(blocks, EncodeKernels.LOCAL_SIZE)), millis);
            MemorySegment countBytes = arena.allocate(256 * 8, 8);
            counts.copyTo(countBytes, 0);
            long[] hist = countBytes.toArray(ValueLayout.JAVA_LONG);
            held.remove(counts);
            counts.close();
            boolean window = coding == Coding.WINDOW;
            int base = window ? PaletteEncoder.windowBase(hist) : 0;
            ByteArray palette = ByteArray.allocate(arena, PaletteLayout.PALETTE_SIZE); // the palette coding's kernels' argument; the window kernels take the base
            if (!window) MemorySegment.copy(PaletteEncoder.palette(hist), 0, palette.segment(), ValueLayout.JAVA_BYTE, 0, PaletteLayout.PALETTE_SIZE);

            // 2. Tiles, palettes and escape counts, then the counts into offsets.
            DeviceArray tileBytes = part(held, Math.multiplyExact(tiles, (long) coding.tileBytes()), ByteArray.class);
            DeviceArray palettes = part(held, Math.multiplyExact(tiles, (long) PaletteLayout.PALETTE_SIZE), ByteArray.class);
            DeviceArray starts = part(held, tiles + 1, IntArray.class);
            Grid perTile = new Grid(Math.ceilDiv(tiles, TranscodeKernels.WARPS), TranscodeKernels.LOCAL_SIZE);
            TaskGraph code = window
                    ? new TaskGraph("code").task("tiles", KernelMethod.of(TranscodeKernels.class, "windowCodeTiles"), values, base, tileBytes, palettes, starts, (int) rows, (int) cols)
                    : new TaskGraph("code").transferToDevice(DataTransferMode.FIRST_EXECUTION, palette)
                    .task("tiles", KernelMethod.of(TranscodeKernels.class, "codeTiles"), values, palette, tileBytes, palettes, starts, (int) rows, (int) cols);
            run(code.task("scan", KernelMethod.of(TranscodeKernels.class, "scanStarts"), starts),
                    Map.of("tiles", perTile, "scan", new Grid(1, TranscodeKernels.SCAN_SIZE)), millis);
            MemorySegment last = arena.allocate(4, 4);
            starts.buffer().copyTo(last, starts.byteOffset() + tiles * 4);
            long escapeCount = Integer.toUnsignedLong(last.get(ValueLayout.JAVA_INT, 0));

            // 3. The escape list (128 bytes of zero padding) and its positions.
            DeviceArray escapes = part(held, escapeCount + 128, ByteArray.class);
            DeviceArray positions = part(held, Math.max(escapeCount, 8), ShortArray.class);
            TaskGraph write = window
                    ? new TaskGraph("escapes").task("write", KernelMethod.of(TranscodeKernels.class, "windowWriteEscapes"), values, base, starts, escapes, positions, (int) rows, (int) cols)
                    : new TaskGraph("escapes").transferToDevice(DataTransferMode.FIRST_EXECUTION, palette)
                    .task("write", KernelMethod.of(TranscodeKernels.class, "writeEscapes"), values, palette, starts, escapes, positions, (int) rows, (int) cols);
            run(write, Map.of("write", perTile), millis);
            return new Result(new DevicePalette(rows, cols, escapeCount, tileBytes, palettes, starts, escapes, positions, held, coding), millis);
        } catch (RuntimeException | Error e) {
            held.forEach(DeviceBuffer::close);
            throw e;
        }
    }

    private static DeviceBuffer hold(List<DeviceBuffer> held, DeviceBuffer b) {
        held.add(b);
        return b;
    }

    private DeviceArray part(List<DeviceBuffer> held, long elements, Class<?> type) {
        long bytes = Math.multiplyExact(elements, (long) (type == IntArray.class ? 4 : type == ShortArray.class ? 2 : 1));
        return new DeviceArray(hold(held, device.allocate(bytes)), 0, elements, type);
    }

    private void run(TaskGraph graph, Map<String, Grid> grids, Map<String, Double> millis) {
        try (ExecutionPlan plan = new ExecutionPlan(device, compiler, List.of(graph.snapshot()))) {
            grids.forEach((task, grid) -> plan.withGrid(graph.name() + "." + task, grid));
            ExecutionResult result = plan.execute();
            for (ExecutionResult.TaskTime t : result.tasks()) millis.merge(t.task(), t.millis(), Double::sum);
        }
    }
}
