package dev.weightless.tasks.codec;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The command lines of GpuCodecCheck, GpuCoderCheck and ModelLoadCheck, parsed on the CPU: each option's range and message. */
class CheckParsingTest {
    @Test
    void gpuCodecCheckRanges() {
        var o = GpuCodecCheck.parse(new String[] {"--gib", "8", "--runs", "20", "--blocks-per-sm", "0", "--no-encoder", "--kernel", "a,b"});
        assertEquals(new GpuCodecCheck.Options(8, 20, true, List.of(), List.of("a", "b"), 0, false), o);
        assertMessage("--gib must be in 1..8, got 9", () -> GpuCodecCheck.parse(new String[] {"--gib", "9"}));
        assertMessage("--runs must be in 20..10000, got 5", () -> GpuCodecCheck.parse(new String[] {"--runs", "5"}));
        assertMessage("--blocks-per-sm must be in 0..64, got 65", () -> GpuCodecCheck.parse(new String[] {"--blocks-per-sm", "65"}));
        assertMessage("--yardstick needs a file", () -> GpuCodecCheck.parse(new String[] {"--yardstick"}));
        assertMessage("--kernel needs a method name", () -> GpuCodecCheck.parse(new String[] {"--kernel"}));
        assertMessage("unknown argument --gibs", () -> GpuCodecCheck.parse(new String[] {"--gibs", "1"}));
    }

    @Test
    void gpuCoderCheckRanges() {
        var o = GpuCoderCheck.parse(new String[] {"--gib", "4", "--runs", "5", "--tiled", "x.raw", "--coders", "rans,palette", "--kernel", "decode"});
        assertEquals(new GpuCoderCheck.Options(4, 5, Path.of("x.raw"), List.of("rans", "palette"), List.of("decode")), o);
        assertMessage("--gib must be in 1..4, got 5", () -> GpuCoderCheck.parse(new String[] {"--gib", "5"}));
        assertMessage("--runs must be in 5..10000, got 4", () -> GpuCoderCheck.parse(new String[] {"--runs", "4"}));
        assertMessage("--runs needs a number, got many", () -> GpuCoderCheck.parse(new String[] {"--runs", "many"}));
        assertMessage("--tiled needs a file", () -> GpuCoderCheck.parse(new String[] {"--tiled"}));
        assertMessage("--coders needs a list", () -> GpuCoderCheck.parse(new String[] {"--coders"}));
        assertMessage("no GPU decoder for coder huffman", () -> GpuCoderCheck.parse(new String[] {"--coders", "rans,huffman"}));
    }

    @Test
    void modelLoadCheckOptions() {
        var o = ModelLoadCheck.parse(new String[] {"--synthetic-llama", "0.5", "--coder", "rans-ctx", "--verify"});
        assertEquals(0.5, o.gib());
        assertEquals("rans-ctx", o.coder());
        assertMessage("--synthetic-llama needs GIB", () -> ModelLoadCheck.parse(new String[] {"--synthetic-llama"}));
        assertMessage("--synthetic-llama needs a number of GiB, got lots", () -> ModelLoadCheck.parse(new String[] {"--synthetic-llama", "lots"}));
        assertMessage("--synthetic-llama GIB must be 0.03..64, got 65", () -> ModelLoadCheck.parse(new String[] {"--synthetic-llama", "65"}));
        assertMessage("--coder needs a coder name", () -> ModelLoadCheck.parse(new String[] {"model.wl", "--coder"}));
        assertMessage("name a file or --synthetic-llama GIB, not both", () -> ModelLoadCheck.parse(new String[] {"model.wl", "--synthetic-llama", "1"}));
    }

    private static void assertMessage(String expected, Runnable parse) {
        assertEquals(expected, assertThrows(IllegalArgumentException.class, parse::run).getMessage());
    }
}
