package dev.weightless.jit.ptx;

import dev.weightless.jit.kernel.ByteArray;
import dev.weightless.jit.kernel.FloatArray;
import dev.weightless.jit.kernel.Grid;
import dev.weightless.jit.kernel.IntArray;
import dev.weightless.jit.kernel.JvmExecutor;
import dev.weightless.jit.kernel.KernelMethod;
import dev.weightless.jit.kernel.LongArray;
import dev.weightless.jit.kernel.ShortArray;
import dev.weightless.jit.samples.SampleKernels;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CompilerKernels on the JVM executor against plain CPU loops: the reference the compiled PTX must
 * match on the GPU. Inputs mix random values with the edge cases (0, -1, extremes, NaN, infinities).
 */
class CompilerKernelsTest {
    private static final SplittableRandom RANDOM = new SplittableRandom(11);
    private static final int[] INT_EDGES = {0, 1, -1, 100, 101, -100, -101, Integer.MIN_VALUE, Integer.MAX_VALUE, 1 << 17, 0x80};
    private static final long[] LONG_EDGES = {0, 1, -1, 7, -7, Long.MIN_VALUE, Long.MAX_VALUE, 1L << 40, Integer.MIN_VALUE};
    private static final float[] FLOAT_EDGES = {0f, -0f, 1f, -1f, 2f, 3.5f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
            Float.MIN_VALUE, -Float.MIN_VALUE, Float.MAX_VALUE, 1e30f, 3e9f, -3e9f, 1e20f, Float.intBitsToFloat(0x7fc00001)};

    private static int intAt(int i) { return i < INT_EDGES.length ? INT_EDGES[i] : RANDOM.nextInt(); }

    @Test
    void controlFlow() {
        try (Arena arena = Arena.ofShared()) {
            int n = 2000, limit = 41;
            IntArray in = IntArray.allocate(arena, n), out = IntArray.allocate(arena, n);
            for (int i = 0; i < n; i++) in.set(i, i % 3 == 0 ? RANDOM.nextInt(-300, 300) : intAt(i));
            JvmExecutor.run(KernelMethod.of(CompilerKernels.class, "controlFlow"), new Grid(3, 64), in, out, limit);
            for (int i = 0; i < n; i++) assertEquals(CompilerKernels.branchy(in.get(i), limit), out.get(i), "index " + i);
        }
    }

    @Test
    void longMath() {
        try (Arena arena = Arena.ofShared()) {
            int n = 1500, shift = 13;
            long offset = 5;
            LongArray in = LongArray.allocate(arena, n), out = LongArray.allocate(arena, n);
            for (int i = 0; i < n; i++) in.set(i, i < LONG_EDGES.length ? LONG_EDGES[i] : RANDOM.nextLong());
            JvmExecutor.run(KernelMethod.of(CompilerKernels.class, "longMath"), new Grid(2, 96), in, out, shift, offset);
            for (int i = 0; i < n; i++) assertEquals(CompilerKernels.longOf(in.get(i), shift, i + offset), out.get(i), "index " + i);
        }
    }

    @Test
    void floatMath() {
        try (Arena arena = Arena.ofShared()) {
            int n = 1500;
            float scale = 0.75f;
            double bias = -1.25;
            FloatArray in = FloatArray.allocate(arena, n), out = FloatArray.allocate(arena, n);
            LongArray bits = LongArray.allocate(arena, n);
            for (int i = 0; i < n; i++) in.set(i, i < FLOAT_EDGES.length ? FLOAT_EDGES[i] : (float) (RANDOM.nextGaussian() * Math.pow(10, RANDOM.nextInt(-6, 12))));
            JvmExecutor.run(KernelMethod.of(CompilerKernels.class, "floatMath"), new Grid(4, 64), in, out, bits, scale, bias);
            for (int i = 0; i < n; i++) {
                float x = in.get(i);
                assertEquals(CompilerKernels.floatOf(x, scale, bias), out.get(i), "index " + i + " x " + x);
                assertEquals(CompilerKernels.conversions(x), bits.get(i), "index " + i + " x " + x);
            }
        }
    }

