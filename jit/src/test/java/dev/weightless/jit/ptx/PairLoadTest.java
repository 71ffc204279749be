package dev.weightless.jit.ptx;

import dev.weightless.jit.kernel.Grid;
import dev.weightless.jit.kernel.IntArray;
import dev.weightless.jit.kernel.JvmExecutor;
import dev.weightless.jit.kernel.KernelContext;
import dev.weightless.jit.kernel.KernelMethod;
import dev.weightless.jit.kernel.LongArray;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code IntArray.getPair}: one 64-bit load on the GPU, two ints (low one first) on the JVM, aligned or refused. */
class PairLoadTest {
    /** out[i] = the ints at 2i + offset and 2i + offset + 1 as one long. */
    public static void pairs(KernelContext ctx, IntArray in, LongArray out, int offset) {
        long i = ctx.globalIdx;
        if (i < out.size()) out.set(i, in.getPair(2 * i + offset));
    }

    private static final KernelMethod PAIRS = KernelMethod.of(PairLoadTest.class, "pairs");

    @Test
    void compilesToOneWideLoad() {
        String ptx = PtxCompiler.compile(PAIRS).ptx();
        assertTrue(ptx.contains("ld.global.u64 "), ptx);
        assertFalse(ptx.contains("ld.global.u32 "), "no narrow loads: " + ptx);
    }

    @Test
    void theLowHalfIsTheFirstElement() {
        try (Arena arena = Arena.ofShared()) {
            IntArray in = new IntArray(arena.allocate(40, 8));
            for (int i = 0; i < 10; i++) in.set(i, 0x1000 * i - 3);
            LongArray out = LongArray.allocate(arena, 5);
            JvmExecutor.run(PAIRS, new Grid(1, 32), in, out, 0);
            for (int i = 0; i < 5; i++) assertEquals((in.get(2 * i) & 0xFFFFFFFFL) | (long) in.get(2 * i + 1) << 32, out.get(i), "pair " + i);
        }
    }

    @Test
    void aMisalignedPairIsRefusedAsTheGpuWouldFault() {
        try (Arena arena = Arena.ofShared()) {
            IntArray in = new IntArray(arena.allocate(40, 8)); // 8-aligned: odd indexes are not
            LongArray out = LongArray.allocate(arena, 4);
            assertThrows(IllegalArgumentException.class, () -> JvmExecutor.run(PAIRS, new Grid(1, 32), in, out, 1));
        }
    }
}
