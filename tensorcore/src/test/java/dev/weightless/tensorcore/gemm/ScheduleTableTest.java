package dev.weightless.tensorcore.gemm;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.*;

/** The measured-splits table: built from check results, looked up by shape and batch size, round-tripped as text. */
class ScheduleTableTest {
    private static String row(int m, int splits, double ms) {
        return "{\"n\":1024,\"k\":4096,\"m\":" + m + ",\"splits\":" + splits + ",\"palette_ms\":{\"median\":" + ms + ",\"min\":0.0}}";
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
    }

    @Test
    void theH200TableHoldsEveryBenchmarkedShapeAndBatch() {
        ScheduleTable h200 = ScheduleTable.h200();
        assertEquals(35, h200.size(), "5 Llama-3.1-8B shapes x 7 batch sizes");
        assertEquals(Optional.of(5), h200.splits(1024, 4096, 1));
        assertEquals(Optional.of(1), h200.splits(128256, 4096, 1));
    }

    @Test
    void malformedLinesNameTheLine() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ScheduleTable.parse(List.of("# c", "1 2 3"), "t.tsv"));
        assertTrue(e.getMessage().contains("t.tsv line 2"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ScheduleTable.parse(List.of("1 2 3 0"), "t.tsv"));
    }
}
