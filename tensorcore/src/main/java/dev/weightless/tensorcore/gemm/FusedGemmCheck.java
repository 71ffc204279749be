package dev.weightless.tensorcore.gemm;

import dev.weightless.jit.kernel.FloatArray;
import dev.weightless.jit.kernel.Grid;
import dev.weightless.jit.kernel.KernelMethod;
import dev.weightless.jit.kernel.ShortArray;
import dev.weightless.tasks.DataTransferMode;
import dev.weightless.tasks.TaskGraph;
import dev.weightless.tasks.Device;
import dev.weightless.tasks.DeviceBuffer;
import dev.weightless.tasks.ExecutionPlan;
import dev.weightless.tasks.ExecutionResult;
import dev.weightless.tensorcore.layout.PaletteEncoder;
import dev.weightless.tensorcore.layout.PaletteLayout;
import dev.weightless.tensorcore.layout.PaletteTensor;

import java.io.IOException;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.LongStream;

/**
 * On a GPU host: for each weight shape and batch size, the fused kernel on palette-coded weights and the
 * same kernel on BF16 weights, launched through the task-graph runtime. Checks that both write every
 * element of a poisoned Y, that they agree bit for bit, and times them (CUDA events per launch, launches
 * queued behind a spin kernel, warm-up, median of several runs, rotating over enough weight copies that L2
 * cannot hold them). Writes W, X and Y files
 * for bench/tensorcore/torch_compare.py (error against cuBLAS, cuBLAS timing, table and plot) and
 * results.jsonl. Three kernels side by side: patching (variant 5), ballot (variant 4), BF16. {@code --small} first
 * runs {@link SmallProductCheck}'s edge cases; {@code --extra-ptx NAME=FILE} also times both palette kernels of
 * other builds of palette_gemm.cu (M up to {@code --extra-max-m}, 16 unless given; default schedule) in the same
 * process, each checked bit for bit against this build's BF16 kernel.
 * {@code FusedGemmCheck --out DIR [--shapes 4096x4096,...] [--ms 1,4,...] [--reps N] [--default-splits-only] [--small] [--extra-ptx NAME=FILE,...] [--extra-max-m M]}
 */
public final class FusedGemmCheck {
    private static final short POISON = (short) 0xFFFF; // a NaN: never a result of finite inputs
    private static final long ROTATION_BYTES = 192L << 20; // over three times the H200's 60 MB L2
    private static final long MAX_CHECK_FILE = 256L << 20;
    static final long SPIN_CYCLES = 10_000_000L; // about 5 ms at 1.98 GHz
    /** The coding the benches encode W in: {@code -Dtensorcore.coding=PALETTE} or WINDOW (the default, measured faster: NOTES.md session 10). */
    static final PaletteLayout.Coding CODING = PaletteLayout.Coding.valueOf(System.getProperty("tensorcore.coding", "WINDOW"));

    private FusedGemmCheck() {}

    /** Another build of palette_gemm.cu whose palette kernels are timed beside the checked-in ones (M up to Options.extraMaxM, default schedule). */
    record Extra(String name, String ptx) {}

    record Options(Path out, List<long[]> shapes, int[] ms, int reps, boolean allSplits, boolean small, List<Extra> extras, int extraMaxM) {}

    public static void main(String[] args) throws IOException {
        Options o = parse(args);
        Files.createDirectories(o.out());
        String why = Device.whyUnavailable().orElse(null);
        if (why != null) {
            System.err.println("FusedGemmCheck: no CUDA device: " + why);
            System.exit(2);
        }
        int failures = 0;
        try (Device device = Device.open(); PrintWriter results = new PrintWriter(Files.newBufferedWriter(o.out().resolve("results.jsonl")))) {
            System.out.println(device);
            if (o.small()) for (int[] c : SmallProductCheck.CASES) failures += SmallProductCheck.run(device, c, 77).size();
            for (long[] shape : o.shapes()) failures += runShape(device, shape[0], shape[1], o, results);
        }
        System.out.println(failures == 0 ? "PASS: every Y fully written, patching and palette kernels == BF16 kernel bit for bit" : "FAIL: " + failures + " checks failed");
        System.exit(failures == 0 ? 0 : 1);
    }

