package dev.weightless.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weightless.cli.Cli;
import dev.weightless.io.safetensors.ShardedIndex;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Mistakes on the command line: each gives a non-zero exit and one clear line, and harms no file. */
class CliErrorsTest {
    @TempDir
    static Path dir;
    static Path plain, compressed;

    @BeforeAll
    static void files() throws Exception {
        plain = Fixtures.sample(dir);
        compressed = dir.resolve("sample.wl");
        Cli.Result r = Cli.run("compress", plain.toString(), "-o", compressed.toString(), "-q");
        assertEquals(0, r.exit(), r::toString);
    }

    @Test
    void missingInputIsNamed() {
        Path missing = dir.resolve("no-such-model.safetensors"), out = dir.resolve("never");
        for (String command : List.of("compress", "decompress", "inspect", "verify")) {
            Cli.Result r = switch (command) {
                case "verify" -> Cli.run("verify", plain.toString(), missing.toString(), "-q");
                case "inspect" -> Cli.run("inspect", missing.toString(), "-q");
                default -> Cli.run(command, missing.toString(), "-o", out.toString(), "-q");
            };
            assertNotEquals(0, r.exit(), r::toString);
            assertOneLine(r, missing.toString());
            assertFalse(Files.exists(out));
        }
    }

    @Test
    void existingOutputNeedsForce() throws Exception {
        Path out = dir.resolve("taken");
        Files.writeString(out, "not to be lost");
        Cli.Result r = Cli.run("compress", plain.toString(), "-o", out.toString(), "-q");
        assertNotEquals(0, r.exit(), r::toString);
        assertOneLine(r, out.toString());
        assertTrue(r.err().contains("--force"), r::toString);
        assertEquals("not to be lost", Files.readString(out));

        Cli.Result forced = Cli.run("compress", plain.toString(), "-o", out.toString(), "--force", "-q");
        assertEquals(0, forced.exit(), forced::toString);
        Cli.Result v = Cli.run("verify", plain.toString(), out.toString(), "-q");
        assertEquals(0, v.exit(), v::toString);

        Path restored = dir.resolve("restored");
        Files.writeString(restored, "old");
        assertNotEquals(0, Cli.run("decompress", out.toString(), "-o", restored.toString(), "-q").exit());
        assertEquals("old", Files.readString(restored));
        assertEquals(0, Cli.run("decompress", out.toString(), "-o", restored.toString(), "--force", "-q").exit());
        assertEquals(-1, Files.mismatch(plain, restored));
        assertEquals(List.of(), Fixtures.leftovers(dir));
    }

    @Test
    void outputEqualToInputIsRefusedEvenWithForce() throws Exception {
        String plainHash = Fixtures.sha256(plain), compressedHash = Fixtures.sha256(compressed);
        // The same file under another spelling must be caught too.
        Path sameAsPlain = dir.resolve(".").resolve(plain.getFileName());
        for (Path out : List.of(plain, sameAsPlain)) {
            Cli.Result r = Cli.run("compress", plain.toString(), "-o", out.toString(), "--force", "-q");
            assertNotEquals(0, r.exit(), r::toString);
            assertOneLine(r, "same as the input");
        }
        Cli.Result d = Cli.run("decompress", compressed.toString(), "-o", compressed.toString(), "--force", "-q");
        assertNotEquals(0, d.exit(), d::toString);
        assertOneLine(d, "same as the input");
        assertEquals(plainHash, Fixtures.sha256(plain));
        assertEquals(compressedHash, Fixtures.sha256(compressed));
        assertEquals(List.of(), Fixtures.leftovers(dir));
    }

    /**
     * An output folder that holds the input is the input too: --force would replace the folder, and with it
     * the model being read. Whether the input is given as its index or as a subfolder, it must be refused.
     */
    @Test
    void outputFolderHoldingTheInputIsRefusedEvenWithForce() throws Exception {
        Path model = Fixtures.smallShardedModel(dir.resolve("holder").resolve("model"));
        Map<String, String> before = Fixtures.hashes(dir.resolve("holder"));
        Path index = model.resolve(ShardedIndex.FILE_NAME);
        for (String[] args : List.of(new String[] {index.toString(), model.toString()}, new String[] {model.toString(), model.getParent().toString()})) {
            Cli.Result r = Cli.run("compress", args[0], "-o", args[1], "--force", "-q");
            assertNotEquals(0, r.exit(), r::toString);
            assertEquals(before, Fixtures.hashes(dir.resolve("holder")), "the input was replaced");
        }
    }

    @Test
    void compressWithoutOutputIsAUsageError() {
        Cli.Result r = Cli.run("compress", plain.toString());
        assertEquals(2, r.exit(), r::toString);
        assertTrue(r.err().contains("--output"), r::toString);
    }

    @Test
    void unknownCommandIsAUsageError() {
        Cli.Result r = Cli.run("squash", plain.toString());
        assertEquals(2, r.exit(), r::toString);
        assertTrue(r.err().contains("squash"), r::toString);
    }

    @Test
    void noCommandIsAUsageError() {
        Cli.Result r = Cli.run();
        assertEquals(2, r.exit(), r::toString);
    }

    @Test
    void threadsMustBePositive() {
        for (String command : List.of("compress", "decompress")) {
            Path out = dir.resolve("threads-" + command);
            Path in = command.equals("compress") ? plain : compressed;
            Cli.Result r = Cli.run(command, in.toString(), "-o", out.toString(), "--threads", "0", "-q");
            assertNotEquals(0, r.exit(), r::toString);
            assertOneLine(r, "--threads");
            assertFalse(Files.exists(out));
        }
        Cli.Result v = Cli.run("verify", plain.toString(), compressed.toString(), "-t", "-2", "-q");
        assertNotEquals(0, v.exit(), v::toString);
        assertOneLine(v, "--threads");
    }

    @Test
    void plainSafetensorsIsNotAWeightlessFile() throws Exception {
        Path out = dir.resolve("not-restored");
        Cli.Result r = Cli.run("decompress", plain.toString(), "-o", out.toString(), "-q");
        assertEquals(3, r.exit(), r::toString);
        assertOneLine(r, "not a Weightless file");
        assertTrue(r.err().contains(plain.toString()), r::toString);
        assertFalse(Files.exists(out));
        assertEquals(List.of(), Fixtures.leftovers(dir));
    }

    @Test
    void verboseAddsTheStackTrace() {
        Path out = dir.resolve("verbose-out");
        Cli.Result quiet = Cli.run("decompress", plain.toString(), "-o", out.toString(), "-q");
        assertOneLine(quiet, "not a Weightless file");
        Cli.Result verbose = Cli.run("decompress", plain.toString(), "-o", out.toString(), "-q", "--verbose");
        assertEquals(quiet.exit(), verbose.exit());
        assertEquals(quiet.errLines().getFirst(), verbose.errLines().getFirst(), "the same first line");
        assertTrue(verbose.err().contains("\tat dev.weightless."), verbose::toString);
        assertTrue(verbose.err().contains("MalformedInputException"), verbose::toString);
    }

    /** Exactly one non-blank stderr line, prefixed and naming {@code expected}; no stack trace. */
    private static void assertOneLine(Cli.Result r, String expected) {
        List<String> lines = r.errLines();
        assertEquals(1, lines.size(), r::toString);
        assertTrue(lines.getFirst().startsWith("weightless: ") && lines.getFirst().contains(expected), r::toString);
        assertFalse(r.err().contains("\tat "), r::toString);
    }
}
