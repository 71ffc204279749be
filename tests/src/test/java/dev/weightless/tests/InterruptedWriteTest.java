package dev.weightless.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weightless.cli.Cli;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Writes stopped part-way, by the test hook (an exception after N tensors) or by killing the process
 * while it waits: nothing may appear under the output name, and the input must be untouched.
 */
class InterruptedWriteTest {
    private static final String HOOK = "weightless.test.interrupt";

    @TempDir
    static Path dir;
    static Path model, compressed, sharded, shardedCompressed;

    @BeforeAll
    static void inputs() throws Exception {
        model = Fixtures.realModel();
        compressed = dir.resolve("model.wl");
        sharded = Fixtures.shardedModel(dir.resolve("sharded"));
        shardedCompressed = dir.resolve("sharded.wl");
        assertEquals(0, Cli.run("compress", model.toString(), "-o", compressed.toString(), "-q").exit());
        assertEquals(0, Cli.run("compress", sharded.toString(), "-o", shardedCompressed.toString(), "-q").exit());
    }

    @Test
    void failedCompressLeavesNothing() throws Exception {
        assertFailsCleanly("compress", model, outputIn("fail-c"));
    }

    @Test
    void failedDecompressLeavesNothing() throws Exception {
        assertFailsCleanly("decompress", compressed, outputIn("fail-d"));
    }

    @Test
    void failedShardedCompressLeavesNoFolder() throws Exception {
        assertFailsCleanly("compress", sharded, outputIn("fail-sc"));
    }

    @Test
    void failedShardedDecompressLeavesNoFolder() throws Exception {
        assertFailsCleanly("decompress", shardedCompressed, outputIn("fail-sd"));
    }

    @Test
    void killedCompressLeavesNothingUnderTheName() throws Exception {
        assertKilledCleanly("compress", model, outputIn("killed-c"));
    }

    @Test
    void killedDecompressLeavesNothingUnderTheName() throws Exception {
        assertKilledCleanly("decompress", compressed, outputIn("killed-d"));
    }

    @Test
    void killedShardedCompressLeavesNoFolder() throws Exception {
        assertKilledCleanly("compress", sharded, outputIn("killed-sc"));
    }

    @Test
    void killedShardedDecompressLeavesNoFolder() throws Exception {
        assertKilledCleanly("decompress", shardedCompressed, outputIn("killed-sd"));
    }

    /** The output name in a fresh folder of its own, so that temporaries are looked for there alone. */
    private static Path outputIn(String folder) throws IOException {
        return Files.createDirectory(dir.resolve(folder)).resolve("out");
    }

    /** In-process: the hook throws after three tensors; the command fails and cleans up its temporary. */
    private static void assertFailsCleanly(String command, Path in, Path out) throws Exception {
        Map<String, String> before = Fixtures.hashes(in);
        Cli.Result r;
        System.setProperty(HOOK, "fail:3");
        try {
            r = Cli.run(command, in.toString(), "-o", out.toString(), "-q");
        } finally {
            System.clearProperty(HOOK);
        }
        assertNotEquals(0, r.exit(), r::toString);
        assertTrue(r.err().contains("interrupted"), r::toString);
        assertFalse(Files.exists(out), out + " exists after a failed " + command);
        assertEquals(List.of(), Fixtures.leftovers(out.getParent()), "temporaries left after a failed " + command);
        assertEquals(before, Fixtures.hashes(in), "the input changed");
    }

    /**
     * A child JVM pauses after five tensors (announcing it on stderr) and is killed there: the temporary
     * may stay, but never a file or folder under the output name.
     */
    private static void assertKilledCleanly(String command, Path in, Path out) throws Exception {
        Map<String, String> before = Fixtures.hashes(in);
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow", "--add-opens=java.base/java.nio=ALL-UNNAMED", "-D" + HOOK + "=pause:5",
                "-cp", System.getProperty("java.class.path"), "dev.weightless.cli.Main",
                command, in.toString(), "-o", out.toString(), "--quiet", "--threads", "1"));
        Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            CompletableFuture<String> paused = CompletableFuture.supplyAsync(() -> {
                try (BufferedReader err = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
                    StringBuilder seen = new StringBuilder();
                    for (String line; (line = err.readLine()) != null; ) {
                        seen.append(line).append('\n');
                        if (line.contains("paused")) return line;
                    }
                    return "exited before pausing:\n" + seen;
                } catch (IOException e) {
                    return e.toString();
                }
            });
            String line = paused.get(60, TimeUnit.SECONDS);
            assertTrue(line.contains("paused"), line);
            assertTrue(p.isAlive(), "the child must still be writing");
        } finally {
            p.destroyForcibly();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        }
        assertFalse(Files.exists(out), out + " exists after a killed " + command);
        assertFalse(Fixtures.leftovers(out.getParent()).isEmpty(), "the kill should have caught a temporary mid-write");
        assertEquals(before, Fixtures.hashes(in), "the input changed");
            }

}
