package dev.weightless.tensorcore.gemm;

import dev.weightless.jit.kernel.FloatArray;
import dev.weightless.jit.kernel.Grid;
import dev.weightless.jit.kernel.ShortArray;
import dev.weightless.tasks.TaskGraph;
import dev.weightless.tensorcore.layout.PaletteEncoder;
import dev.weightless.tensorcore.layout.PaletteLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.*;

/** The tuner's candidates, choice and cache with a stand-in timer (the device timer runs in ScheduleTunerGpuTest). */
class ScheduleTunerTest {
    private static final int SMS = 132;

    /** Plain BF16 W of n x k (all zero: the candidates depend on the shape and coding only) as a window-coded operator and its twin. */
    private static FusedLinear window(long n, long k, Arena arena) {
        MemorySegment w = arena.allocate(n * k * 2, 16);
        return FusedLinear.palette(PaletteEncoder.encode(w, n, k, PaletteEncoder.Scope.TILE, PaletteLayout.Coding.WINDOW, arena), arena);
    }

    /** Times that a test sets per schedule; counts how often it was asked. */
    private static final class StandIn implements ScheduleTuner.Timer {
        final Map<FusedLinear.Schedule, Double> millis = new HashMap<>();
        double otherwise = 1.0;
        int calls;

        @Override
        public double[] medians(FusedLinear op, int m, List<FusedLinear.Schedule> schedules) {
            calls++;
            return schedules.stream().mapToDouble(s -> millis.getOrDefault(s, otherwise)).toArray();
        }
    }

    @Test
    void batchSizesShareTheScheduleOfTheirPowerOfTwo() {
        int[][] cases = {{1, 1}, {2, 2}, {3, 4}, {4, 4}, {5, 8}, {16, 16}, {17, 32}, {64, 64}, {65, 128}, {4096, 4096}, {4097, 8192}, {1 << 30, 1 << 30}};
        for (int[] c : cases) assertEquals(c[1], ScheduleTuner.bucket(c[0]), "m = " + c[0]);
        assertThrows(IllegalArgumentException.class, () -> ScheduleTuner.bucket(0));
        assertThrows(IllegalArgumentException.class, () -> ScheduleTuner.bucket((1 << 30) + 1));
    }

