package dev.weightless.tasks.codec;

import dev.weightless.codec.coder.CodedTensor;
import dev.weightless.codec.coder.Coders;
import dev.weightless.tasks.Device;
import dev.weightless.tasks.check.CheckData;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** On a real GPU: the compiled rans, rans-ctx and palette decoders give back the input. Skipped, loudly, without one. */
class GpuCoderDecodeTest {
    @Test
    void everyCoderGivesBackTheInput() {
        Optional<String> absent = Device.whyUnavailable();
        if (absent.isPresent()) System.err.println("SKIPPING GpuCoderDecodeTest: no CUDA device: " + absent.get());
        Assumptions.assumeTrue(absent.isEmpty(), () -> "no CUDA device: " + absent.get());
        try (Arena arena = Arena.ofShared(); Device device = Device.open()) {
            long n = 3 * (1 << 18) + 12_345; // three whole rANS chunks and a partial one; 48 palette chunks and a partial one
            MemorySegment bf16 = arena.allocate(n * 2, 8);
            CheckData.fillSynthetic(bf16, 3);
            GpuCoderDecoder gpu = new GpuCoderDecoder(device);
            for (String name : List.of("rans", "rans-ctx", "palette")) {
                CodedTensor coded = Coders.byName(name).encode(bf16, arena);
                MemorySegment out = arena.allocate(n * 2, 8);
                gpu.decode(coded, out);
                assertEquals(-1, bf16.mismatch(out), name);
            }
        }
    }
}
