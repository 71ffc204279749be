package dev.weightless.tasks;

import dev.weightless.codec.Crc32c;
import dev.weightless.jit.kernel.ByteArray;
import dev.weightless.jit.kernel.FloatArray;
import dev.weightless.jit.kernel.Grid;
import dev.weightless.jit.kernel.IntArray;
import dev.weightless.jit.kernel.JvmExecutor;
import dev.weightless.jit.kernel.KernelMethod;
import dev.weightless.jit.kernel.LongArray;
import dev.weightless.jit.kernel.ShortArray;
import dev.weightless.jit.ptx.PtxCompiler;
import dev.weightless.jit.ptx.PtxKernel;
import dev.weightless.tasks.ExecutionResult.Direction;
import dev.weightless.tasks.check.CheckData;
import dev.weightless.jit.samples.SampleKernels;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * Checks compiled kernels on a GPU host: each sample kernel against the JVM executor (bit-exact), the
 * exponent histogram over a gigabyte or more of BF16 against the CPU codec, its speed against a CUDA-C
 * build of the same algorithm, and the JIT's compile and load times. Exit code 0 when all matched,
 * 1 on any mismatch or failure, 2 without a CUDA device, 64 for bad arguments.
 */
public final class GpuCheck {
    private static final String USAGE = """
            usage: GpuCheck [--gib N] [--runs N] [--weights FILE] [--local-size N] [--blocks-per-sm N]
                            [--yardstick FILE.ptx ENTRY | --no-yardstick]
              --gib N            BF16 input of the large histogram in GiB, 1..8 (default 1)
              --runs N           timed runs after one warm-up, median reported (default 25)
              --weights FILE     raw little-endian BF16 to tile up to the size (default: synthetic weights)
              --local-size N     threads per block for the large histogram (default 256)
              --blocks-per-sm N  blocks per multiprocessor for the large histogram (default 4)
              --yardstick FILE.ptx ENTRY  the CUDA-C histogram to time beside the Java one
                                 (default: the bundled nvcc build of src/main/cuda/histogram.cu)""";

    private record Options(int gib, int runs, Path weights, int localSize, int blocksPerSm, Path yardstickPtx, String yardstickEntry, boolean yardstick) {}

    /** A small kernel run on both sides: its inputs are made afresh, identically, for each. */
    private record SmallCase(String kernel, Grid grid, Function<Arena, Object[]> inputs) {}

    private record Timing(String label, double medianMillis, double minMillis, int runs, int matchingRuns, double weightsCopyMillis, ExecutionPlan.KernelLoad load) {}

    private final PrintStream out;
    private final List<ExecutionPlan.KernelLoad> histogramLoads = new ArrayList<>();
    private boolean passed = true;

    private GpuCheck(PrintStream out) {
        this.out = out;
    }

    public static void main(String[] args) {
        CheckFrame.main("GpuCheck", USAGE, args, GpuCheck::parse, options -> {
            GpuCheck check = new GpuCheck(System.out);
            check.run(options);
            return check.passed;
        });
    }

    private void run(Options options) throws IOException {
        try (Device device = Device.open()) {
            out.printf("device: %s, compute capability %s, %d SMs, %.1f GiB%n", device.name(), device.computeCapability(), device.multiprocessors(), device.totalMemory() / (double) (1L << 30));
            long[] compileNanos = compileTimes();
            out.printf("%n%-20s %-12s %10s  %s%n", "kernel", "grid", "device ms", "GPU against JVM executor");
            for (SmallCase c : smallCases()) checkSmall(device, c);
            largeHistogram(device, options, compileNanos);
        }
    }

    /** Java-to-PTX compile of the histogram kernel: first in the process (class loading included), then again. */
    private long[] compileTimes() {
        KernelMethod kernel = KernelMethod.of(SampleKernels.class, "exponentHistogram");
        long[] nanos = new long[2];
        try {
            for (int i = 0; i < 2; i++) {
                long start = System.nanoTime();
                PtxCompiler.compile(kernel);
                nanos[i] = System.nanoTime() - start;
            }
        } catch (RuntimeException e) {
            fail("PtxCompiler.compile(" + kernel + ") failed: " + e.getMessage());
        }
        return nanos;
    }

