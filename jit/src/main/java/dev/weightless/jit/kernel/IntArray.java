package dev.weightless.jit.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.Objects;

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
     * Elements {@code i} and {@code i + 1} in one 64-bit load, element {@code i} in the low half: one memory
     * request where two {@link #get}s make two. Their address must be a multiple of 8 (on the GPU a misaligned
     * wide load faults, so here it throws, to keep the JVM run the reference).
     */
    public long getPair(long i) {
        if (((segment.address() + 4 * i) & 7) != 0) {
            throw new IllegalArgumentException("getPair(" + i + "): byte address " + (segment.address() + 4 * i) + " is not a multiple of 8");
        }
        return (get(i) & 0xFFFFFFFFL) | (long) get(i + 1) << 32;
    }

    /**
     * {@link #get}, with a hint for the GPU's L2 cache: a miss brings the element's whole 128-byte line into L2
     * rather than its 32-byte sector, so that the next loads of a lane walking through memory hit there
     * (PTX {@code ld.global.L2::128B}). The same value on the JVM.
     */
    public int getL2Line(long i) { return get(i); }

    /**
     * Asks the GPU to bring the element's line into L2 without waiting for it and without a register (PTX
     * {@code prefetch.global.L2}). On the JVM only the index is checked, as a load's would be.
     */
    public void prefetchL2(long i) { Objects.checkIndex(i, size()); }

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
