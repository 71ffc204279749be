package dev.weightless.tests;

import dev.weightless.cli.Cli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/** Files written by earlier versions (src/test/resources/compat/README.md) still decompress to their originals, byte for byte. */
class CompatFilesTest {
    @TempDir
    Path dir;

    private Path resource(String name) throws IOException {
        try (InputStream in = CompatFilesTest.class.getResourceAsStream("/compat/" + name)) {
            assertNotNull(in, "missing test resource compat/" + name);
            Path p = dir.resolve(name);
            Files.copy(in, p);
            return p;
        }
    }

    @Test
    void format1FileRestoresItsOriginal() throws IOException {
        Path original = resource("format1-sample.safetensors"), compressed = resource("format1-sample.wl"), restored = dir.resolve("restored.safetensors");
        Cli.Result r = Cli.run("decompress", compressed.toString(), "-o", restored.toString(), "--device", "cpu", "-q");
        assertEquals(0, r.exit(), r::toString);
        assertArrayEquals(Files.readAllBytes(original), Files.readAllBytes(restored));
        Cli.Result v = Cli.run("verify", original.toString(), compressed.toString(), "-q");
        assertEquals(0, v.exit(), v::toString);
    }
}
