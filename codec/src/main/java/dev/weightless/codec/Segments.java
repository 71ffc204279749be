package dev.weightless.codec;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Segment views for the hot loops (public for the coders in the codec's other packages). */
public final class Segments {
    private Segments() {}

    /**
     * An off-heap segment as a plain native segment over the same memory and bytes (no copy), so that the
     * hot loops see one segment class whether the caller passed a mapped file or allocated memory:
     * C2 compiles segment access far worse when a call site sees several classes (codec/NOTES.md).
     * Liveness is checked here, once. The view does not keep {@code s}'s arena reachable: the caller holds
     * {@code s} while the view is in use (and fences it, {@link java.lang.ref.Reference#reachabilityFence},
     * where an automatic arena could otherwise be collected).
     * A heap segment is returned as it is.
     */
    public static MemorySegment plain(MemorySegment s) {
        if (!s.isNative() || s.byteSize() == 0) return s;
        s.get(ValueLayout.JAVA_BYTE, 0); // throws if the segment's arena is closed
        return MemorySegment.ofAddress(s.address()).reinterpret(s.byteSize());
    }
}
