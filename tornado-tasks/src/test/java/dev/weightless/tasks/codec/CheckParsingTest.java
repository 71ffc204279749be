package dev.weightless.tasks.codec;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The command lines of GpuCodecCheck and GpuCoderCheck, parsed on the CPU: each option's range and message. */
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

    private static void assertMessage(String expected, Runnable parse) {
        assertEquals(expected, assertThrows(IllegalArgumentException.class, parse::run).getMessage());
    }
}
