package dev.weightless.tensorcore.gemm;

import dev.weightless.jit.kernel.ShortArray;
import dev.weightless.tasks.Device;
import dev.weightless.tasks.DeviceBuffer;
import dev.weightless.tasks.ExecutionPlan;
import dev.weightless.tensorcore.layout.PaletteEncoder;
import dev.weightless.tensorcore.layout.PaletteLayout;
import dev.weightless.tensorcore.layout.PaletteTensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * One small product on a device, checked every way the kernels promise: Y poisoned first and every
 * element written, the palette kernel equal bit for bit to the BF16 kernel, no NaN, and relative
 * Frobenius error under 1e-2 against a float64 product on the CPU (at 16 rows of X the band kernel too, at 8 the narrow
 * kernel, at 8 and 16 with 2, 4 or 8 splits the cluster kernel, each against its own BF16 twin). Shapes off the common path (M not a multiple of 8, M over one 64-row chunk, warps left
 * without tiles, bands with fewer than 8 strips, split K) are the point. Used by
 * {@code FusedLinearGpuTest} and by {@code FusedGemmCheck --small} on GPU hosts.
 */
public final class SmallProductCheck {
    /**
     * The cases both callers run: (n, k, m, splits, wide). wide = 1: magnitudes spread over 2^-24..1, so most
     * tiles hold over 64 escapes (the patching kernel's loop past its two prefetched escapes per lane).
     */
    public static final int[][] CASES = {{48, 192, 1, 1, 0}, {48, 192, 5, 1, 0}, {64, 512, 3, 2, 0}, {64, 512, 70, 1, 0}, {32, 1024, 17, 4, 0}, {128, 256, 130, 2, 0},
            {32, 256, 1, 1, 1}, {64, 512, 20, 2, 1}, {48, 256, 12, 1, 0}, {144, 512, 16, 3, 1}, {80, 1024, 13, 4, 1}};

    private SmallProductCheck() {}

    /** A product checked against its own BF16 twin, whose Y follows it at {@code at + 1}. */
    private record Twinned(String label, int at) {}

    /** What went wrong with the case, or an empty list. */
    public static List<String> run(Device device, int[] c, long seed) { return run(device, c[0], c[1], c[2], c[3], c[4] != 0, seed); }

