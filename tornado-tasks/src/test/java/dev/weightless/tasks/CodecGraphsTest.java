package dev.weightless.tasks;

import dev.weightless.codec.CodecOptions;
import dev.weightless.codec.EncodedTensor;
import dev.weightless.codec.HuffmanEncoder;
import dev.weightless.tasks.check.CheckData;
import dev.weightless.tasks.codec.DecodeInput;
import dev.weightless.tasks.codec.EncodeInput;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The codec's decode and encode graphs through plans on the fake device (kernels on the JVM executor): the plumbing GpuCodecCheck uses. */
class CodecGraphsTest {
    @Test
    void encodeThenDecodeThroughPlans() {
        try (Arena arena = Arena.ofShared(); Device device = new Device(new FakeDriver())) {
            long n = 2 * 32 * 1024 + 777;
            MemorySegment bf16 = arena.allocate(n * 2, 8);
            CheckData.fillSynthetic(bf16, 9);
            HuffmanEncoder.Plan cpuPlan = HuffmanEncoder.plan(bf16, CodecOptions.defaults());
            EncodedTensor cpu = cpuPlan.writeTo(arena);

            EncodeInput encode = EncodeInput.of(bf16, cpuPlan, arena);
            try (ExecutionPlan plan = new ExecutionPlan(device, FakeDriver::compile, List.of(encode.graph()))) {
                encode.withGrids(plan).execute();
                encode.payloadBytes().fill((byte) 0x77); // so that only the copy back can make it right
                plan.transferToHost(encode.outputs());
            }
            assertEquals(-1, cpu.index().bytes().mismatch(encode.index(arena)));
            assertEquals(-1, cpu.payload().bytes().mismatch(encode.payloadBytes()));
            assertEquals(-1, cpu.plane().bytes().mismatch(encode.planeBytes()));

            DecodeInput decode = DecodeInput.of(cpu, arena);
            try (ExecutionPlan plan = new ExecutionPlan(device, FakeDriver::compile, List.of(decode.graph()))) {
                plan.withGrid("decode.run", decode.grid()).execute();
                plan.transferToHost(decode.out());
            }
            assertEquals(-1, bf16.mismatch(decode.decoded()));
            assertTrue(decode.checksumMatches());
        }
    }
}
