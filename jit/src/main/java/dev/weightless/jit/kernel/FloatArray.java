package dev.weightless.jit.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** An off-heap array of floats (little-endian), usable as a kernel parameter on the GPU and the JVM. */
public final class FloatArray {
    private final MemorySegment segment;

    public FloatArray(MemorySegment segment) {
        if (segment.byteSize() % 4 != 0) throw new IllegalArgumentException("segment size " + segment.byteSize() + " is not a multiple of 4");
        this.segment = segment;
    }

    public static FloatArray allocate(Arena arena, long size) {
        return new FloatArray(arena.allocate(ValueLayout.JAVA_FLOAT, size));
    }

    public long size() { return segment.byteSize() / 4; }

    public float get(long i) { return segment.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i); }

    public void set(long i, float v) { segment.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, v); }

    public MemorySegment segment() { return segment; }
}
