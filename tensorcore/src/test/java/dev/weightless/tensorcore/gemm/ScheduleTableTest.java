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
    void theH200TableHoldsEveryBenchmarkedShapeAndBatch() {
        ScheduleTable h200 = ScheduleTable.h200();
        assertEquals(35, h200.size(), "5 Llama-3.1-8B shapes x 7 batch sizes");
        assertEquals(new ScheduleTable.Choice(1, FusedLinear.Kernel.PATCH), h200.choice(128256, 4096, 1).orElseThrow());
        assertEquals(new ScheduleTable.Choice(1, FusedLinear.Kernel.PATCH), h200.choice(128256, 4096, 16).orElseThrow());
        assertEquals(new ScheduleTable.Choice(5, FusedLinear.Kernel.PATCH), h200.choice(1024, 4096, 1).orElseThrow());
        assertEquals(new ScheduleTable.Choice(1, FusedLinear.Kernel.BALLOT), h200.choice(1024, 4096, 256).orElseThrow());
    }

    @Test
    void malformedLinesNameTheLine() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ScheduleTable.parse(List.of("# c", "1 2 3"), "t.tsv"));
        assertTrue(e.getMessage().contains("t.tsv line 2"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ScheduleTable.parse(List.of("1 2 3 0 patch"), "t.tsv"));
        assertThrows(IllegalArgumentException.class, () -> ScheduleTable.parse(List.of("1 2 3 1 fast"), "t.tsv"));
    }
}
