package dev.weightless.tasks;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The option values every GPU check reads through CheckFrame: a bad one is refused with a message naming the option. */
class CheckFrameTest {
    @Test
    void wholeNumbersInRangeAreRead() {
        String[] args = {"--gib", "4", "--runs", "20"};
        assertEquals(4, CheckFrame.intArgument(args, 1, 1, 4));
        assertEquals(20, CheckFrame.intArgument(args, 3, 20, 10_000));
    }

    @Test
    void badNumbersAreRefusedNamingTheOption() {
        assertMessage("--gib must be in 1..8, got 9", () -> CheckFrame.intArgument(new String[] {"--gib", "9"}, 1, 1, 8));
        assertMessage("--runs must be in 20..10000, got 19", () -> CheckFrame.intArgument(new String[] {"--runs", "19"}, 1, 20, 10_000));
        assertMessage("--gib needs a number, got two", () -> CheckFrame.intArgument(new String[] {"--gib", "two"}, 1, 1, 8));
        assertMessage("--gib needs a number, got 99999999999", () -> CheckFrame.intArgument(new String[] {"--gib", "99999999999"}, 1, 1, 8));
        assertMessage("--gib needs a value", () -> CheckFrame.intArgument(new String[] {"--gib"}, 1, 1, 8));
    }

    @Test
    void aMissingValueSaysWhatWasWanted() {
        assertEquals("x.raw", CheckFrame.argument(new String[] {"--tiled", "x.raw"}, 1, "a file"));
        assertMessage("--tiled needs a file", () -> CheckFrame.argument(new String[] {"--tiled"}, 1, "a file"));
    }

    private static void assertMessage(String expected, Runnable parse) {
        assertEquals(expected, assertThrows(IllegalArgumentException.class, parse::run).getMessage());
    }
}
