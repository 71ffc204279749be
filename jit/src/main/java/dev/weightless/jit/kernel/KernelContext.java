package dev.weightless.jit.kernel;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * What a kernel thread knows and can do: its ids, shared (block-local) memory, barriers, atomics and
 * warp operations. The compiler translates reads of these fields and calls of these methods into PTX;
 * on the JVM, {@link JvmExecutor} gives each emulated thread its own context.
 * Ids are one-dimensional; {@code globalIdx = groupIdx * localSize + localIdx}.
 */
public final class KernelContext {
    public static final int WARP_SIZE = 32;
    private static final VarHandle INTS = MethodHandles.arrayElementVarHandle(int[].class);
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    /** This thread's index in the whole grid. */
    public final int globalIdx;
    /** Threads in the whole grid. */
    public final int globalSize;
    /** This thread's index in its block. */
    public final int localIdx;
    /** Threads per block. */
    public final int localSize;
    /** This block's index. */
    public final int groupIdx;
    /** Blocks in the grid. */
    public final int groups;
    /** This thread's lane in its warp, 0..31. */
    public final int laneId;

    private final JvmExecutor.Block block;
    private int sharedCalls;

    KernelContext(Grid grid, int groupIdx, int localIdx, JvmExecutor.Block block) {
        this.groupIdx = groupIdx;
        this.localIdx = localIdx;
        this.localSize = grid.localSize();
        this.groups = (int) grid.groups();
        this.globalSize = Math.toIntExact(grid.globalSize());
        this.globalIdx = groupIdx * localSize + localIdx;
        this.laneId = localIdx % WARP_SIZE;
        this.block = block;
    }

    /** Waits until every thread of the block has arrived; shared memory writes before it are visible after. */
    public void barrier() { block.barrier(); }

    /**
     * Waits until every lane of this thread's warp has arrived; their shared memory writes before it are visible
     * after. Cheaper than {@link #barrier()} when a warp only exchanges data with itself: other warps do not wait.
     * PTX {@code bar.warp.sync} on the full mask (CUDA {@code __syncwarp()}); every lane must call it.
     */
    public void syncWarp() { block.warp(localIdx).sync(); }

    /** A shared-memory array of the block; every thread's n-th such call gets the same array. */
    public int[] sharedIntArray(int length) { return (int[]) block.shared(sharedCalls++, int[].class, length); }

    public long[] sharedLongArray(int length) { return (long[]) block.shared(sharedCalls++, long[].class, length); }

    public float[] sharedFloatArray(int length) { return (float[]) block.shared(sharedCalls++, float[].class, length); }

    public short[] sharedShortArray(int length) { return (short[]) block.shared(sharedCalls++, short[].class, length); }

    public byte[] sharedByteArray(int length) { return (byte[]) block.shared(sharedCalls++, byte[].class, length); }

    // Atomics return the value before the operation.

    public int atomicAdd(int[] shared, int index, int value) { return (int) INTS.getAndAdd(shared, index, value); }

    public int atomicAdd(IntArray global, long index, int value) { return global.getAndAdd(index, value); }

    public long atomicAdd(long[] shared, int index, long value) { return (long) LONGS.getAndAdd(shared, index, value); }

    public long atomicAdd(LongArray global, long index, long value) { return global.getAndAdd(index, value); }

    public int atomicMax(int[] shared, int index, int value) {
        int old = (int) INTS.getVolatile(shared, index);
        while (old < value) {
            int seen = (int) INTS.compareAndExchange(shared, index, old, value);
            if (seen == old) break;
            old = seen;
        }
        return old;
    }

    public int atomicMax(IntArray global, long index, int value) { return global.getAndMax(index, value); }

    public int atomicMin(int[] shared, int index, int value) {
        int old = (int) INTS.getVolatile(shared, index);
        while (old > value) {
            int seen = (int) INTS.compareAndExchange(shared, index, old, value);
            if (seen == old) break;
            old = seen;
        }
        return old;
    }

    public int atomicMin(IntArray global, long index, int value) { return global.getAndMin(index, value); }

