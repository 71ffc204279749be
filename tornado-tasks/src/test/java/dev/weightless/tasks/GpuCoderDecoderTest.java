package dev.weightless.tasks;

import dev.weightless.codec.MalformedInputException;
import dev.weightless.codec.coder.CodedTensor;
import dev.weightless.codec.coder.Coders;
import dev.weightless.tasks.check.CheckData;
import dev.weightless.tasks.codec.GpuCoderDecoder;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** GpuCoderDecoder's plan on the fake device (kernels on the JVM executor): values back, status checked, nothing written on failure. */
class GpuCoderDecoderTest {
    @Test
    void decodesThroughAPlanAndChecksTheStatus() {
        try (Arena arena = Arena.ofShared(); Device device = new Device(new FakeDriver())) {
            GpuCoderDecoder gpu = new GpuCoderDecoder(device, FakeDriver::compile);
            long n = 600; // rANS: one lane, 600 rows; palette: one partial chunk
            MemorySegment bf16 = arena.allocate(n * 2, 8);
            CheckData.fillSynthetic(bf16, 9);
            for (String name : List.of("rans", "rans-ctx", "palette")) {
                CodedTensor coded = Coders.byName(name).encode(bf16, arena);
                MemorySegment out = arena.allocate(n * 2, 8);
                gpu.decode(coded, out);
                assertEquals(-1, bf16.mismatch(out), name);
            }
            // A palette index that gives chunk 0 one escape too many: found from the kernel's status, the output untouched.
            MemorySegment big = arena.allocate(2 * 16_500L, 8);
            for (long i = 0; i < 16_500; i++) big.setAtIndex(ValueLayout.JAVA_SHORT, i, (short) ((i * 7 % 40) << 7));
            CodedTensor coded = Coders.byName("palette").encode(big, arena);
            coded.part(1).set(ValueLayout.JAVA_LONG_UNALIGNED, 8, coded.part(1).get(ValueLayout.JAVA_LONG_UNALIGNED, 8) + 1);
            MemorySegment out = arena.allocate(2 * 16_500L, 8);
            MalformedInputException e = assertThrows(MalformedInputException.class, () -> gpu.decode(coded, out));
            assertTrue(e.getMessage().contains("chunk 0"), e.getMessage());
            assertEquals(0, out.get(ValueLayout.JAVA_LONG, 0));
        }
    }
}