    private static int runShape(Device device, long n, long k, Options o, PrintWriter results) throws IOException {
        int failures = 0;
        try (Arena arena = Arena.ofShared()) {
            long start = System.nanoTime();
            MemorySegment w = arena.allocate(n * k * 2, 16);
            fillNormal(w, 0.02, n * 31 + k);
            PaletteTensor p = PaletteEncoder.encode(w, n, k, PaletteEncoder.Scope.TILE, CODING, arena);
            write(o.out().resolve("w_" + n + "x" + k + ".bf16"), w);
            System.out.printf(Locale.ROOT, "W %d x %d: palette layout, " + CODING + " coding, %,d bytes = %.2f%% of BF16 (%.2f%% without escape positions), escapes %.3f%% (%.1f s to make)%n",
                    n, k, p.byteSize(), 100.0 * p.byteSize() / w.byteSize(), 100.0 * p.byteSizeWithoutPositions() / w.byteSize(), 100.0 * p.escapeCount() / p.elements(), (System.nanoTime() - start) / 1e9);
            List<FusedLinear> pal = new ArrayList<>(), raw = new ArrayList<>();
            List<DeviceBuffer> held = new ArrayList<>();
            int palCopies = (int) Math.max(1, Math.ceilDiv(ROTATION_BYTES, p.byteSize()));
            int rawCopies = (int) Math.max(1, Math.ceilDiv(ROTATION_BYTES, w.byteSize()));
            try {
                for (int i = 0; i < palCopies; i++) { pal.add(FusedLinear.palette(p, arena)); held.addAll(pal.getLast().upload(device)); }
                for (int i = 0; i < rawCopies; i++) { raw.add(FusedLinear.bf16(w, n, k, CODING)); held.addAll(raw.getLast().upload(device)); }
                for (int m : o.ms()) failures += runBatch(device, n, k, m, p, pal, raw, o, results, arena);
            } finally {
                held.forEach(DeviceBuffer::close);
            }
        }
        return failures;
    }

