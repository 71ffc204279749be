package dev.weightless.jit.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** An off-heap array of longs (little-endian), usable as a kernel parameter on the GPU and the JVM. */
public final class LongArray {
    private static final java.lang.invoke.VarHandle ATOMIC = ValueLayout.JAVA_LONG.varHandle();
    private final MemorySegment segment;

    public LongArray(MemorySegment segment) {
        if (segment.byteSize() % 8 != 0) throw new IllegalArgumentException("segment size " + segment.byteSize() + " is not a multiple of 8");
        this.segment = segment;
    }

    public static LongArray allocate(Arena arena, long size) {
        return new LongArray(arena.allocate(ValueLayout.JAVA_LONG, size));
    }

    public long size() { return segment.byteSize() / 8; }

    public long get(long i) { return segment.getAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, i); }

    public void set(long i, long v) { segment.setAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, i, v); }

    /**
     * {@link #set}, marked as streaming for the GPU's caches (PTX {@code st.global.cs}: evict first), for output
     * written once and not read again by the kernel, so that it does not push out of L2 what the kernel's loads
     * brought there ahead of use. The same store on the JVM.
     */
    public void setStreaming(long i, long v) { set(i, v); }

    public MemorySegment segment() { return segment; }

    long getAndAdd(long i, long v) { return (long) ATOMIC.getAndAdd(segment, i * 8, v); }
}
