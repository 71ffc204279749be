package dev.weightless.jit.ptx;

import dev.weightless.jit.kernel.KernelMethod;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * The PTX of every test kernel against a snapshot in src/test/resources/golden/ENTRY.ptx; any
 * difference fails with a diff. {@code -Dweightless.updateGolden=true} rewrites the snapshots.
 */
class PtxGoldenTest {
    private static final Path GOLDEN = Path.of("src/test/resources/golden");
    private static final boolean UPDATE = Boolean.getBoolean("weightless.updateGolden");

    @TestFactory
    Stream<DynamicTest> ptxMatchesTheGoldenFiles() {
        return TestKernels.all().stream().map(k -> DynamicTest.dynamicTest(k.name(), () -> check(k)));
    }

    private static void check(KernelMethod kernel) throws IOException {
        PtxKernel compiled = PtxCompiler.compile(kernel);
        Path file = GOLDEN.resolve(compiled.entry() + ".ptx");
        if (UPDATE) {
            Files.createDirectories(GOLDEN);
            Files.writeString(file, compiled.ptx());
            return;
        }
        if (!Files.exists(file)) fail("no golden file " + file.toAbsolutePath() + "; run with -Dweightless.updateGolden=true to create it");
        String expected = Files.readString(file);
        if (!expected.equals(compiled.ptx())) {
            fail("PTX of " + kernel + " differs from " + file + " (- golden, + compiled; -Dweightless.updateGolden=true accepts the new text):\n"
                    + diff(expected.lines().toList(), compiled.ptx().lines().toList()));
        }
    }

    /** A line diff from a longest common subsequence, changed lines only, each with its line number. */
    static String diff(List<String> a, List<String> b) {
        int[][] lcs = new int[a.size() + 1][b.size() + 1];
        for (int i = a.size() - 1; i >= 0; i--) {
            for (int j = b.size() - 1; j >= 0; j--) {
                lcs[i][j] = a.get(i).equals(b.get(j)) ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
            }
        }
        List<String> out = new ArrayList<>();
        int i = 0, j = 0;
        while (i < a.size() || j < b.size()) {
            if (i < a.size() && j < b.size() && a.get(i).equals(b.get(j))) {
                i++;
                j++;
            } else if (j < b.size() && (i == a.size() || lcs[i][j + 1] >= lcs[i + 1][j])) {
                out.add(String.format("+%4d %s", j + 1, b.get(j++)));
            } else {
                out.add(String.format("-%4d %s", i + 1, a.get(i++)));
            }
        }
        return String.join("\n", out);
    }
}
