package dev.weightless.tests;

import dev.weightless.cli.Cli;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** inspect --coders on a plain and a Weightless file: one row per coder and for zstd 3/19, the same sizes from both, and the bound. */
class InspectCodersTest {
    @TempDir
    static Path dir;
    static Path plain, compressed;
    private static final Pattern ROW = Pattern.compile("^(\\S+)\\s+([\\d,]+)\\s+([\\d.]+)%\\s+([\\d.]+)\\s+([\\d.e+-]+)\\s+([\\d.e+-]+)$", Pattern.MULTILINE);

    @BeforeAll
    static void files() throws Exception {
        plain = Fixtures.sample(dir);
        compressed = dir.resolve("sample.wl");
        Cli.Result r = Cli.run("compress", plain.toString(), "-o", compressed.toString(), "-q");
        assertEquals(0, r.exit(), r::toString);
    }

    private static List<String> rows(Cli.Result r) {
        assertEquals(0, r.exit(), r::toString);
        Matcher m = ROW.matcher(r.out());
        List<String> rows = new java.util.ArrayList<>();
        while (m.find()) {
            assertTrue(Double.parseDouble(m.group(5)) > 0 && Double.parseDouble(m.group(6)) > 0, m.group());
            rows.add(m.group(1) + " " + m.group(2));
        }
        return rows;
    }

    @Test
    void everyCoderAndZstdOnPlainAndCompressedFiles() {
        List<String> fromPlain = rows(Cli.run("inspect", "--coders", "all", "--rounds", "1", plain.toString(), "-q"));
        List<String> fromCompressed = rows(Cli.run("inspect", "--coders", "all", "--rounds", "1", compressed.toString(), "-q"));
        assertEquals(List.of("huffman", "rans", "rans-ctx", "palette", "zstd-3", "zstd-19"), fromPlain.stream().map(s -> s.split(" ")[0]).toList());
        // The Weightless file is decoded first, so every coder sees the same tensors and codes them to the same size.
        assertEquals(fromPlain, fromCompressed);
        Cli.Result r = Cli.run("inspect", "--coders", "rans-ctx", "--rounds", "1", plain.toString(), "-q");
        assertTrue(r.out().contains("exponent-only bound"), r::toString);
        assertEquals(3, rows(r).size(), r::toString); // rans-ctx, zstd-3, zstd-19
    }

    @Test
    void unknownCoderIsAUsageError() {
        Cli.Result r = Cli.run("inspect", "--coders", "lzma", plain.toString(), "-q");
        assertEquals(2, r.exit(), r::toString);
        assertTrue(r.err().contains("unknown coder 'lzma'") && r.err().contains("rans-ctx"), r::toString);
    }
}
