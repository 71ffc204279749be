package dev.weightless.jit.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** An off-heap array of shorts (little-endian), usable as a kernel parameter on the GPU and the JVM. */
public final class ShortArray {
    private final MemorySegment segment;

    public ShortArray(MemorySegment segment) {
        if (segment.byteSize() % 2 != 0) throw new IllegalArgumentException("segment size " + segment.byteSize() + " is not a multiple of 2");
        this.segment = segment;
    }

    public static ShortArray allocate(Arena arena, long size) {
        return new ShortArray(arena.allocate(ValueLayout.JAVA_SHORT, size));
    }

    public long size() { return segment.byteSize() / 2; }

    public short get(long i) { return segment.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i); }

    public void set(long i, short v) { segment.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, v); }

    public MemorySegment segment() { return segment; }
}
