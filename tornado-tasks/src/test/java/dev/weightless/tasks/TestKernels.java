package dev.weightless.tasks;

import dev.weightless.jit.kernel.ByteArray;
import dev.weightless.jit.kernel.IntArray;
import dev.weightless.jit.kernel.KernelContext;
import dev.weightless.jit.kernel.ShortArray;
import dev.weightless.jit.kernel.TensorMap;

/** Tiny kernels for plan tests: their effects show which copies happened. */
final class TestKernels {
    private TestKernels() {}

    static void addOne(KernelContext ctx, IntArray data) {
        if (ctx.globalIdx < data.size()) data.set(ctx.globalIdx, data.get(ctx.globalIdx) + 1);
    }

    /** y[i] = element i of the tensor map's matrix (row-major), read through the map's array. */
    static void copyWords(KernelContext ctx, TensorMap x, ShortArray y) {
        ByteArray a = (ByteArray) x.array();
        if (ctx.globalIdx < y.size()) y.set(ctx.globalIdx, a.get(ctx.globalIdx));
    }

    static void copyMapped(KernelContext ctx, TensorMap x, ShortArray y) {
        ShortArray a = (ShortArray) x.array();
        if (ctx.globalIdx < y.size()) y.set(ctx.globalIdx, a.get(ctx.globalIdx));
    }

    static void scale(KernelContext ctx, IntArray in, IntArray out, int factor) {
        if (ctx.globalIdx < in.size()) out.set(ctx.globalIdx, in.get(ctx.globalIdx) * factor);
    }
}
