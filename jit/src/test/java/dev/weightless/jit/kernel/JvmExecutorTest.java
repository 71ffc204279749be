package dev.weightless.jit.kernel;

import dev.weightless.jit.samples.SampleKernels;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The executor against plain CPU references: barriers, shared memory, atomics, shuffles and votes. */
class JvmExecutorTest {
    private static final SplittableRandom RANDOM = new SplittableRandom(7);

    @Test
    void exponentHistogramMatchesACount() {
        try (Arena arena = Arena.ofShared()) {
            ShortArray bf16 = ShortArray.allocate(arena, 100_003);
            long[] expected = new long[256];
            for (long i = 0; i < bf16.size(); i++) {
                short v = (short) RANDOM.nextInt();
                bf16.set(i, v);
                expected[(v >>> 7) & 0xFF]++;
            }
            IntArray hist = IntArray.allocate(arena, 256);
            JvmExecutor.run(KernelMethod.of((Kernels.K2<ShortArray, IntArray>) SampleKernels::exponentHistogram), new Grid(7, 96), bf16, hist);
            for (int s = 0; s < 256; s++) assertEquals(expected[s], hist.get(s), "symbol " + s);
        }
    }

    @Test
    void bitIntrinsicsHaveThePtxResults() {
        // Known answers, worked out by hand from the PTX ISA's definitions of shf and prmt.
        assertEquals(0x6789ABCD, KernelContext.funnelShiftRight(0x89ABCDEF, 0x01234567, 8));
        assertEquals(0x6789ABCD, KernelContext.funnelShiftRight(0x89ABCDEF, 0x01234567, 40)); // wrap: 40 & 31
        assertEquals(0x89ABCDEF, KernelContext.funnelShiftRight(0x89ABCDEF, 0x01234567, 32));
        assertEquals(0x01234567, KernelContext.funnelShiftRightClamped(0x89ABCDEF, 0x01234567, 32));
        assertEquals(0x01234567, KernelContext.funnelShiftRightClamped(0x89ABCDEF, 0x01234567, -1)); // unsigned count
        assertEquals(0x6789ABCD, KernelContext.funnelShiftRightClamped(0x89ABCDEF, 0x01234567, 8));
        assertEquals(0x23456789, KernelContext.funnelShiftLeft(0x89ABCDEF, 0x01234567, 8));
        assertEquals(0x01234567, KernelContext.funnelShiftLeft(0x89ABCDEF, 0x01234567, 32));
        assertEquals(0x03020100, KernelContext.bytePermute(0x03020100, 0x07060504, 0x3210));
        assertEquals(0x07060504, KernelContext.bytePermute(0x03020100, 0x07060504, 0x7654));
        assertEquals(0x00010203, KernelContext.bytePermute(0x03020100, 0x07060504, 0xFFFF_0123)); // high selector bits ignored
        assertEquals(0x808080FF, KernelContext.bytePermute(0x00000080, 0, 0x0008)); // nibble 8: byte 0's sign repeated
        assertEquals(0x7F7F7F00, KernelContext.bytePermute(0x0000007F, 0, 0x0008));
    }

    @Test
    void bitsAndLoopsMatchesItsReference() {
        try (Arena arena = Arena.ofShared()) {
            int n = 1000, threads = 1024; // full warps: lanes past n take part in the shuffles with zeros
            int[] edges = {0, -1, 1, 31, 32, 33, 63, 64, Integer.MIN_VALUE, Integer.MAX_VALUE, 0x80808080, 0x7F7F7F7F};
            IntArray in = IntArray.allocate(arena, 2L * n), out = IntArray.allocate(arena, n);
            for (int i = 0; i < 2 * n; i++) in.set(i, i < edges.length ? edges[i] : RANDOM.nextInt());
            JvmExecutor.run(KernelMethod.of(SampleKernels.class, "bitsAndLoops"), Grid.covering(threads, 128), in, out);
            for (int i = 0; i < n; i++) {
                int acc = 0;
                for (int d = 16; d > 0; d >>= 1) {
                    int other = i ^ d;
                    acc += (other < n ? in.get(2L * other) : 0) * d;
                }
                assertEquals(SampleKernels.bitsAndLoopsOf(in.get(2L * i), in.get(2L * i + 1), acc), out.get(i), "thread " + i);
            }
        }
    }

