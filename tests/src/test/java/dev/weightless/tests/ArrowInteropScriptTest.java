package dev.weightless.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weightless.cli.Cli;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs tests/arrow-interop/check_arrow.py (pyarrow and numpy, no Weightless code) on an exported sample:
 * names, shapes, the sign|mantissa plane joined with the exponent plane, and a full decode of the coded
 * exponents from the Arrow columns. Skipped, saying so, where python3 lacks pyarrow or numpy.
 */
class ArrowInteropScriptTest {
    private static final Path SCRIPT = Path.of(System.getProperty("basedir", "."), "arrow-interop", "check_arrow.py");

    @TempDir
    Path dir;

    @Test
    void pyarrowReadsTheExportAndNumpyRebuildsTheWeights() throws Exception {
        String why = pythonMissing();
        if (why != null) System.err.println("SKIPPED ArrowInteropScriptTest: " + why);
        Assumptions.assumeTrue(why == null, () -> "the Arrow interop script cannot run here: " + why);
        Path original = Fixtures.sample(dir), compressed = dir.resolve("s.wl"), arrow = dir.resolve("s.arrow"), restored = dir.resolve("s.restored");
        assertEquals(0, Cli.run("compress", original.toString(), "-o", compressed.toString(), "--quiet").exit());
        assertEquals(0, Cli.run("export-arrow", compressed.toString(), "-o", arrow.toString(), "--quiet").exit());
        assertEquals(0, Cli.run("decompress", compressed.toString(), "-o", restored.toString(), "--quiet").exit());
        Process p = new ProcessBuilder("python3", SCRIPT.toString(), arrow.toString(), restored.toString()).redirectErrorStream(true).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "check_arrow.py did not finish in 120 s");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        System.out.print(out);
        assertEquals(0, p.exitValue(), out);
        List<String> lines = out.lines().toList();
        assertTrue(lines.getLast().startsWith("PASS: ") && lines.getLast().contains(", 0 failed;"), out);
    }

    /** Why the script cannot run, or null. */
    private static String pythonMissing() throws InterruptedException {
        try {
            Process p = new ProcessBuilder("python3", "-c", "import pyarrow, numpy").redirectErrorStream(true).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "python3 -c 'import pyarrow, numpy' did not finish";
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            return p.exitValue() == 0 ? null : "python3 has no pyarrow or numpy (" + out.lines().reduce((a, b) -> b).orElse("") + ")";
        } catch (IOException e) {
            return "no python3 (" + e.getMessage() + ")";
        }
    }
}
