package dev.weightless.jit.ptx;

import dev.weightless.jit.kernel.FloatArray;
import dev.weightless.jit.kernel.IntArray;
import dev.weightless.jit.kernel.KernelContext;

import java.util.function.IntUnaryOperator;

/** One small kernel per construct the compiler refuses (see PtxRefusalTest). */
@SuppressWarnings({"unused", "StringBufferReplaceableByString"})
final class RefusedKernels {
    private RefusedKernels() {}

    static int counter;

    static void allocatesObject(KernelContext ctx, IntArray out) {
        StringBuilder s = new StringBuilder();
        out.set(0, s.length());
    }

    static void allocatesArray(KernelContext ctx, IntArray out) {
        int[] a = new int[4];
        out.set(0, a[ctx.localIdx]);
    }

    static void multiDimensional(KernelContext ctx, IntArray out) {
        int[][] a = new int[2][3];
        out.set(0, a[1][2]);
    }

    static void concatenates(KernelContext ctx, IntArray out) {
        String s = "lane " + ctx.laneId;
        out.set(0, s.length());
    }

    static void usesLambda(KernelContext ctx, IntArray out) {
        IntUnaryOperator f = x -> x + 1;
        out.set(0, f.applyAsInt(ctx.localIdx));
    }

    static void throwsException(KernelContext ctx, IntArray out) {
        if (ctx.localIdx > 1024) throw new IllegalStateException("too many threads");
        out.set(0, 1);
    }

    static void catchesException(KernelContext ctx, IntArray out) {
        try {
            out.set(ctx.globalIdx, 1);
        } catch (IndexOutOfBoundsException e) {
            out.set(0, -1);
        }
    }

    static void synchronizes(KernelContext ctx, IntArray out) {
        synchronized (out) {
            out.set(0, 1);
        }
    }

    static void testsType(KernelContext ctx, IntArray out) {
        Object o = out;
        if (o instanceof IntArray) out.set(0, 1);
    }

    static void castsType(KernelContext ctx, IntArray out) {
        Object o = out;
        IntArray back = (IntArray) o;
        back.set(0, 1);
    }

    static void readsStaticField(KernelContext ctx, IntArray out) {
        out.set(0, counter);
    }

    /** The refused read sits in a counted loop the compiler unrolls: the report must name the original index. */
    static void readsStaticFieldInUnrolledLoop(KernelContext ctx, IntArray out) {
        int sum = 0;
        for (int k = 0; k < 4; k++) sum += k * counter;
        out.set(0, sum);
    }

    static void writesStaticField(KernelContext ctx, IntArray out) {
        counter = ctx.localIdx;
    }

    static void callsHostMethod(KernelContext ctx, IntArray out) {
        out.set(0, (int) out.segment().byteSize());
    }

    static void callsObjectMethod(KernelContext ctx, IntArray out) {
        out.set(0, out.hashCode());
    }

    static void callsLibrary(KernelContext ctx, FloatArray out) {
        out.set(0, (float) Math.sin(ctx.localIdx));
    }

    static void recurses(KernelContext ctx, IntArray out) {
        out.set(0, factorial(ctx.localIdx));
    }

    static int factorial(int n) { return n <= 1 ? 1 : n * factorial(n - 1); }

    static void sharedLengthNotConstant(KernelContext ctx, IntArray out, int n) {
        int[] s = ctx.sharedIntArray(n);
        out.set(0, s[0]);
    }

    static void sharedInLoop(KernelContext ctx, IntArray out) {
        for (int k = 0; k < 2; k++) {
            int[] s = ctx.sharedIntArray(16);
            out.set(k, s[k]);
        }
    }

    static void sharedTooLarge(KernelContext ctx, IntArray out) {
        long[] s = ctx.sharedLongArray(30_000); // 240,000 bytes: past the 227 KiB a block may have
        out.set(0, (int) s[0]);
    }

    static void heapArrayParameter(KernelContext ctx, int[] values) {
        values[0] = 1;
    }

    static void floatRemainder(KernelContext ctx, FloatArray out, float d) {
        out.set(0, out.get(0) % d);
    }

    static void nullReference(KernelContext ctx, IntArray out) {
        IntArray none = null;
        out.set(0, 1);
    }

    static void comparesReferences(KernelContext ctx, IntArray a, IntArray b) {
        if (a == b) a.set(0, 1);
    }

    static void choosesArrayAtRunTime(KernelContext ctx, IntArray a, IntArray b) {
        IntArray target = ctx.localIdx == 0 ? a : b;
        target.set(0, 1);
    }

    static void stringConstant(KernelContext ctx, IntArray out) {
        out.set(0, "abc".length());
    }

    static void helperReturnsReference(KernelContext ctx, IntArray a) {
        pick(a).set(0, 1);
    }

    static IntArray pick(IntArray a) { return a; }

    static void synchronizedHelper(KernelContext ctx, IntArray out) {
        out.set(0, locked(1));
    }

    static synchronized int locked(int v) { return v + 1; }

    /** Refused inside an inlined helper: the exception names the helper and its bytecode index. */
    static void helperAllocates(KernelContext ctx, IntArray out) {
        out.set(0, allocating(ctx.localIdx));
    }

    static int allocating(int v) { return new int[] {v}[0]; }

    static void l2FetchSizeNotConstant(KernelContext ctx, IntArray out, int bytes) {
        out.set(0, out.getL2Fetch(0, bytes));
    }

    static void l2FetchSizeNotAllowed(KernelContext ctx, IntArray out) {
        out.set(0, out.getL2Fetch(0, 32));
    }

    /** Not a kernel at all: KernelMethod already refuses instance methods. */
    void instanceKernel(KernelContext ctx, IntArray out) {
        out.set(0, 1);
    }
}