    @Test
    void candidatesAreTheKernelsTheCodingHasAtEverySplit() {
        try (Arena arena = Arena.ofConfined()) {
            FusedLinear op = window(2048, 4096, arena);
            List<FusedLinear.Schedule> one = ScheduleTuner.candidates(op, 1, SMS);
            assertEquals(Set.of(FusedLinear.Kernel.PATCH, FusedLinear.Kernel.PATCH_NARROW, FusedLinear.Kernel.PATCH_CLUSTER), kernels(one),
                    "window-coded W at 8 rows: the patching kernel with 8 and with 4 warps per CTA, and with its splits in a cluster");
            assertEquals(Set.of(2, 4, 8), one.stream().filter(s -> s.kernel() == FusedLinear.Kernel.PATCH_CLUSTER).map(FusedLinear.Schedule::splits).collect(Collectors.toSet()));
            // 128 strips on 132 SMs: the rule splits K in 3 to give each SM two CTAs; the tuner tries that too.
            assertEquals(3, op.mmaSchedule(1, SMS).splits());
            assertEquals(Set.of(1, 2, 3, 4, 8), one.stream().map(FusedLinear.Schedule::splits).collect(Collectors.toSet()));
            assertTrue(one.stream().allMatch(s -> s.rowsPerCta() == 8));

            List<FusedLinear.Schedule> sixteen = ScheduleTuner.candidates(op, 16, SMS);
            assertEquals(Set.of(FusedLinear.Kernel.PATCH, FusedLinear.Kernel.PATCH_BAND, FusedLinear.Kernel.PATCH_CLUSTER), kernels(sixteen),
                    "16 rows: the patching kernel, alone and with its splits in a cluster, and the band kernel");
            assertEquals(Set.of(2, 4, 8), sixteen.stream().filter(s -> s.kernel() == FusedLinear.Kernel.PATCH_CLUSTER).map(FusedLinear.Schedule::splits).collect(Collectors.toSet()));
            assertTrue(sixteen.stream().allMatch(s -> s.rowsPerCta() == 16));
            assertEquals(13, sixteen.size());

            List<FusedLinear.Schedule> mid = ScheduleTuner.candidates(op, 64, SMS);
            assertTrue(mid.stream().anyMatch(s -> s.kernel() == FusedLinear.Kernel.PATCH && s.rowsPerCta() == 64), "M = 64: the mma.sync kernel too");
            assertTrue(mid.stream().anyMatch(s -> s.kernel() == FusedLinear.Kernel.WGMMA_TMA && s.rowsPerCta() == 64 && s.ctas() == SMS));
            assertFalse(mid.stream().anyMatch(s -> s.kernel() == FusedLinear.Kernel.WGMMA_TMA && s.rowsPerCta() > 64), "no tiles taller than max(64, M)");

            List<FusedLinear.Schedule> large = ScheduleTuner.candidates(op, 256, SMS);
            // 16 strips of 128 rows at M = 256 give only 128 of 132 SMs a 64-row tile: the rule keeps the patching kernel.
            assertEquals(new FusedLinear.Schedule(1, 64, FusedLinear.Kernel.PATCH), large.getFirst(), "the rule's schedule first");
            assertEquals(Set.of(FusedLinear.Kernel.WGMMA_TMA, FusedLinear.Kernel.WGMMA_TMA_CLUSTER, FusedLinear.Kernel.WGMMA_TMA_HALF, FusedLinear.Kernel.WGMMA_TMA_MEET),
                    kernels(large.subList(1, large.size())),
                    "then from M = 128 only the TMA-fed kernel where it runs, its split K through the workspace, in a cluster or by its slices meeting, and its half form");
            // 16 tiles of 128 x 256 leave SMs idle: the half kernel's 32 tiles of 64 x 256 at 1, 2 and 4 splits (at most 128 CTAs).
            assertEquals(Set.of(1, 2, 4), large.stream().filter(s -> s.kernel() == FusedLinear.Kernel.WGMMA_TMA_HALF).map(FusedLinear.Schedule::splits).collect(Collectors.toSet()));
            assertTrue(large.stream().filter(s -> s.kernel() == FusedLinear.Kernel.WGMMA_TMA_HALF).allMatch(s -> s.rowsPerCta() == 256 && s.ctas() == 0));
            // 2048 x 4096 at M = 256: 16 x 4 = 64 tiles of 64 rows (< 132 SMs: split), 32 of 128, 16 of 256.
            assertTrue(large.contains(new FusedLinear.Schedule(4, 64, FusedLinear.Kernel.WGMMA_TMA, SMS)));
            assertTrue(large.contains(new FusedLinear.Schedule(2, 256, FusedLinear.Kernel.WGMMA_TMA, SMS)));
            assertTrue(large.contains(new FusedLinear.Schedule(2, 256, FusedLinear.Kernel.WGMMA_TMA_CLUSTER)), "the cluster kernel: one CTA per slice");
            assertTrue(large.contains(new FusedLinear.Schedule(4, 128, FusedLinear.Kernel.WGMMA_TMA_MEET)), "32 tiles x 4 slices fit 132 SMs at once");
            assertFalse(large.stream().anyMatch(s -> s.kernel() == FusedLinear.Kernel.WGMMA_TMA_MEET && s.rowsPerCta() == 64), "the meet kernel takes 128 or 256 rows");
            assertEquals(large.stream().filter(s -> s.kernel() == FusedLinear.Kernel.WGMMA_TMA && s.splits() > 1).count(),
                    large.stream().filter(s -> s.kernel() == FusedLinear.Kernel.WGMMA_TMA_CLUSTER).count(), "each split of K both ways");

            for (int m : new int[] {1, 5, 16, 64, 256, 1000, 4096}) assertEquals(op.schedule(m, SMS), ScheduleTuner.candidates(op, m, SMS).getFirst(), "m = " + m);
            List<FusedLinear.Schedule> huge = ScheduleTuner.candidates(op, 4096, SMS);
            assertFalse(huge.stream().anyMatch(s -> s.rowsPerCta() == 64), "no 64-row tiles from M = 1024");
            assertFalse(huge.stream().anyMatch(s -> s.splits() > 1), "512 tiles of 128 rows fill 132 SMs: no splits");
            assertTrue(huge.contains(new FusedLinear.Schedule(1, 256, FusedLinear.Kernel.WGMMA_TMA_PAIR, SMS)), "256 tiles of 256 rows: also in pairs sharing X");
        }
        try (Arena arena = Arena.ofConfined()) {
            // 2176 x 4096 at M = 1024: 17 x 8 = 136 tiles of 128 rows, one full round on 132 SMs and 4 left: those split in clusters of 2.
            List<FusedLinear.Schedule> tail = ScheduleTuner.candidates(window(2176, 4096, arena), 1024, SMS);
            assertTrue(tail.contains(new FusedLinear.Schedule(2, 128, FusedLinear.Kernel.WGMMA_TMA_CLUSTER, SMS)), tail.toString());
            assertFalse(tail.contains(new FusedLinear.Schedule(2, 256, FusedLinear.Kernel.WGMMA_TMA_CLUSTER, SMS)), "68 tiles of 256 rows: under one round, so their splits run one CTA per slice");
        }
    }

