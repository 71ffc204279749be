package dev.weightless.tensorcore.gemm;

import dev.weightless.tasks.Device;
import dev.weightless.tensorcore.layout.PaletteLayout;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * On a CUDA device with sm_90a: {@link WgmmaCheck}'s small products with every tile (poisoned Y fully
 * written, palette and window codings equal bit for bit to BF16 mode, error against float64 under 1e-2; the TMA kernel
 * also split and persistent on 3 CTAs, and its cluster, half and wide forms for the window coding). Skipped, loudly,
 * without one. GPU hosts without Maven run the same cases at the start of {@code WgmmaCheck}.
 */
class WgmmaGpuTest {
    @Test
    void smallProductsOnTheDevice() {
        Optional<String> absent = Device.whyUnavailable();
        if (absent.isPresent()) System.err.println("SKIPPING WgmmaGpuTest: no CUDA device: " + absent.get());
        Assumptions.assumeTrue(absent.isEmpty(), () -> "no CUDA device: " + absent.orElse(""));
        List<String> problems = new ArrayList<>();
        try (Device device = Device.open()) {
            for (PaletteLayout.Coding coding : PaletteLayout.Coding.values()) {
                for (int[] c : WgmmaCheck.SMALL) {
                    for (FusedLinear.Schedule s : WgmmaCheck.smallSchedules(coding, c[0], c[1], new int[] {64, 128, 256})) {
                        problems.addAll(WgmmaCheck.small(device, c[0], c[1], c[2], c[3] != 0, s, coding, 91));
                    }
                }
            }
        }
        assertEquals(List.of(), problems);
    }
}
