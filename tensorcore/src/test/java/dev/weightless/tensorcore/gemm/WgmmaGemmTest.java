package dev.weightless.tensorcore.gemm;

import dev.weightless.jit.kernel.Grid;
import dev.weightless.jit.kernel.KernelContext;
import dev.weightless.jit.kernel.KernelMethod;
import dev.weightless.jit.kernel.ShortArray;
import dev.weightless.jit.kernel.TensorMap;
import dev.weightless.jit.ptx.PtxKernel;
import dev.weightless.tensorcore.layout.LayoutSurvey;
import dev.weightless.tensorcore.layout.PaletteEncoder;
import dev.weightless.tensorcore.layout.PaletteLayout;
import dev.weightless.tensorcore.layout.PaletteTensor;
import dev.weightless.tasks.Device;
import dev.weightless.tasks.ExecutionPlan;
import dev.weightless.tasks.FakeDevices;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/** The large-M launcher on the CPU: entries, grids, shared memory, and what it refuses. */
class WgmmaGemmTest {
    /**
     * Every task signature of {@code kernels} (public, taking a KernelContext first): the fused compiler gives it its entry in
     * {@code ptx}, whose parameters are as many as the signature's (an array: a pointer and a length); {@code more} checks the
     * entry further (the matcher has found it). Returns how many signatures were checked.
     */
    private static int checkEntries(Class<?> kernels, String ptx, BiConsumer<PtxKernel, Matcher> more) {
        int checked = 0;
        for (Method m : kernels.getDeclaredMethods()) {
            if (!Modifier.isPublic(m.getModifiers()) || m.getParameterCount() == 0 || m.getParameterTypes()[0] != KernelContext.class) continue;
            PtxKernel kernel = FusedKernels.compiler().apply(KernelMethod.of(kernels, m.getName()));
            assertEquals(ptx, kernel.ptx(), m.getName() + " comes from its class's PTX");
            Matcher entry = Pattern.compile("\\.entry " + m.getName() + "\\(([^)]*)\\)").matcher(ptx);
            assertTrue(entry.find(), "no .entry " + m.getName() + " in the PTX");
            long params = Arrays.stream(entry.group(1).split(",")).filter(s -> s.contains(".param")).count();
            assertEquals(kernel.params().stream().mapToInt(p -> p.kind() == PtxKernel.Kind.ARRAY ? 2 : 1).sum(), params, m.getName() + ": PTX parameters");
            more.accept(kernel, entry);
            checked++;
        }
        return checked;
    }

    @Test
    void everySignatureHasAMatchingPtxEntryReachedThroughTheFusedCompiler() {
        String ptx = WgmmaKernels.ptx();
        int checked = checkEntries(WgmmaKernels.class, ptx, (kernel, entry) -> {});
        assertEquals(12, checked, "palette and BF16 entries for 64, 128 and 256 rows of X, paired and solo");
        assertTrue(Pattern.compile("\\.entry wgmmaPatch256\\([^)]*\\)\\s*\\.maxntid[^\\n]*\\s*\\.minnctapersm[^\\n]*\\s*\\.explicitcluster\\s*\\.reqnctapercluster 2, 1, 1").matcher(ptx).find(),
                "the paired entries carry their cluster of 2 CTAs in the PTX (a plain launch then runs clusters)");
    }

    @Test
    void tmaEntriesHaveTheirPtxParametersAndSharedMemoryFitsAnSm90Block() {
        String ptx = TmaKernels.ptx();
        int checked = checkEntries(TmaKernels.class, ptx, (kernel, entry) -> {
            String first = Arrays.stream(entry.group(1).split(",")).filter(s -> s.contains(".param")).findFirst().orElseThrow();
            assertEquals(PtxKernel.Kind.TENSOR_MAP, kernel.params().getFirst().kind());
            assertTrue(first.matches("(?s).*\\.align (64|128) \\.b8 \\w+\\[128\\].*"), kernel.entry() + ": X's tensor map is a 128-byte parameter aligned to 64 bytes at least: " + first);
        });
        assertEquals(33, checked, "palette, window and BF16 entries for 64, 128 and 256 rows of X, the window and BF16 entries with 2 or 4 splits summed in a cluster, "
                + "their half forms at 256 rows, unsplit and in clusters of 2 or 4, the window and BF16 meet entries for 128 and 256 rows, and the pair entries at 256");
        assertTrue(Pattern.compile("\\.entry tmaWindowPair256\\([^)]*\\)\\s*\\.maxntid[^\\n]*\\s*\\.minnctapersm[^\\n]*\\s*\\.explicitcluster\\s*\\.reqnctapercluster 2, 1, 1").matcher(ptx).find(),
                "the pair entries carry their cluster of 2 CTAs in the PTX");
        for (int rows : new int[] {64, 128, 256}) {
            for (FusedLinear.Variant w : FusedLinear.Variant.values()) {
                int bytes = WgmmaGemm.tmaSharedBytes(rows, w);
                assertTrue(bytes <= WgmmaGemm.SHARED_LIMIT, rows + " rows: " + bytes + " bytes");
                assertTrue(WgmmaGemm.tmaStages(rows, w) >= 4, rows + " rows: at least 4 stages");
            }
        }
        // 5 stages of X (256 x 128 bytes) and 8 palette tiles (1408 bytes each), 8 consumer warps x 1 KB, 10 mbarriers, 1 KB of alignment.
        assertEquals(5 * (256 * 128 + 8 * 1408) + 8192 + 80 + 1024, WgmmaGemm.tmaSharedBytes(256, FusedLinear.Variant.PALETTE));
        // BF16: 4 stages of X and 128 W rows of 128 bytes, 8 consumer warps x 512 bytes (their part of Y on the way out).
        assertEquals(4 * (256 * 128 + 128 * 128) + 4096 + 64 + 1024, WgmmaGemm.tmaSharedBytes(256, FusedLinear.Variant.BF16));
        // The window coding's tiles are 1536 bytes and it has no exponent buffers (escapes patched in the stage), only Y's
        // 512 bytes per warp: still 5 stages.
        assertEquals(5 * (256 * 128 + 8 * 1536) + 4096 + 80 + 1024, WgmmaGemm.tmaSharedBytes(256, FusedLinear.Variant.WINDOW));
        // The half kernels: stages of 256 X rows and 64 W rows (4 window tiles, or 64 BF16 rows of 128 bytes), 5 of each.
        assertEquals(5 * (256 * 128 + 4 * 1536) + 4096 + 80 + 1024, WgmmaGemm.halfSharedBytes(FusedLinear.Variant.WINDOW));
        assertEquals(5 * (256 * 128 + 64 * 128) + 4096 + 80 + 1024, WgmmaGemm.halfSharedBytes(FusedLinear.Variant.BF16_WINDOW));
        assertThrows(IllegalArgumentException.class, () -> WgmmaGemm.halfSharedBytes(FusedLinear.Variant.PALETTE), "no palette-coded half kernel");
    }

