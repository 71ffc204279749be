package dev.weightless.tensorcore.gemm;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.*;

/** The measured-splits table: built from check results, looked up by shape and batch size, round-tripped as text. */
class ScheduleTableTest {
    private static String row(int m, int splits, double ms) { return row(m, splits, ms, 1.0); }

    /** A result line with the ballot kernel's median {@code ms} and the patching kernel's {@code patchMs}. */
    private static String row(int m, int splits, double ms, double patchMs) {
        return "{\"n\":1024,\"k\":4096,\"m\":" + m + ",\"splits\":" + splits + ",\"palette_ms\":{\"median\":" + ms + ",\"min\":0.0},\"patch_ms\":{\"median\":" + patchMs + "}}";
    }

    @Test
    void fastestSplitsWinAndLookupsTakeTheLargestMeasuredBatchBelow() {
        ScheduleTable t = ScheduleTable.fromResults(List.of(row(1, 1, 0.02), row(1, 4, 0.012), row(1, 8, 0.013), row(64, 2, 0.03), row(64, 1, 0.05), ""));
        assertEquals(2, t.size());
        assertEquals(Optional.of(4), t.splits(1024, 4096, 1));
        assertEquals(Optional.of(4), t.splits(1024, 4096, 63), "between measured batch sizes: the one below");
        assertEquals(Optional.of(2), t.splits(1024, 4096, 5000));
        assertEquals(Optional.empty(), t.splits(4096, 4096, 1), "unmeasured shape");
        ScheduleTable back = ScheduleTable.parse(t.format("test").lines().toList(), "test");
        assertEquals(Optional.of(4), back.splits(1024, 4096, 1));
        assertEquals(Optional.of(2), back.splits(1024, 4096, 64));
        assertEquals(FusedLinear.Kernel.BALLOT, back.choice(1024, 4096, 1).orElseThrow().kernel());
    }

    @Test
    void theFasterKernelWinsWithItsOwnSplits() {
        ScheduleTable t = ScheduleTable.fromResults(List.of(row(1, 1, 0.02, 0.015), row(1, 2, 0.012, 0.018), row(16, 1, 0.03, 0.01), row(16, 2, 0.02, 0.011)));
        assertEquals(new ScheduleTable.Choice(2, FusedLinear.Kernel.BALLOT), t.choice(1024, 4096, 1).orElseThrow(), "ballot at 2 splits (0.012) beats patch at 1 (0.015)");
        assertEquals(new ScheduleTable.Choice(1, FusedLinear.Kernel.PATCH), t.choice(1024, 4096, 16).orElseThrow());
        ScheduleTable back = ScheduleTable.parse(t.format("test").lines().toList(), "test");
        assertEquals(new ScheduleTable.Choice(2, FusedLinear.Kernel.BALLOT), back.choice(1024, 4096, 1).orElseThrow());
        assertEquals(new ScheduleTable.Choice(1, FusedLinear.Kernel.PATCH), back.choice(1024, 4096, 16).orElseThrow());
    }

    @Test
    void severalRunsDecideByTheMeanOfEachCandidatesMedians() {
        // run 1: 2 splits ahead by 1%; run 2: 4 splits ahead by 20%. The lowest single median (run 1's 0.0099) would take 2 splits.
        ScheduleTable t = ScheduleTable.fromResults(List.of(row(1, 2, 0.0099), row(1, 4, 0.0100), row(1, 2, 0.0125), row(1, 4, 0.0100)));
        assertEquals(Optional.of(4), t.splits(1024, 4096, 1), "means 0.0112 (2 splits) against 0.0100 (4 splits)");
        ScheduleTable one = ScheduleTable.fromResults(List.of(row(1, 2, 0.0099), row(1, 4, 0.0100)));
        assertEquals(Optional.of(2), one.splits(1024, 4096, 1), "one run: its lowest median");
    }

    /** A wgmma bench line: the wgmma kernel's median {@code ms} at {@code rows} rows of X per CTA. */
    private static String wgmmaRow(int m, int rows, double ms) {
        return "{\"n\":1024,\"k\":4096,\"m\":" + m + ",\"rows\":" + rows + ",\"wgmma_ms\":{\"median\":" + ms + "},\"mma_ms\":{\"median\":0.001}}";
    }

