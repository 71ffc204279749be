package dev.weightless.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weightless.cli.Cli;
import dev.weightless.io.json.Json;
import dev.weightless.io.safetensors.SafetensorsFile;
import dev.weightless.io.safetensors.TensorInfo;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real model through the command line: compress, decompress, verify and inspect. */
class RealModelCliTest {
    @TempDir
    static Path dir;
    static Path original, compressed;

    @BeforeAll
    static void compress() throws Exception {
        original = Fixtures.realModel();
        compressed = dir.resolve("out.bin"); // any name works: no extension is required
        Cli.Result r = Cli.run("compress", original.toString(), "-o", compressed.toString(), "--quiet");
        assertEquals(0, r.exit(), r::toString);
        assertEquals("", r.err(), "--quiet prints nothing on stderr");
    }

    @Test
    void compressWithVerifyChecksTheRoundTripBeforeTheOutputAppears() throws Exception {
        Path checked = dir.resolve("checked.bin");
        Cli.Result r = Cli.run("compress", original.toString(), "-o", checked.toString(), "--verify", "--quiet");
        assertEquals(0, r.exit(), r::toString);
        assertEquals(Files.mismatch(compressed, checked), -1L, "--verify writes the same file");
    }

    @Test
    void decompressRestoresTheFileByteForByte() throws Exception {
        Path restored = dir.resolve("restored");
        Cli.Result r = Cli.run("decompress", compressed.toString(), "-o", restored.toString(), "--quiet");
        assertEquals(0, r.exit(), r::toString);
        assertEquals(-1, Files.mismatch(original, restored));
        assertEquals(List.of(), Fixtures.leftovers(dir));
    }

    @Test
    void verifyReportsBitExact() {
        Cli.Result r = Cli.run("verify", original.toString(), compressed.toString(), "--quiet");
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().contains("bit-exact"), r::toString);
        assertTrue(r.out().contains("101 tensors"), r::toString);
    }

    @Test
    void inspectJsonIsOneObjectWithTheTrueRatio() throws Exception {
        Cli.Result r = Cli.run("inspect", "--json", compressed.toString(), "--quiet");
        assertEquals(0, r.exit(), r::toString);
        assertEquals(1, r.out().lines().count(), "one JSON object on one line");
        Map<?, ?> root = assertInstanceOf(Map.class, Json.parse(r.out().strip().getBytes(StandardCharsets.UTF_8)));
        Map<?, ?> total = assertInstanceOf(Map.class, root.get("total"));
        double expected = (double) Files.size(compressed) / Files.size(original);
        double ratio = ((Number) total.get("ratio")).doubleValue();
        assertEquals(expected, ratio, 1e-12);
        assertTrue(ratio < 0.68, "ratio " + ratio);
        assertEquals(Files.size(original), total.get("original_bytes"));
        assertEquals(Files.size(compressed), total.get("compressed_bytes"));
        List<?> tensors = assertInstanceOf(List.class, root.get("tensors"));
        assertEquals(101, tensors.size());
        for (Object t : tensors) assertEquals("huffman", ((Map<?, ?>) t).get("codec"), t::toString);
    }

    @Test
    void inspectTableHasARowPerTensorAndTotals() throws Exception {
        Cli.Result r = Cli.run("inspect", compressed.toString(), "--quiet");
        assertEquals(0, r.exit(), r::toString);
        List<String> lines = r.out().lines().toList();
        try (SafetensorsFile f = SafetensorsFile.open(original)) {
            for (TensorInfo t : f.tensors()) {
                assertEquals(1, lines.stream().filter(l -> l.startsWith(t.name() + " ") && l.contains("huffman")).count(), t.name());
            }
        }
        String totals = lines.stream().filter(l -> l.startsWith("total:")).findFirst().orElseThrow(() -> new AssertionError(r));
        assertTrue(totals.contains("101 tensors"), totals);
        assertTrue(totals.contains(String.format(Locale.ROOT, "%,d", Files.size(original))), totals);
        assertTrue(totals.contains(String.format(Locale.ROOT, "%,d", Files.size(compressed))), totals);
    }
}
