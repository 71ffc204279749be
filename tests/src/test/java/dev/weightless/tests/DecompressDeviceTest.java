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

/** decompress --device: cpu and auto always restore the file; gpu does too on a GPU host, and fails in one line without one. */
class DecompressDeviceTest {
    @TempDir Path dir;

    @Test
    void everyDeviceChoiceRestoresTheFileOrSaysWhyNot() throws IOException {
        Path plain = Fixtures.sample(dir);
        Path packed = dir.resolve("sample.weightless");
        Cli.Result c = Cli.run("compress", plain.toString(), "-o", packed.toString(), "-q");
        assertEquals(0, c.exit(), c::toString);
        boolean gpuHere = Device.whyUnavailable().isEmpty();

        for (String device : List.of("cpu", "auto", "gpu")) {
            Path restored = dir.resolve("restored-" + device);
            Cli.Result d = Cli.run("decompress", packed.toString(), "-o", restored.toString(), "--device", device);
            if (device.equals("gpu") && !gpuHere) {
                assertNotEquals(0, d.exit(), d::toString);
                assertEquals(1, d.errLines().size(), d::toString);
                assertTrue(d.errLines().getFirst().startsWith("weightless: --device gpu: no usable CUDA device: "), d::toString);
                assertFalse(Files.exists(restored));
                continue;
            }
            assertEquals(0, d.exit(), d::toString);
            assertEquals(-1, Files.mismatch(plain, restored), device);
            if (!device.equals("cpu")) {
                String expected = gpuHere ? "weightless: decoding on the GPU" : "weightless: decoding on the CPU (no GPU: ";
                assertTrue(d.err().contains(expected), d::toString);
            }
        }
        Cli.Result quiet = Cli.run("decompress", packed.toString(), "-o", dir.resolve("quiet").toString(), "-q");
        assertEquals(0, quiet.exit(), quiet::toString);
        assertEquals(List.of(), quiet.errLines());
    }
}