    private static List<SmallCase> smallCases() {
        return List.of(
                new SmallCase("exponentHistogram", new Grid(7, 96), arena -> {
                    SplittableRandom random = new SplittableRandom(1);
                    ShortArray bf16 = ShortArray.allocate(arena, 100_003);
                    for (long i = 0; i < bf16.size(); i++) bf16.set(i, (short) random.nextInt());
                    return new Object[] {bf16, IntArray.allocate(arena, 256)};
                }),
                new SmallCase("sum", new Grid(5, 128), arena -> {
                    SplittableRandom random = new SplittableRandom(2);
                    IntArray in = IntArray.allocate(arena, 50_000);
                    for (long i = 0; i < in.size(); i++) in.set(i, random.nextInt());
                    return new Object[] {in, LongArray.allocate(arena, 1)};
                }),
                new SmallCase("blockScan", Grid.covering(20_000, 256), arena -> {
                    SplittableRandom random = new SplittableRandom(3);
                    IntArray data = IntArray.allocate(arena, 20_000);
                    for (long i = 0; i < data.size(); i++) data.set(i, random.nextInt(100));
                    return new Object[] {data};
                }),
                new SmallCase("extremes", Grid.covering(10_000, 128), arena -> {
                    SplittableRandom random = new SplittableRandom(4);
                    IntArray in = IntArray.allocate(arena, 10_000);
                    // Some warps all non-negative, so both votes have something to count.
                    for (long i = 0; i < in.size(); i++) in.set(i, (i / 32) % 3 == 0 ? random.nextInt(1 << 20) : random.nextInt());
                    IntArray result = IntArray.allocate(arena, 4);
                    result.set(0, Integer.MIN_VALUE);
                    result.set(1, Integer.MAX_VALUE);
                    return new Object[] {in, result};
                }),
                new SmallCase("compare", Grid.covering(4096, 128), arena -> {
                    SplittableRandom random = new SplittableRandom(5);
                    float[] special = {Float.NaN, -0f, 0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 1f, -1f, 1.5f, Float.MIN_VALUE};
                    long[] longs = {Long.MIN_VALUE, Long.MAX_VALUE, -1, 0, 1, 1L << 32, -(1L << 32)};
                    FloatArray a = FloatArray.allocate(arena, 4096), b = FloatArray.allocate(arena, 4096);
                    LongArray x = LongArray.allocate(arena, 2 * 4096);
                    for (long i = 0; i < a.size(); i++) {
                        a.set(i, random.nextBoolean() ? special[random.nextInt(special.length)] : (float) random.nextGaussian());
                        b.set(i, random.nextBoolean() ? special[random.nextInt(special.length)] : (float) random.nextGaussian());
                        x.set(2 * i, random.nextBoolean() ? longs[random.nextInt(longs.length)] : random.nextLong());
                        x.set(2 * i + 1, random.nextInt(4) == 0 ? x.get(2 * i) : random.nextBoolean() ? longs[random.nextInt(longs.length)] : random.nextLong());
                    }
                    return new Object[] {a, b, x, IntArray.allocate(arena, 4096)};
                }),
                // Funnel shifts and byte permutes with every count and selector pattern, in unrolled loops.
                new SmallCase("bitsAndLoops", Grid.covering(6000, 128), arena -> {
                    SplittableRandom random = new SplittableRandom(6);
                    int[] edges = {0, -1, 1, 31, 32, 33, 63, 64, Integer.MIN_VALUE, Integer.MAX_VALUE, 0x80808080, 0x7F7F7F7F};
                    IntArray in = IntArray.allocate(arena, 2 * 5000);
                    for (long i = 0; i < in.size(); i++) in.set(i, i < edges.length * 2 ? edges[(int) (i % edges.length)] : random.nextInt());
                    return new Object[] {in, IntArray.allocate(arena, 5000)};
                }),
                // 104 KiB of shared arrays, 64 KiB of them in dynamic shared memory (the launch asks for it).
                new SmallCase("largeShared", Grid.covering(3000, 256), arena -> {
                    SplittableRandom random = new SplittableRandom(7);
                    IntArray in = IntArray.allocate(arena, 3000);
                    for (long i = 0; i < in.size(); i++) in.set(i, random.nextInt());
                    return new Object[] {in, LongArray.allocate(arena, 3000)};
                }));
    }

