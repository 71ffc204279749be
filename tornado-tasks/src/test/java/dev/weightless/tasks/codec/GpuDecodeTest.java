package dev.weightless.tasks.codec;

import dev.weightless.codec.CodecOptions;
import dev.weightless.codec.EncodedTensor;
import dev.weightless.codec.HuffmanEncoder;
import dev.weightless.tasks.Device;
import dev.weightless.tasks.ExecutionPlan;
import dev.weightless.tasks.check.CheckData;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** On a real GPU: the compiled decode kernel and its CUDA-C yardstick against the input. Skipped, loudly, without one. */
class GpuDecodeTest {
    @Test
    void bothDecodersGiveBackTheInput() throws IOException {
        Optional<String> absent = Device.whyUnavailable();
        if (absent.isPresent()) System.err.println("SKIPPING GpuDecodeTest: no CUDA device: " + absent.get());
        Assumptions.assumeTrue(absent.isEmpty(), () -> "no CUDA device: " + absent.get());
        try (Arena arena = Arena.ofShared(); Device device = Device.open()) {
            long n = 3 * 32 * 1024 + 12_345; // a partial last group and chunk
            MemorySegment bf16 = arena.allocate(n * 2, 8);
            CheckData.fillSynthetic(bf16, 3);
            EncodedTensor tensor = HuffmanEncoder.plan(bf16, CodecOptions.defaults()).writeTo(arena);
            DecodeInput input = DecodeInput.of(tensor, arena);
            var compiled = GpuCodecCheck.yardstick(null);
            for (boolean yardstick : List.of(false, true)) {
                input.out().segment().fill((byte) 0x5A);
                try (ExecutionPlan plan = yardstick ? new ExecutionPlan(device, m -> compiled, List.of(input.graph())) : new ExecutionPlan(device, input.graph())) {
                    plan.withGrid("decode.run", input.grid()).execute();
                    plan.transferToHost(input.out());
                }
                assertEquals(-1, bf16.mismatch(input.decoded()), yardstick ? "CUDA C" : "Java kernel");
                assertTrue(input.checksumMatches());
            }
        }
    }
}
