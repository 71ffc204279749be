package dev.weightless.tensorcore.gemm;

import dev.weightless.tasks.Device;
import dev.weightless.tensorcore.layout.LayoutSurvey;
import dev.weightless.tensorcore.layout.PaletteLayout;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * On a CUDA device: W transcoded on the device equals the CPU encoder byte for byte, and the resident
 * operator's products equal the BF16 kernel's bit for bit, from device memory and from a Weightless file.
 * Skipped, loudly, without one; GPU hosts without Maven run {@code ResidentCheck}.
 */
class ResidentGpuTest {
    @TempDir
    Path dir;

    @Test
    void transcodesOnTheDeviceAndMultiplies() throws IOException {
        Optional<String> absent = Device.whyUnavailable();
        if (absent.isPresent()) System.err.println("SKIPPING ResidentGpuTest: no CUDA device: " + absent.get());
        Assumptions.assumeTrue(absent.isEmpty(), () -> "no CUDA device: " + absent.orElse(""));
        List<String> problems = new ArrayList<>();
        try (Device device = Device.open(); Arena arena = Arena.ofShared()) {
            MemorySegment w = arena.allocate(256L * 1024 * 2, 16);
            LayoutSurvey.fillLlamaLike(w, 17);
            for (PaletteLayout.Coding coding : PaletteLayout.Coding.values()) problems.addAll(ResidentCheck.transcodeAndMultiply(device, w, 256, 1024, coding, 2, false));
            problems.addAll(ResidentCheck.throughFile(device, w, 256, 1024, dir));
        }
        assertEquals(List.of(), problems);
    }
}
