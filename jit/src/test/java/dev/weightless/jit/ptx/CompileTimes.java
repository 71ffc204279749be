package dev.weightless.jit.ptx;

import dev.weightless.jit.kernel.KernelMethod;

import java.util.Arrays;

/**
 * Prints compile times for NOTES.md: cold is the first compile in this JVM, warm the median of
 * later repeats. Run one JVM per kernel for per-kernel cold figures:
 * {@code java -cp target/classes:target/test-classes dev.weightless.jit.ptx.CompileTimes KERNEL_INDEX}.
 */
public final class CompileTimes {
    private CompileTimes() {}

    public static void main(String[] args) {
        KernelMethod kernel = TestKernels.all().get(Integer.parseInt(args[0]));
        long start = System.nanoTime();
        PtxKernel first = PtxCompiler.compile(kernel);
        long cold = System.nanoTime() - start;
        long[] warm = new long[3000];
        for (int i = 0; i < warm.length; i++) {
            long t = System.nanoTime();
            PtxCompiler.compile(kernel);
            warm[i] = System.nanoTime() - t;
        }
        Arrays.sort(warm);
        System.out.printf("%-34s %5d PTX lines  cold %6.1f ms  warm %6.3f ms%n", first.entry(), first.ptx().lines().count(), cold / 1e6, warm[warm.length / 2] / 1e6);
    }
}
