package dev.weightless.jit.ptx;

import dev.weightless.jit.samples.SampleKernels;

import dev.weightless.jit.kernel.ByteArray;
import dev.weightless.jit.kernel.FloatArray;
import dev.weightless.jit.kernel.IntArray;
import dev.weightless.jit.kernel.KernelContext;
import dev.weightless.jit.kernel.LongArray;
import dev.weightless.jit.kernel.ShortArray;

/**
 * Kernels covering what SampleKernels does not: control flow, long/float/double math, casts,
 * shifts, inlined helpers, every shared array type, atomics, shuffles and votes. Each has a golden
 * PTX file and a CPU reference in CompilerKernelsTest; the per-element logic sits in static helpers
 * that the compiler inlines and the references call directly.
 */
public final class CompilerKernels {
    private CompilerKernels() {}

    /** Loops with break and continue, nested ifs, while, do-while, a dense and a sparse switch. */
    public static void controlFlow(KernelContext ctx, IntArray in, IntArray out, int limit) {
        for (long i = ctx.globalIdx; i < in.size(); i += ctx.globalSize) out.set(i, branchy(in.get(i), limit));
    }

    static int branchy(int v, int limit) {
        int acc = 0;
        for (int k = 0; k < 64; k++) {
            if (k == limit) break;
            if ((k & 1) == 0) continue;
            if (v > 0) {
                if (v > 100) acc += k;
                else acc -= k;
            } else if (v < -100) {
                acc ^= k;
            } else {
                acc += 2 * k;
            }
        }
        int w = 0;
        while (v != 0 && w < 40) {
            v >>>= 1;
            w++;
        }
        do {
            acc++;
        } while (acc < 0 && acc > -3);
        switch (acc & 3) {
            case 0 -> acc += 10;
            case 1 -> acc -= 7;
            case 2 -> acc *= 3;
            default -> acc = ~acc;
        }
        switch (w) {
            case 1 -> acc += 1000;
            case 17 -> acc -= 1000;
            case 32 -> acc ^= 0x5555;
            default -> { }
        }
        return acc + w;
    }

    /** Long arithmetic: division, remainder, shifts by variable counts (masked to 0..63), rotations, bit counts, compares. */
    public static void longMath(KernelContext ctx, LongArray in, LongArray out, int shift, long offset) {
        for (long i = ctx.globalIdx; i < in.size(); i += ctx.globalSize) out.set(i, longOf(in.get(i), shift, i + offset));
    }

    static long longOf(long v, int shift, long i) {
        long d = v / (i + 1) + v % 7 - (v >> shift) + (v >>> (shift + 3)) + (v << -shift);
        d ^= Long.rotateLeft(v, shift) + Long.rotateRight(v, 3) + Long.bitCount(v) + Long.numberOfLeadingZeros(v) * 3L
                + Long.numberOfTrailingZeros(v) * 5L + Long.rotateLeft(v, 0) - Long.rotateRight(v, -shift);
        d += Math.max(v, d) - Math.min(v, -d) + Math.abs(v) + Long.reverse(v) + Long.min(d, 5) + Long.max(d, -5);
        d += Long.divideUnsigned(v, 10) + Long.remainderUnsigned(v, 10);
        if (v < d) d -= 1;
        else if (v == d) d = 0;
        long sign = v > 0 ? 1 : v < 0 ? -1 : 0;
        return d * 31 + sign + (int) v + (short) v + (byte) v + (char) v;
    }

    /** Float and double math with NaN-aware compares, min/max/abs, sqrt, fma, and every conversion. */
    public static void floatMath(KernelContext ctx, FloatArray in, FloatArray out, LongArray bits, float scale, double bias) {
        for (long i = ctx.globalIdx; i < in.size(); i += ctx.globalSize) {
            float x = in.get(i);
            out.set(i, floatOf(x, scale, bias));
            bits.set(i, conversions(x));
        }
    }

    static float floatOf(float x, float scale, double bias) {
        float y = x * scale + 1.5f;
        y = y / (x - 2f) - -x;
        if (x < y) y = Math.min(x, y) + Math.max(y, 0.25f);
        else if (x > 3f) y = Math.abs(y);
        if (x != x) y = 7f;
        if (x <= -1f || x >= 1e30f) y = -y;
        double d = x;
        d = d * 1.0000001 + Math.sqrt(Math.abs(d)) - Math.fma(d, 0.5, bias);
        d = Math.max(d, -1e300) / 3.0;
        if (d >= 2.0) d = Math.min(d, 1e10);
        else if (d < -2.0 || d != d) d = -d;
        return (float) d + Math.fma(x, y, 0.5f) + (Float.isNaN(y) ? 100f : 0f) + (Double.isNaN(d) ? 1f : 0f);
    }

