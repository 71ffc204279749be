package dev.weightless.jit.ptx;

import dev.weightless.jit.kernel.KernelMethod;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Every test kernel's PTX assembles with ptxas for sm_90a; without ptxas the tests are skipped, never passed. */
class PtxAssemblyTest {
    @TestFactory
    Stream<DynamicTest> ptxasAcceptsEveryKernel() {
        return TestKernels.all().stream().map(k -> DynamicTest.dynamicTest(k.name(), () -> assemble(k)));
    }

    private static void assemble(KernelMethod kernel) throws IOException, InterruptedException {
        Path ptxas = Ptxas.find().orElse(null);
        if (ptxas == null) {
            Assumptions.abort("ptxas not found: PTX not assembled; put the CUDA toolkit's bin on PATH or install it under /usr/local/cuda*");
        }
        PtxKernel compiled = PtxCompiler.compile(kernel);
        Path file = Files.createTempFile(compiled.entry(), ".ptx");
        try {
            Files.writeString(file, compiled.ptx());
            Process p = new ProcessBuilder(ptxas.toString(), "-arch=sm_90a", "-o", "/dev/null", file.toString()).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, p.waitFor(), () -> "ptxas rejected the PTX of " + kernel + ":\n" + output + "\n" + compiled.ptx());
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