    private void checkSmall(Device device, SmallCase c) {
        String grid = c.grid().groups() + " x " + c.grid().localSize();
        KernelMethod kernel = KernelMethod.of(SampleKernels.class, c.kernel());
        try (Arena arena = Arena.ofShared()) {
            Object[] onJvm = c.inputs().apply(arena);
            Object[] onGpu = c.inputs().apply(arena);
            JvmExecutor.run(kernel, c.grid(), onJvm);
            ImmutableTaskGraph graph = new TaskGraph(c.kernel())
                    .transferToDevice(DataTransferMode.EVERY_EXECUTION, onGpu)
                    .task("run", kernel, onGpu)
                    .transferToHost(DataTransferMode.EVERY_EXECUTION, onGpu)
                    .snapshot();
            ExecutionResult result;
            try (ExecutionPlan plan = new ExecutionPlan(device, graph)) {
                if (c.kernel().equals("exponentHistogram")) histogramLoads.addAll(plan.kernelLoads());
                result = plan.withGrid(c.kernel() + ".run", c.grid()).execute();
            }
            String verdict = "bit-exact";
            for (int i = 0; i < onJvm.length; i++) {
                long at = HostArrays.segment(onJvm[i]).mismatch(HostArrays.segment(onGpu[i]));
                if (at >= 0) {
                    verdict = "MISMATCH in argument " + (i + 1) + " (" + onGpu[i].getClass().getSimpleName() + ") at byte " + at;
                    passed = false;
                    break;
                }
            }
            out.printf("%-20s %-12s %10.3f  %s%n", c.kernel(), grid, result.taskMillis(c.kernel() + ".run"), verdict);
        } catch (RuntimeException e) {
            out.printf("%-20s %-12s %10s  FAIL: %s%n", c.kernel(), grid, "-", e.getMessage());
            passed = false;
        }
    }

    private void largeHistogram(Device device, Options options, long[] compileNanos) throws IOException {
        long bytes = (long) options.gib() << 30;
        Grid grid = new Grid((long) device.multiprocessors() * options.blocksPerSm(), options.localSize());
        try (Arena arena = Arena.ofShared()) {
            ShortArray weights = new ShortArray(arena.allocate(bytes, 4096));
            long start = System.nanoTime();
            if (options.weights() == null) CheckData.fillSynthetic(weights.segment(), 42);
            else CheckData.fillTiled(weights.segment(), options.weights());
            double fillMillis = (System.nanoTime() - start) / 1e6;
            start = System.nanoTime();
            long[] expected = CheckData.exponentHistogram(weights.segment());
            double cpuMillis = (System.nanoTime() - start) / 1e6;
            IntArray histogram = IntArray.allocate(arena, 256);
            out.printf("%nexponent histogram of %d GiB of BF16 (%,d values, %s; exponent entropy %.3f bits); made in %.0f ms, CPU codec histogram in %.0f ms%n",
                    options.gib(), weights.size(), options.weights() == null ? "synthetic weights" : "tiled from " + options.weights(),
                    CheckData.entropyBits(expected), fillMillis, cpuMillis);
            List<Timing> timings = new ArrayList<>();
            timings.add(timeHistogram(device, "Java kernel (jit)", null, weights, histogram, expected, grid, options.runs()));
            if (options.yardstick()) {
                PtxKernel yardstick = yardstick(options.yardstickPtx(), options.yardstickEntry());
                timings.add(timeHistogram(device, "CUDA C (nvcc) " + yardstick.entry(), method -> yardstick, weights, histogram, expected, grid, options.runs()));
            }
            out.printf("grid %d x %d, %d timed runs after a warm-up, CUDA events around each launch%n", grid.groups(), grid.localSize(), options.runs());
            out.printf("%-34s %10s %10s %14s  %s%n", "kernel", "median ms", "min ms", "GB/s BF16 in", "against CPU codec");
            for (Timing t : timings) {
                String verdict = Double.isNaN(t.medianMillis()) ? "FAILED (see above)"
                        : t.matchingRuns() == t.runs() ? "equal in all " + t.runs() + " runs" : "MISMATCH in " + (t.runs() - t.matchingRuns()) + " of " + t.runs() + " runs";
                out.printf("%-34s %10.3f %10.3f %14.1f  %s%n", t.label(), t.medianMillis(), t.minMillis(), bytes / (t.medianMillis() * 1e6), verdict);
            }
            Timing copied = timings.stream().filter(t -> !Double.isNaN(t.weightsCopyMillis())).findFirst().orElse(timings.getFirst());
            out.printf("weights host-to-device copy in the plan: %.1f ms (%.1f GB/s)%n", copied.weightsCopyMillis(), bytes / (copied.weightsCopyMillis() * 1e6));
            copyRoundTrip(device, weights.segment());
            printJitTimes(compileNanos, timings.getFirst().load());
        }
    }

