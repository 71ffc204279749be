package dev.weightless.tensorcore.gemm;

import dev.weightless.jit.kernel.FloatArray;
import dev.weightless.jit.kernel.Grid;
import dev.weightless.jit.kernel.IntArray;
import dev.weightless.jit.kernel.KernelMethod;
import dev.weightless.jit.kernel.ShortArray;
import dev.weightless.tasks.DataTransferMode;
import dev.weightless.tasks.Device;
import dev.weightless.tasks.DeviceArray;
import dev.weightless.tasks.DeviceBuffer;
import dev.weightless.tasks.ExecutionPlan;
import dev.weightless.tasks.ExecutionResult;
import dev.weightless.tasks.TaskGraph;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Picks a product's schedule by timing it on the device it runs on: for any shape and batch size, on any GPU, where the
 * measured table ({@link ScheduleTable#h200()}, on an H200) has nothing. The batch size is rounded up to a power of two
 * (its bucket: one schedule serves every M in it, and the mma.sync kernels' rows of X per CTA change only at powers of
 * two); every candidate (the kernels W's coding has, every split of K, and from M = 64 the TMA-fed kernel's tiles) is timed
 * at the bucket's M, the fastest median wins and goes into a {@link ScheduleCache}, so each (GPU, coding, shape, bucket) is
 * timed once, and never again when the cache is a file.
 */
public final class ScheduleTuner {
    /** Splits of K tried for the mma.sync kernels, beside the rule's. */
    static final int[] MMA_SPLITS = {1, 2, 4, 8};
    /** Splits of K tried for the TMA-fed kernel where its tiles alone leave multiprocessors idle. */
    static final int[] TMA_SPLITS = {2, 4};

    /** Times candidate schedules of one product: on the device ({@link DeviceTimer}), or a test's stand-in. */
    interface Timer {
        /** The median milliseconds of each schedule, in order, for {@code op} at batch size m. */
        double[] medians(FusedLinear op, int m, List<FusedLinear.Schedule> schedules);
    }

    /** One candidate's median time. */
    public record Trial(FusedLinear.Schedule schedule, double millis) {}

    /** The fastest candidate and every trial, in the order timed. */
    public record Tuned(FusedLinear.Schedule schedule, double millis, List<Trial> trials) {}

    private final String device;
    private final int multiprocessors;
    private final Timer timer;
    private final ScheduleCache cache;
    private final ScheduleTable table; // null: none measured for this GPU

    /** Times on {@code device} (median of 10 launches per candidate, L2 scrubbed before each); keeps the winners in {@code cache}. */
    public ScheduleTuner(Device device, ScheduleCache cache) {
        this(device.name(), device.multiprocessors(), new DeviceTimer(device, 10), cache, device.name().contains("H200") ? ScheduleTable.h200() : null);
    }

    ScheduleTuner(String device, int multiprocessors, Timer timer, ScheduleCache cache, ScheduleTable table) {
        if (multiprocessors < 1) throw new IllegalArgumentException("multiprocessors must be >= 1, got " + multiprocessors);
        this.device = device;
        this.multiprocessors = multiprocessors;
        this.timer = timer;
        this.cache = cache;
        this.table = table;
    }

    /** The batch sizes that share a schedule: m rounded up to a power of two. */
    public static int bucket(int m) {
        if (m < 1 || m > 1 << 30) throw new IllegalArgumentException("m must be in 1..2^30, got " + m);
        return m == 1 ? 1 : Integer.highestOneBit(m - 1) << 1;
    }

    /**
     * The schedule for {@code op} at batch size m: the measured table's where it has this shape (H200), else the cache's,
     * else the fastest of {@link #candidates} timed now at the bucket's M (and cached).
     */
    public synchronized FusedLinear.Schedule schedule(FusedLinear op, int m) {
        Optional<FusedLinear.Schedule> tabled = table == null ? Optional.empty() : op.tabled(table, m, multiprocessors);
        if (tabled.isPresent()) return tabled.get();
        ScheduleCache.Key key = new ScheduleCache.Key(device, multiprocessors, op.variant(), op.n(), op.k(), bucket(m));
        Optional<ScheduleCache.Entry> cached = cache.get(key);
        if (cached.isPresent()) return cached.get().schedule();
        Tuned tuned = tune(op, key.m());
        cache.put(key, new ScheduleCache.Entry(tuned.schedule(), tuned.millis()));
        return tuned.schedule();
    }

    /** Times every candidate for {@code op} at batch size m; the fastest (the first of equals) wins. Caches nothing. One tuning at a time: a device takes one thread at a time. */
    public synchronized Tuned tune(FusedLinear op, int m) {
        List<FusedLinear.Schedule> candidates = candidates(op, m, multiprocessors);
        double[] medians = timer.medians(op, m, candidates);
        if (medians.length != candidates.size()) throw new IllegalStateException(medians.length + " timings for " + candidates.size() + " candidates");
        List<Trial> trials = new ArrayList<>(candidates.size());
        Trial best = null;
        for (int i = 0; i < medians.length; i++) {
            if (!(medians[i] > 0) || Double.isInfinite(medians[i])) {
                throw new IllegalStateException("timing " + candidates.get(i) + " of " + op.n() + " x " + op.k() + " at m = " + m + " gave " + medians[i] + " ms");
            }
            Trial t = new Trial(candidates.get(i), medians[i]);
            trials.add(t);
            if (best == null || t.millis() < best.millis()) best = t;
        }
        return new Tuned(best.schedule(), best.millis(), List.copyOf(trials));
    }

    /**
     * The schedules timed for {@code op} at batch size m: first the rule's ({@link FusedLinear#schedule(int, int)}, so the
     * tuner never keeps a slower one than the rule but by the timings' spread); up to M = 64, or wherever the TMA-fed kernel cannot run, the
     * mma.sync kernels W's coding has (patching; ballot for the palette coding; band at 16 rows of X; narrow at 8 for the window coding, and cluster at 8 and 16 with 2, 4 and 8 splits) at the rule's rows
     * of X per CTA and every split of {@link #MMA_SPLITS} and the rule's; from M = 64, where n and k allow it, the TMA-fed
     * kernel on one CTA per multiprocessor at 64, 128 and 256 rows of X (none taller than max(64, M), no 64-row tiles
     * from M = 1024), split by {@link #TMA_SPLITS} where its tiles leave multiprocessors idle (through the workspace and,
     * window-coded W, in a cluster and, at 128 and 256 rows where its CTAs fit the multiprocessors at once, by the slices meeting), and for window-coded W with the last, partial round of tiles split in clusters of 2,
     * and the half kernel at 1, 2 and 4 splits where the 256-row tiles leave multiprocessors idle, and the pair kernel at 256 rows where those
     * tiles give at least 3/4 of them a CTA ({@link WgmmaGemm#splitSchedules}).
     */
    static List<FusedLinear.Schedule> candidates(FusedLinear op, int m, int multiprocessors) {
        long n = op.n(), k = op.k();
        FusedLinear.Variant v = op.variant();
        boolean tma = m >= 64 && v.readBy(FusedLinear.Kernel.WGMMA_TMA) && WgmmaGemm.supports(n, k);
        Set<FusedLinear.Schedule> out = new LinkedHashSet<>();
        out.add(op.schedule(m, multiprocessors));
        if (m <= 64 || !tma) {
            FusedLinear.Schedule rule = op.mmaSchedule(m, multiprocessors);
            Set<Integer> splits = new LinkedHashSet<>(List.of(rule.splits()));
            for (int s : MMA_SPLITS) splits.add(s);
            List<FusedLinear.Kernel> kernels = new ArrayList<>(List.of(FusedLinear.Kernel.PATCH));
            if (v == FusedLinear.Variant.PALETTE) kernels.add(FusedLinear.Kernel.BALLOT);   // BF16 W: the same kernel as PATCH
            if (rule.rowsPerCta() == 16) kernels.add(FusedLinear.Kernel.PATCH_BAND);
            if (rule.rowsPerCta() == 8 && v.readBy(FusedLinear.Kernel.PATCH_NARROW)) kernels.add(FusedLinear.Kernel.PATCH_NARROW);
            for (FusedLinear.Kernel kernel : kernels) {
                for (int s : splits) if (s <= k / 64) out.add(new FusedLinear.Schedule(s, rule.rowsPerCta(), kernel));
            }
            if (rule.rowsPerCta() <= 16 && v.readBy(FusedLinear.Kernel.PATCH_CLUSTER)) {
                for (int s : new int[] {2, 4, 8}) if (s <= k / 64) out.add(new FusedLinear.Schedule(s, rule.rowsPerCta(), FusedLinear.Kernel.PATCH_CLUSTER));
            }
        }
        if (tma) {
            for (int rows : new int[] {64, 128, 256}) {
                if (rows > Math.max(64, m) || (m >= 1024 && rows == 64)) continue;
                out.add(new FusedLinear.Schedule(1, rows, FusedLinear.Kernel.WGMMA_TMA).persistent(multiprocessors));
                out.addAll(WgmmaGemm.splitSchedules(m, n, k, rows, multiprocessors, TMA_SPLITS, v));
            }
        }
        return List.copyOf(out);
    }

    /**
     * Times on a CUDA device: W uploaded once (unless resident), X random, each candidate in one graph of a ~5 ms spin
     * (so the host has queued every launch before the GPU reaches them) and {@code reps} times an {@link L2Scrub} and the
     * product, run twice (the first warms up); the median of the second run's products, by CUDA events.
     */
    static final class DeviceTimer implements Timer {
        private final Device device;
        private final int reps;

        DeviceTimer(Device device, int reps) {
            if (reps < 1) throw new IllegalArgumentException("reps must be >= 1, got " + reps);
            this.device = device;
            this.reps = reps;
        }

        @Override
        public double[] medians(FusedLinear op, int m, List<FusedLinear.Schedule> schedules) {
            List<DeviceBuffer> held = op.upload(device);
            try (Arena arena = Arena.ofConfined(); DeviceBuffer scrubbed = device.allocate(L2Scrub.BYTES)) {
                ShortArray x = ShortArray.allocate(arena, Math.multiplyExact((long) m, op.k()));
                ShortArray y = ShortArray.allocate(arena, Math.multiplyExact((long) m, op.n()));
                FusedGemmCheck.fillNormal(x.segment(), 1.0, 20261130L);
                DeviceArray scrub = new DeviceArray(scrubbed, 0, L2Scrub.BYTES / 4, IntArray.class);
                double[] out = new double[schedules.size()];
                for (int i = 0; i < out.length; i++) out[i] = median(op, x, y, m, schedules.get(i), scrub, arena);
                return out;
            } finally {
                held.forEach(DeviceBuffer::close);
            }
        }

        private double median(FusedLinear op, ShortArray x, ShortArray y, int m, FusedLinear.Schedule s, DeviceArray scrub, Arena arena) {
            FloatArray partial = FloatArray.allocate(arena, op.partialSize(m, s));
            TaskGraph g = new TaskGraph("tune");
            if (!op.isResident()) g.transferToDevice(DataTransferMode.UNDER_DEMAND, op.weightArrays());
            g.transferToDevice(DataTransferMode.UNDER_DEMAND, x, partial).transferToHost(DataTransferMode.UNDER_DEMAND, y);
            Map<String, Grid> grids = new LinkedHashMap<>();
            g.task("spin", KernelMethod.of(FusedKernels.class, "spin"), FusedGemmCheck.SPIN_CYCLES);
            grids.put("tune.spin", new Grid(1, 32));
            Grid scrubGrid = new Grid(16L * device.multiprocessors(), 256);
            for (int r = 0; r < reps; r++) {
                g.task("scrub" + r, KernelMethod.of(L2Scrub.class, "scrub"), scrub);
                grids.put("tune.scrub" + r, scrubGrid);
                op.addTo(g, "gemm" + r, x, y, partial, m, s, grids);
            }
            try (ExecutionPlan plan = new ExecutionPlan(device, L2Scrub.compiler(), List.of(g.snapshot()))) {
                grids.forEach(plan::withGrid);
                plan.transferToDevice(x);
                plan.execute();
                ExecutionResult result = plan.execute();
                double[] ms = new double[reps];
                for (ExecutionResult.TaskTime t : result.tasks()) {
                    String task = t.task().substring(t.task().indexOf('.') + 1);
                    if (task.startsWith("gemm")) ms[Integer.parseInt(task.substring(4))] += t.millis();
                }
                Arrays.sort(ms);
                return ms[reps / 2];
            }
        }
    }
}