    @Test
    void theWgmmaKernelCompetesWithItsTile() {
        ScheduleTable t = ScheduleTable.fromResults(List.of(row(256, 1, 0.05, 0.06), wgmmaRow(256, 64, 0.04), wgmmaRow(256, 256, 0.045),
                row(64, 1, 0.02, 0.03), wgmmaRow(64, 64, 0.025)));
        assertEquals(new ScheduleTable.Choice(1, FusedLinear.Kernel.WGMMA, 64), t.choice(1024, 4096, 256).orElseThrow(), "wgmma at 64 rows (0.04) beats ballot (0.05) and 256 rows");
        assertEquals(new ScheduleTable.Choice(1, FusedLinear.Kernel.BALLOT), t.choice(1024, 4096, 64).orElseThrow(), "ballot (0.02) beats wgmma (0.025); mma_ms, with no splits, is not a candidate");
        ScheduleTable back = ScheduleTable.parse(t.format("test").lines().toList(), "test");
        assertTrue(t.format("test").contains("1024 4096 256 1 wgmma64"), t.format("test"));
        assertEquals(new ScheduleTable.Choice(1, FusedLinear.Kernel.WGMMA, 64), back.choice(1024, 4096, 256).orElseThrow());
        assertEquals(new ScheduleTable.Choice(1, FusedLinear.Kernel.BALLOT), back.choice(1024, 4096, 64).orElseThrow());
    }

    @Test
    void theMmaYardstickCompetesWhereItsKernelAndSplitsAreNamed() {
        String named = wgmmaRow(256, 64, 0.04).replace("\"mma_ms\":{\"median\":0.001}", "\"mma_ms\":{\"median\":0.02},\"mma_kernel\":\"ballot\",\"mma_splits\":2");
        ScheduleTable t = ScheduleTable.fromResults(List.of(named, wgmmaRow(1024, 256, 0.1)));
        assertEquals(new ScheduleTable.Choice(2, FusedLinear.Kernel.BALLOT), t.choice(1024, 4096, 256).orElseThrow(), "the mma.sync yardstick (0.02) beats the wgmma tile (0.04)");
        assertEquals(new ScheduleTable.Choice(1, FusedLinear.Kernel.WGMMA, 256), t.choice(1024, 4096, 1024).orElseThrow(), "an unnamed yardstick (0.001) is no candidate");
    }