    /**
     * The weights to the device and back into the same host memory (zeroed in between), three times each
     * way: the CRC32C before and after must match. Large copies go through the driver's pinned staging.
     */
    private void copyRoundTrip(Device device, MemorySegment values) {
        int before = Crc32c.of(values);
        double[] up = new double[3], down = new double[3];
        try (DeviceBuffer buffer = device.buffer(new ByteArray(values))) {
            for (int i = 0; i < 3; i++) {
                long t0 = System.nanoTime();
                buffer.copyFromHost();
                up[i] = (System.nanoTime() - t0) / 1e6;
                values.fill((byte) 0);
                t0 = System.nanoTime();
                buffer.copyToHost();
                down[i] = (System.nanoTime() - t0) / 1e6;
            }
        }
        int after = Crc32c.of(values);
        Arrays.sort(up);
        Arrays.sort(down);
        if (after != before) passed = false;
        out.printf("copy round trip of %,d bytes, median of 3 (wall time): host->device %.1f ms (%.1f GB/s), device->host %.1f ms (%.1f GB/s); CRC32C %s%n",
                values.byteSize(), up[1], values.byteSize() / (up[1] * 1e6), down[1], values.byteSize() / (down[1] * 1e6),
                after == before ? "equal before and after" : "DIFFERS: 0x" + Integer.toHexString(before) + " before, 0x" + Integer.toHexString(after) + " after");
        batchedCopies(device, values, before);
    }

    /**
     * The same bytes cut into pieces of random sizes (1 byte to 40 MiB, so pieces share and straddle the
     * staging buffers) and copied up as one batch ({@link Device#copyToDevice(List)}), in reverse order, then
     * brought back whole: the CRC32C must match.
     */
    private void batchedCopies(Device device, MemorySegment values, int crc) {
        SplittableRandom random = new SplittableRandom(11);
        List<long[]> pieces = new ArrayList<>();
        for (long at = 0; at < values.byteSize(); ) {
            long length = Math.min(values.byteSize() - at, random.nextInt(8) == 0 ? 1 + random.nextInt(4096) : 1 + random.nextLong(40L << 20));
            pieces.add(new long[] {at, length});
            at += length;
        }
        java.util.Collections.reverse(pieces);
        double millis;
        try (DeviceBuffer buffer = device.allocate(values.byteSize())) {
            List<Device.Copy> copies = new ArrayList<>();
            for (long[] p : pieces) copies.add(new Device.Copy(buffer, p[0], values.asSlice(p[0], p[1])));
            millis = device.copyToDevice(copies) / 1e6;
            values.fill((byte) 0);
            buffer.copyTo(values, 0);
        }
        int after = Crc32c.of(values);
        if (after != crc) passed = false;
        out.printf("batched copy of the same bytes in %d pieces (1 B to 40 MiB, reverse order): host->device %.1f ms (%.1f GB/s); CRC32C after copying back %s%n",
                pieces.size(), millis, values.byteSize() / (millis * 1e6), after == crc ? "equal" : "DIFFERS");
    }