    @Test
    void narrow() {
        try (Arena arena = Arena.ofShared()) {
            int n = 1000, shift = 5;
            short bias = -300;
            ByteArray bytes = ByteArray.allocate(arena, n);
            ShortArray shorts = ShortArray.allocate(arena, n);
            IntArray out = IntArray.allocate(arena, n);
            byte[] b = new byte[n];
            short[] s = new short[n];
            for (int i = 0; i < n; i++) {
                bytes.set(i, b[i] = (byte) RANDOM.nextInt());
                shorts.set(i, s[i] = (short) RANDOM.nextInt());
            }
            JvmExecutor.run(KernelMethod.of(CompilerKernels.class, "narrow"), new Grid(2, 128), bytes, shorts, out, shift, bias);
            for (int i = 0; i < n; i++) {
                int v = b[i] * 1000 + s[i] + bias;
                assertEquals((byte) (v >> 3), bytes.get(i), "byte " + i);
                assertEquals((short) (v * 7), shorts.get(i), "short " + i);
                assertEquals(CompilerKernels.narrowOf(v, b[i], s[i], shift), out.get(i), "index " + i);
            }
        }
    }

    @Test
    void helpers() {
        try (Arena arena = Arena.ofShared()) {
            int n = 700;
            IntArray in = IntArray.allocate(arena, n), out = IntArray.allocate(arena, n);
            LongArray wide = LongArray.allocate(arena, n);
            for (int i = 0; i < n; i++) in.set(i, i % 2 == 0 ? RANDOM.nextInt(-50, 50) : intAt(i));
            JvmExecutor.run(KernelMethod.of(CompilerKernels.class, "helpers"), Grid.covering(n, 64), in, out, wide);
            for (int i = 0; i < n; i++) {
                int v = in.get(i);
                int sq = v * v, clamped = Math.max(-1000, Math.min(1000, sq)), twice = sq + v;
                assertEquals(clamped + twice + (int) (v / 2.0), out.get(i), "index " + i);
                assertEquals(widen(v, 3) + widen(twice, 5), wide.get(i), "wide " + i);
            }
        }
    }

    private static long widen(int v, int k) {
        long r = v;
        for (int j = 0; j < k; j++) r = r * 3 + j;
        return r;
    }

    @Test
    void lineLoads() {
        try (Arena arena = Arena.ofShared()) {
            int n = 100;
            IntArray in = IntArray.allocate(arena, n), out = IntArray.allocate(arena, n);
            for (int i = 0; i < n; i++) in.set(i, RANDOM.nextInt());
            JvmExecutor.run(KernelMethod.of(CompilerKernels.class, "lineLoads"), new Grid(2, 64), in, out);
            for (int i = 0; i < n; i++) assertEquals(in.get(i) + 1, out.get(i), "index " + i);
            String ptx = PtxCompiler.compile(KernelMethod.of(CompilerKernels.class, "lineLoads")).ptx();
            assertTrue(ptx.contains("ld.global.L2::128B.") && ptx.contains("ld.global.L2::256B."), ptx);
            assertThrows(IllegalArgumentException.class, () -> in.getL2Fetch(0, 32));
        }
    }

    @Test
    void streamingStoresAreStoresWithTheEvictFirstOperator() {
        try (Arena arena = Arena.ofShared()) {
            int n = 100;
            IntArray in = IntArray.allocate(arena, n);
            LongArray out = LongArray.allocate(arena, n);
            for (int i = 0; i < n; i++) in.set(i, RANDOM.nextInt());
            JvmExecutor.run(KernelMethod.of(CompilerKernels.class, "streamingStores"), new Grid(2, 64), in, out);
            for (int i = 0; i < n; i++) assertEquals((long) in.get(i) << 20 | i, out.get(i), "index " + i);
            String ptx = PtxCompiler.compile(KernelMethod.of(CompilerKernels.class, "streamingStores")).ptx();
            assertTrue(ptx.contains("st.global.cs.u64 ") || ptx.contains("st.global.cs.b64 "), ptx);
        }
    }

