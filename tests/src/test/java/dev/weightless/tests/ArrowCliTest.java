package dev.weightless.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weightless.cli.Cli;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * export-arrow, import-arrow and inspect --arrow through the command, on the small real sample (Huffman,
 * raw and passthrough tensors), and damaged Arrow files: refused with exit 3 and one line naming the
 * file, or, where the damage lies inside stored bytes, caught by decompress's checksums.
 */
class ArrowCliTest {
    @TempDir
    static Path dir;
    static Path original, compressed, arrow;

    @BeforeAll
    static void export() throws IOException {
        original = Fixtures.sample(dir);
        compressed = dir.resolve("sample.wl");
        arrow = dir.resolve("sample.arrow");
        Cli.Result c = Cli.run("compress", original.toString(), "-o", compressed.toString(), "--quiet", "--threads", "2");
        assertEquals(0, c.exit(), c.toString());
        Cli.Result e = Cli.run("export-arrow", compressed.toString(), "-o", arrow.toString(), "--quiet");
        assertEquals(0, e.exit(), e.toString());
        assertTrue(e.out().contains("tensors as Arrow record batches"), e.out());
    }

    @Test
    void importThenDecompressRestoresTheOriginal() {
        Path back = dir.resolve("back.wl"), restored = dir.resolve("restored.safetensors");
        Cli.Result i = Cli.run("import-arrow", arrow.toString(), "-o", back.toString());
        assertEquals(0, i.exit(), i.toString());
        assertEquals(-1, mismatch(compressed, back));
        Cli.Result d = Cli.run("decompress", back.toString(), "-o", restored.toString(), "--quiet");
        assertEquals(0, d.exit(), d.toString());
        assertEquals(-1, mismatch(original, restored));
    }

    @Test
    void inspectWritesTheTableAsArrowToo() throws IOException {
        Path stats = dir.resolve("stats.arrow");
        Cli.Result r = Cli.run("inspect", compressed.toString(), "--arrow", stats.toString());
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("ratio"), r.out());
        byte[] head = Arrays.copyOf(Files.readAllBytes(stats), 6);
        assertEquals("ARROW1", new String(head, java.nio.charset.StandardCharsets.US_ASCII));
        Cli.Result again = Cli.run("inspect", compressed.toString(), "--arrow", stats.toString());
        assertEquals(2, again.exit(), "an existing output needs --force: " + again);
    }

    @Test
    void exportRefusesToOverwriteItsInput() {
        Cli.Result r = Cli.run("export-arrow", compressed.toString(), "-o", compressed.toString(), "--force", "--quiet");
        assertEquals(2, r.exit(), r.toString());
        assertEquals(-1, mismatch(compressed, compressed));
    }

    @Test
    void damagedArrowFilesAreRefusedOrCaughtByChecksums() throws IOException {
        byte[] good = Files.readAllBytes(arrow);
        SplittableRandom random = new SplittableRandom(7);
        int refused = 0, caught = 0, exact = 0;
        for (int v = 0; v < 20; v++) {
            byte[] bad;
            if (v < 8) {
                bad = Arrays.copyOf(good, (int) ((long) good.length * v / 8)); // truncated
            } else {
                bad = good.clone();
                for (int k = 0; k < 1 + v % 3; k++) bad[random.nextInt(bad.length)] ^= (byte) (1 << random.nextInt(8));
            }
            Path in = dir.resolve("bad" + v + ".arrow"), out = dir.resolve("bad" + v + ".wl"), restored = dir.resolve("bad" + v + ".safetensors");
            Files.write(in, bad);
            Cli.Result i = Cli.run("import-arrow", in.toString(), "-o", out.toString());
            if (i.exit() != 0) {
                assertEquals(3, i.exit(), "variant " + v + ": " + i);
                assertEquals(1, i.errLines().size(), i.toString());
                assertTrue(i.errLines().getFirst().startsWith("weightless: " + in), i.toString());
                assertFalse(Files.exists(out));
                refused++;
                continue;
            }
            Cli.Result d = Cli.run("decompress", out.toString(), "-o", restored.toString(), "--quiet");
            if (d.exit() == 0) {
                assertEquals(-1, mismatch(original, restored), "variant " + v + " decoded to something else");
                exact++;
            } else {
                assertEquals(3, d.exit(), "variant " + v + ": " + d);
                caught++;
            }
        }
        assertTrue(refused >= 8, "every truncation must be refused; refused " + refused);
        System.out.printf("damaged Arrow files: %d refused by import-arrow, %d caught by decompress, %d restored exactly%n", refused, caught, exact);
    }

    private static long mismatch(Path a, Path b) {
        try {
            return Files.mismatch(a, b);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