    private Timing timeHistogram(Device device, String label, Function<KernelMethod, PtxKernel> compiler, ShortArray weights, IntArray histogram, long[] expected, Grid grid, int runs) {
        ImmutableTaskGraph graph = new TaskGraph("histogram")
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, weights)
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, histogram)
                .task("count", SampleKernels::exponentHistogram, weights, histogram)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, histogram)
                .snapshot();
        try (ExecutionPlan plan = compiler == null ? new ExecutionPlan(device, graph) : new ExecutionPlan(device, compiler, List.of(graph))) {
            plan.withGrid("histogram.count", grid);
            double[] millis = new double[runs];
            double copyMillis = 0;
            int matching = 0;
            for (int run = -1; run < runs; run++) { // run -1 warms up and copies the weights
                histogram.segment().fill((byte) 0);
                ExecutionResult result = plan.execute();
                if (run < 0) {
                    copyMillis = result.transfers().stream().filter(t -> t.direction() == Direction.TO_DEVICE && t.bytes() == weights.segment().byteSize())
                            .mapToDouble(ExecutionResult.TransferTime::millis).sum();
                } else {
                    millis[run] = result.taskMillis("histogram.count");
                }
                if (equal(histogram, expected)) matching++;
                else if (run < 0) out.println(label + ": first histogram differs from the CPU codec's: " + differences(histogram, expected));
            }
            if (matching != runs + 1) passed = false;
            Arrays.sort(millis);
            return new Timing(label, millis[runs / 2], millis[0], runs + 1, matching, copyMillis, plan.kernelLoads().getFirst());
        } catch (RuntimeException e) {
            passed = false;
            out.println(label + ": FAIL: " + e.getMessage());
            return new Timing(label, Double.NaN, Double.NaN, runs + 1, 0, Double.NaN, null);
        }
    }

    private void printJitTimes(long[] compileNanos, ExecutionPlan.KernelLoad cachedLoad) {
        if (compileNanos[1] == 0) return; // the compiler failed, as reported above
        ExecutionPlan.KernelLoad coldLoad = histogramLoads.isEmpty() ? null : histogramLoads.getFirst();
        out.printf("JIT, exponentHistogram: Java to PTX %.1f ms cold (first in process), %.1f ms warm", compileNanos[0] / 1e6, compileNanos[1] / 1e6);
        if (coldLoad != null) out.printf("; module load (cuModuleLoadData, driver PTX to SASS) %.2f ms %s", coldLoad.loadNanos() / 1e6, coldLoad.moduleCached() ? "(cache hit)" : "cold");
        if (cachedLoad != null) out.printf(", %.3f ms %s", cachedLoad.loadNanos() / 1e6, cachedLoad.moduleCached() ? "from the module cache" : "(not cached!)");
        out.println();
    }

    private static boolean equal(IntArray histogram, long[] expected) {
        for (int i = 0; i < 256; i++) if (Integer.toUnsignedLong(histogram.get(i)) != expected[i]) return false;
        return true;
    }

    private static String differences(IntArray histogram, long[] expected) {
        StringBuilder s = new StringBuilder();
        for (int i = 0, shown = 0; i < 256 && shown < 8; i++) {
            long got = Integer.toUnsignedLong(histogram.get(i));
            if (got != expected[i]) {
                s.append(" [exponent ").append(i).append(": GPU ").append(got).append(", CPU ").append(expected[i]).append(']');
                shown++;
            }
        }
        return s.toString();
    }

    /** The CUDA-C histogram from {@code ptxFile} (null: the bundled build) as a kernel for the histogram task. */
    static PtxKernel yardstick(Path ptxFile, String entryName) throws IOException {
        String ptx = ptxFile != null ? Files.readString(ptxFile) : CheckFrame.bundledPtx("/yardstick/histogram.ptx");
        String entry = entryName != null ? entryName : "exponentHistogram";
        // The CUDA-C signature mirrors the Java kernel's: (bf16 address, count, histogram address, count).
        return new PtxKernel(entry, ptx, List.of(
                new PtxKernel.Param("bf16", PtxKernel.Kind.ARRAY, ShortArray.class),
                new PtxKernel.Param("histogram", PtxKernel.Kind.ARRAY, IntArray.class)));
    }

    private void fail(String message) {
        out.println("FAIL: " + message);
        passed = false;
    }

    private static Options parse(String[] args) {
        int gib = 1, runs = 25, localSize = 256, blocksPerSm = 4;
        Path weights = null, yardstickPtx = null;
        String yardstickEntry = null;
        boolean yardstick = true;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--gib" -> gib = CheckFrame.intArgument(args, ++i, 1, 8);
                case "--runs" -> runs = CheckFrame.intArgument(args, ++i, 1, 10_000);
                case "--local-size" -> localSize = CheckFrame.intArgument(args, ++i, 32, 1024);
                case "--blocks-per-sm" -> blocksPerSm = CheckFrame.intArgument(args, ++i, 1, 64);
                case "--weights" -> weights = Path.of(CheckFrame.argument(args, ++i, "a value"));
                case "--yardstick" -> {
                    yardstickPtx = Path.of(CheckFrame.argument(args, ++i, "a value"));
                    yardstickEntry = CheckFrame.argument(args, ++i, "a value");
                }
                case "--no-yardstick" -> yardstick = false;
                case "-h", "--help" -> throw new IllegalArgumentException("help");
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        return new Options(gib, runs, weights, localSize, blocksPerSm, yardstickPtx, yardstickEntry, yardstick);
    }
}
