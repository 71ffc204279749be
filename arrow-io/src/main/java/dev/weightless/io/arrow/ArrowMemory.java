package dev.weightless.io.arrow;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.ForeignAllocation;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.memory.unsafe.UnsafeAllocationManager;

import java.lang.foreign.MemorySegment;

/**
 * Arrow memory for the pipeline's stages. Each job (one compress, one decompress, one export) gets its
 * own root allocator: closing it with a buffer still held throws, so a leaked stage buffer is an error,
 * not a slow growth. Buffers come from {@code Unsafe.allocateMemory} (arrow-memory-unsafe), not netty:
 * one small jar and no pooled arenas; on Java 25 Arrow's memory core needs
 * {@code --sun-misc-unsafe-memory-access=allow} (else a warning) and
 * {@code --add-opens=java.base/java.nio=ALL-UNNAMED} (else buffers cannot be handed to channels).
 */
public final class ArrowMemory {
    private ArrowMemory() {}

    /** A fresh root allocator for one job; close it when the job ends (it throws if a buffer leaked). */
    public static BufferAllocator job() {
        return new RootAllocator(RootAllocator.configBuilder().allocationManagerFactory(UnsafeAllocationManager.FACTORY).build());
    }

    /**
     * An Arrow buffer over {@code segment}'s memory, not a copy (a mapped file stays mapped; Arrow only
     * counts the bytes). The segment's owner must keep it alive until the buffer is closed. A buffer over
     * a read-only mapping must not be written: Arrow buffers have no read-only mode.
     */
    public static ArrowBuf wrap(MemorySegment segment, BufferAllocator allocator) {
        if (!segment.isNative()) throw new IllegalArgumentException("only off-heap memory can be wrapped, not " + segment);
        if (segment.byteSize() == 0) return allocator.getEmpty();
        return allocator.wrapForeignAllocation(new ForeignAllocation(segment.byteSize(), segment.address()) {
            @Override
            protected void release0() {
                // The memory belongs to the segment's arena.
            }
        });
    }

    /**
     * Bytes {@code [0, capacity)} of {@code buffer} as a segment over the same memory (no copy). A buffer
     * from {@link #allocate} may have more capacity than was asked for: slice those by length instead.
     */
    public static MemorySegment segment(ArrowBuf buffer) {
        return segment(buffer, 0, buffer.capacity());
    }

    /** Bytes {@code [offset, offset + length)} of {@code buffer} as a segment over the same memory, bounds-checked. */
    public static MemorySegment segment(ArrowBuf buffer, long offset, long length) {
        if (offset < 0 || length < 0 || offset > buffer.capacity() - length) {
            throw new IndexOutOfBoundsException("bytes [" + offset + ", +" + length + ") of a buffer of " + buffer.capacity());
        }
        if (length == 0) return MemorySegment.NULL;
        return MemorySegment.ofAddress(buffer.memoryAddress() + offset).reinterpret(length);
    }

    /** A buffer of at least {@code size} bytes (not zeroed) from {@code allocator}; the caller closes it. */
    public static ArrowBuf allocate(BufferAllocator allocator, long size) {
        return size == 0 ? allocator.getEmpty() : allocator.buffer(size);
    }
}