    @Test
    void theTmaKernelCompetesUnderItsOwnName() {
        String tma = wgmmaRow(1024, 128, 0.03).replace("\"rows\"", "\"kernel\":\"tma\",\"rows\"");
        String solo = wgmmaRow(1024, 256, 0.035).replace("\"rows\"", "\"kernel\":\"solo\",\"rows\"");
        ScheduleTable t = ScheduleTable.fromResults(List.of(wgmmaRow(1024, 256, 0.04), tma, solo));
        assertEquals(new ScheduleTable.Choice(1, FusedLinear.Kernel.WGMMA_TMA, 128), t.choice(1024, 4096, 1024).orElseThrow(), "tma at 128 rows (0.03) beats solo (0.035) and paired (0.04)");
        assertTrue(t.format("test").contains("1024 4096 1024 1 tma128"), t.format("test"));
        assertEquals(t.choice(1024, 4096, 1024), ScheduleTable.parse(t.format("test").lines().toList(), "test").choice(1024, 4096, 1024));
        assertThrows(IllegalArgumentException.class, () -> ScheduleTable.parse(List.of("1024 4096 256 1 tma32"), "test"), "no 32-row tile");
        assertEquals(new ScheduleTable.Choice(4, FusedLinear.Kernel.WGMMA_TMA, 64), ScheduleTable.parse(List.of("1024 4096 256 4 tma64"), "test").choice(1024, 4096, 256).orElseThrow());
        assertEquals(new ScheduleTable.Choice(4, FusedLinear.Kernel.WGMMA_TMA, 256), ScheduleTable.parse(List.of("4096 4096 256 4 tma256"), "test").choice(4096, 4096, 256).orElseThrow());
        assertThrows(IllegalArgumentException.class, () -> ScheduleTable.parse(List.of("1024 4096 256 2 solo256"), "test"), "only the TMA kernel splits K");
        String split = wgmmaRow(256, 64, 0.02).replace("\"rows\"", "\"kernel\":\"tma\",\"splits\":4,\"rows\"");
        assertEquals(new ScheduleTable.Choice(4, FusedLinear.Kernel.WGMMA_TMA, 64), ScheduleTable.fromResults(List.of(split, wgmmaRow(256, 64, 0.04))).choice(1024, 4096, 256).orElseThrow());
        // The TMA kernel's split K summed in a cluster: its own label, 2 or 4 splits.
        String cluster = wgmmaRow(256, 128, 0.015).replace("\"rows\"", "\"kernel\":\"tmacluster\",\"splits\":2,\"rows\"");
        ScheduleTable c = ScheduleTable.fromResults(List.of(split, cluster));
        assertEquals(new ScheduleTable.Choice(2, FusedLinear.Kernel.WGMMA_TMA_CLUSTER, 128), c.choice(1024, 4096, 256).orElseThrow(), "the cluster's 0.015 beats the workspace's 0.02");
        assertTrue(c.format("test").contains("1024 4096 256 2 tmacluster128"), c.format("test"));
        assertEquals(c.choice(1024, 4096, 256), ScheduleTable.parse(List.of("1024 4096 256 2 tmacluster128"), "test").choice(1024, 4096, 256), "written as it is read");
        assertThrows(IllegalArgumentException.class, () -> ScheduleTable.parse(List.of("1024 4096 256 1 tmacluster128"), "test"), "the cluster finish needs 2 or 4 splits");
        // The half kernel: its own label, 256 rows, 1, 2 or 4 splits.
        String half = wgmmaRow(256, 256, 0.012).replace("\"rows\"", "\"kernel\":\"tmahalf\",\"splits\":2,\"rows\"");
        ScheduleTable h = ScheduleTable.fromResults(List.of(split, cluster, half));
        assertEquals(new ScheduleTable.Choice(2, FusedLinear.Kernel.WGMMA_TMA_HALF, 256), h.choice(1024, 4096, 256).orElseThrow(), "the half kernel's 0.012 beats the cluster's 0.015");
        assertTrue(h.format("test").contains("1024 4096 256 2 tmahalf256"), h.format("test"));
        assertEquals(h.choice(1024, 4096, 256), ScheduleTable.parse(List.of("1024 4096 256 2 tmahalf256"), "test").choice(1024, 4096, 256), "written as it is read");
        assertThrows(IllegalArgumentException.class, () -> ScheduleTable.parse(List.of("1024 4096 256 3 tmahalf256"), "test"), "1, 2 or 4 splits");
        assertThrows(IllegalArgumentException.class, () -> ScheduleTable.parse(List.of("1024 4096 256 1 tmahalf128"), "test"), "256 rows only");
        // The wide kernel: its own label, 64 rows, 1, 2 or 4 splits.
        String wide = wgmmaRow(64, 64, 0.011).replace("\"rows\"", "\"kernel\":\"tmawide\",\"rows\"");
        ScheduleTable d = ScheduleTable.fromResults(List.of(wgmmaRow(64, 64, 0.013), wide));
        assertEquals(new ScheduleTable.Choice(1, FusedLinear.Kernel.WGMMA_TMA_WIDE, 64), d.choice(1024, 4096, 64).orElseThrow(), "the wide kernel's 0.011 beats the paired 0.013");
        assertTrue(d.format("test").contains("1024 4096 64 1 tmawide64"), d.format("test"));
        assertEquals(d.choice(1024, 4096, 64), ScheduleTable.parse(List.of("1024 4096 64 1 tmawide64"), "test").choice(1024, 4096, 64), "written as it is read");
        assertEquals(new ScheduleTable.Choice(2, FusedLinear.Kernel.WGMMA_TMA_WIDE, 64), ScheduleTable.parse(List.of("14336 4096 64 2 tmawide64"), "test").choice(14336, 4096, 64).orElseThrow());
        assertThrows(IllegalArgumentException.class, () -> ScheduleTable.parse(List.of("1024 4096 64 8 tmawide64"), "test"), "1, 2 or 4 splits");
        assertThrows(IllegalArgumentException.class, () -> ScheduleTable.parse(List.of("1024 4096 64 1 tmawide128"), "test"), "64 rows only");
    }

    @Test
    void theBandKernelCompetesWhereALineTimedIt() {
        competes("{\"n\":1024,\"k\":4096,\"m\":16,\"splits\":2,\"patch_ms\":{\"median\":0.02},\"palette_ms\":{\"median\":0.03},\"band_ms\":{\"median\":0.019}}",
                1024, 4096, 16, new ScheduleTable.Choice(2, FusedLinear.Kernel.PATCH_BAND), "1024 4096 16 2 band");
    }

    @Test
    void theNarrowKernelCompetesWhereALineTimedIt() {
        competes("{\"n\":14336,\"k\":4096,\"m\":1,\"splits\":1,\"patch_ms\":{\"median\":0.0263},\"palette_ms\":null,\"narrow_ms\":{\"median\":0.0253}}",
                14336, 4096, 1, new ScheduleTable.Choice(1, FusedLinear.Kernel.PATCH_NARROW), "14336 4096 1 1 narrow");
    }

