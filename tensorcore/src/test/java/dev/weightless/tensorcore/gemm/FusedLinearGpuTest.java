package dev.weightless.tensorcore.gemm;

import dev.weightless.tasks.Device;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * On a CUDA device: {@link SmallProductCheck}'s cases (poisoned Y fully written, palette kernel equal bit
 * for bit to the BF16 kernel, error against float64 under 1e-2). Skipped, loudly, without one. GPU hosts
 * without Maven run the same cases with {@code FusedGemmCheck --small}.
 */
class FusedLinearGpuTest {
    @Test
    void smallProductsOnTheDevice() {
        Optional<String> absent = Device.whyUnavailable();
        if (absent.isPresent()) System.err.println("SKIPPING FusedLinearGpuTest: no CUDA device: " + absent.get());
        Assumptions.assumeTrue(absent.isEmpty(), () -> "no CUDA device: " + absent.orElse(""));
        List<String> problems = new ArrayList<>();
        try (Device device = Device.open()) {
            for (int[] c : SmallProductCheck.CASES) problems.addAll(SmallProductCheck.run(device, c, 77));
        }
        assertEquals(List.of(), problems);
    }
}