    /** Arrays past 48 KiB live in dynamic shared memory: same results on the JVM, the launch told how much to give. */
    @Test
    void largeSharedGoesToDynamicSharedMemory() {
        try (Arena arena = Arena.ofShared()) {
            int n = 600, local = 256, groups = 3;
            IntArray in = IntArray.allocate(arena, n);
            LongArray out = LongArray.allocate(arena, n);
            int[] v = new int[groups * local];
            for (int i = 0; i < v.length; i++) v[i] = i < n ? RANDOM.nextInt() : i % local;
            for (int i = 0; i < n; i++) in.set(i, v[i]);
            JvmExecutor.run(KernelMethod.of(SampleKernels.class, "largeShared"), new Grid(groups, local), in, out);
            for (int g = 0; g < groups; g++) {
                // The block's arrays as its threads leave them: each stripe written by thread k mod 256.
                int[] a = new int[8192], b = new int[8192];
                short[] c = new short[4096];
                byte[] d = new byte[8197];
                long[] e = new long[3072];
                for (int k = 0; k < 8197; k++) {
                    int w = v[g * local + k % local];
                    if (k < 8192) {
                        a[k] = w + k;
                        b[k] = w ^ k;
                    }
                    if (k < 4096) c[k] = (short) (w - k);
                    d[k] = (byte) (w ^ k);
                    if (k < 3072) e[k] = (long) w * k;
                }
                for (int t = 0; t < local && g * local + t < n; t++) {
                    int j = (t * 37 + 11) & 8191, u = 255 - t;
                    long r = a[j] + 3L * b[8191 - j] + c[(u * 13) & 4095] + d[(u * 29) % 8197] + e[(u * 7) % 3072];
                    r += a[100] + b[8191] + c[4095] + d[8196] + e[3071];
                    assertEquals(r, out.get(g * local + t), "block " + g + ", thread " + t);
                }
            }
            PtxKernel k = PtxCompiler.compile(KernelMethod.of(SampleKernels.class, "largeShared"));
            assertEquals(40968 + 3072 * 8, k.dynamicSharedBytes(), "b at 0, d at 32,768, e at 40,968");
            assertTrue(k.ptx().contains(".extern .shared .align 16 .b8 dsmem[];"), k.ptx());
            assertTrue(k.ptx().contains("[dsmem+65536]") && k.ptx().contains("[dsmem+40964]") && k.ptx().contains("[dsmem+32764]"),
                    "constant indexes of e, d and b: " + k.ptx());
            assertEquals(0, PtxCompiler.compile(KernelMethod.of(CompilerKernels.class, "warpExchange")).dynamicSharedBytes());
        }
    }

    @Test
    void warpExchange() {
        try (Arena arena = Arena.ofShared()) {
            int n = 300, local = 128, groups = 3;
            IntArray in = IntArray.allocate(arena, n), out = IntArray.allocate(arena, n);
            int[] v = new int[groups * local];
            java.util.Arrays.fill(v, -1);
            for (int i = 0; i < n; i++) in.set(i, v[i] = RANDOM.nextInt(-1000, 100_000));
            JvmExecutor.run(KernelMethod.of(CompilerKernels.class, "warpExchange"), new Grid(groups, local), in, out);
            for (int i = 0; i < n; i++) {
                int warp = i & ~31, lane = i & 31, source = warp | (lane + 5) & 31;
                assertEquals(v[warp | (source + 1) & 31] * 3 + 1, out.get(i), "index " + i);
            }
        }
    }

    @Test
    void sharedAndWarp() {
        try (Arena arena = Arena.ofShared()) {
            int n = 300, local = 128, groups = 3;
            IntArray in = IntArray.allocate(arena, n), out = IntArray.allocate(arena, n), stats = IntArray.allocate(arena, groups * 4 + 1);
            LongArray totals = LongArray.allocate(arena, 32);
            int[] v = new int[groups * local];
            for (int i = 0; i < n; i++) in.set(i, v[i] = RANDOM.nextInt(-1000, 100_000));
            JvmExecutor.run(KernelMethod.of(CompilerKernels.class, "sharedAndWarp"), new Grid(groups, local), in, out, stats, totals);
            long[] expectedTotals = new long[32];
            for (int g = 0; g < groups; g++) {
                int base = g * local, max = Integer.MIN_VALUE, min = Integer.MAX_VALUE;
                for (int l = 0; l < local; l++) {
                    max = Math.max(max, v[base + l]);
                    min = Math.min(min, v[base + l]);
                    expectedTotals[l % 32] += v[base + l];
                }
                assertEquals(local, stats.get(g * 4L));
                assertEquals(max, stats.get(g * 4L + 1));
                assertEquals(min, stats.get(g * 4L + 2));
                assertEquals(7, stats.get(g * 4L + 3));
                for (int l = 0; l < local && base + l < n; l++) {
                    int warp = base + l / 32 * 32, lane = l % 32, self = v[base + l];
                    int up = lane == 0 ? self : v[base + l - 1], across = v[warp + (lane ^ 16)], first = v[warp];
                    boolean anyNegative = false;
                    for (int w = 0; w < 32; w++) anyNegative |= v[warp + w] < 0;
                    int next = v[base + (l + 1) % local];
                    int mixed = up + across * 3 + first * 5 + (anyNegative ? 1 : 0) + (int) (next * 0.25f) + (short) (next >> 1) + (byte) (next & 0x80 | 1) + 4;
                    assertEquals(mixed, out.get(base + l), "index " + (base + l));
                }
            }
            for (int lane = 0; lane < 32; lane++) assertEquals(expectedTotals[lane], totals.get(lane), "lane " + lane);
            assertEquals(1, stats.get(groups * 4L));
        }
    }