    public int atomicCas(int[] shared, int index, int expected, int value) { return (int) INTS.compareAndExchange(shared, index, expected, value); }

    public int atomicCas(IntArray global, long index, int expected, int value) { return global.compareAndExchange(index, expected, value); }

    public int atomicExchange(int[] shared, int index, int value) { return (int) INTS.getAndSet(shared, index, value); }

    public int atomicExchange(IntArray global, long index, int value) { return global.getAndSet(index, value); }

    // Bit intrinsics: static, so helpers can use them without the context; each is one PTX instruction.

    /**
     * The low 32 bits of the 64-bit value {@code hi:lo} shifted right by {@code shift & 31}: a funnel shift,
     * for reading a bit stream out of two 32-bit words (PTX {@code shf.r.wrap.b32}, CUDA {@code __funnelshift_r}).
     */
    public static int funnelShiftRight(int lo, int hi, int shift) {
        return (int) ((((long) hi << 32) | (lo & 0xFFFF_FFFFL)) >>> (shift & 31));
    }

    /**
     * As {@link #funnelShiftRight}, with the shift clamped to 32 instead of taken modulo 32 (counts are
     * unsigned: any count of 32 or more, negative ints included, gives {@code hi}). PTX {@code shf.r.clamp.b32}.
     */
    public static int funnelShiftRightClamped(int lo, int hi, int shift) {
        long n = Math.min(Integer.toUnsignedLong(shift), 32);
        return (int) ((((long) hi << 32) | (lo & 0xFFFF_FFFFL)) >>> n);
    }

    /** The high 32 bits of the 64-bit value {@code hi:lo} shifted left by {@code shift & 31}. PTX {@code shf.l.wrap.b32}. */
    public static int funnelShiftLeft(int lo, int hi, int shift) {
        return (int) (((((long) hi << 32) | (lo & 0xFFFF_FFFFL)) << (shift & 31)) >>> 32);
    }

    /**
     * Picks four bytes out of the eight of {@code b:a} (a's bytes are 0..3, b's 4..7): result byte i is chosen
     * by nibble i of {@code selector} (its low three bits name the byte; with its high bit set, the chosen
     * byte's sign bit is repeated over all eight bits instead). Bits 16..31 of the selector are ignored.
     * PTX {@code prmt.b32} (CUDA {@code __byte_perm}, whose selector nibbles are below 8).
     */
    public static int bytePermute(int a, int b, int selector) {
        long bytes = (a & 0xFFFF_FFFFL) | ((long) b << 32);
        int result = 0;
        for (int i = 0; i < 4; i++) {
            int nibble = selector >>> (4 * i) & 0xF;
            int v = (int) (bytes >>> (8 * (nibble & 7))) & 0xFF;
            if ((nibble & 8) != 0) v = (v & 0x80) != 0 ? 0xFF : 0;
            result |= v << (8 * i);
        }
        return result;
    }

    // Warp operations: every lane of the warp must call them together, as with CUDA's *_sync forms on a full mask.

    /** The value of lane {@code laneId + delta} (own value if that lane is out of the warp). */
    public int shuffleDown(int value, int delta) { return block.warp(localIdx).shuffle(laneId, value, laneId + delta); }

    /** The value of lane {@code laneId - delta} (own value if below lane 0). */
    public int shuffleUp(int value, int delta) { return block.warp(localIdx).shuffle(laneId, value, laneId - delta); }

    /** The value of lane {@code laneId ^ mask}. */
    public int shuffleXor(int value, int mask) { return block.warp(localIdx).shuffle(laneId, value, laneId ^ mask); }

    /** The value of lane {@code lane}. */
    public int shuffle(int value, int lane) { return block.warp(localIdx).shuffle(laneId, value, lane); }

    /** A mask with bit i set when lane i's predicate is true. */
    public int ballot(boolean predicate) { return block.warp(localIdx).ballot(laneId, predicate); }

    public boolean any(boolean predicate) { return ballot(predicate) != 0; }

    public boolean all(boolean predicate) { return ballot(predicate) == block.warp(localIdx).fullMask(); }
}