    @Test
    void theTmaKernelTakesXAndBf16WAsTensorMaps() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment w = arena.allocate(256L * 512 * 2, 2);
            LayoutSurvey.fillLlamaLike(w, 3);
            PaletteTensor p = PaletteEncoder.encode(w, 256, 512, PaletteEncoder.Scope.TILE, arena);
            ShortArray x = ShortArray.allocate(arena, 300 * 512), y = ShortArray.allocate(arena, 300 * 256);
            FusedLinear.Schedule s = new FusedLinear.Schedule(1, 128, FusedLinear.Kernel.WGMMA_TMA);
            FusedLinear.Bound b = FusedLinear.palette(p, arena).bind("wt", x, y, 300, s, arena);
            assertEquals(List.of("tmaPatch128"), entries(b));
            var grid = b.grids().get("wt.gemm");
            assertEquals(2 * 3, grid.groups(), "2 blocks of 128 W rows x ceil(300 / 128) = 3 blocks of X rows, one CTA each");
            assertEquals(384, grid.localSize());
            assertEquals(WgmmaGemm.tmaSharedBytes(128, FusedLinear.Variant.PALETTE), grid.sharedBytes());
            assertEquals(new TensorMap(x, 512, 300, 64, 128), WgmmaGemm.xMap(x, 300, 512, 128), "X: 300 rows of 512, boxes of 64 columns by the tile's 128 rows");
            assertEquals(new TensorMap(w, 512, 256, 64, 128), WgmmaGemm.wMap(w, 256, 512, 128), "BF16 W: 256 rows of 512, boxes of 64 columns by 128 rows");
            FusedLinear.Bound raw = FusedLinear.bf16(w, 256, 512).bind("wr", x, y, 300, s, arena);
            assertEquals(List.of("tmaBf16_128"), entries(raw));
            assertEquals(WgmmaGemm.tmaSharedBytes(128, FusedLinear.Variant.BF16), raw.grids().get("wr.gemm").sharedBytes());
            PaletteTensor window = PaletteEncoder.encode(w, 256, 512, PaletteEncoder.Scope.TILE, PaletteLayout.Coding.WINDOW, arena);
            FusedLinear.Bound win = FusedLinear.palette(window, arena).bind("ww", x, y, 300, s, arena);
            assertEquals(List.of("tmaWindow128"), entries(win));
            assertEquals(WgmmaGemm.tmaSharedBytes(128, FusedLinear.Variant.WINDOW), win.grids().get("ww.gemm").sharedBytes());
            TensorMap tiles = WgmmaGemm.tileMap(x, 256, 512, 128);
            assertEquals(new TensorMap(x, 8 * 192, 16, 192, 8, TensorMap.Element.WORD8), tiles, "a row of 8 tiles of 192 words per strip of 16 W rows, boxes of one tile by 8 strips");
            assertEquals(window.tiles().byteSize(), tiles.elements(), "the map covers the window tile array's bytes exactly");
            assertEquals(4, WgmmaGemm.tileMap(x, 256, 512, WgmmaGemm.HALF_W_ROWS).boxRows(), "the half kernels' 64 W rows: 4 strips");
            assertEquals(16, WgmmaGemm.tileMap(x, 256, 512, WgmmaGemm.WIDE_W_ROWS).boxRows(), "the wide build's 256 W rows: 16 strips");
            FusedLinear.Schedule paired = new FusedLinear.Schedule(1, 128, FusedLinear.Kernel.WGMMA);
            assertTrue(assertThrows(IllegalArgumentException.class, () -> FusedLinear.palette(window, arena).bind("wp", x, y, 300, paired, arena)).getMessage().contains("WINDOW"),
                    "the paired kernels have no window entries");
        }
    }

    @Test
    void theTmaKernelsClusterFinishTakesWindowCodedWTwoOrFourSplits() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment w = llamaLike256x1024(arena);
            FusedLinear op = window(w, 256, 1024, arena);
            ShortArray x = ShortArray.allocate(arena, 300 * 1024), y = ShortArray.allocate(arena, 300 * 256);
            for (int splits : new int[] {2, 4}) {
                for (int rows : new int[] {64, 128, 256}) {
                    FusedLinear.Schedule s = new FusedLinear.Schedule(splits, rows, FusedLinear.Kernel.WGMMA_TMA_CLUSTER);
                    FusedLinear.Bound b = op.bind("c", x, y, 300, s, arena);
                    assertEquals(List.of("tmaWindowCluster" + rows + "x" + splits), entries(b));
                    long tiles = 2L * Math.ceilDiv(300, rows);
                    assertEquals(tiles * splits, b.grids().get("c.gemm").groups(), "one CTA per tile and slice: a tile's slices are one cluster");
                    assertEquals(WgmmaGemm.tmaSharedBytes(rows, FusedLinear.Variant.WINDOW), b.grids().get("c.gemm").sharedBytes());
                    assertEquals(List.of("tmaBf16Cluster" + rows + "x" + splits), entries(op.twin(w).bind("t", x, y, 300, s, arena)), "the twin: the same split and sums");
                    assertEquals(1, op.partialSize(300, s), "no workspace: the slices meet in shared memory");
                }
            }
            for (int splits : new int[] {1, 3, 8}) {
                String why = assertThrows(IllegalArgumentException.class, () -> new FusedLinear.Schedule(splits, 128, FusedLinear.Kernel.WGMMA_TMA_CLUSTER)).getMessage();
                assertTrue(why.contains("2 or 4 splits"), why);
            }
            // Persistent: whole tiles first, then the last, partial round's tiles in clusters of 2, where each fits one cluster.
            // 2 x 5 = 10 tiles of 128 x 64 at M = 300.
            FusedLinear.Schedule two = new FusedLinear.Schedule(2, 64, FusedLinear.Kernel.WGMMA_TMA_CLUSTER);
            assertEquals(4, WgmmaGemm.grid(300, 256, two.persistent(4), FusedLinear.Variant.WINDOW).groups(), "4 CTAs: 2 rounds of whole tiles, then 2 tiles in 2 clusters");
            assertTrue(WgmmaGemm.tailFits(10, 4));
            assertEquals(6, WgmmaGemm.grid(300, 256, two.persistent(6), FusedLinear.Variant.WINDOW).groups(), "4 tiles left for 3 clusters: the kernel takes every tile whole");
            assertFalse(WgmmaGemm.tailFits(10, 6));
            assertEquals(2, WgmmaGemm.grid(300, 256, two.persistent(3), FusedLinear.Variant.WINDOW).groups(), "an odd grid rounds down to clusters of 2");
            assertEquals(20, WgmmaGemm.grid(300, 256, two.persistent(16), FusedLinear.Variant.WINDOW).groups(), "fewer tiles than CTAs: one CTA per slice");
            FusedLinear.Schedule four = new FusedLinear.Schedule(4, 64, FusedLinear.Kernel.WGMMA_TMA_CLUSTER);
            assertEquals(40, WgmmaGemm.grid(300, 256, four.persistent(8), FusedLinear.Variant.WINDOW).groups(), "clusters of 4 are too few at a time to run persistent");
            assertEquals(List.of("tmaWindowCluster64x2"), entries(op.bind("p", x, y, 300, two.persistent(4), arena)));
            String why = paletteRefusal(w, x, y, 300, new FusedLinear.Schedule(2, 128, FusedLinear.Kernel.WGMMA_TMA_CLUSTER), arena);
            assertTrue(why.contains("WGMMA_TMA_CLUSTER"), why);
        }
    }

    @Test
    void thePairKernelRunsClustersOfTwoOnPairsOfTilesUnsplit() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment w = llamaLike256x1024(arena);
            FusedLinear op = window(w, 256, 1024, arena);
            ShortArray x = ShortArray.allocate(arena, 600 * 1024), y = ShortArray.allocate(arena, 600 * 256);
            FusedLinear.Schedule pair = new FusedLinear.Schedule(1, 256, FusedLinear.Kernel.WGMMA_TMA_PAIR);
            // 256 x 1024 at M = 600: one pair of W tiles by 3 blocks of 256 X rows.
            FusedLinear.Bound b = op.bind("p", x, y, 600, pair, arena);
            assertEquals(List.of("tmaWindowPair256"), entries(b));
            assertEquals(6, b.grids().get("p.gemm").groups(), "one cluster of 2 per pair of tiles");
            assertEquals(WgmmaGemm.tmaSharedBytes(256, FusedLinear.Variant.WINDOW), b.grids().get("p.gemm").sharedBytes(), "the unpaired kernel's ring");
            assertEquals(2, WgmmaGemm.grid(600, 256, pair.persistent(3), FusedLinear.Variant.WINDOW).groups(), "persistent: CTAs rounded down to clusters of 2");
            assertEquals(6, WgmmaGemm.grid(600, 256, pair.persistent(132), FusedLinear.Variant.WINDOW).groups(), "never more clusters than pairs");
            assertEquals(List.of("tmaBf16Pair_256"), entries(op.twin(w).bind("t", x, y, 600, pair, arena)), "the twin");
            assertEquals(1, op.partialSize(600, pair), "no workspace");
            for (int[] bad : new int[][] {{2, 256}, {1, 128}}) {
                String why = assertThrows(IllegalArgumentException.class, () -> new FusedLinear.Schedule(bad[0], bad[1], FusedLinear.Kernel.WGMMA_TMA_PAIR)).getMessage();
                assertTrue(why.contains("256 rows") && why.contains("unsplit"), why);
            }
            assertFalse(WgmmaGemm.supports(384, 1024, FusedLinear.Kernel.WGMMA_TMA_PAIR), "n must be a multiple of 256");
            String why = paletteRefusal(w, x, y, 600, pair, arena);
            assertTrue(why.contains("WGMMA_TMA_PAIR") || why.contains("pair kernel"), why);
            ScheduleTable table = ScheduleTable.parse(List.of("256 1024 600 1 tmapair256"), "test");
            assertEquals(pair.persistent(132), op.tabled(table, 600, 132).orElseThrow());
            assertThrows(IllegalArgumentException.class, () -> ScheduleTable.parse(List.of("256 1024 600 2 tmapair256"), "test"), "K unsplit");
            // Offered at 256 rows where the tiles give 3/4 of the SMs a CTA: 4096 x 4096 at M = 4096 (512 tiles), not at M = 256 (32).
            assertTrue(WgmmaGemm.splitSchedules(4096, 4096, 4096, 256, 132, WgmmaCheck.SPLITS, FusedLinear.Variant.WINDOW).contains(pair.persistent(132)));
            assertTrue(WgmmaGemm.splitSchedules(256, 4096, 4096, 256, 132, WgmmaCheck.SPLITS, FusedLinear.Variant.WINDOW).stream()
                    .noneMatch(s -> s.kernel() == FusedLinear.Kernel.WGMMA_TMA_PAIR));
            assertTrue(WgmmaGemm.splitSchedules(4096, 4096, 4096, 128, 132, WgmmaCheck.SPLITS, FusedLinear.Variant.WINDOW).stream()
                    .noneMatch(s -> s.kernel() == FusedLinear.Kernel.WGMMA_TMA_PAIR), "256 rows only");
        }
    }

    @Test
    void theMeetKernelRunsOneCtaPerSliceAllResidentAndFallsBackToTheWorkspaceFinishWhereTheyDoNotFit() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment w = llamaLike256x1024(arena);
            FusedLinear op = window(w, 256, 1024, arena);
            ShortArray x = ShortArray.allocate(arena, 300 * 1024), y = ShortArray.allocate(arena, 300 * 256);
            for (int splits : new int[] {2, 4, 8}) {
                for (int rows : new int[] {128, 256}) {
                    FusedLinear.Schedule s = new FusedLinear.Schedule(splits, rows, FusedLinear.Kernel.WGMMA_TMA_MEET);
                    assertEquals(s, s.persistent(132), "never persistent: the slices wait for each other");
                    FusedLinear.Bound b = op.bind("m", x, y, 300, s, arena);
                    assertEquals(List.of("tmaWindowMeet" + rows), entries(b));
                    Grid grid = b.grids().get("m.gemm");
                    assertEquals(2L * Math.ceilDiv(300, rows) * splits, grid.groups(), "one CTA per tile and slice");
                    assertTrue(grid.coResident(), "launched cooperatively: every CTA resident at once, or the driver refuses");
                    assertEquals(WgmmaGemm.tmaSharedBytes(rows, FusedLinear.Variant.WINDOW), grid.sharedBytes());
                    assertEquals(List.of("tmaBf16Meet_" + rows), entries(op.twin(w).bind("t", x, y, 300, s, arena)), "the twin: the same split and sums");
                    assertEquals(op.partialSize(300, s.with(FusedLinear.Kernel.WGMMA_TMA)), op.partialSize(300, s), "the workspace finish's slices and counters");
                }
            }
            assertFalse(WgmmaGemm.grid(300, 256, new FusedLinear.Schedule(2, 64, FusedLinear.Kernel.WGMMA_TMA), FusedLinear.Variant.WINDOW).coResident());
            for (int[] bad : new int[][] {{1, 128}, {2, 64}}) {
                String why = assertThrows(IllegalArgumentException.class, () -> new FusedLinear.Schedule(bad[0], bad[1], FusedLinear.Kernel.WGMMA_TMA_MEET)).getMessage();
                assertTrue(why.contains("128 or 256 rows") && why.contains("2 or more splits"), why);
            }
            String why = paletteRefusal(w, x, y, 300, new FusedLinear.Schedule(2, 128, FusedLinear.Kernel.WGMMA_TMA_MEET), arena);
            assertTrue(why.contains("WGMMA_TMA_MEET"), why);
            // A table's meet choice where its CTAs fit; where they do not, fewer slices that fit (2 x 2 tiles x 2 on 8 SMs), else
            // unsplit on the persistent grid (2 x 3 tiles on 6 SMs leave no room for 2 slices).
            ScheduleTable table = ScheduleTable.parse(List.of("256 1024 256 2 tmameet128"), "test");
            assertEquals(new FusedLinear.Schedule(2, 128, FusedLinear.Kernel.WGMMA_TMA_MEET), op.tabled(table, 256, 132).orElseThrow());
            assertEquals(new FusedLinear.Schedule(1, 128, FusedLinear.Kernel.WGMMA_TMA, 6), op.tabled(table, 300, 6).orElseThrow());
            ScheduleTable four = ScheduleTable.parse(List.of("256 1024 256 4 tmameet128"), "test");
            assertEquals(new FusedLinear.Schedule(4, 128, FusedLinear.Kernel.WGMMA_TMA_MEET), op.tabled(four, 256, 16).orElseThrow());
            assertEquals(new FusedLinear.Schedule(2, 128, FusedLinear.Kernel.WGMMA_TMA_MEET), op.tabled(four, 256, 8).orElseThrow());
            assertThrows(IllegalArgumentException.class, () -> ScheduleTable.parse(List.of("256 1024 256 1 tmameet128"), "test"), "one split has nothing to meet");
            // 4096 x 4096 at M = 256 on 132 SMs: 32 tiles of 128 x 256 meet at 2 and 4 splits; 64 of 128 x 128 only at 2.
            List<FusedLinear.Schedule> at256 = WgmmaGemm.splitSchedules(256, 4096, 4096, 256, 132, WgmmaCheck.SPLITS, FusedLinear.Variant.WINDOW);
            assertTrue(at256.contains(new FusedLinear.Schedule(4, 256, FusedLinear.Kernel.WGMMA_TMA_MEET)), at256.toString());
            List<FusedLinear.Schedule> at128 = WgmmaGemm.splitSchedules(256, 4096, 4096, 128, 132, WgmmaCheck.SPLITS, FusedLinear.Variant.WINDOW);
            assertTrue(at128.contains(new FusedLinear.Schedule(2, 128, FusedLinear.Kernel.WGMMA_TMA_MEET)), at128.toString());
            assertFalse(at128.contains(new FusedLinear.Schedule(4, 128, FusedLinear.Kernel.WGMMA_TMA_MEET)), "256 CTAs do not fit 132 SMs at once");
            // 1024 x 4096 at M = 256: 8 tiles of 128 x 256 meet at up to 16 splits (128 CTAs).
            List<FusedLinear.Schedule> small = WgmmaGemm.splitSchedules(256, 1024, 4096, 256, 132, WgmmaCheck.SPLITS, FusedLinear.Variant.WINDOW);
            for (int s : new int[] {2, 4, 8, 16}) assertTrue(small.contains(new FusedLinear.Schedule(s, 256, FusedLinear.Kernel.WGMMA_TMA_MEET)), small.toString());
            assertTrue(WgmmaGemm.splitSchedules(256, 1024, 4096, 64, 132, WgmmaCheck.SPLITS, FusedLinear.Variant.WINDOW).stream()
                    .noneMatch(s -> s.kernel() == FusedLinear.Kernel.WGMMA_TMA_MEET), "not at 64 rows, though 32 tiles x 4 fit");
            assertTrue(WgmmaGemm.splitSchedules(256, 4096, 4096, 256, 132, WgmmaCheck.SPLITS, FusedLinear.Variant.PALETTE).stream()
                    .noneMatch(s -> s.kernel() == FusedLinear.Kernel.WGMMA_TMA_MEET), "window coding only");
        }
    }

    @Test
    void theHalfKernelTakesWindowCodedW256RowsOfXAndOneCtaPerSlice() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment w = llamaLike256x1024(arena);
            FusedLinear op = window(w, 256, 1024, arena);
            ShortArray x = ShortArray.allocate(arena, 300 * 1024), y = ShortArray.allocate(arena, 300 * 256);
            for (int splits : new int[] {1, 2, 4}) {
                FusedLinear.Schedule s = new FusedLinear.Schedule(splits, 256, FusedLinear.Kernel.WGMMA_TMA_HALF);
                assertEquals(s, s.persistent(132), "never persistent");
                FusedLinear.Bound b = op.bind("h", x, y, 300, s, arena);
                assertEquals(List.of(splits == 1 ? "tmaWindowHalf256" : "tmaWindowHalfCluster256x" + splits), entries(b));
                assertEquals(4L * 2 * splits, b.grids().get("h.gemm").groups(), "256 W rows in 4 tiles of 64 x ceil(300 / 256) = 2 blocks of X rows, one CTA per slice");
                assertEquals(WgmmaGemm.halfSharedBytes(FusedLinear.Variant.WINDOW), b.grids().get("h.gemm").sharedBytes());
                FusedLinear.Bound twin = op.twin(w).bind("t", x, y, 300, s, arena);
                assertEquals(List.of(splits == 1 ? "tmaBf16Half_256" : "tmaBf16HalfCluster256x" + splits), entries(twin), "the twin: the same tiles, split and sums");
                assertEquals(WgmmaGemm.halfSharedBytes(FusedLinear.Variant.BF16_WINDOW), twin.grids().get("t.gemm").sharedBytes());
                assertEquals(1, op.partialSize(300, s), "no workspace: the warpgroups and slices meet in shared memory");
            }
            assertEquals(new TensorMap(w, 1024, 256, 64, 64), WgmmaGemm.wMap(w, 256, 1024, WgmmaGemm.HALF_W_ROWS), "the twin's W in boxes of 64 rows");
            for (int[] bad : new int[][] {{1, 128}, {3, 256}, {8, 256}}) {
                String why = assertThrows(IllegalArgumentException.class, () -> new FusedLinear.Schedule(bad[0], bad[1], FusedLinear.Kernel.WGMMA_TMA_HALF)).getMessage();
                assertTrue(why.contains("256 rows") && why.contains("1, 2 or 4 splits"), why);
            }
            assertThrows(IllegalArgumentException.class, () -> new FusedLinear.Schedule(1, 256, FusedLinear.Kernel.WGMMA_TMA_HALF, 132), "no CTA limit");
            // Each warpgroup takes an even number of a slice's K blocks: k / 64 a multiple of 4 per split.
            assertTrue(WgmmaGemm.splits(1024, 4, FusedLinear.Kernel.WGMMA_TMA_HALF));
            assertFalse(WgmmaGemm.splits(512, 4, FusedLinear.Kernel.WGMMA_TMA_HALF));
            assertTrue(WgmmaGemm.splits(512, 4, FusedLinear.Kernel.WGMMA_TMA), "the 128-row kernel: an even number per slice");
            MemorySegment narrow = arena.allocate(256L * 512 * 2, 2);
            LayoutSurvey.fillLlamaLike(narrow, 7);
            FusedLinear k512 = window(narrow, 256, 512, arena);
            ShortArray x512 = ShortArray.allocate(arena, 300 * 512);
            String why = assertThrows(IllegalArgumentException.class, () -> k512.bind("h4", x512, y, 300, new FusedLinear.Schedule(4, 256, FusedLinear.Kernel.WGMMA_TMA_HALF), arena)).getMessage();
            assertTrue(why.contains("multiple of 4"), why);
            why = paletteRefusal(w, x, y, 300, new FusedLinear.Schedule(1, 256, FusedLinear.Kernel.WGMMA_TMA_HALF), arena);
            assertTrue(why.contains("WGMMA_TMA_HALF"), why);
        }
    }

    @Test
    void theWideKernelTakesWindowCodedW256RowsOfWAnd64OfXFromItsOwnPtx() {
        String ptx = WideTmaKernels.ptx();
        int checked = checkEntries(WideTmaKernels.class, ptx, (kernel, entry) ->
                assertTrue(Pattern.compile("\\.maxntid 640").matcher(ptx.substring(entry.end(), Math.min(ptx.length(), entry.end() + 400))).find(), kernel.entry() + ": 640 threads"));
        assertEquals(6, checked, "window and BF16 entries at 64 rows of X, unsplit and with 2 or 4 splits in a cluster");
        assertNotEquals(TmaKernels.ptx(), ptx);
        // 6 stages of 64 X rows (64 x 128 bytes) and 16 window tiles (1536 bytes each), 16 consumer warps x 512 bytes, 12 mbarriers,
        // 1 KB of alignment; the twin: 5 stages of 256 BF16 W rows of 128 bytes (the TC_WIDE build's sharedBytes<64, MODE>).
        assertEquals(6 * (64 * 128 + 16 * 1536) + 8192 + 96 + 1024, WgmmaGemm.wideSharedBytes(FusedLinear.Variant.WINDOW));
        assertEquals(205920, WgmmaGemm.wideSharedBytes(FusedLinear.Variant.WINDOW));
        assertEquals(5 * (64 * 128 + 256 * 128) + 8192 + 80 + 1024, WgmmaGemm.wideSharedBytes(FusedLinear.Variant.BF16_WINDOW));
        assertThrows(IllegalArgumentException.class, () -> WgmmaGemm.wideSharedBytes(FusedLinear.Variant.PALETTE), "no palette-coded wide kernel");
        try (Arena arena = Arena.ofShared()) {
            MemorySegment w = arena.allocate(512L * 1024 * 2, 2);
            LayoutSurvey.fillLlamaLike(w, 11);
            FusedLinear op = window(w, 512, 1024, arena);
            ShortArray x = ShortArray.allocate(arena, 100 * 1024), y = ShortArray.allocate(arena, 100 * 512);
            for (int splits : new int[] {1, 2, 4}) {
                FusedLinear.Schedule s = new FusedLinear.Schedule(splits, 64, FusedLinear.Kernel.WGMMA_TMA_WIDE);
                FusedLinear.Bound b = op.bind("wd", x, y, 100, s, arena);
                assertEquals(List.of(splits == 1 ? "tmaWindow64" : "tmaWindowCluster64x" + splits), entries(b));
                var grid = b.grids().get("wd.gemm");
                assertEquals(2L * 2 * splits, grid.groups(), "2 tiles of 256 W rows x ceil(100 / 64) = 2 blocks of X rows, one CTA per slice");
                assertEquals(640, grid.localSize());
                assertEquals(WgmmaGemm.wideSharedBytes(FusedLinear.Variant.WINDOW), grid.sharedBytes());
                FusedLinear.Bound twin = op.twin(w).bind("t", x, y, 100, s, arena);
                assertEquals(List.of(splits == 1 ? "tmaBf16_64" : "tmaBf16Cluster64x" + splits), entries(twin), "the twin: the same tiles, split and sums");
                assertEquals(WgmmaGemm.wideSharedBytes(FusedLinear.Variant.BF16_WINDOW), twin.grids().get("t.gemm").sharedBytes());
                assertEquals(1, op.partialSize(100, s), "no workspace: unsplit, or the slices meet in shared memory");
            }
            FusedLinear.Schedule persistent = new FusedLinear.Schedule(1, 64, FusedLinear.Kernel.WGMMA_TMA_WIDE).persistent(3);
            assertEquals(3, persistent.ctas());
            assertEquals(3, op.bind("wp", x, y, 100, persistent, arena).grids().get("wp.gemm").groups(), "4 tiles on 3 CTAs, each taking them in turn");
            FusedLinear.Schedule split = new FusedLinear.Schedule(2, 64, FusedLinear.Kernel.WGMMA_TMA_WIDE);
            assertEquals(split, split.persistent(132), "split, one CTA per slice: never persistent");
            assertThrows(IllegalArgumentException.class, () -> new FusedLinear.Schedule(2, 64, FusedLinear.Kernel.WGMMA_TMA_WIDE, 132));
            assertEquals(new TensorMap(w, 1024, 512, 64, 256), WgmmaGemm.wMap(w, 512, 1024, WgmmaGemm.WIDE_W_ROWS), "the twin's W in boxes of 256 rows");
            for (int[] bad : new int[][] {{1, 128}, {3, 64}, {8, 64}}) {
                String why = assertThrows(IllegalArgumentException.class, () -> new FusedLinear.Schedule(bad[0], bad[1], FusedLinear.Kernel.WGMMA_TMA_WIDE)).getMessage();
                assertTrue(why.contains("64 rows") && why.contains("1, 2 or 4 splits"), why);
            }
            MemorySegment w384 = arena.allocate(384L * 1024 * 2, 2);
            LayoutSurvey.fillLlamaLike(w384, 13);
            FusedLinear op384 = window(w384, 384, 1024, arena);
            ShortArray y384 = ShortArray.allocate(arena, 100 * 384);
            String why = assertThrows(IllegalArgumentException.class, () -> op384.bind("n", x, y384, 100, new FusedLinear.Schedule(1, 64, FusedLinear.Kernel.WGMMA_TMA_WIDE), arena)).getMessage();
            assertTrue(why.contains("multiple of 256"), why);
            assertFalse(WgmmaGemm.supports(384, 1024, FusedLinear.Kernel.WGMMA_TMA_WIDE));
            assertTrue(WgmmaGemm.supports(384, 1024, FusedLinear.Kernel.WGMMA_TMA));
            FusedLinear palette = FusedLinear.palette(PaletteEncoder.encode(w, 512, 1024, PaletteEncoder.Scope.TILE, arena), arena);
            why = assertThrows(IllegalArgumentException.class, () -> palette.bind("p", x, y, 100, new FusedLinear.Schedule(1, 64, FusedLinear.Kernel.WGMMA_TMA_WIDE), arena)).getMessage();
            assertTrue(why.contains("WGMMA_TMA_WIDE"), why);
        }
    }

    @Test
    void theWideKernelIsTimedAt64RowsUpToM64() {
        FusedLinear.Kernel wide = FusedLinear.Kernel.WGMMA_TMA_WIDE;
        // 128256 x 4096 at M = 64: 501 tiles of 256 W rows fill 132 multiprocessors, so unsplit and persistent only.
        List<FusedLinear.Schedule> big = WgmmaGemm.splitSchedules(64, 128256, 4096, 64, 132, WgmmaCheck.SPLITS, FusedLinear.Variant.WINDOW);
        assertEquals(List.of(new FusedLinear.Schedule(1, 64, wide, 132)), big.stream().filter(s -> s.kernel() == wide).toList());
        // 14336 x 4096: 56 tiles leave multiprocessors idle: also 2 and 4 splits in a cluster.
        List<FusedLinear.Schedule> mid = WgmmaGemm.splitSchedules(64, 14336, 4096, 64, 132, WgmmaCheck.SPLITS, FusedLinear.Variant.WINDOW);
        assertEquals(List.of(new FusedLinear.Schedule(1, 64, wide, 132), new FusedLinear.Schedule(2, 64, wide), new FusedLinear.Schedule(4, 64, wide)),
                mid.stream().filter(s -> s.kernel() == wide).toList());
        assertTrue(WgmmaGemm.splitSchedules(256, 14336, 4096, 64, 132, WgmmaCheck.SPLITS, FusedLinear.Variant.WINDOW).stream().noneMatch(s -> s.kernel() == wide), "not from M = 256");
        assertTrue(WgmmaGemm.splitSchedules(64, 14336, 4096, 128, 132, WgmmaCheck.SPLITS, FusedLinear.Variant.WINDOW).stream().noneMatch(s -> s.kernel() == wide), "64-row tiles only");
        assertTrue(WgmmaGemm.splitSchedules(64, 14336, 4096, 64, 132, WgmmaCheck.SPLITS, FusedLinear.Variant.PALETTE).stream().noneMatch(s -> s.kernel() == wide), "window coding only");
        assertTrue(WgmmaGemm.splitSchedules(64, 1152, 4096, 64, 132, WgmmaCheck.SPLITS, FusedLinear.Variant.WINDOW).stream().noneMatch(s -> s.kernel() == wide), "n a multiple of 256 only");
    }

    @Test
    void theTmaKernelSplitsKIntoSlicesOfAnEvenNumberOfBlocks() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment w = arena.allocate(256L * 1024 * 2, 2);
            LayoutSurvey.fillLlamaLike(w, 5);
            FusedLinear op = FusedLinear.palette(PaletteEncoder.encode(w, 256, 1024, PaletteEncoder.Scope.TILE, arena), arena);
            ShortArray x = ShortArray.allocate(arena, 300 * 1024), y = ShortArray.allocate(arena, 300 * 256);
            FusedLinear.Schedule s = new FusedLinear.Schedule(4, 64, FusedLinear.Kernel.WGMMA_TMA);
            FusedLinear.Bound b = op.bind("ws", x, y, 300, s, arena);
            assertEquals(List.of("tmaPatch64"), entries(b));
            assertEquals(2 * 5 * 4, b.grids().get("ws.gemm").groups(), "2 x 5 tiles of 128 x 64, each K in 4 slices");
            assertEquals(4L * 10 * 64 * 128 + 10, op.partialSize(300, s), "the slices' sums per tile, then a counter per tile");
            assertEquals(1, op.partialSize(300, new FusedLinear.Schedule(1, 64, FusedLinear.Kernel.WGMMA_TMA)), "unsplit: no workspace");
            assertTrue(WgmmaGemm.splits(1024, 8), "16 blocks of 64 columns: 8 slices of 2");
            assertFalse(WgmmaGemm.splits(1024, 16), "16 slices of 1 block: the consumer loop takes blocks in pairs");
            // 256-row tiles split too: the tile's last CTA adds the slices straight from the workspace.
            FusedLinear.Schedule wide = new FusedLinear.Schedule(2, 256, FusedLinear.Kernel.WGMMA_TMA);
            assertEquals(2L * 4 * 256 * 128 + 4, op.partialSize(300, wide), "2 x 2 tiles of 128 x 256, 2 slices each, then 4 counters");
            assertEquals(4 * 2, op.bind("w2", x, y, 300, wide, arena).grids().get("w2.gemm").groups());
            String why = assertThrows(IllegalArgumentException.class, () -> op.bind("wz", x, y, 300, new FusedLinear.Schedule(16, 64, FusedLinear.Kernel.WGMMA_TMA), arena)).getMessage();
            assertTrue(why.contains("an even number of 64-column blocks"), why);
        }
    }

    @Test
    void thePersistentTmaKernelRunsAtMostOneCtaPerMultiprocessor() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment w = llamaLike256x1024(arena);
            FusedLinear op = window(w, 256, 1024, arena);
            ShortArray x = ShortArray.allocate(arena, 300 * 1024), y = ShortArray.allocate(arena, 300 * 256);
            FusedLinear.Schedule s = new FusedLinear.Schedule(2, 64, FusedLinear.Kernel.WGMMA_TMA).persistent(7);
            assertEquals(7, s.ctas());
            assertEquals(7, op.bind("wp", x, y, 300, s, arena).grids().get("wp.gemm").groups(), "2 x 5 tiles x 2 slices = 20 units on 7 CTAs");
            assertEquals(20, op.bind("wq", x, y, 300, s.persistent(132), arena).grids().get("wq.gemm").groups(), "never more CTAs than units");
            assertEquals(op.partialSize(300, new FusedLinear.Schedule(2, 64, FusedLinear.Kernel.WGMMA_TMA)), op.partialSize(300, s), "the same workspace");
            assertEquals(s, s.with(FusedLinear.Kernel.WGMMA_TMA));
            assertEquals(0, new FusedLinear.Schedule(1, 64, FusedLinear.Kernel.WGMMA_TMA, 7).with(FusedLinear.Kernel.WGMMA).ctas(), "only the TMA kernel is persistent");
            assertEquals(new FusedLinear.Schedule(1, 16, FusedLinear.Kernel.PATCH), new FusedLinear.Schedule(1, 16, FusedLinear.Kernel.PATCH).persistent(132));
            assertThrows(IllegalArgumentException.class, () -> new FusedLinear.Schedule(1, 64, FusedLinear.Kernel.WGMMA, 132));
            assertThrows(IllegalArgumentException.class, () -> new FusedLinear.Schedule(1, 64, FusedLinear.Kernel.WGMMA_TMA, -1));
            assertThrows(IllegalArgumentException.class, () -> s.persistent(0));
        }
    }

    @Test
    void sharedMemoryFitsAnSm90Block() {
        for (int rows : new int[] {64, 128, 256}) {
            int bytes = WgmmaGemm.sharedBytes(rows);
            assertTrue(bytes > 48 * 1024 && bytes <= 227 * 1024, rows + " rows: " + bytes + " bytes");
            assertTrue(bytes >= rows * 272, "the epilogue's BF16 tile (272 bytes per row of X) fits in the ring");
        }
        // 4 stages of X (256 x 128 bytes) and W (128 x 128), 4 producer warps x 1 KB, 8 mbarriers, 1 KB of alignment.
        assertEquals(4 * (256 * 128 + 128 * 128) + 4096 + 64 + 1024, WgmmaGemm.sharedBytes(256));
    }

    @Test
    void theOperatorAddsOneWgmmaTaskWithItsGridAndSharedMemory() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment w = arena.allocate(256L * 512 * 2, 2);
            LayoutSurvey.fillLlamaLike(w, 3);
            PaletteTensor p = PaletteEncoder.encode(w, 256, 512, PaletteEncoder.Scope.TILE, arena);
            FusedLinear op = FusedLinear.palette(p, arena);
            ShortArray x = ShortArray.allocate(arena, 300 * 512), y = ShortArray.allocate(arena, 300 * 256);
            FusedLinear.Bound b = op.bind("wg", x, y, 300, new FusedLinear.Schedule(1, 128, FusedLinear.Kernel.WGMMA), arena);
            assertEquals(1, b.grids().size());
            var grid = b.grids().get("wg.gemm");
            assertEquals(2 * 4, grid.groups(), "2 blocks of 128 W rows x ceil(300 / 128) = 3 blocks of X rows, rounded up to pairs (clusters of 2 CTAs)");
            assertEquals(384, grid.localSize());
            assertEquals(WgmmaGemm.sharedBytes(128), grid.sharedBytes());
            assertEquals(List.of("wgmmaPatch128"), entries(b));
            FusedLinear.Bound raw = FusedLinear.bf16(w, 256, 512).bind("wr", x, y, 300, new FusedLinear.Schedule(1, 64, FusedLinear.Kernel.WGMMA), arena);
            assertEquals(List.of("wgmmaBf16_64"), entries(raw));
            assertEquals(2 * 6, raw.grids().get("wr.gemm").groups(), "5 blocks of 64 X rows, rounded up to pairs");
            FusedLinear.Bound solo = op.bind("ws", x, y, 300, new FusedLinear.Schedule(1, 128, FusedLinear.Kernel.WGMMA_SOLO), arena);
            assertEquals(List.of("wgmmaSoloPatch128"), entries(solo));
            assertEquals(2 * 3, solo.grids().get("ws.gemm").groups(), "one CTA per 128 x 128 tile: no pairs");
            assertEquals(WgmmaGemm.sharedBytes(128, false), solo.grids().get("ws.gemm").sharedBytes());
        }
    }

    /** The kernels a plan of the bound graph asks its compiler for (on a fake device; nothing runs). */
    /** A Llama-like 256 x 1024 BF16 W (seed 6), which the window-coded tests encode. */
    /** W (n x k BF16) window-coded, a tile per palette, as the operator the benches time. */
    private static FusedLinear window(MemorySegment w, int n, int k, Arena arena) {
        return FusedLinear.palette(PaletteEncoder.encode(w, n, k, PaletteEncoder.Scope.TILE, PaletteLayout.Coding.WINDOW, arena), arena);
    }

    /** Why binding the palette coding of the 256 x 1024 W {@code w} at schedule {@code s} fails: the kernels that read window-coded W only. */
    private static String paletteRefusal(MemorySegment w, ShortArray x, ShortArray y, int m, FusedLinear.Schedule s, Arena arena) {
        FusedLinear palette = FusedLinear.palette(PaletteEncoder.encode(w, 256, 1024, PaletteEncoder.Scope.TILE, arena), arena);
        return assertThrows(IllegalArgumentException.class, () -> palette.bind("p", x, y, m, s, arena)).getMessage();
    }

    private static MemorySegment llamaLike256x1024(Arena arena) {
        MemorySegment w = arena.allocate(256L * 1024 * 2, 2);
        LayoutSurvey.fillLlamaLike(w, 6);
        return w;
    }

    static List<String> entries(FusedLinear.Bound b) {
        List<String> names = new ArrayList<>();
        try (Device device = FakeDevices.open();
             ExecutionPlan plan = new ExecutionPlan(device, method -> { names.add(method.method().getName()); return FakeDevices.compiler().apply(method); }, List.of(b.graph()))) {
            return names;
        }
    }

    @Test
    void shapesAndSchedulesItCannotTakeAreRefusedWithTheReason() {
        try (Arena arena = Arena.ofShared()) {
            FusedLinear narrow = FusedLinear.bf16(arena.allocate(64L * 512 * 2, 2), 64, 512);
            ShortArray x = ShortArray.allocate(arena, 256 * 512), y = ShortArray.allocate(arena, 256 * 64);
            String why = assertThrows(IllegalArgumentException.class, () -> narrow.bind("g", x, y, 256, new FusedLinear.Schedule(1, 128, FusedLinear.Kernel.WGMMA), arena)).getMessage();
            assertTrue(why.contains("multiple of 128"), why);
            assertEquals(FusedLinear.Kernel.BALLOT, narrow.schedule(4096, 132).kernel(), "64 rows of W: the rule keeps the mma.sync kernels");
            FusedLinear oddK = FusedLinear.bf16(arena.allocate(128L * 192 * 2, 2), 128, 192);
            assertNotEquals(FusedLinear.Kernel.WGMMA, oddK.schedule(4096, 132).kernel(), "K = 192 is 3 blocks of 64: not for the wgmma kernels");
        }
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new FusedLinear.Schedule(2, 128, FusedLinear.Kernel.WGMMA)).getMessage().contains("only the TMA-fed wgmma kernel splits K"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new FusedLinear.Schedule(1, 32, FusedLinear.Kernel.WGMMA)).getMessage().contains("64, 128 or 256"));
        assertThrows(IllegalArgumentException.class, () -> new FusedLinear.Schedule(1, 128, FusedLinear.Kernel.PATCH), "the mma.sync kernels take 8..64 rows");
    }

    @Test
    void theRuleTakesTheLargestTileThatFillsTheMultiprocessors() {
        assertEquals(256, WgmmaGemm.rows(4096, 4096, 132), "32 x 16 = 512 CTAs");
        assertEquals(256, WgmmaGemm.rows(1024, 4096, 132), "32 x 4 = 128 CTAs of 256 rows: at least 3/4 of 132");
        assertEquals(256, WgmmaGemm.rows(256, 14336, 132), "112 CTAs of one block of 256 X rows: at least 3/4 of 132");
        assertEquals(64, WgmmaGemm.rows(256, 4096, 132), "32 CTAs of 256 rows, 64 of 128, are too few: 64-row tiles");
        assertEquals(64, WgmmaGemm.rows(1024, 1024, 132), "8 x 4 CTAs of 256 rows, 8 x 8 of 128");
        assertEquals(128, WgmmaGemm.rows(128, 128256, 132), "1002 CTAs of 128 rows; 256 rows would be half zeros");
        assertEquals(64, WgmmaGemm.rows(100, 128256, 132), "fewer than 128 rows of X: 64-row tiles");
    }

    @Test
    void theyAreChosenWhereTheH200RunMeasuredThemFaster() {
        assertFalse(WgmmaGemm.pays(64, 14336, 4096, 132), "the patching kernel is faster at M = 64 (run w4)");
        assertFalse(WgmmaGemm.pays(64, 128256, 4096, 132));
        assertFalse(WgmmaGemm.pays(64, 4096, 4096, 132));
        assertFalse(WgmmaGemm.pays(64, 4096, 14336, 132));
        assertTrue(WgmmaGemm.pays(256, 4096, 4096, 132));
        assertTrue(WgmmaGemm.pays(256, 4096, 14336, 132));
        assertFalse(WgmmaGemm.pays(256, 1024, 4096, 132));
        assertTrue(WgmmaGemm.pays(1024, 1024, 4096, 132));
        assertFalse(WgmmaGemm.pays(255, 128256, 4096, 132), "never below 256 rows");
        assertFalse(WgmmaGemm.pays(4096, 1024, 4160, 132), "K not a multiple of 128");
    }
}