    @Test
    void theClusterKernelCompetesWhereALineTimedIt() {
        competes("{\"n\":4096,\"k\":14336,\"m\":1,\"splits\":2,\"patch_ms\":{\"median\":0.0257},\"palette_ms\":null,\"narrow_ms\":{\"median\":0.0262},\"cluster_ms\":{\"median\":0.0247}}",
                4096, 14336, 1, new ScheduleTable.Choice(2, FusedLinear.Kernel.PATCH_CLUSTER), "4096 14336 1 2 cluster");
    }

    /** The table made from one results line picks {@code winner} for (n, k, m), writes it as {@code row} and reads it back the same. */
    private static void competes(String line, long n, long k, int m, ScheduleTable.Choice winner, String row) {
        ScheduleTable t = ScheduleTable.fromResults(List.of(line));
        assertEquals(winner, t.choice(n, k, m).orElseThrow());
        assertTrue(t.format("test").contains(row), t.format("test"));
        assertEquals(t.choice(n, k, m), ScheduleTable.parse(t.format("test").lines().toList(), "test").choice(n, k, m));
    }

    @Test
    void soloLinesCompeteAsTheirOwnKernel() {
        String solo = wgmmaRow(256, 256, 0.03).replace("\"rows\"", "\"kernel\":\"solo\",\"rows\"");
        ScheduleTable t = ScheduleTable.fromResults(List.of(wgmmaRow(256, 128, 0.04), solo, wgmmaRow(1024, 256, 0.1)));
        assertEquals(new ScheduleTable.Choice(1, FusedLinear.Kernel.WGMMA_SOLO, 256), t.choice(1024, 4096, 256).orElseThrow(), "the solo line (0.03) beats the paired one (0.04)");
        assertEquals(new ScheduleTable.Choice(1, FusedLinear.Kernel.WGMMA, 256), t.choice(1024, 4096, 1024).orElseThrow(), "a line without a kernel field is the paired kernel");
        assertTrue(t.format("test").contains("1024 4096 256 1 solo256"), t.format("test"));
        assertEquals(t.choice(1024, 4096, 256), ScheduleTable.parse(t.format("test").lines().toList(), "test").choice(1024, 4096, 256));
    }

