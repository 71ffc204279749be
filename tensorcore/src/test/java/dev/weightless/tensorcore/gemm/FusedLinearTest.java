package dev.weightless.tensorcore.gemm;

import dev.weightless.jit.kernel.ShortArray;
import dev.weightless.tensorcore.layout.LayoutSurvey;
import dev.weightless.tensorcore.layout.PaletteEncoder;
import dev.weightless.tensorcore.layout.PaletteTensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

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
            assertEquals(FusedLinear.Kernel.BALLOT, op.schedule(16, 132).kernel());
            ShortArray x = ShortArray.allocate(arena, 3 * 512), y = ShortArray.allocate(arena, 3 * 64);
            FusedLinear.Bound one = op.bind("g1", x, y, 3, new FusedLinear.Schedule(1, 8), arena);
            assertEquals(1, one.grids().size());
            assertEquals(4, one.grids().get("g1.gemm").groups(), "4 strips of 16 rows, one M chunk, one split");
            FusedLinear.Bound split = op.bind("g2", x, y, 3, new FusedLinear.Schedule(8, 8), arena);
            assertEquals(2, split.grids().size());
            assertEquals(32, split.grids().get("g2.gemm").groups());
            assertEquals(256, split.grids().get("g2.gemmReduce").localSize());
            assertEquals(8L * 3 * 64, split.partial().size());
            FusedLinear.Bound chunks = FusedLinear.bf16(w, 64, 512).bind("g3", ShortArray.allocate(arena, 100 * 512), ShortArray.allocate(arena, 100 * 64), 100, new FusedLinear.Schedule(1, 64), arena);
            assertEquals(4 * 2, chunks.grids().get("g3.gemm").groups(), "100 rows of X: two chunks of 64");
        }
    }

    @Test
    void scheduleSplitsOnlyWhenTheStripsLeaveMultiprocessorsIdle() {
        try (Arena arena = Arena.ofShared()) {
            FusedLinear big = FusedLinear.bf16(arena.allocate(4096L * 1024 * 2, 2), 4096, 1024);
            assertEquals(new FusedLinear.Schedule(1, 8), big.schedule(1, 132));
            assertEquals(new FusedLinear.Schedule(1, 64, FusedLinear.Kernel.BALLOT), big.schedule(4096, 132));
            FusedLinear narrow = FusedLinear.bf16(arena.allocate(1024L * 4096 * 2, 2), 1024, 4096);
            assertEquals(new FusedLinear.Schedule(5, 16, FusedLinear.Kernel.BALLOT), narrow.schedule(16, 132), "64 strips: ceil(264 / 64) = 5 splits");
        }
    }

    @Test
    void thePersistentGridHoldsWhatTheGpuHoldsAndNoMoreThanTheTilesFill() {
        try (Arena arena = Arena.ofShared()) {
            FusedLinear mid = FusedLinear.bf16(arena.allocate(14336L * 4096 * 2, 2), 14336, 4096);
            assertEquals(new FusedLinear.Schedule(1, 8, FusedLinear.Kernel.RUNS, 396), mid.runsSchedule(1, 132), "3 CTAs per multiprocessor at 8 rows");
            assertEquals(new FusedLinear.Schedule(1, 16, FusedLinear.Kernel.RUNS, 528), mid.runsSchedule(16, 132), "4 at 16 rows");
            // 57344 tiles over 3168 warps: runs of 18 or 19 tiles touch at most 2 of the 64-tile strips.
            assertEquals(3168L * 2 * 16, mid.partialSize(1, mid.runsSchedule(1, 132)));
            FusedLinear small = FusedLinear.bf16(arena.allocate(1024L * 4096 * 2, 2), 1024, 4096);
            assertEquals(128, small.runsSchedule(1, 132).ctas(), "4096 tiles: 4 per warp at most");
            assertThrows(IllegalArgumentException.class, () -> small.runsSchedule(17, 132));
            assertThrows(IllegalArgumentException.class, () -> new FusedLinear.Schedule(2, 8, FusedLinear.Kernel.RUNS, 10), "no split K");
            assertThrows(IllegalArgumentException.class, () -> new FusedLinear.Schedule(1, 32, FusedLinear.Kernel.RUNS, 10), "one chunk of up to 16 rows");
            assertThrows(IllegalArgumentException.class, () -> new FusedLinear.Schedule(1, 8, FusedLinear.Kernel.RUNS, 0));
            assertThrows(IllegalArgumentException.class, () -> new FusedLinear.Schedule(1, 8, FusedLinear.Kernel.PATCH, 4), "a CTA count only for RUNS");
            ShortArray x = ShortArray.allocate(arena, 9 * 4096), y = ShortArray.allocate(arena, 9 * 1024);
            assertTrue(assertThrows(IllegalArgumentException.class, () -> small.bind("g", x, y, 9, new FusedLinear.Schedule(1, 8, FusedLinear.Kernel.RUNS, 4), arena)).getMessage().contains("one chunk"));
            FusedLinear.Bound b = small.bind("g", x, y, 9, small.runsSchedule(9, 132), arena);
            assertEquals(java.util.Set.of("g.gemm", "g.gemmReduce"), b.grids().keySet());
            assertEquals(new dev.weightless.jit.kernel.Grid(128, 256), b.grids().get("g.gemm"));
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