    public static List<String> run(Device device, int n, int k, int m, int splits, boolean wide, long seed) {
        List<String> problems = new ArrayList<>();
        String name = n + "x" + k + " m=" + m + " splits=" + splits + (wide ? " wide" : "");
        try (Arena arena = Arena.ofShared()) {
            MemorySegment w = arena.allocate((long) n * k * 2, 16);
            FusedGemmCheck.fillNormal(w, 0.02, seed);
            if (wide) FusedGemmCheck.fillWide(w, seed);
            PaletteTensor p = PaletteEncoder.encode(w, n, k, PaletteEncoder.Scope.TILE, arena);
            ShortArray x = new ShortArray(arena.allocate((long) m * k * 2, 16));
            FusedGemmCheck.fillNormal(x.segment(), 1.0, seed + 1);
            FusedLinear palette = FusedLinear.palette(p, arena), bf16 = FusedLinear.bf16(w, n, k);
            FusedLinear window = FusedLinear.palette(PaletteEncoder.encode(w, n, k, PaletteEncoder.Scope.TILE, PaletteLayout.Coding.WINDOW, arena), arena);
            FusedLinear windowTwin = window.twin(w);
            FusedLinear.Schedule schedule = new FusedLinear.Schedule(splits, palette.mmaSchedule(m, device.multiprocessors()).rowsPerCta());
            // ballot, BF16 twin, patching; then kernels checked against their own BF16 twin, each product followed by its twin's:
            // patching on the window coding (fragment order); at 16 rows of X the band kernel on either coding; at 8 rows the narrow
            // kernel (4 warps per CTA); at 8 and 16 rows with 2, 4 or 8 splits, the cluster kernel (its twin: bf16Frag8 / bf16Frag16 at the same splits).
            List<FusedLinear> ops = new ArrayList<>(List.of(palette, bf16, palette));
            List<FusedLinear.Schedule> schedules = new ArrayList<>(List.of(schedule.with(FusedLinear.Kernel.BALLOT), schedule, schedule.with(FusedLinear.Kernel.PATCH)));
            List<Twinned> twinned = new ArrayList<>();
            BiConsumer<String, FusedLinear.Schedule> windowPair = (label, s) -> {
                twinned.add(new Twinned(label, ops.size()));
                ops.addAll(List.of(window, windowTwin));
                schedules.addAll(Collections.nCopies(2, s));
            };
            windowPair.accept("patching kernel, window coding", schedule.with(FusedLinear.Kernel.PATCH));
            if (schedule.rowsPerCta() == 16) {
                twinned.add(new Twinned("band kernel", ops.size()));
                ops.addAll(List.of(palette, bf16));
                schedules.addAll(Collections.nCopies(2, schedule.with(FusedLinear.Kernel.PATCH_BAND)));
                windowPair.accept("band kernel, window coding", schedule.with(FusedLinear.Kernel.PATCH_BAND));
            }
            if (schedule.rowsPerCta() == 8) windowPair.accept("narrow kernel", schedule.with(FusedLinear.Kernel.PATCH_NARROW));
            if (schedule.rowsPerCta() <= 16 && (splits == 2 || splits == 4 || splits == 8)) windowPair.accept("cluster kernel", schedule.with(FusedLinear.Kernel.PATCH_CLUSTER));
            ShortArray[] ys = new ShortArray[ops.size()];
            for (int v = 0; v < ys.length; v++) {
                ys[v] = new ShortArray(arena.allocate((long) m * n * 2, 16));
                ys[v].segment().fill((byte) 0xFF);
                List<DeviceBuffer> held = ops.get(v).upload(device);
                try (ExecutionPlan plan = ops.get(v).bind("small" + v, x, ys[v], m, schedules.get(v), arena).plan(device)) {
                    plan.transferToDevice(x, ys[v]);
                    plan.execute();
                    plan.transferToHost(ys[v]);
                } finally {
                    held.forEach(DeviceBuffer::close);
                }
            }
            double error = check(problems, name + " (ballot kernel)", ys[0], x, w, m, n, k);
            long mismatch = ys[0].segment().mismatch(ys[1].segment());
            if (mismatch >= 0) problems.add(name + ": palette and BF16 kernels differ first at byte " + mismatch);
            long mismatchPatch = ys[2].segment().mismatch(ys[1].segment());
            if (mismatchPatch >= 0) problems.add(name + ": patching and BF16 kernels differ first at byte " + mismatchPatch);
            long unwrittenPatch = 0;
            for (long i = 0; i < ys[2].size(); i++) if (ys[2].get(i) == (short) 0xFFFF) unwrittenPatch++;
            if (unwrittenPatch > 0) problems.add(name + ": " + unwrittenPatch + " elements of Y not written by the patching kernel");
            for (Twinned t : twinned) {
                error = Math.max(error, check(problems, name + " (" + t.label() + ")", ys[t.at()], x, w, m, n, k));
                long differs = ys[t.at()].segment().mismatch(ys[t.at() + 1].segment());
                if (differs >= 0) problems.add(name + ": " + t.label() + " and its BF16 twin differ first at byte " + differs);
            }
            System.out.printf("small product %-33s error vs float64 %.2e, %s%n", name, error, problems.isEmpty() ? "ok" : "FAILED");
        }
        return problems;
    }

    /** Adds what is wrong with y (unwritten, NaN, error of 1e-2 or more against float64) to problems; the error. */
    private static double check(List<String> problems, String name, ShortArray y, ShortArray x, MemorySegment w, int m, int n, int k) {
        double diff = 0, norm = 0;
        long unwritten = 0, nan = 0;
        for (int r = 0; r < m; r++) {
            for (int c = 0; c < n; c++) {
                short got = y.get((long) r * n + c);
                if (got == (short) 0xFFFF) unwritten++;
                float value = Float.intBitsToFloat((got & 0xFFFF) << 16);
                if (Float.isNaN(value)) nan++;
                double exact = 0;
                for (int i = 0; i < k; i++) exact += FusedGemmCheck.valueAt(x.segment(), (long) r * k + i) * FusedGemmCheck.valueAt(w, (long) c * k + i);
                diff += (value - exact) * (value - exact);
                norm += exact * exact;
            }
        }
        double error = Math.sqrt(diff / norm);
        if (unwritten > 0) problems.add(name + ": " + unwritten + " elements of Y not written");
        if (nan > 0) problems.add(name + ": " + nan + " NaN in Y");
        if (!(error < 1e-2)) problems.add(name + ": relative Frobenius error " + error + " against float64");
        return error;
    }
}