    /** Pairs that separate min from max by sign of zero or NaN, conversions out of range, and MIN_VALUE / -1. */
    static final float[][] FLOAT_PAIRS = {{-0f, 0f}, {0f, -0f}, {-0f, -0f}, {Float.NaN, 1f}, {1f, Float.NaN}, {Float.NaN, -0f},
            {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}, {Float.MAX_VALUE, -Float.MAX_VALUE}, {3e9f, -3e9f}, {2.5f, -2.5f},
            {1e-40f, -1e-40f}, {-1e20f, 1e20f}, {Float.intBitsToFloat(0x7fc00001), Float.NaN}, {1.5e9f, 1f}, {-2.9e9f, 0f}};
    static final int[][] DIVISIONS = {{Integer.MIN_VALUE, -1}, {Integer.MIN_VALUE, 1}, {7, -2}, {-7, 2}, {-7, -2}, {Integer.MAX_VALUE, -1}, {0, 5}};

    @Test
    void edges() {
        try (Arena arena = Arena.ofShared()) {
            int m = 200;
            FloatArray a = FloatArray.allocate(arena, m), b = FloatArray.allocate(arena, m), out = FloatArray.allocate(arena, 4L * m);
            IntArray num = IntArray.allocate(arena, m), den = IntArray.allocate(arena, m);
            LongArray bits = LongArray.allocate(arena, 8L * m);
            for (int i = 0; i < m; i++) {
                float[] pair = i < FLOAT_PAIRS.length ? FLOAT_PAIRS[i] : new float[] {(float) RANDOM.nextGaussian(), (float) RANDOM.nextGaussian()};
                a.set(i, pair[0]);
                b.set(i, pair[1]);
                int[] division = i < DIVISIONS.length ? DIVISIONS[i] : new int[] {RANDOM.nextInt(), RANDOM.nextInt(1, 1000) * (i % 2 == 0 ? 1 : -1)};
                num.set(i, division[0]);
                den.set(i, division[1]);
            }
            JvmExecutor.run(KernelMethod.of(CompilerKernels.class, "edges"), Grid.covering(m, 64), a, b, num, den, out, bits);
            for (int i = 0; i < m; i++) {
                float x = a.get(i), y = b.get(i);
                double dx = x * 1.5;
                assertEquals(Math.min(x, y), out.get(4L * i), "min " + x + ", " + y);
                assertEquals(Math.max(x, y), out.get(4L * i + 1), "max " + x + ", " + y);
                assertEquals((float) Math.min(dx, y), out.get(4L * i + 2), "double min " + dx + ", " + y);
                assertEquals((float) Math.max(dx, y), out.get(4L * i + 3), "double max " + dx + ", " + y);
                assertEquals((int) x, bits.get(8L * i), "(int) " + x);
                assertEquals((long) x, bits.get(8L * i + 1), "(long) " + x);
                assertEquals((int) dx, bits.get(8L * i + 2), "(int) " + dx);
                assertEquals((long) (dx * 1e10), bits.get(8L * i + 3), "(long) " + dx * 1e10);
                int n = num.get(i), d = den.get(i);
                long wide = n == Integer.MIN_VALUE ? Long.MIN_VALUE : (long) n << 32 | n & 0xFFFFFFFFL;
                assertEquals(n / d, bits.get(8L * i + 4), n + " / " + d);
                assertEquals(n % d, bits.get(8L * i + 5), n + " % " + d);
                assertEquals(wide / d, bits.get(8L * i + 6), wide + " / " + d);
                assertEquals(wide % d, bits.get(8L * i + 7), wide + " % " + d);
            }
        }
    }

    @Test
    void widenBf16() {
        try (Arena arena = Arena.ofShared()) {
            int n = 1000;
            ShortArray bf16 = ShortArray.allocate(arena, n);
            FloatArray out = FloatArray.allocate(arena, n);
            for (int i = 0; i < n; i++) bf16.set(i, (short) RANDOM.nextInt());
            JvmExecutor.run(KernelMethod.of(CompilerKernels.class, "widenBf16"), Grid.covering(n, 256), bf16, out);
            for (int i = 0; i < n; i++) assertEquals(Float.intBitsToFloat(bf16.get(i) << 16), out.get(i), "index " + i);
        }
    }
}