    @Test
    void theH200TableHoldsEveryBenchmarkedShapeAndBatch() {
        ScheduleTable h200 = ScheduleTable.h200();
        assertEquals(35, h200.size(), "5 Llama-3.1-8B shapes x 7 batch sizes");
        assertEquals(new ScheduleTable.Choice(1, FusedLinear.Kernel.PATCH_NARROW), h200.choice(128256, 4096, 1).orElseThrow(), "session 13: 4 warps per CTA");
        assertEquals(new ScheduleTable.Choice(1, FusedLinear.Kernel.PATCH_NARROW), h200.choice(14336, 4096, 4).orElseThrow(), "session 13: 896 CTAs of 4 warps in one wave");
        assertEquals(new ScheduleTable.Choice(1, FusedLinear.Kernel.PATCH_BAND), h200.choice(128256, 4096, 16).orElseThrow(), "session 12: the band kernel, its next tile loaded ahead, 7% ahead of the patching kernel");
        assertEquals(new ScheduleTable.Choice(4, FusedLinear.Kernel.PATCH_CLUSTER), h200.choice(1024, 4096, 1).orElseThrow(), "session 13: split K summed in a cluster");
        assertEquals(new ScheduleTable.Choice(2, FusedLinear.Kernel.PATCH_CLUSTER), h200.choice(4096, 4096, 4).orElseThrow());
        assertEquals(new ScheduleTable.Choice(1, FusedLinear.Kernel.WGMMA_TMA_WIDE, 64), h200.choice(128256, 4096, 64).orElseThrow(), "session 20: the wide kernel, 12% ahead of the 128-row one");
        assertEquals(new ScheduleTable.Choice(2, FusedLinear.Kernel.WGMMA_TMA_WIDE, 64), h200.choice(14336, 4096, 64).orElseThrow(), "session 20: the wide kernel, 2 slices in a cluster");
        assertEquals(new ScheduleTable.Choice(4, FusedLinear.Kernel.WGMMA_TMA, 64), h200.choice(4096, 14336, 64).orElseThrow());
        assertEquals(new ScheduleTable.Choice(4, FusedLinear.Kernel.WGMMA_TMA, 64), h200.choice(1024, 4096, 256).orElseThrow(),
                "session 28: 4 slices of 64-row tiles, 2% ahead of 8 meeting slices over the three runs with session 26's kernels");
        assertEquals(new ScheduleTable.Choice(1, FusedLinear.Kernel.WGMMA_TMA_PAIR, 256), h200.choice(128256, 4096, 4096).orElseThrow(), "session 25: pairs, 1.6% ahead of the split last round over four runs");
        assertEquals(new ScheduleTable.Choice(2, FusedLinear.Kernel.WGMMA_TMA_CLUSTER, 256), h200.choice(14336, 4096, 1024).orElseThrow(), "448 tiles: 3 rounds whole, 52 split in clusters of 2");
        assertEquals(new ScheduleTable.Choice(1, FusedLinear.Kernel.WGMMA_TMA_PAIR, 256), h200.choice(14336, 4096, 4096).orElseThrow(), "session 24: W tiles in pairs sharing X, 2% ahead");
        assertEquals(new ScheduleTable.Choice(1, FusedLinear.Kernel.WGMMA_TMA_PAIR, 256), h200.choice(128256, 4096, 256).orElseThrow(), "session 24: 256-row tiles in pairs at M = 256");
        assertEquals(new ScheduleTable.Choice(1, FusedLinear.Kernel.WGMMA_TMA, 256), h200.choice(4096, 14336, 1024).orElseThrow(), "session 28: a tie (0.03%) decided by three runs' mean");
        assertEquals(new ScheduleTable.Choice(4, FusedLinear.Kernel.WGMMA_TMA_MEET, 256), h200.choice(4096, 4096, 256).orElseThrow(),
                "session 22: the meet finish with each CTA's own share kept on chip, 3% ahead of 128-row tiles in a cluster");
        assertEquals(new ScheduleTable.Choice(2, FusedLinear.Kernel.PATCH_CLUSTER), h200.choice(4096, 14336, 1).orElseThrow(), "two splits, added up in a cluster");
        assertEquals(new ScheduleTable.Choice(4, FusedLinear.Kernel.WGMMA_TMA_MEET, 256), h200.choice(1024, 4096, 1024).orElseThrow());
        assertEquals(new ScheduleTable.Choice(1, FusedLinear.Kernel.WGMMA_TMA_PAIR, 256), h200.choice(128256, 4096, 1024).orElseThrow(),
                "session 25: pairs, a tie with the split last round (0.2% over four runs' mean)");
        assertEquals(new ScheduleTable.Choice(4, FusedLinear.Kernel.WGMMA_TMA_CLUSTER, 64), h200.choice(1024, 4096, 64).orElseThrow());
        assertEquals(new ScheduleTable.Choice(4, FusedLinear.Kernel.PATCH_CLUSTER), h200.choice(1024, 4096, 16).orElseThrow(), "session 14: the cluster kernel at 16 rows");
        assertEquals(new ScheduleTable.Choice(2, FusedLinear.Kernel.PATCH_CLUSTER), h200.choice(4096, 4096, 16).orElseThrow(), "session 16: the split sums pushed into rank 0");
        assertEquals(new ScheduleTable.Choice(4, FusedLinear.Kernel.WGMMA_TMA, 64), h200.choice(4096, 4096, 64).orElseThrow(), "4 splits: the workspace path, faster there than 2 in a cluster");
        assertEquals(new ScheduleTable.Choice(4, FusedLinear.Kernel.WGMMA_TMA_MEET, 256), h200.choice(4096, 14336, 256).orElseThrow(),
                "session 21: the 4 slices meet to share the adds, 6% ahead of the workspace finish's last slice adding all");
    }

    @Test
    void malformedLinesNameTheLine() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ScheduleTable.parse(List.of("# c", "1 2 3"), "t.tsv"));
        assertTrue(e.getMessage().contains("t.tsv line 2"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ScheduleTable.parse(List.of("1 2 3 0 patch"), "t.tsv"));
        assertThrows(IllegalArgumentException.class, () -> ScheduleTable.parse(List.of("1 2 3 1 fast"), "t.tsv"));
        assertThrows(IllegalArgumentException.class, () -> ScheduleTable.parse(List.of("1 2 3 2 wgmma64"), "t.tsv"), "the wgmma kernels do not split K");
        assertThrows(IllegalArgumentException.class, () -> ScheduleTable.parse(List.of("1 2 3 1 wgmma96"), "t.tsv"));
    }
}