    @Test
    void thePaletteCodingAddsTheBallotKernelAndAShapeTheTmaKernelCannotTakeKeepsTheMmaKernels() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment w = arena.allocate(192L * 320 * 2, 16);   // k = 320: a multiple of 64, not of 128
            FusedLinear palette = FusedLinear.palette(PaletteEncoder.encode(w, 192, 320, PaletteEncoder.Scope.TILE, arena), arena);
            assertEquals(Set.of(FusedLinear.Kernel.PATCH, FusedLinear.Kernel.BALLOT), kernels(ScheduleTuner.candidates(palette, 4, SMS)));
            List<FusedLinear.Schedule> large = ScheduleTuner.candidates(palette, 1000, SMS);
            assertFalse(large.isEmpty());
            assertTrue(large.stream().noneMatch(s -> s.kernel().wgmma()) && large.stream().allMatch(s -> s.rowsPerCta() == 64));
            assertTrue(large.stream().allMatch(s -> s.splits() <= 5), "at most the 5 tiles along k");
            FusedLinear bf16 = FusedLinear.bf16(w, 192, 320);
            assertEquals(Set.of(FusedLinear.Kernel.PATCH), kernels(ScheduleTuner.candidates(bf16, 4, SMS)), "BF16 W: one kernel, not the same twice; no narrow entry");
        }
    }

    @Test
    void everyCandidateIsAProductTheOperatorAccepts() {
        try (Arena arena = Arena.ofConfined()) {
            FusedLinear op = window(1024, 4096, arena);
            for (int m : new int[] {1, 3, 16, 40, 64, 200, 1024, 4096}) {
                ShortArray x = ShortArray.allocate(arena, (long) m * op.k()), y = ShortArray.allocate(arena, (long) m * op.n());
                for (FusedLinear.Schedule s : ScheduleTuner.candidates(op, m, SMS)) {
                    FloatArray partial = FloatArray.allocate(arena, op.partialSize(m, s));
                    Map<String, Grid> grids = new HashMap<>();
                    op.addTo(new TaskGraph("t"), "gemm", x, y, partial, m, s, grids);
                    assertEquals(1, grids.size(), s + " at m = " + m);
                }
            }
        }
    }

    @Test
    void theFastestCandidateWinsTheFirstOfEquals() {
        try (Arena arena = Arena.ofConfined()) {
            FusedLinear op = window(2048, 4096, arena);
            StandIn timer = new StandIn();
            List<FusedLinear.Schedule> candidates = ScheduleTuner.candidates(op, 16, SMS);
            timer.millis.put(candidates.get(5), 0.5);
            timer.millis.put(candidates.get(2), 0.4);
            timer.millis.put(candidates.get(6), 0.4);
            ScheduleTuner tuner = new ScheduleTuner("GPU", SMS, timer, ScheduleCache.inMemory(), null);
            ScheduleTuner.Tuned tuned = tuner.tune(op, 16);
            assertEquals(candidates.get(2), tuned.schedule());
            assertEquals(0.4, tuned.millis());
            assertEquals(candidates, tuned.trials().stream().map(ScheduleTuner.Trial::schedule).toList());

            timer.millis.put(candidates.get(3), Double.NaN);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> tuner.tune(op, 16));
            assertTrue(e.getMessage().contains(candidates.get(3).toString()), e.getMessage());
        }
    }

    @Test
    void eachBucketIsTimedOnceAndTheFileCacheServesLaterRuns(@TempDir Path dir) {
        Path file = dir.resolve("cache/schedules.tsv");
        try (Arena arena = Arena.ofConfined()) {
            FusedLinear op = window(2048, 4096, arena);
            StandIn timer = new StandIn();
            FusedLinear.Schedule fast = new FusedLinear.Schedule(4, 8, FusedLinear.Kernel.PATCH);
            timer.millis.put(fast, 0.01);
            ScheduleTuner tuner = new ScheduleTuner("NVIDIA GPU", SMS, timer, ScheduleCache.at(file), null);
            assertEquals(fast, tuner.schedule(op, 3));
            assertEquals(1, timer.calls);
            assertEquals(fast, tuner.schedule(op, 4), "3 and 4 share the bucket 4");
            assertEquals(1, timer.calls);
            tuner.schedule(op, 5);
            assertEquals(2, timer.calls, "5 is in the bucket 8");

            StandIn later = new StandIn();
            ScheduleTuner again = new ScheduleTuner("NVIDIA GPU", SMS, later, ScheduleCache.at(file), null);
            assertEquals(fast, again.schedule(op, 4));
            assertEquals(0, later.calls, "read from the file, not timed again");
            new ScheduleTuner("NVIDIA GPU", 66, later, ScheduleCache.at(file), null).schedule(op, 4);
            assertEquals(1, later.calls, "another multiprocessor count is another GPU");
        }
    }

    @Test
    void onAnH200TheMeasuredTableComesFirst() {
        try (Arena arena = Arena.ofConfined()) {
            FusedLinear op = window(4096, 4096, arena);
            StandIn timer = new StandIn();
            ScheduleTuner tuner = new ScheduleTuner("NVIDIA H200", SMS, timer, ScheduleCache.inMemory(), ScheduleTable.h200());
            for (int m : new int[] {1, 16, 256, 4096}) assertEquals(op.tabled(ScheduleTable.h200(), m, SMS).orElseThrow(), tuner.schedule(op, m));
            assertEquals(0, timer.calls);
            tuner.schedule(window(2048, 4096, arena), 1);
            assertEquals(1, timer.calls, "a shape the table lacks is timed");
        }
    }

    @Test
    void aCacheFileRoundTripsAndAMalformedOneIsRefusedWithItsLineAndLeftAlone(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("s.tsv");
        ScheduleCache cache = ScheduleCache.at(file);
        ScheduleCache.Key a = new ScheduleCache.Key("NVIDIA H100 80GB HBM3", 132, FusedLinear.Variant.WINDOW, 8192, 8192, 16);
        ScheduleCache.Key b = new ScheduleCache.Key("NVIDIA H100 80GB HBM3", 132, FusedLinear.Variant.WINDOW, 8192, 8192, 4096);
        cache.put(a, new ScheduleCache.Entry(new FusedLinear.Schedule(2, 16, FusedLinear.Kernel.PATCH_BAND), 0.0123));
        cache.put(b, new ScheduleCache.Entry(new FusedLinear.Schedule(1, 256, FusedLinear.Kernel.WGMMA_TMA, 132), 1.5));
        try (var listing = Files.list(dir)) {
            assertEquals(List.of(file), listing.toList(), "no temporary file left");
        }
        ScheduleCache back = ScheduleCache.at(file);
        assertEquals(2, back.size());
        assertEquals(cache.get(a), back.get(a));
        assertEquals(cache.get(b), back.get(b));

        List<String> lines = new ArrayList<>(Files.readAllLines(file));
        lines.set(2, lines.get(2).replace("WGMMA_TMA", "WARP_DRIVE"));
        Files.write(file, lines);
        byte[] before = Files.readAllBytes(file);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ScheduleCache.at(file));
        assertTrue(e.getMessage().startsWith(file.toAbsolutePath() + ":3: "), e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(file));

        Files.writeString(file, "n\tk\tm\n");
        e = assertThrows(IllegalArgumentException.class, () -> ScheduleCache.at(file));
        assertTrue(e.getMessage().contains(":1: not a weightless schedule cache"), e.getMessage());

        Files.writeString(file, ScheduleCache.HEADER + "\nGPU\t132\tWINDOW\t64\t64\t1\t1\t8\tPATCH\t0\t-1\n");
        e = assertThrows(IllegalArgumentException.class, () -> ScheduleCache.at(file));
        assertTrue(e.getMessage().contains(":2: median ms must be a positive number"), e.getMessage());
    }

    @Test
    void aCacheThatCannotBeWrittenSaysWhereAndKeepsNothing(@TempDir Path dir) throws Exception {
        Path blocker = dir.resolve("gone");
        ScheduleCache cache = ScheduleCache.at(blocker.resolve("s.tsv"));
        Files.writeString(blocker, "a file where the cache's folder should be");
        ScheduleCache.Key key = new ScheduleCache.Key("GPU", 1, FusedLinear.Variant.WINDOW, 64, 64, 1);
        var e = assertThrows(java.io.UncheckedIOException.class, () -> cache.put(key, new ScheduleCache.Entry(new FusedLinear.Schedule(1, 8), 1.0)));
        assertTrue(e.getMessage().contains(blocker.resolve("s.tsv").toString()), e.getMessage());
        assertTrue(cache.get(key).isEmpty());
    }

    @Test
    void theScrubKernelCompilesToPtxThatReadsGlobalMemory() {
        String ptx = dev.weightless.jit.ptx.PtxCompiler.compile(dev.weightless.jit.kernel.KernelMethod.of(L2Scrub.class, "scrub")).ptx();
        assertTrue(ptx.contains("ld.global"), ptx);
    }

    private static Set<FusedLinear.Kernel> kernels(List<FusedLinear.Schedule> schedules) {
        return schedules.stream().map(FusedLinear.Schedule::kernel).collect(Collectors.toSet());
    }
}
