package dev.weightless.jit.samples;

import dev.weightless.jit.kernel.FloatArray;
import dev.weightless.jit.kernel.IntArray;
import dev.weightless.jit.kernel.KernelContext;
import dev.weightless.jit.kernel.LongArray;
import dev.weightless.jit.kernel.ShortArray;

/**
 * Small kernels that exercise the compiler and the runtime: the jit tests run them on the JVM executor
 * against CPU references, GpuCheck runs them on a GPU against the JVM executor.
 */
public final class SampleKernels {
    private SampleKernels() {}

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

    /** Maximum and minimum with atomics, and a vote: how many warps saw a negative value. */
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

    /** Bit operations, casts, float math and a call to a helper (inlined when compiled). */
    public static void mix(KernelContext ctx, IntArray in, LongArray out, FloatArray f) {
        long i = ctx.globalIdx;
        if (i >= in.size()) return;
        int v = in.get(i);
        long r = Integer.bitCount(v) + 31L * Integer.numberOfLeadingZeros(v) + 1009L * Integer.numberOfTrailingZeros(v);
        r ^= Long.reverse((long) v) >>> 3;
        r += Math.max(v, 7) - Math.min(v >> 3, -5) + (v >>> 29) + rotate(v, 5);
        out.set(i, r);
        f.set(i, (float) v * 0.5f + (float) Math.abs(v % 13) / 3f);
    }

    /**
     * Float, double and long comparisons, one result bit each. Inputs with NaN, signed zeros and
     * infinities check that the compiled comparisons take NaN the way Java does (every ordered
     * comparison false, != true), including the negated forms javac compiles differently.
     */
    public static void compare(KernelContext ctx, FloatArray a, FloatArray b, LongArray x, IntArray out) {
        long i = ctx.globalIdx;
        if (i >= out.size()) return;
        float p = a.get(i), q = b.get(i);
        double dp = p, dq = (double) q * 0.75;
        long u = x.get(2 * i), v = x.get(2 * i + 1);
        int bits = 0;
        if (p < q) bits |= 1;
        if (p <= q) bits |= 1 << 1;
        if (p > q) bits |= 1 << 2;
        if (p >= q) bits |= 1 << 3;
        if (p == q) bits |= 1 << 4;
        if (p != q) bits |= 1 << 5;
        if (!(p < q)) bits |= 1 << 6;
        if (!(p >= q)) bits |= 1 << 7;
        if (dp < dq) bits |= 1 << 8;
        if (dp <= dq) bits |= 1 << 9;
        if (dp > dq) bits |= 1 << 10;
        if (dp >= dq) bits |= 1 << 11;
        if (dp == dq) bits |= 1 << 12;
        if (dp != dq) bits |= 1 << 13;
        if (u < v) bits |= 1 << 14;
        if (u <= v) bits |= 1 << 15;
        if (u > v) bits |= 1 << 16;
        if (u >= v) bits |= 1 << 17;
        if (u == v) bits |= 1 << 18;
        if (u != v) bits |= 1 << 19;
        if (u < 0) bits |= 1 << 20;
        if (p < 1.5f && u > v) bits |= 1 << 21;
        out.set(i, bits);
    }

    /**
     * Funnel shifts and byte permutes with any counts and selectors, inside counted loops of the shapes the
     * compiler unrolls (a shuffle loop halving its offset, a loop variable read after the loop, a falling
     * count, a continue, a count growing by shifts), next to a loop it keeps (its bound is not a constant).
     * Thread i reads in[2i] and in[2i + 1] and writes out[i]; every lane takes part in the shuffles.
     */
    public static void bitsAndLoops(KernelContext ctx, IntArray in, IntArray out) {
        long i = ctx.globalIdx;
        boolean live = i < out.size();
        int a = live ? in.get(2 * i) : 0, b = live ? in.get(2 * i + 1) : 0;
        int acc = 0;
        for (int d = 16; d > 0; d >>= 1) acc += ctx.shuffleXor(a, d) * d;
        if (live) out.set(i, bitsAndLoopsOf(a, b, acc));
    }

    /** The per-thread part of {@link #bitsAndLoops} after the shuffles ({@code acc} their sum). */
    public static int bitsAndLoopsOf(int a, int b, int acc) {
        int n;
        for (n = 0; n < 5; n++) acc ^= KernelContext.funnelShiftRight(a, b, n * 13 + b);
        acc += n;
        for (int k = 7; k >= 0; k -= 3) acc += KernelContext.bytePermute(a, b, (b >>> k) ^ k * 0x1111);
        for (int p = 0; p <= 12; p += 4) {
            if ((a >>> p & 1) == 0) continue;
            acc = Integer.rotateLeft(acc, p) ^ KernelContext.funnelShiftLeft(b, a, a >>> p);
        }
        for (int s = 1; s < 200; s <<= 2) acc += KernelContext.funnelShiftRightClamped(a, b, s + (b & 63) - 20);
        for (int m = 0; m < (b & 3); m++) acc = acc * 31 + KernelContext.bytePermute(acc, a, b >>> 8 * m);
        return acc;
    }

    /**
     * Shared arrays past the 48 KiB of static shared memory (104 KiB in all): a 32 KiB int array and an 8 KiB
     * short array are static; a 32 KiB int array, an 8,197-byte array and a 24 KiB long array (8-byte aligned
     * after it, at 40,968) go to dynamic shared memory. Every thread of a block of 256 fills its stripes of all
     * five, then reads other threads' entries after a barrier, by computed and by constant index; thread i
     * writes out[i].
     */
    public static void largeShared(KernelContext ctx, IntArray in, LongArray out) {
        int[] a = ctx.sharedIntArray(8192);       // static, 32 KiB
        int[] b = ctx.sharedIntArray(8192);       // dynamic at 0: 32 + 32 KiB would pass 48 KiB
        short[] c = ctx.sharedShortArray(4096);   // static: 40 KiB of static arrays
        byte[] d = ctx.sharedByteArray(8197);     // dynamic at 32,768
        long[] e = ctx.sharedLongArray(3072);     // dynamic at 40,968 (aligned up from 40,965)
        int t = ctx.localIdx;
        long i = ctx.globalIdx;
        int v = i < in.size() ? in.get(i) : t;
        for (int k = t; k < 8192; k += 256) {
            a[k] = v + k;
            b[k] = v ^ k;
        }
        for (int k = t; k < 4096; k += 256) c[k] = (short) (v - k);
        for (int k = t; k < 8197; k += 256) d[k] = (byte) (v ^ k);
        for (int k = t; k < 3072; k += 256) e[k] = (long) v * k;
        ctx.barrier();
        int j = (t * 37 + 11) & 8191, u = 255 - t;
        long r = a[j] + 3L * b[8191 - j] + c[(u * 13) & 4095] + d[(u * 29) % 8197] + e[(u * 7) % 3072];
        r += a[100] + b[8191] + c[4095] + d[8196] + e[3071]; // constant indexes: immediate offsets
        if (i < out.size()) out.set(i, r);
    }

    private static int rotate(int v, int k) { return Integer.rotateLeft(v, k) ^ (k > 3 ? v : -v); }
}
