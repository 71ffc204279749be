package dev.weightless.jit.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/** An off-heap array of ints (little-endian), usable as a kernel parameter on the GPU and the JVM. */
public final class IntArray {
    private static final VarHandle ATOMIC = ValueLayout.JAVA_INT.varHandle();
    private final MemorySegment segment;

    public IntArray(MemorySegment segment) {
        if (segment.byteSize() % 4 != 0) throw new IllegalArgumentException("segment size " + segment.byteSize() + " is not a multiple of 4");
        this.segment = segment;
    }

    public static IntArray allocate(Arena arena, long size) {
        return new IntArray(arena.allocate(ValueLayout.JAVA_INT, size));
    }

    public long size() { return segment.byteSize() / 4; }

    public int get(long i) { return segment.getAtIndex(ValueLayout.JAVA_INT_UNALIGNED, i); }

    public void set(long i, int v) { segment.setAtIndex(ValueLayout.JAVA_INT_UNALIGNED, i, v); }

    /**
     * {@link #get}, with a hint for the GPU's L2 cache: a miss brings the {@code l2Bytes} (64, 128 or 256, a
     * constant) around the element into L2 rather than its 32-byte sector, so that a lane walking through memory
     * finds its next loads there (PTX {@code ld.global.L2::128B} and the like). The same value on the JVM.
     */
    public int getL2Fetch(long i, int l2Bytes) {
        if (l2Bytes != 64 && l2Bytes != 128 && l2Bytes != 256) throw new IllegalArgumentException("L2 fetch size " + l2Bytes + ": 64, 128 or 256");
        return get(i);
    }

    public MemorySegment segment() { return segment; }

    int getAndAdd(long i, int v) { return (int) ATOMIC.getAndAdd(segment, i * 4, v); }

    int getAndSet(long i, int v) { return (int) ATOMIC.getAndSet(segment, i * 4, v); }

    int compareAndExchange(long i, int expected, int v) { return (int) ATOMIC.compareAndExchange(segment, i * 4, expected, v); }

    int getAndMax(long i, int v) {
        int old = get(i);
        while (old < v) {
            int seen = compareAndExchange(i, old, v);
            if (seen == old) break;
            old = seen;
        }
        return old;
    }

    int getAndMin(long i, int v) {
        int old = get(i);
        while (old > v) {
            int seen = compareAndExchange(i, old, v);
            if (seen == old) break;
            old = seen;
        }
        return old;
    }
}
