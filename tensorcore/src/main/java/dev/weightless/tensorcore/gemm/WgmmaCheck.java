package dev.weightless.tensorcore.gemm;

import dev.weightless.jit.kernel.ShortArray;
import dev.weightless.tasks.Device;
import dev.weightless.tasks.DeviceBuffer;
import dev.weightless.tasks.ExecutionPlan;
import dev.weightless.tensorcore.layout.PaletteEncoder;
import dev.weightless.tensorcore.layout.PaletteLayout;
import dev.weightless.tensorcore.layout.PaletteTensor;

import java.io.IOException;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * On a GPU host: the large-M wgmma kernels ({@link WgmmaGemm}) on palette-coded and on BF16 weights.
 * First small products checked against a float64 product on the CPU (M not a multiple of the tile, tiles
 * with over 32 escapes); then, per weight shape, batch size, kernel (tma: the TMA-fed kernel; tmacluster: its split K
 * summed in a cluster; tmahalf: its half form; paired: the earlier one in clusters of two CTAs sharing W; solo: that one
 * with one CTA per tile) and tile (64, 128, 256 rows of X), the two modes timed as {@link FusedGemmCheck} times (spin kernel ahead, warm-up pass, median of the runs, W
 * rotated over copies that L2 cannot hold), each Y poisoned and checked fully written, without NaN, and
 * palette equal to BF16 bit for bit. For M up to {@value #MMA_MAX_M} the mma.sync kernel of
 * {@link FusedLinear#mmaSchedule} is timed beside them (where the wgmma kernels start to pay). Writes
 * results.jsonl and, for the fastest tile of each (shape, M), X and Y files for
 * bench/tensorcore/wgmma_compare.py (cuBLAS in the same run, errors, table, plot).
 * {@code WgmmaCheck --out DIR [--shapes 4096x4096,...] [--ms 64,256,...] [--rows 64,128,256] [--reps N] [--no-small]}
 */
public final class WgmmaCheck {
    static final int MMA_MAX_M = 256;
    static final FusedLinear.Kernel[] WGMMA_KERNELS = {FusedLinear.Kernel.WGMMA_TMA, FusedLinear.Kernel.WGMMA, FusedLinear.Kernel.WGMMA_SOLO};

    /** The wgmma kernels with an entry for the benches' coding. */
    static List<FusedLinear.Kernel> kernels() { return kernels(FusedGemmCheck.CODING); }

    /** The wgmma kernels with an entry for {@code coding} (the window coding: the TMA-fed kernel only). */
    static List<FusedLinear.Kernel> kernels(PaletteLayout.Coding coding) {
        FusedLinear.Variant coded = FusedLinear.Variant.of(coding);
        return java.util.Arrays.stream(WGMMA_KERNELS).filter(coded::readBy).toList();
    }

    /** Splits of K the TMA kernel is timed at besides 1, where its tiles alone give fewer CTAs than multiprocessors. */
    static final int[] SPLITS = {2, 4};
    private static final long ROTATION_BYTES = 192L << 20;
    private static final long MAX_CHECK_FILE = 1100L << 20;

    private WgmmaCheck() {}

    record Options(Path out, List<long[]> shapes, int[] ms, int[] rows, int reps, boolean small) {}

    /** Small cases (n, k, m, wide): wide = 1 spreads magnitudes over 2^-24..1, so most tiles hold over 32 escapes. */
    static final int[][] SMALL = {{128, 128, 1, 0}, {128, 256, 64, 0}, {256, 384, 100, 0}, {128, 128, 257, 0}, {384, 256, 300, 1}, {256, 1024, 513, 0}, {768, 512, 70, 1}};

    public static void main(String[] args) throws IOException {
        Options o = parse(args);
        Files.createDirectories(o.out());
        String why = Device.whyUnavailable().orElse(null);
        if (why != null) {
            System.err.println("WgmmaCheck: no CUDA device: " + why);
            System.exit(2);
        }
        int failures = 0;
        try (Device device = Device.open(); PrintWriter results = new PrintWriter(Files.newBufferedWriter(o.out().resolve("results.jsonl")))) {
            System.out.println(device);
            if (o.small()) {
                for (int[] c : SMALL) {
                    for (FusedLinear.Schedule s : smallSchedules(FusedGemmCheck.CODING, c[0], c[1], o.rows())) failures += small(device, c[0], c[1], c[2], c[3] != 0, s, 91).size();
                }
            }
            for (long[] shape : o.shapes()) failures += runShape(device, shape[0], shape[1], o, results);
        }
        System.out.println(failures == 0 ? "PASS: every Y fully written, no NaN, wgmma palette == wgmma BF16 bit for bit, small products within 1e-2 of float64" : "FAIL: " + failures + " checks failed");
        System.exit(failures == 0 ? 0 : 1);
    }

    /** CTAs of the persistent TMA kernel in the small cases: few, so that each takes several tiles and slices in turn. */
    static final int SMALL_CTAS = 3;

    /**
     * The schedules of each small case with W in {@code coding} and K = k: every wgmma kernel that reads the coding at
     * every tile; the TMA kernel also with K split where k allows (for the window coding also summed in a cluster or by its slices meeting, at 256
     * rows its half form at 1, 2 and 4 splits and, where n is a multiple of 256, its pair form on one cluster per pair of tiles and on
     * 2 clusters, and at 64 rows, where n is a multiple of 256, its wide form unsplit, persistent and at 2 and 4 splits), and persistent
     * on {@link #SMALL_CTAS} CTAs.
     */
    static List<FusedLinear.Schedule> smallSchedules(PaletteLayout.Coding coding, long n, long k, int[] tiles) {
        List<FusedLinear.Schedule> out = new ArrayList<>();
        for (FusedLinear.Kernel kernel : kernels(coding)) for (int rows : tiles) out.add(new FusedLinear.Schedule(1, rows, kernel));
        for (int rows : tiles) {
            for (int splits : SPLITS) if (WgmmaGemm.splits(k, splits)) out.add(new FusedLinear.Schedule(splits, rows, FusedLinear.Kernel.WGMMA_TMA));
            out.add(new FusedLinear.Schedule(1, rows, FusedLinear.Kernel.WGMMA_TMA, SMALL_CTAS));
            if (WgmmaGemm.splits(k, 2)) out.add(new FusedLinear.Schedule(2, rows, FusedLinear.Kernel.WGMMA_TMA, SMALL_CTAS));
            if (!FusedLinear.Variant.of(coding).readBy(FusedLinear.Kernel.WGMMA_TMA_CLUSTER)) continue;
            for (int splits : SPLITS) if (WgmmaGemm.splits(k, splits)) out.add(new FusedLinear.Schedule(splits, rows, FusedLinear.Kernel.WGMMA_TMA_CLUSTER));
            if (rows > 64) for (int splits : WgmmaGemm.MEET_SPLITS) if (WgmmaGemm.splits(k, splits)) out.add(new FusedLinear.Schedule(splits, rows, FusedLinear.Kernel.WGMMA_TMA_MEET));
            // Persistent on 4 CTAs: tiles % 4 of them, when 1 or 2, split in clusters of 2 after the whole ones.
            if (WgmmaGemm.splits(k, 2)) out.add(new FusedLinear.Schedule(2, rows, FusedLinear.Kernel.WGMMA_TMA_CLUSTER, 4));
            if (rows == 64 && WgmmaGemm.supports(n, k, FusedLinear.Kernel.WGMMA_TMA_WIDE)) {
                FusedLinear.Kernel wide = FusedLinear.Kernel.WGMMA_TMA_WIDE;
                out.add(new FusedLinear.Schedule(1, 64, wide));
                out.add(new FusedLinear.Schedule(1, 64, wide, SMALL_CTAS));
                for (int splits : new int[] {2, 4}) if (WgmmaGemm.splits(k, splits)) out.add(new FusedLinear.Schedule(splits, 64, wide));
            }
            if (rows != 256) continue;
            if (WgmmaGemm.supports(n, k, FusedLinear.Kernel.WGMMA_TMA_PAIR)) {   // one cluster per pair of tiles, and 2 clusters taking them in turn
                out.add(new FusedLinear.Schedule(1, 256, FusedLinear.Kernel.WGMMA_TMA_PAIR));
                out.add(new FusedLinear.Schedule(1, 256, FusedLinear.Kernel.WGMMA_TMA_PAIR, 4));
            }
            for (int splits : WgmmaGemm.HALF_SPLITS) {
                if (WgmmaGemm.splits(k, splits, FusedLinear.Kernel.WGMMA_TMA_HALF)) out.add(new FusedLinear.Schedule(splits, 256, FusedLinear.Kernel.WGMMA_TMA_HALF));
            }
        }
        return out;
    }

    /**
     * One small product both ways against float64 on the CPU (and the meet and pair kernels' against the unpaired TMA kernel at their
     * splits and grid), W in the benches' coding; what went wrong, or an empty list.
     */
    static List<String> small(Device device, int n, int k, int m, boolean wide, FusedLinear.Schedule s, long seed) {
        return small(device, n, k, m, wide, s, FusedGemmCheck.CODING, seed);
    }

    /** As {@link #small(Device, int, int, int, boolean, FusedLinear.Schedule, long)}, W in {@code coding}. */
    static List<String> small(Device device, int n, int k, int m, boolean wide, FusedLinear.Schedule s, PaletteLayout.Coding coding, long seed) {
        List<String> problems = new ArrayList<>();
        String name = n + "x" + k + " m=" + m + " " + label(s.kernel()) + " rows=" + s.rowsPerCta() + (s.splits() > 1 ? " splits=" + s.splits() : "")
                + (s.ctas() > 0 ? " ctas=" + s.ctas() : "") + (wide ? " wide" : "") + " " + coding;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment w = arena.allocate((long) n * k * 2, 16);
            FusedGemmCheck.fillNormal(w, 0.02, seed);
            if (wide) FusedGemmCheck.fillWide(w, seed);
            PaletteTensor p = PaletteEncoder.encode(w, n, k, PaletteEncoder.Scope.TILE, coding, arena);
            ShortArray x = new ShortArray(arena.allocate((long) m * k * 2, 16));
            FusedGemmCheck.fillNormal(x.segment(), 1.0, seed + 1);
            FusedLinear coded = FusedLinear.palette(p, arena);
            // The meet kernel also against the workspace finish at its splits, the pair kernel against the unpaired one: Y equal bit for bit.
            boolean meet = s.kernel() == FusedLinear.Kernel.WGMMA_TMA_MEET, pair = s.kernel() == FusedLinear.Kernel.WGMMA_TMA_PAIR;
            FusedLinear[] ops = meet || pair ? new FusedLinear[] {coded, coded.twin(w), coded} : new FusedLinear[] {coded, coded.twin(w)};
            ShortArray[] ys = new ShortArray[ops.length];
            for (int v = 0; v < ops.length; v++) {
                ys[v] = new ShortArray(arena.allocate((long) m * n * 2, 16));
                ys[v].segment().fill((byte) 0xFF);
                List<DeviceBuffer> held = ops[v].upload(device);
                try (ExecutionPlan plan = ops[v].bind("wsmall" + v, x, ys[v], m, v < 2 ? s : s.with(FusedLinear.Kernel.WGMMA_TMA), arena).plan(device)) {
                    plan.transferToDevice(x, ys[v]);
                    plan.execute();
                    plan.transferToHost(ys[v]);
                } finally {
                    held.forEach(DeviceBuffer::close);
                }
            }
            double diff = 0, norm = 0, worst = 0;
            long worstAt = -1;
            for (int r = 0; r < m; r++) {
                for (int c = 0; c < n; c++) {
                    float value = Float.intBitsToFloat((ys[0].get((long) r * n + c) & 0xFFFF) << 16);
                    double exact = 0;
                    for (int i = 0; i < k; i++) exact += FusedGemmCheck.valueAt(x.segment(), (long) r * k + i) * FusedGemmCheck.valueAt(w, (long) c * k + i);
                    double d = Float.isNaN(value) ? Double.POSITIVE_INFINITY : value - exact;
                    if (Math.abs(d) > worst) { worst = Math.abs(d); worstAt = (long) r * n + c; }
                    diff += d * d;
                    norm += exact * exact;
                }
            }
            double error = Math.sqrt(diff / norm);
            for (int v = 0; v < 2; v++) {
                long unwritten = FusedGemmCheck.count(ys[v], (short) 0xFFFF), nan = FusedGemmCheck.countNaN(ys[v]);
                if (unwritten > 0) problems.add(name + ": " + unwritten + " elements of Y not written (" + (v == 0 ? "palette" : "BF16") + ")");
                if (nan > 0) problems.add(name + ": " + nan + " NaN in Y (" + (v == 0 ? "palette" : "BF16") + ")");
            }
            long mismatch = ys[0].segment().mismatch(ys[1].segment());
            if (mismatch >= 0) problems.add(name + ": palette and BF16 modes differ first at element " + mismatch / 2 + " (row " + mismatch / 2 / n + ", column " + mismatch / 2 % n + ")");
            long apart = meet || pair ? ys[0].segment().mismatch(ys[2].segment()) : -1;
            if (apart >= 0) {
                problems.add(name + (meet ? ": the meet and workspace finishes" : ": the pair and unpaired kernels") + " differ first at element " + apart / 2
                        + " (row " + apart / 2 / n + ", column " + apart / 2 % n + ")");
            }
            if (!(error < 1e-2)) problems.add(name + ": relative Frobenius error " + error + " against float64; worst at row " + worstAt / n + ", column " + worstAt % n + " (off by " + worst + ")");
            System.out.printf(Locale.ROOT, "wgmma small %-36s error vs float64 %.2e, %s%n", name, error, problems.isEmpty() ? "ok" : "FAILED " + problems);
        } catch (RuntimeException e) {
            problems.add(name + ": " + e);
            System.out.println("wgmma small " + name + " FAILED: " + e);
            e.printStackTrace(System.out);
        }
        return problems;
    }

    private static int runShape(Device device, long n, long k, Options o, PrintWriter results) throws IOException {
        int failures = 0;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment w = arena.allocate(n * k * 2, 16);
            FusedGemmCheck.fillNormal(w, 0.02, n * 31 + k);
            PaletteTensor p = PaletteEncoder.encode(w, n, k, PaletteEncoder.Scope.TILE, FusedGemmCheck.CODING, arena);
            FusedGemmCheck.write(o.out().resolve("w_" + n + "x" + k + ".bf16"), w);
            System.out.printf(Locale.ROOT, "W %d x %d: palette layout %,d bytes = %.2f%% of BF16, escapes %.3f%%%n", n, k, p.byteSize(), 100.0 * p.byteSize() / w.byteSize(), 100.0 * p.escapeCount() / p.elements());
            List<FusedLinear> pal = new ArrayList<>(), raw = new ArrayList<>();
            List<DeviceBuffer> held = new ArrayList<>();
            try {
                for (int i = 0; i < Math.max(1, Math.ceilDiv(ROTATION_BYTES, p.byteSize())); i++) { pal.add(FusedLinear.palette(p, arena)); held.addAll(pal.getLast().upload(device)); }
                for (int i = 0; i < Math.max(1, Math.ceilDiv(ROTATION_BYTES, w.byteSize())); i++) { raw.add(FusedLinear.bf16(w, n, k, FusedGemmCheck.CODING)); held.addAll(raw.getLast().upload(device)); }
                for (int m : o.ms()) failures += runBatch(device, n, k, m, p, pal, raw, o, results);
            } finally {
                held.forEach(DeviceBuffer::close);
            }
        }
        return failures;
    }

    private static int runBatch(Device device, long n, long k, int m, PaletteTensor p, List<FusedLinear> pal, List<FusedLinear> raw, Options o, PrintWriter results) throws IOException {
        int failures = 0;
        try (Arena arena = Arena.ofShared()) {
            ShortArray x = new ShortArray(arena.allocate(m * k * 2, 16));
            FusedGemmCheck.fillNormal(x.segment(), 1.0, 1000 + m);
            ShortArray yPal = new ShortArray(arena.allocate(m * n * 2, 16)), yRaw = new ShortArray(arena.allocate(m * n * 2, 16));
            String mma = "null";
            if (m <= MMA_MAX_M) {
                FusedLinear.Schedule s = pal.getFirst().mmaSchedule(m, device.multiprocessors());
                FusedGemmCheck.Timing t = FusedGemmCheck.time(device, FusedKernels.compiler(), "mma", pal, x, yPal, m, s, o.reps(), arena);
                // Which kernel and splits, so that ScheduleTable can weigh it against the wgmma tiles.
                mma = t.json() + String.format(Locale.ROOT, ",\"mma_kernel\":\"%s\",\"mma_splits\":%d", ScheduleTable.name(s.kernel(), s.rowsPerCta()), s.splits());
                System.out.printf(Locale.ROOT, "  %6d x %5d  M=%4d mma.sync %s kernel, splits %d: %8.4f ms [%.4f..%.4f]%n", n, k, m, s.kernel().name().toLowerCase(Locale.ROOT), s.splits(), t.median(), t.min(), t.max());
            }
            int ruleRows = WgmmaGemm.rows(m, n, device.multiprocessors());
            double best = Double.POSITIVE_INFINITY;
            MemorySegment bestY = null;
            for (FusedLinear.Schedule s : schedules(m, n, k, o.rows(), device.multiprocessors())) {
                FusedLinear.Kernel kernel = s.kernel();
                int rows = s.rowsPerCta();
                FusedGemmCheck.Timing tp = FusedGemmCheck.time(device, FusedKernels.compiler(), "wpal", pal, x, yPal, m, s, o.reps(), arena);
                FusedGemmCheck.Timing tr = FusedGemmCheck.time(device, FusedKernels.compiler(), "wraw", raw, x, yRaw, m, s, o.reps(), arena);
                long unwritten = FusedGemmCheck.count(yPal, (short) 0xFFFF) + FusedGemmCheck.count(yRaw, (short) 0xFFFF);
                long nan = FusedGemmCheck.countNaN(yPal) + FusedGemmCheck.countNaN(yRaw);
                long mismatch = yPal.segment().mismatch(yRaw.segment());
                boolean ok = unwritten == 0 && nan == 0 && mismatch < 0;
                if (!ok) failures++;
                long flops = 2L * m * n * k;
                results.printf(Locale.ROOT, "{\"n\":%d,\"k\":%d,\"m\":%d,\"kernel\":\"%s\",\"rows\":%d,\"splits\":%d,\"rule\":%b,\"wgmma_ms\":%s,\"wgmma_bf16_ms\":%s,\"mma_ms\":%s,\"palette_weight_bytes\":%d,\"bf16_weight_bytes\":%d,\"io_bytes\":%d,\"flops\":%d,\"unwritten\":%d,\"nan\":%d,\"bit_exact\":%b}%n",
                        n, k, m, label(kernel), rows, s.splits(), kernel == FusedLinear.Kernel.WGMMA_TMA && rows == ruleRows && s.splits() == 1, tp.json(), tr.json(), mma, p.byteSize(), raw.getFirst().weightBytes(), 2L * m * k + 2L * m * n, flops, unwritten, nan, mismatch < 0);
                results.flush();
                System.out.printf(Locale.ROOT, "  %6d x %5d  M=%4d %-5s rows=%3d splits=%d: palette %8.4f ms [%.4f..%.4f] (%.0f TFLOP/s)  bf16 %8.4f ms [%.4f..%.4f] (%.0f TFLOP/s)  %s%n",
                        n, k, m, label(kernel), rows, s.splits(), tp.median(), tp.min(), tp.max(), flops / tp.median() / 1e9, tr.median(), tr.min(), tr.max(), flops / tr.median() / 1e9,
                        ok ? "ok" : "FAILED (unwritten " + unwritten + ", NaN " + nan + ", first mismatch at byte " + mismatch + ")");
                if (ok && tp.median() < best && yPal.segment().byteSize() <= MAX_CHECK_FILE) {
                    best = tp.median();
                    if (bestY == null) bestY = arena.allocate(yPal.segment().byteSize(), 16);
                    bestY.copyFrom(yPal.segment());
                }
            }
            if (bestY != null) {
                FusedGemmCheck.write(o.out().resolve("x_" + n + "x" + k + "_m" + m + ".bf16"), x.segment());
                FusedGemmCheck.write(o.out().resolve("y_" + n + "x" + k + "_m" + m + ".bf16"), bestY);
            }
        }
        return failures;
    }

    /**
     * The schedules timed at batch size m: every wgmma kernel at every tile (tiles far taller than M only compute zero
     * rows, and 64-row tiles at M >= 1024 halve the decode's reuse: not timed), and the TMA kernel also at
     * {@link #SPLITS} where its tiles alone leave multiprocessors idle, through the workspace and (window coding) in a cluster,
     * and (window coding) with the last, partial round of tiles split in clusters of 2 where they fill them once or more, and
     * (window coding) the half kernel where the 256-row tiles leave them idle ({@link WgmmaGemm#splitSchedules}).
     */
    static List<FusedLinear.Schedule> schedules(int m, long n, long k, int[] tiles, int multiprocessors) {
        List<FusedLinear.Schedule> out = new ArrayList<>();
        for (FusedLinear.Kernel kernel : kernels()) for (int rows : tiles) {
            if (rows > Math.max(64, m) || (m >= 1024 && rows == 64 && tiles.length > 1)) continue;
            out.add(new FusedLinear.Schedule(1, rows, kernel).persistent(multiprocessors));
            if (kernel == FusedLinear.Kernel.WGMMA_TMA) out.addAll(WgmmaGemm.splitSchedules(m, n, k, rows, multiprocessors, SPLITS, FusedLinear.Variant.of(FusedGemmCheck.CODING)));
        }
        return out;
    }

    /**
     * The results' name of a wgmma kernel: "tma" (TMA-fed), "tmacluster" (its split K summed in a cluster), "tmahalf" (its half
     * form), "tmawide" (its wide form), "tmameet" (its split K summed by all slices meeting), "tmapair" (its W tiles in pairs sharing X),
     * "wgmma" (paired) or "solo".
     */
    static String label(FusedLinear.Kernel kernel) {
        return switch (kernel) {
            case WGMMA_TMA -> "tma";
            case WGMMA_TMA_CLUSTER -> "tmacluster";
            case WGMMA_TMA_HALF -> "tmahalf";
            case WGMMA_TMA_WIDE -> "tmawide";
            case WGMMA_TMA_MEET -> "tmameet";
            case WGMMA_TMA_PAIR -> "tmapair";
            case WGMMA -> "wgmma";
            case WGMMA_SOLO -> "solo";
            default -> throw new IllegalArgumentException(kernel + " is not a wgmma kernel");
        };
    }

    private static Options parse(String[] args) {
        Path out = null;
        List<long[]> shapes = FusedGemmCheck.LLAMA_SHAPES;
        int[] ms = {64, 256, 1024, 4096}, rows = {64, 128, 256};
        int reps = 10;
        boolean small = true;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--out" -> out = Path.of(args[++i]);
                case "--shapes" -> shapes = args[i + 1].equals("none") && ++i > 0 ? List.of() : Arrays.stream(args[++i].split(",")).map(s -> Arrays.stream(s.split("x")).mapToLong(Long::parseLong).toArray()).toList();
                case "--ms" -> ms = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
                case "--rows" -> rows = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
                case "--reps" -> reps = Integer.parseInt(args[++i]);
                case "--no-small" -> small = false;
                default -> throw new IllegalArgumentException("unknown argument " + args[i] + "; usage: WgmmaCheck --out DIR [--shapes NxK,...] [--ms 64,256,...] [--rows 64,128,256] [--reps N] [--no-small]");
            }
        }
        if (out == null) throw new IllegalArgumentException("--out DIR is required");
        for (long[] s : shapes) if (!WgmmaGemm.supports(s[0], s[1])) throw new IllegalArgumentException("shape " + s[0] + " x " + s[1] + ": the wgmma kernels need both multiples of 128");
        for (int r : rows) WgmmaGemm.stages(r);
        return new Options(out, shapes, ms, rows, reps, small);
    }
}