    @Test
    void warpShuffleSum() {
        try (Arena arena = Arena.ofShared()) {
            IntArray in = IntArray.allocate(arena, 50_000);
            long expected = 0;
            for (long i = 0; i < in.size(); i++) {
                int v = RANDOM.nextInt();
                in.set(i, v);
                expected += v;
            }
            LongArray out = LongArray.allocate(arena, 1);
            JvmExecutor.run(KernelMethod.of(SampleKernels.class, "sum"), new Grid(5, 128), in, out);
            assertEquals(expected, out.get(0));
        }
    }

    @Test
    void blockScanWithBarriers() {
        try (Arena arena = Arena.ofShared()) {
            IntArray data = IntArray.allocate(arena, 1000);
            int[] copy = new int[1000];
            for (int i = 0; i < 1000; i++) data.set(i, copy[i] = RANDOM.nextInt(100));
            int local = 256;
            JvmExecutor.run(KernelMethod.of(SampleKernels.class, "blockScan"), Grid.covering(1000, local), data);
            for (int i = 0, run = 0; i < 1000; i++) {
                run = (i % local == 0 ? 0 : run) + copy[i];
                assertEquals(run, data.get(i), "index " + i);
            }
        }
    }

    @Test
    void atomicsAndVotes() {
        try (Arena arena = Arena.ofShared()) {
            int n = 1000, local = 64; // 16 blocks, 32 warps, the last warp partly empty
            IntArray in = IntArray.allocate(arena, n);
            int max = Integer.MIN_VALUE, min = Integer.MAX_VALUE, warpsWithNegative = 0, warpsAllNonNegative = 0;
            for (int i = 0; i < n; i++) in.set(i, RANDOM.nextInt(-5, 10_000));
            Grid grid = Grid.covering(n, local);
            for (int w = 0; w < grid.globalSize() / 32; w++) {
                boolean neg = false;
                for (int i = w * 32; i < Math.min(n, w * 32 + 32); i++) {
                    max = Math.max(max, in.get(i));
                    min = Math.min(min, in.get(i));
                    neg |= in.get(i) < 0;
                }
                if (neg) warpsWithNegative++;
                else warpsAllNonNegative++;
            }
            IntArray out = IntArray.allocate(arena, 4);
            out.set(0, Integer.MIN_VALUE);
            out.set(1, Integer.MAX_VALUE);
            JvmExecutor.run(KernelMethod.of(SampleKernels.class, "extremes"), grid, in, out);
            assertEquals(max, out.get(0));
            assertEquals(min, out.get(1));
            assertEquals(warpsWithNegative, out.get(2));
            assertEquals(warpsAllNonNegative, out.get(3));
        }
    }

    @Test
    void bitOperationsCastsAndAHelperCall() {
        try (Arena arena = Arena.ofShared()) {
            int n = 1000;
            IntArray in = IntArray.allocate(arena, n);
            LongArray out = LongArray.allocate(arena, n);
            FloatArray f = FloatArray.allocate(arena, n);
            int[] edges = {0, -1, 1, Integer.MIN_VALUE, Integer.MAX_VALUE, 13, -13};
            for (int i = 0; i < n; i++) in.set(i, i < edges.length ? edges[i] : RANDOM.nextInt());
            JvmExecutor.run(KernelMethod.of(SampleKernels.class, "mix"), Grid.covering(n, 128), in, out, f);
            for (int i = 0; i < n; i++) {
                int v = in.get(i);
                long r = Integer.bitCount(v) + 31L * Integer.numberOfLeadingZeros(v) + 1009L * Integer.numberOfTrailingZeros(v);
                r ^= Long.reverse(v) >>> 3;
                int rotated = Integer.rotateLeft(v, 5) ^ v; // the helper with k = 5 > 3
                r += Math.max(v, 7) - Math.min(v >> 3, -5) + (v >>> 29) + rotated;
                assertEquals(r, out.get(i), "index " + i);
                assertEquals(v * 0.5f + Math.abs(v % 13) / 3f, f.get(i), "float at index " + i);
            }
        }
    }

    @Test
    void kernelFailuresSurface() {
        try (Arena arena = Arena.ofShared()) {
            IntArray tiny = IntArray.allocate(arena, 1);
            assertThrows(IndexOutOfBoundsException.class,
                    () -> JvmExecutor.run(KernelMethod.of(JvmExecutorTest.class, "writesPastTheEnd"), new Grid(2, 64), tiny));
        }
    }

    static void writesPastTheEnd(KernelContext ctx, IntArray a) {
        ctx.barrier(); // the other threads must not hang when one fails
        a.set(ctx.globalIdx, 1);
    }

    @Test
    void kernelShape() {
        assertThrows(IllegalArgumentException.class, () -> KernelMethod.of(String.class, "valueOf"));
    }
}
