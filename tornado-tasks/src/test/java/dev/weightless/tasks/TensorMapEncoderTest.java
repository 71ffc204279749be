package dev.weightless.tasks;

import dev.weightless.jit.kernel.ShortArray;
import dev.weightless.jit.kernel.TensorMap;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;

import static dev.weightless.tasks.TaskGraphTest.assertContains;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** What the encoder refuses before it reaches the driver (the encoding itself needs a CUDA host: WgmmaCheck covers it there). */
class TensorMapEncoderTest {
    @Test
    void aMisalignedArrayIsRefusedNamingItsAddress() {
        try (Arena arena = Arena.ofConfined()) {
            TensorMap map = new TensorMap(ShortArray.allocate(arena, 64 * 4), 64, 4, 64, 4);
            assertContains(assertThrows(IllegalArgumentException.class, () -> TensorMapEncoder.encode(new TensorMapArgument(0x7000_0008L, map))),
                    "16-byte aligned device address, got 0x70000008");
        }
    }
}
