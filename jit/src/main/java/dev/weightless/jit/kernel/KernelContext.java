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