    private static int runBatch(Device device, long n, long k, int m, PaletteTensor p, List<FusedLinear> pal, List<FusedLinear> raw, Options o, PrintWriter results, Arena shapeArena) throws IOException {
        int failures = 0;
        try (Arena arena = Arena.ofShared()) {
            ShortArray x = new ShortArray(arena.allocate(m * k * 2, 16));
            fillNormal(x.segment(), 1.0, 1000 + m);
            ShortArray yPal = new ShortArray(arena.allocate(m * n * 2, 16)), yPatch = new ShortArray(arena.allocate(m * n * 2, 16)), yRaw = new ShortArray(arena.allocate(m * n * 2, 16));
            FusedLinear.Schedule chosen = pal.getFirst().mmaSchedule(m, device.multiprocessors());
            LinkedHashSet<FusedLinear.Schedule> schedules = new LinkedHashSet<>();
            schedules.add(chosen);
            if (o.allSplits() && m <= 64) for (int s : new int[] {1, 2, 4, 8}) if (s <= k / 64) schedules.add(new FusedLinear.Schedule(s, chosen.rowsPerCta(), chosen.kernel()));
            boolean wroteFiles = false;
            for (FusedLinear.Schedule s : schedules) {
                // The ballot kernel reads only the palette coding: with the window coding its columns repeat the patching kernel's.
                boolean ballot = CODING == PaletteLayout.Coding.PALETTE;
                Timing tp = time(device, FusedKernels.compiler(), "pal", pal, x, yPal, m, s.with(ballot ? FusedLinear.Kernel.BALLOT : FusedLinear.Kernel.PATCH), o.reps(), arena);
                Timing tq = time(device, FusedKernels.compiler(), "patch", pal, x, yPatch, m, s.with(FusedLinear.Kernel.PATCH), o.reps(), arena);
                Timing tr = time(device, FusedKernels.compiler(), "raw", raw, x, yRaw, m, s, o.reps(), arena);
                long unwritten = count(yPal, POISON) + count(yPatch, POISON) + count(yRaw, POISON);
                long nan = countNaN(yPal) + countNaN(yPatch);
                long mismatch = yPal.segment().mismatch(yRaw.segment()), mismatchPatch = yPatch.segment().mismatch(yRaw.segment());
                boolean ok = unwritten == 0 && nan == 0 && mismatch < 0 && mismatchPatch < 0;
                StringBuilder extras = new StringBuilder();
                // The band kernel at 16 rows, the narrow kernel at 8, the cluster kernel at 8 and 16 (window coding), each against its own BF16 twin.
                if (s.rowsPerCta() == 16) ok &= twinned(device, "band", s.with(FusedLinear.Kernel.PATCH_BAND), pal, raw, x, n, k, m, o, arena, extras);
                if (s.rowsPerCta() == 8 && CODING == PaletteLayout.Coding.WINDOW) ok &= twinned(device, "narrow", s.with(FusedLinear.Kernel.PATCH_NARROW), pal, raw, x, n, k, m, o, arena, extras);
                if (s.rowsPerCta() <= 16 && CODING == PaletteLayout.Coding.WINDOW && (s.splits() == 2 || s.splits() == 4 || s.splits() == 8)) {
                    ok &= twinned(device, "cluster", s.with(FusedLinear.Kernel.PATCH_CLUSTER), pal, raw, x, n, k, m, o, arena, extras);
                }
                if (!ok) failures++;
                if (s.equals(chosen) && m <= o.extraMaxM()) {
                    for (Extra e : o.extras()) {
                        for (FusedLinear.Kernel kernel : ballot ? List.of(FusedLinear.Kernel.PATCH, FusedLinear.Kernel.BALLOT) : List.of(FusedLinear.Kernel.PATCH)) {
                            // Y is poisoned by time(); the extra build's Y against this build's BF16 kernel.
                            String key = kernel == FusedLinear.Kernel.PATCH ? e.name() : e.name() + "_ballot";
                            Timing te = time(device, FusedKernels.compiler(e.ptx()), "x" + key.replaceAll("[^A-Za-z0-9]", ""), pal, x, yPatch, m, s.with(kernel), o.reps(), arena);
                            long bad = yPatch.segment().mismatch(yRaw.segment());
                            extras.append(String.format(Locale.ROOT, ",\"%s\":%s,\"%s_bit_exact\":%b", key, te.json(), key, bad < 0));
                            System.out.printf(Locale.ROOT, "  %5d x %5d  M=%4d splits=%d: build %-12s %-6s %8.4f ms [%.4f..%.4f]  %s%n", n, k, m, s.splits(), e.name(), kernel == FusedLinear.Kernel.PATCH ? "patch" : "ballot", te.median(), te.min(), te.max(),
                                    bad < 0 ? "bit-exact" : "differs (expected for timing experiments)");
                        }
                    }
                    // The file written below must hold this build's patching kernel's Y: time it again.
                    if (!o.extras().isEmpty()) time(device, FusedKernels.compiler(), "patch", pal, x, yPatch, m, s.with(FusedLinear.Kernel.PATCH), 1, arena);
                }
                long flops = 2L * m * n * k;
                long ioBytes = 2L * m * k + 2L * m * n;
                results.printf(Locale.ROOT, "{\"n\":%d,\"k\":%d,\"m\":%d,\"coding\":\"%s\",\"splits\":%d,\"rowsPerCta\":%d,\"default\":%b,\"palette_ms\":%s,\"patch_ms\":%s,\"bf16_ms\":%s,\"palette_weight_bytes\":%d,\"patch_weight_bytes\":%d,\"bf16_weight_bytes\":%d,\"io_bytes\":%d,\"flops\":%d,\"unwritten\":%d,\"nan\":%d,\"bit_exact\":%b%s}%n",
                        n, k, m, CODING, s.splits(), s.rowsPerCta(), s.equals(chosen), ballot ? tp.json() : "null", tq.json(), tr.json(), p.byteSizeWithoutPositions(), p.byteSize(), raw.getFirst().weightBytes(), ioBytes, flops,
                        unwritten, nan, mismatch < 0 && mismatchPatch < 0, extras);
                results.flush();
                System.out.printf(Locale.ROOT, "  %5d x %5d  M=%4d splits=%d: patch %8.4f ms [%.4f..%.4f]  palette %8.4f ms [%.4f..%.4f]  bf16 %8.4f ms [%.4f..%.4f]  bf16/patch %.3f  %s%n",
                        n, k, m, s.splits(), tq.median(), tq.min(), tq.max(), tp.median(), tp.min(), tp.max(), tr.median(), tr.min(), tr.max(), tr.median() / tq.median(),
                        ok ? "ok" : "FAILED (unwritten " + unwritten + ", NaN " + nan + ", first mismatch palette " + mismatch + ", patch " + mismatchPatch + ")");
                if (!wroteFiles && yPatch.segment().byteSize() <= MAX_CHECK_FILE) {
                    write(o.out().resolve("x_" + n + "x" + k + "_m" + m + ".bf16"), x.segment());
                    write(o.out().resolve("y_" + n + "x" + k + "_m" + m + ".bf16"), yPatch.segment());
                    wroteFiles = true;
                }
            }
        }
        return failures;
    }

