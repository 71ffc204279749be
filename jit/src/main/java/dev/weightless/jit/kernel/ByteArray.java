package dev.weightless.jit.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** An off-heap array of bytes (little-endian), usable as a kernel parameter on the GPU and the JVM. */
public final class ByteArray {
    private final MemorySegment segment;

    public ByteArray(MemorySegment segment) {
        if (segment.byteSize() % 1 != 0) throw new IllegalArgumentException("segment size " + segment.byteSize() + " is not a multiple of 1");
        this.segment = segment;
    }

    public static ByteArray allocate(Arena arena, long size) {
        return new ByteArray(arena.allocate(ValueLayout.JAVA_BYTE, size));
    }

    public long size() { return segment.byteSize() / 1; }

    public byte get(long i) { return segment.getAtIndex(ValueLayout.JAVA_BYTE, i); }

    public void set(long i, byte v) { segment.setAtIndex(ValueLayout.JAVA_BYTE, i, v); }

    public MemorySegment segment() { return segment; }
}
