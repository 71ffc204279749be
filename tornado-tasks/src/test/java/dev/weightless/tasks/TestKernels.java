package dev.weightless.tasks;

import dev.weightless.jit.kernel.IntArray;
import dev.weightless.jit.kernel.KernelContext;

/** Tiny kernels for plan tests: their effects show which copies happened. */
final class TestKernels {
    private TestKernels() {}

    static void addOne(KernelContext ctx, IntArray data) {
        if (ctx.globalIdx < data.size()) data.set(ctx.globalIdx, data.get(ctx.globalIdx) + 1);
    }

    static void scale(KernelContext ctx, IntArray in, IntArray out, int factor) {
        if (ctx.globalIdx < in.size()) out.set(ctx.globalIdx, in.get(ctx.globalIdx) * factor);
    }
}
