package dev.weightless.tensorcore.gemm;

import dev.weightless.jit.kernel.ShortArray;
import dev.weightless.tensorcore.layout.LayoutSurvey;
import dev.weightless.tensorcore.layout.PaletteEncoder;
import dev.weightless.tensorcore.layout.PaletteLayout;
import dev.weightless.tensorcore.layout.PaletteTensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.*;

/** The operator's graphs, grids and argument checks (no GPU needed). */
class FusedLinearTest {
    @Test
    void bindsAGraphWithOneTaskOrTwoWhenSplit() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment w = arena.allocate(64L * 512 * 2, 2);
            LayoutSurvey.fillLlamaLike(w, 9);
            PaletteTensor p = PaletteEncoder.encode(w, 64, 512, PaletteEncoder.Scope.TILE, arena);
            FusedLinear op = FusedLinear.palette(p, arena);
            assertEquals(p.byteSize() + FusedLinear.ESCAPE_PADDING, op.weightBytes(), "all five parts, the escape list padded for the ballot kernel's windows");
            assertEquals(5, op.weightArrays().length);
            assertEquals(FusedLinear.Kernel.PATCH, op.schedule(1, 132).kernel(), "M chunks of 8: the patching kernel");
            assertEquals(FusedLinear.Kernel.PATCH, op.schedule(64, 132).kernel(), "up to 64 rows: the patching kernel");
            assertEquals(FusedLinear.Kernel.BALLOT, op.schedule(65, 132).kernel());
            ShortArray x = ShortArray.allocate(arena, 3 * 512), y = ShortArray.allocate(arena, 3 * 64);
            FusedLinear.Bound one = op.bind("g1", x, y, 3, new FusedLinear.Schedule(1, 8), arena);
            assertEquals(1, one.grids().size());
            assertEquals(4, one.grids().get("g1.gemm").groups(), "4 strips of 16 rows, one M chunk, one split");
            FusedLinear.Bound split = op.bind("g2", x, y, 3, new FusedLinear.Schedule(8, 8), arena);
            assertEquals(1, split.grids().size(), "one launch: the last CTA of each strip adds the splits' sums");
            assertEquals(32, split.grids().get("g2.gemm").groups());
            assertEquals(8L * 3 * 64 + 4, split.partial().size(), "the splits' sums and a counter per strip");
            FusedLinear.Bound chunks = FusedLinear.bf16(w, 64, 512).bind("g3", ShortArray.allocate(arena, 100 * 512), ShortArray.allocate(arena, 100 * 64), 100, new FusedLinear.Schedule(1, 64), arena);
            assertEquals(4 * 2, chunks.grids().get("g3.gemm").groups(), "100 rows of X: two chunks of 64");
        }
    }

    @Test
    void scheduleSplitsOnlyWhenTheStripsLeaveMultiprocessorsIdle() {
        try (Arena arena = Arena.ofShared()) {
            FusedLinear big = FusedLinear.bf16(arena.allocate(4096L * 1024 * 2, 2), 4096, 1024);
            assertEquals(new FusedLinear.Schedule(1, 8), big.schedule(1, 132), "256 strips: a CTA for every multiprocessor, one split");
            assertEquals(new FusedLinear.Schedule(2, 8), FusedLinear.bf16(arena.allocate(2048L * 1024 * 2, 2), 2048, 1024).schedule(1, 132), "128 strips: two splits");
            assertEquals(new FusedLinear.Schedule(1, 256, FusedLinear.Kernel.WGMMA_TMA, 132), big.schedule(4096, 132), "large M: the TMA-fed wgmma kernel, 32 x 16 tiles of 128 x 256 on 132 persistent CTAs");
            assertEquals(new FusedLinear.Schedule(1, 64, FusedLinear.Kernel.BALLOT), big.mmaSchedule(4096, 132));
            assertEquals(FusedLinear.Kernel.PATCH, big.schedule(63, 132).kernel(), "below 64 rows of X: never the wgmma kernels; the patching kernel up to 64");
            assertEquals(FusedLinear.Kernel.PATCH, big.schedule(64, 132).kernel(), "32 x 1 wgmma CTAs of 64 rows would leave most multiprocessors idle");
            FusedLinear narrow = FusedLinear.bf16(arena.allocate(1024L * 4096 * 2, 2), 1024, 4096);
            assertEquals(new FusedLinear.Schedule(5, 16, FusedLinear.Kernel.PATCH), narrow.schedule(16, 132), "64 strips: ceil(264 / 64) = 5 splits");
        }
    }

    @Test
    void aTableChoiceBecomesAScheduleTheOperatorCanRun() {
        try (Arena arena = Arena.ofShared()) {
            ScheduleTable table = ScheduleTable.parse(List.of("4096 1024 256 1 wgmma256", "4096 1024 16 2 patch", "4160 1024 256 1 wgmma64"), "test");
            FusedLinear op = FusedLinear.bf16(arena.allocate(4096L * 1024 * 2, 2), 4096, 1024);
            assertEquals(Optional.of(new FusedLinear.Schedule(1, 256, FusedLinear.Kernel.WGMMA)), op.tabled(table, 300, 132), "M 300: the choice measured at 256");
            assertEquals(Optional.of(new FusedLinear.Schedule(2, 16, FusedLinear.Kernel.PATCH)), op.tabled(table, 16, 132), "mma.sync choices take the rule's rows");
            assertEquals(Optional.empty(), op.tabled(table, 8, 132), "nothing measured at or below 8");
            FusedLinear odd = FusedLinear.bf16(arena.allocate(4160L * 1024 * 2, 2), 4160, 1024);
            assertEquals(Optional.empty(), odd.tabled(table, 256, 132), "4160 rows of W: not a multiple of 128, so no wgmma");
        }
    }

    /** 144 x 512 BF16 weights, Llama-like (seed {@code seed}). */
    private static MemorySegment llamaLike(Arena arena, long seed) {
        MemorySegment w = arena.allocate(144L * 512 * 2, 2);
        LayoutSurvey.fillLlamaLike(w, seed);
        return w;
    }

    /** 144 x 512 {@code w} as a window-coded operator. */
    private static FusedLinear window(MemorySegment w, Arena arena) {
        return FusedLinear.palette(PaletteEncoder.encode(w, 144, 512, PaletteEncoder.Scope.TILE, PaletteLayout.Coding.WINDOW, arena), arena);
    }

    @Test
    void windowCodedWRunsTheWindowEntriesAndNeverTheBallotKernel() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment w = llamaLike(arena, 4);
            FusedLinear op = window(w, arena);
            assertEquals(FusedLinear.Variant.WINDOW, op.variant());
            assertEquals(FusedLinear.Kernel.PATCH, op.mmaSchedule(65, 132).kernel(), "above 64 rows the palette coding takes the ballot kernel, which reads no window coding");
            ShortArray x = ShortArray.allocate(arena, 12 * 512), y = ShortArray.allocate(arena, 12 * 144);
            assertEquals(List.of("windowGemm16"), WgmmaGemmTest.entries(op.bind("p", x, y, 12, new FusedLinear.Schedule(1, 16), arena)));
            assertEquals(List.of("windowBand16"), WgmmaGemmTest.entries(op.bind("b", x, y, 12, new FusedLinear.Schedule(1, 16, FusedLinear.Kernel.PATCH_BAND), arena)));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> op.bind("a", x, y, 12, new FusedLinear.Schedule(1, 16, FusedLinear.Kernel.BALLOT), arena)).getMessage().contains("BALLOT"));
            FusedLinear twin = op.twin(w);
            assertEquals(FusedLinear.Variant.BF16_WINDOW, twin.variant(), "the window kernels' twin reads W in their fragment order");
            assertEquals(List.of("bf16Frag16"), WgmmaGemmTest.entries(twin.bind("t", x, y, 12, new FusedLinear.Schedule(1, 16), arena)));
            assertEquals(List.of("bf16FragBand16"), WgmmaGemmTest.entries(twin.bind("tb", x, y, 12, new FusedLinear.Schedule(1, 16, FusedLinear.Kernel.PATCH_BAND), arena)));
            assertEquals(FusedLinear.Variant.BF16, FusedLinear.bf16(w, 144, 512).variant());
            ScheduleTable table = ScheduleTable.parse(List.of("144 512 16 1 ballot", "144 512 8 2 patch"), "test");
            assertEquals(Optional.empty(), op.tabled(table, 16, 132), "a ballot choice does not apply to window-coded W: the rule decides");
            assertEquals(Optional.of(new FusedLinear.Schedule(2, 8, FusedLinear.Kernel.PATCH)), op.tabled(table, 8, 132));
        }
    }

    @Test
    void theBandKernelTakesSixteenRowsAndEightStripsPerCta() {
        try (Arena arena = Arena.ofShared()) {
            FusedLinear op = FusedLinear.bf16(arena.allocate(144L * 512 * 2, 2), 144, 512);
            FusedLinear.Schedule band = new FusedLinear.Schedule(3, 16, FusedLinear.Kernel.PATCH_BAND);
            FusedLinear.Bound b = op.bind("g", ShortArray.allocate(arena, 12 * 512), ShortArray.allocate(arena, 12 * 144), 12, band, arena);
            assertEquals(2 * 3, b.grids().get("g.gemm").groups(), "9 strips: two bands of up to 8, three splits");
            assertTrue(assertThrows(IllegalArgumentException.class, () -> new FusedLinear.Schedule(1, 8, FusedLinear.Kernel.PATCH_BAND)).getMessage().contains("16 rows"));
            ScheduleTable table = ScheduleTable.parse(List.of("144 512 16 2 band"), "test");
            assertEquals(Optional.of(new FusedLinear.Schedule(2, 16, FusedLinear.Kernel.PATCH_BAND)), op.tabled(table, 16, 132));
            assertEquals(Optional.empty(), op.tabled(table, 40, 132), "above 16 rows of X the band choice does not apply: the rule decides");
        }
    }

    @Test
    void theNarrowKernelTakesEightRowsFourWarpsPerCtaAndWindowCodedWOnly() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment w = llamaLike(arena, 5);
            FusedLinear op = window(w, arena);
            FusedLinear.Schedule narrow = new FusedLinear.Schedule(2, 8, FusedLinear.Kernel.PATCH_NARROW);
            ShortArray x = ShortArray.allocate(arena, 5 * 512), y = ShortArray.allocate(arena, 5 * 144);
            FusedLinear.Bound b = op.bind("g", x, y, 5, narrow, arena);
            assertEquals(List.of("windowNarrow8"), WgmmaGemmTest.entries(b));
            assertEquals(9 * 2, b.grids().get("g.gemm").groups(), "9 strips, two splits: one CTA each, as the patching kernel");
            assertEquals(4 * 32, b.grids().get("g.gemm").localSize(), "4 warps per CTA");
            assertEquals(List.of("bf16FragNarrow8"), WgmmaGemmTest.entries(op.twin(w).bind("t", x, y, 5, narrow, arena)));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> new FusedLinear.Schedule(1, 16, FusedLinear.Kernel.PATCH_NARROW)).getMessage().contains("8 rows"));
            FusedLinear palette = FusedLinear.palette(PaletteEncoder.encode(w, 144, 512, PaletteEncoder.Scope.TILE, arena), arena);
            assertTrue(assertThrows(IllegalArgumentException.class, () -> palette.bind("p", x, y, 5, narrow, arena)).getMessage().contains("PATCH_NARROW"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> FusedLinear.bf16(w, 144, 512).bind("r", x, y, 5, narrow, arena)).getMessage().contains("PATCH_NARROW"));
            ScheduleTable table = ScheduleTable.parse(List.of("144 512 1 2 narrow"), "test");
            assertEquals(Optional.of(narrow), op.tabled(table, 8, 132));
            assertEquals(Optional.empty(), palette.tabled(table, 1, 132), "palette-coded W has no narrow entry: the rule decides");
            assertEquals(Optional.empty(), op.tabled(table, 9, 132), "M 9 takes 16 rows of X, which the narrow kernel has no entry for: the rule decides");
        }
    }

    @Test
    void theClusterKernelTakesEightOrSixteenRowsTwoFourOrEightSplitsAndWindowCodedWOnly() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment w = llamaLike(arena, 6);
            FusedLinear op = window(w, arena);
            ShortArray x = ShortArray.allocate(arena, 3 * 512), y = ShortArray.allocate(arena, 3 * 144);
            for (int splits : new int[] {2, 4, 8}) {
                FusedLinear.Schedule cluster = new FusedLinear.Schedule(splits, 8, FusedLinear.Kernel.PATCH_CLUSTER);
                FusedLinear.Bound b = op.bind("g", x, y, 3, cluster, arena);
                assertEquals(List.of("windowCluster8x" + splits), WgmmaGemmTest.entries(b));
                assertEquals(9L * splits, b.grids().get("g.gemm").groups(), "9 strips, each its splits' CTAs: one cluster");
                assertEquals(List.of("bf16Frag8"), WgmmaGemmTest.entries(op.twin(w).bind("t", x, y, 3, cluster, arena)), "the twin: the same sums in the same order");
            }
            for (int splits : new int[] {1, 3, 5}) {
                assertTrue(assertThrows(IllegalArgumentException.class, () -> new FusedLinear.Schedule(splits, 8, FusedLinear.Kernel.PATCH_CLUSTER)).getMessage().contains("2, 4 or 8 splits"));
            }
            assertThrows(IllegalArgumentException.class, () -> new FusedLinear.Schedule(2, 32, FusedLinear.Kernel.PATCH_CLUSTER));
            FusedLinear.Schedule sixteen = new FusedLinear.Schedule(4, 16, FusedLinear.Kernel.PATCH_CLUSTER);
            ShortArray x16 = ShortArray.allocate(arena, 12 * 512), y16 = ShortArray.allocate(arena, 12 * 144);
            FusedLinear.Bound b16 = op.bind("g", x16, y16, 12, sixteen, arena);
            assertEquals(List.of("windowCluster16x4"), WgmmaGemmTest.entries(b16), "16 rows of X: windowGemm16 with its splits in a cluster");
            assertEquals(9L * 4, b16.grids().get("g.gemm").groups());
            assertEquals(List.of("bf16Frag16"), WgmmaGemmTest.entries(op.twin(w).bind("t", x16, y16, 12, sixteen, arena)));
            FusedLinear palette = FusedLinear.palette(PaletteEncoder.encode(w, 144, 512, PaletteEncoder.Scope.TILE, arena), arena);
            assertTrue(assertThrows(IllegalArgumentException.class, () -> palette.bind("p", x, y, 3, new FusedLinear.Schedule(2, 8, FusedLinear.Kernel.PATCH_CLUSTER), arena))
                    .getMessage().contains("PATCH_CLUSTER"));
            ScheduleTable table = ScheduleTable.parse(List.of("144 512 1 4 cluster"), "test");
            assertEquals(Optional.of(new FusedLinear.Schedule(4, 8, FusedLinear.Kernel.PATCH_CLUSTER)), op.tabled(table, 8, 132));
            assertEquals(Optional.of(sixteen), op.tabled(table, 12, 132), "M 12: the choice at the rule's 16 rows");
            assertEquals(Optional.empty(), op.tabled(table, 20, 132), "M 20 takes 32 rows of X, which the cluster kernel has no entry for: the rule decides");
        }
    }

    @Test
    void wrongSizesAreRefusedWithTheReason() {
        try (Arena arena = Arena.ofShared()) {
            FusedLinear op = FusedLinear.bf16(arena.allocate(16L * 128 * 2, 2), 16, 128);
            ShortArray x = ShortArray.allocate(arena, 2 * 128), y = ShortArray.allocate(arena, 2 * 16);
            assertTrue(assertThrows(IllegalArgumentException.class, () -> op.bind("g", x, y, 3, new FusedLinear.Schedule(1, 8), arena)).getMessage().contains("x has"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> op.bind("g", x, y, 2, new FusedLinear.Schedule(3, 8), arena)).getMessage().contains("splits 3"));
            assertThrows(IllegalArgumentException.class, () -> FusedLinear.bf16(arena.allocate(16L * 96 * 2, 2), 16, 96));
            assertThrows(IllegalArgumentException.class, () -> new FusedLinear.Schedule(1, 12));
        }
    }
}