    /**
     * Another kernel of the layout (the band, narrow or cluster kernel) at schedule b and its BF16 twin, timed; whether both wrote every
     * element, without NaN, bit for bit alike. Appends {@code LABEL_ms}, {@code LABEL_bf16_ms} and {@code LABEL_bit_exact} to extras.
     */
    private static boolean twinned(Device device, String label, FusedLinear.Schedule b, List<FusedLinear> pal, List<FusedLinear> raw, ShortArray x, long n, long k, int m, Options o, Arena arena, StringBuilder extras) {
        ShortArray y = new ShortArray(arena.allocate(m * n * 2, 16)), yRaw = new ShortArray(arena.allocate(m * n * 2, 16));
        Timing t = time(device, FusedKernels.compiler(), label, pal, x, y, m, b, o.reps(), arena);
        Timing tr = time(device, FusedKernels.compiler(), label + "raw", raw, x, yRaw, m, b, o.reps(), arena);
        long unwritten = count(y, POISON) + count(yRaw, POISON), nan = countNaN(y), mismatch = y.segment().mismatch(yRaw.segment());
        boolean ok = unwritten == 0 && nan == 0 && mismatch < 0;
        extras.append(String.format(Locale.ROOT, ",\"%s_ms\":%s,\"%s_bf16_ms\":%s,\"%s_bit_exact\":%b", label, t.json(), label, tr.json(), label, ok));
        System.out.printf(Locale.ROOT, "  %5d x %5d  M=%4d splits=%d: %-6s %8.4f ms [%.4f..%.4f]  its bf16 %8.4f ms  %s%n", n, k, m, b.splits(), label, t.median(), t.min(), t.max(), tr.median(),
                ok ? "ok" : "FAILED (unwritten " + unwritten + ", NaN " + nan + ", first mismatch " + mismatch + ")");
        return ok;
    }

    record Timing(double median, double min, double max, double p10, double p90, int runs) {
        String json() { return String.format(Locale.ROOT, "{\"median\":%.6f,\"min\":%.6f,\"max\":%.6f,\"p10\":%.6f,\"p90\":%.6f,\"runs\":%d}", median, min, max, p10, p90, runs); }
    }

    /**
     * Poisons y, then runs twice (the first run warms up) one graph that queues a spin of about 5 ms and then
     * {@code reps} products rotating over the copies of W: the host enqueues every launch while the GPU spins,
     * so each product's CUDA events time the kernel, not the host's launch path. y is copied back.
     */
    static Timing time(Device device, java.util.function.Function<dev.weightless.jit.kernel.KernelMethod, dev.weightless.jit.ptx.PtxKernel> compiler, String name, List<FusedLinear> copies, ShortArray x, ShortArray y, int m, FusedLinear.Schedule s, int reps, Arena arena) {
        FloatArray partial = FloatArray.allocate(arena, copies.getFirst().partialSize(m, s));
        TaskGraph g = new TaskGraph(name).transferToDevice(DataTransferMode.UNDER_DEMAND, x, partial).transferToHost(DataTransferMode.UNDER_DEMAND, y);
        for (FusedLinear c : copies) g.transferToDevice(DataTransferMode.UNDER_DEMAND, c.weightArrays());
        Map<String, Grid> grids = new LinkedHashMap<>();
        g.task("spin", KernelMethod.of(FusedKernels.class, "spin"), SPIN_CYCLES);
        grids.put(name + ".spin", new Grid(1, 32));
        for (int r = 0; r < reps; r++) copies.get(r % copies.size()).addTo(g, "gemm" + r, x, y, partial, m, s, grids);
        try (ExecutionPlan plan = new ExecutionPlan(device, compiler, List.of(g.snapshot()))) {
            grids.forEach(plan::withGrid);
            y.segment().fill((byte) 0xFF);
            plan.transferToDevice(x, y);
            plan.execute();
            ExecutionResult result = plan.execute();
            double[] ms = new double[reps];
            for (ExecutionResult.TaskTime t : result.tasks()) {
                String task = t.task().substring(t.task().indexOf('.') + 1);
                if (task.equals("spin")) continue;
                ms[Integer.parseInt(task.replace("gemm", ""))] += t.millis();
            }
            plan.transferToHost(y);
            Arrays.sort(ms);
            return new Timing(ms[reps / 2], ms[0], ms[reps - 1], ms[reps / 10], ms[reps - 1 - reps / 10], reps);
        }
    }