    static long conversions(float x) {
        double d = x * 1e10;
        long l = (long) x + (long) d;
        int k = (int) x + (int) d;
        float back = (float) l + (float) k;
        double wide = (double) l + k + (double) back;
        return l * 31 + k + Float.floatToIntBits(back) + Double.doubleToLongBits(wide) + Float.floatToRawIntBits(x)
                + (long) Float.intBitsToFloat(k) + (long) Double.longBitsToDouble(l) + Double.doubleToLongBits(x);
    }

    /** Byte and short arrays (sign-extending loads, truncating stores), i2b/i2s/i2c, unsigned widening, int shifts by variable counts. */
    public static void narrow(KernelContext ctx, ByteArray bytes, ShortArray shorts, IntArray out, int shift, short bias) {
        for (long i = ctx.globalIdx; i < bytes.size(); i += ctx.globalSize) {
            byte b = bytes.get(i);
            short s = shorts.get(i);
            int v = b * 1000 + s + bias;
            bytes.set(i, (byte) (v >> 3));
            shorts.set(i, (short) (v * 7));
            out.set(i, narrowOf(v, b, s, shift));
        }
    }

    static int narrowOf(int v, byte b, short s, int shift) {
        char c = (char) v;
        return c + Byte.toUnsignedInt(b) + Short.toUnsignedInt(s) * 3 + (v << shift) + (v >> -shift) + (v >>> (shift + 40))
                + (int) (Integer.toUnsignedLong(v) >>> 1) + Integer.reverseBytes(v) + Integer.rotateRight(v, shift)
                + Integer.rotateLeft(v, -3) + Integer.divideUnsigned(v, 7) + Integer.remainderUnsigned(v, 7)
                + (byte) (v + 200) + (short) (v * 300) + Integer.numberOfTrailingZeros(v) + Math.abs(v - 5);
    }

    /** Inlined helpers: nested calls, early returns, a void helper that stores, helpers returning long and double. */
    public static void helpers(KernelContext ctx, IntArray in, IntArray out, LongArray wide) {
        long i = ctx.globalIdx;
        if (!inRange(i, in)) return;
        int v = in.get(i);
        store(out, i, clamp(square(v), -1000, 1000) + twice(v) + (int) half(v));
        wide.set(i, widen(v, 3) + widen(twice(v), 5));
    }

    static boolean inRange(long i, IntArray a) { return i < a.size(); }

    static int square(int v) { return v * v; }

    static int clamp(int v, int lo, int hi) {
        if (v < lo) return lo;
        if (v > hi) return hi;
        return v;
    }

    static int twice(int v) { return square(v) + v; }

    static double half(int v) { return v / 2.0; }

    static long widen(int v, int k) {
        long r = v;
        for (int j = 0; j < k; j++) r = r * 3 + j;
        return r;
    }

    static void store(IntArray a, long i, int v) { a.set(i, v); }

    /**
     * Shared arrays of every type, shared and global atomics, shuffles up, xor and by lane, and a vote;
     * blocks of at most 256 threads, a multiple of 32. Per block: {@code stats[4 * group ..]} gets
     * the count, max, min and a compare-and-swap result, {@code totals[lane]} the sum per lane.
     */
    public static void sharedAndWarp(KernelContext ctx, IntArray in, IntArray out, IntArray stats, LongArray totals) {
        long[] sums = ctx.sharedLongArray(32);
        float[] scaled = ctx.sharedFloatArray(256);
        short[] halves = ctx.sharedShortArray(256);
        byte[] flags = ctx.sharedByteArray(256);
        int[] block = ctx.sharedIntArray(4);
        int lane = ctx.laneId, local = ctx.localIdx;
        long i = ctx.globalIdx;
        int v = i < in.size() ? in.get(i) : 0;
        if (local < 32) sums[local] = 0;
        if (local == 0) resetBlock(block);
        ctx.barrier();
        scaled[local] = v * 0.25f;
        halves[local] = (short) (v >> 1);
        flags[local] = (byte) (v & 0x80 | 1);
        ctx.atomicAdd(block, 0, 1);
        ctx.atomicMax(block, 1, v);
        ctx.atomicMin(block, 2, v);
        ctx.atomicCas(block, 3, -1, 7);
        ctx.atomicAdd(sums, lane, (long) v);
        ctx.barrier();
        int up = ctx.shuffleUp(v, 1), across = ctx.shuffleXor(v, 16), first = ctx.shuffle(v, 0);
        boolean anyNegative = ctx.any(v < 0);
        int next = (local + 1) % ctx.localSize;
        int mixed = up + across * 3 + first * 5 + (anyNegative ? 1 : 0) + (int) scaled[next] + halves[next] + flags[next] + block.length;
        if (i < in.size()) out.set(i, mixed);
        if (local < 4) {
            int g = ctx.groupIdx * 4 + local;
            ctx.atomicExchange(stats, g, block[local]);
        }
        if (local < 32) ctx.atomicAdd(totals, local, sums[local]);
        ctx.atomicCas(stats, (long) ctx.groups * 4, 0, 1);
    }

