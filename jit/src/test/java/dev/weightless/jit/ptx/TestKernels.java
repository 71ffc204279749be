package dev.weightless.jit.ptx;


import dev.weightless.jit.kernel.KernelMethod;
import dev.weightless.jit.samples.SampleKernels;

import java.util.List;

/** The kernels every compiler test runs over: all of SampleKernels and CompilerKernels. */
final class TestKernels {
    private TestKernels() {}

    static List<KernelMethod> all() {
        return List.of(
                KernelMethod.of(SampleKernels.class, "exponentHistogram"),
                KernelMethod.of(SampleKernels.class, "sum"),
                KernelMethod.of(SampleKernels.class, "blockScan"),
                KernelMethod.of(SampleKernels.class, "extremes"),
                KernelMethod.of(SampleKernels.class, "mix"),
                KernelMethod.of(SampleKernels.class, "compare"),
                KernelMethod.of(SampleKernels.class, "bitsAndLoops"),
                KernelMethod.of(SampleKernels.class, "largeShared"),
                KernelMethod.of(CompilerKernels.class, "controlFlow"),
                KernelMethod.of(CompilerKernels.class, "longMath"),
                KernelMethod.of(CompilerKernels.class, "floatMath"),
                KernelMethod.of(CompilerKernels.class, "narrow"),
                KernelMethod.of(CompilerKernels.class, "helpers"),
                KernelMethod.of(CompilerKernels.class, "sharedAndWarp"),
                KernelMethod.of(CompilerKernels.class, "edges"),
                KernelMethod.of(CompilerKernels.class, "widenBf16"),
                KernelMethod.of(CompilerKernels.class, "warpExchange"),
                KernelMethod.of(CompilerKernels.class, "lineLoads"));
    }
}