    static long count(ShortArray a, short value) {
        long c = 0;
        for (long i = 0; i < a.size(); i++) if (a.get(i) == value) c++;
        return c;
    }

    static long countNaN(ShortArray a) {
        long c = 0;
        for (long i = 0; i < a.size(); i++) if ((a.get(i) & 0x7F80) == 0x7F80 && (a.get(i) & 0x7F) != 0) c++;
        return c;
    }

    /** Normal values with the given std, rounded to BF16 to nearest even, generated on all cores in blocks. */
    static void fillNormal(MemorySegment bf16, double std, long seed) {
        long values = bf16.byteSize() / 2, block = 1 << 20;
        LongStream.range(0, Math.ceilDiv(values, block)).parallel().forEach(b -> {
            SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + b);
            for (long i = b * block, end = Math.min(values, i + block); i < end; i++) {
                int bits = Float.floatToRawIntBits((float) (random.nextGaussian() * std));
                bf16.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16));
            }
        });
    }

    /**
     * Overwrites {@code bf16} with normal values whose magnitudes spread over 2^-24..1 (one random power of two each):
     * most 16 x 64 tiles then hold over 32 escapes, the palette layout's hard case. Sequential, one stream from {@code seed}.
     */
    static void fillWide(MemorySegment bf16, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        for (long i = 0, values = bf16.byteSize() / 2; i < values; i++) {
            int bits = Float.floatToRawIntBits((float) (random.nextGaussian() * Math.scalb(1.0, -random.nextInt(25))));
            bf16.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16));
        }
    }

    /** Value i of a BF16 array, widened exactly (for float64 reference products). */
    static double valueAt(MemorySegment bf16, long i) {
        return Float.intBitsToFloat((bf16.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i) & 0xFFFF) << 16);
    }

    static void write(Path file, MemorySegment data) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            var buffer = data.asByteBuffer();
            while (buffer.hasRemaining()) ch.write(buffer);
        }
    }

    static final List<long[]> LLAMA_SHAPES = List.of(new long[] {4096, 4096}, new long[] {1024, 4096}, new long[] {14336, 4096}, new long[] {4096, 14336}, new long[] {128256, 4096});

    private static Options parse(String[] args) {
        Path out = null;
        List<long[]> shapes = LLAMA_SHAPES;
        int[] ms = {1, 4, 16, 64, 256, 1024, 4096};
        int reps = 30;
        boolean allSplits = true, small = false;
        List<Extra> extras = new ArrayList<>();
        int extraMaxM = 16;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--out" -> out = Path.of(args[++i]);
                case "--shapes" -> shapes = args[i + 1].equals("none") && ++i > 0 ? List.of() : Arrays.stream(args[++i].split(",")).map(s -> Arrays.stream(s.split("x")).mapToLong(Long::parseLong).toArray()).toList();
                case "--ms" -> ms = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
                case "--reps" -> reps = Integer.parseInt(args[++i]);
                case "--default-splits-only" -> allSplits = false;
                case "--small" -> small = true;
                case "--extra-max-m" -> extraMaxM = Integer.parseInt(args[++i]);
                case "--extra-ptx" -> {
                    for (String e : args[++i].split(",")) {
                        String[] kv = e.split("=", 2);
                        try {
                            extras.add(new Extra(kv[0], Files.readString(Path.of(kv[1]))));
                        } catch (IOException | ArrayIndexOutOfBoundsException ex) {
                            throw new IllegalArgumentException("--extra-ptx NAME=FILE,...: cannot read " + e + ": " + ex);
                        }
                    }
                }
                default -> throw new IllegalArgumentException("unknown argument " + args[i] + "; usage: FusedGemmCheck --out DIR [--shapes NxK,...] [--ms 1,4,...] [--reps N] [--default-splits-only] [--small] [--extra-ptx NAME=FILE,...] [--extra-max-m M]");
            }
        }
        if (out == null) throw new IllegalArgumentException("--out DIR is required");
        for (long[] s : shapes) PaletteTensor.checkShape(s[0], s[1]);
        return new Options(out, shapes, ms, reps, allSplits, small, List.copyOf(extras), extraMaxM);
    }
}