    static void resetBlock(int[] block) {
        block[0] = 0;
        block[1] = Integer.MIN_VALUE;
        block[2] = Integer.MAX_VALUE;
        block[3] = -1;
    }

    /**
     * Edge cases where PTX and Java could part: float and double min/max on signed zeros and NaNs,
     * float-to-integer conversions of NaN, infinities and out-of-range values, and the one overflowing
     * division, {@code MIN_VALUE / -1} (divisors are never zero here: that is undefined on the GPU).
     */
    public static void edges(KernelContext ctx, FloatArray a, FloatArray b, IntArray n, IntArray d, FloatArray out, LongArray bits) {
        long i = ctx.globalIdx;
        if (i >= a.size()) return;
        float x = a.get(i), y = b.get(i);
        double dx = x * 1.5, dy = y;
        out.set(4 * i, Math.min(x, y));
        out.set(4 * i + 1, Math.max(x, y));
        out.set(4 * i + 2, (float) Math.min(dx, dy));
        out.set(4 * i + 3, (float) Math.max(dx, dy));
        int num = n.get(i), den = d.get(i);
        long wideNum = (long) num << 32 | num & 0xFFFFFFFFL;
        bits.set(8 * i, (int) x);
        bits.set(8 * i + 1, (long) x);
        bits.set(8 * i + 2, (int) dx);
        bits.set(8 * i + 3, (long) (dx * 1e10));
        bits.set(8 * i + 4, num / den);
        bits.set(8 * i + 5, num % den);
        bits.set(8 * i + 6, (num == Integer.MIN_VALUE ? Long.MIN_VALUE : wideNum) / den);
        bits.set(8 * i + 7, (num == Integer.MIN_VALUE ? Long.MIN_VALUE : wideNum) % den);
    }

    /** BF16 to float: the bits go to the high half of a float (the codec's decode step). */
    public static void widenBf16(KernelContext ctx, ShortArray bf16, FloatArray out) {
        long i = ctx.globalIdx;
        if (i < bf16.size()) out.set(i, Float.intBitsToFloat(bf16.get(i) << 16));
    }

    /**
     * Each lane reads what the lane one above it in its own warp stored, then (after the slot is overwritten)
     * what the lane five above stored: warp-level syncs only, so warps of a block never wait for each other.
     */
    public static void warpExchange(KernelContext ctx, IntArray in, IntArray out) {
        int[] slots = ctx.sharedIntArray(256);
        int local = ctx.localIdx, warp = local & ~31, lane = ctx.laneId;
        long i = ctx.globalIdx;
        slots[local] = i < in.size() ? in.get(i) : -1;
        ctx.syncWarp();
        int above = slots[warp | (lane + 1) & 31];
        ctx.syncWarp(); // every lane has read before any slot is overwritten
        slots[local] = above * 3 + 1;
        ctx.syncWarp();
        if (i < out.size()) out.set(i, slots[warp | (lane + 5) & 31]);
    }

    /** out[i] = in[i] loaded with the L2 fetch hints (128 and 256 bytes). */
    public static void lineLoads(KernelContext ctx, IntArray in, IntArray out) {
        long i = ctx.globalIdx;
        if (i < out.size()) {
            out.set(i, in.getL2Fetch(i, 128) + in.getL2Fetch(i, 256) - in.get(i) + 1);
        }
    }

    /** A streaming store (LongArray.setStreaming: st.global.cs). */
    public static void streamingStores(KernelContext ctx, IntArray in, LongArray out) {
        long i = ctx.globalIdx;
        if (i < out.size()) out.setStreaming(i, (long) in.get(i) << 20 | i);
    }
}
