package dev.weightless.tasks.check;

import dev.weightless.jit.kernel.IntArray;
import dev.weightless.jit.kernel.KernelContext;
import dev.weightless.jit.kernel.LongArray;
import dev.weightless.jit.kernel.ShortArray;

/**
 * The kernels GpuCheck runs on the GPU and on the JVM executor (copies of jit's test SampleKernels,
 * kept in main code so the bundle carries them). src/main/cuda/histogram.cu is exponentHistogram in
 * CUDA C, with the same parameters: keep the two in step.
 */
public final class CheckKernels {
    private CheckKernels() {}

    /** Exponent histogram of BF16 values, privatised in shared memory (the codec's first kernel). */
    public static void exponentHistogram(KernelContext ctx, ShortArray bf16, IntArray histogram) {
        int[] local = ctx.sharedIntArray(256);
        for (int i = ctx.localIdx; i < 256; i += ctx.localSize) local[i] = 0;
        ctx.barrier();
        for (long i = ctx.globalIdx; i < bf16.size(); i += ctx.globalSize) {
            ctx.atomicAdd(local, (bf16.get(i) >>> 7) & 0xFF, 1);
        }
        ctx.barrier();
        for (int i = ctx.localIdx; i < 256; i += ctx.localSize) {
            if (local[i] != 0) ctx.atomicAdd(histogram, i, local[i]);
        }
    }

    /** Sum of all values: a warp reduction with shuffles, then one atomic per warp. */
    public static void sum(KernelContext ctx, IntArray in, LongArray out) {
        long acc = 0;
        for (long i = ctx.globalIdx; i < in.size(); i += ctx.globalSize) acc += in.get(i);
        int hi = (int) (acc >>> 32), lo = (int) acc;
        for (int d = 16; d > 0; d >>= 1) {
            int otherLo = ctx.shuffleDown(lo, d), otherHi = ctx.shuffleDown(hi, d);
            long a = ((long) hi << 32) | (lo & 0xFFFFFFFFL), b = ((long) otherHi << 32) | (otherLo & 0xFFFFFFFFL);
            long s = a + b;
            hi = (int) (s >>> 32);
            lo = (int) s;
        }
        if (ctx.laneId == 0) ctx.atomicAdd(out, 0, ((long) hi << 32) | (lo & 0xFFFFFFFFL));
    }

    /** Inclusive prefix sum within each block (Hillis–Steele over shared memory, with barriers). */
    public static void blockScan(KernelContext ctx, IntArray data) {
        int[] s = ctx.sharedIntArray(1024);
        long i = ctx.globalIdx;
        s[ctx.localIdx] = i < data.size() ? data.get(i) : 0;
        ctx.barrier();
        for (int d = 1; d < ctx.localSize; d <<= 1) {
            int add = ctx.localIdx >= d ? s[ctx.localIdx - d] : 0;
            ctx.barrier();
            s[ctx.localIdx] += add;
            ctx.barrier();
        }
        if (i < data.size()) data.set(i, s[ctx.localIdx]);
    }

    /** Maximum and minimum with atomics, and votes: how many warps saw a negative value, and how many none. */
    public static void extremes(KernelContext ctx, IntArray in, IntArray out) {
        long i = ctx.globalIdx;
        boolean negative = false;
        if (i < in.size()) {
            int v = in.get(i);
            ctx.atomicMax(out, 0, v);
            ctx.atomicMin(out, 1, v);
            negative = v < 0;
        }
        // Warp votes are collective: every lane calls them, outside any lane-dependent branch.
        int votes = ctx.ballot(negative);
        boolean none = ctx.all(!negative);
        if (ctx.laneId == 0 && votes != 0) ctx.atomicAdd(out, 2, 1);
        if (ctx.laneId == 0 && none) ctx.atomicAdd(out, 3, 1);
    }
}
