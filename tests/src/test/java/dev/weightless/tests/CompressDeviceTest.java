package dev.weightless.tests;

import dev.weightless.cli.Cli;
import dev.weightless.tasks.Device;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** compress --device: every choice writes the same file; gpu fails in one line, writing nothing, without a GPU. */
class CompressDeviceTest {
    @TempDir Path dir;

    @Test
    void everyDeviceChoiceWritesTheSameFileOrSaysWhyNot() throws IOException {
        Path plain = Fixtures.sample(dir);
        boolean gpuHere = Device.whyUnavailable().isEmpty();
        Path cpu = dir.resolve("cpu.weightless");
        for (String device : List.of("cpu", "auto", "gpu")) {
            Path packed = dir.resolve(device + ".weightless");
            Cli.Result c = Cli.run("compress", plain.toString(), "-o", packed.toString(), "--device", device);
            if (device.equals("gpu") && !gpuHere) {
                assertNotEquals(0, c.exit(), c::toString);
                assertEquals(1, c.errLines().size(), c::toString);
                assertTrue(c.errLines().getFirst().startsWith("weightless: --device gpu: no usable CUDA device: "), c::toString);
                assertFalse(Files.exists(packed));
                continue;
            }
            assertEquals(0, c.exit(), c::toString);
            assertEquals(-1, Files.mismatch(cpu, packed), device);
            if (!device.equals("cpu")) {
                String expected = gpuHere ? "weightless: encoding on the GPU" : "weightless: encoding on the CPU (no GPU: ";
                assertTrue(c.err().contains(expected), c::toString);
            }
        }
        Path restored = dir.resolve("restored");
        Cli.Result d = Cli.run("decompress", dir.resolve("auto.weightless").toString(), "-o", restored.toString(), "-q");
        assertEquals(0, d.exit(), d::toString);
        assertEquals(-1, Files.mismatch(plain, restored));
    }
}
