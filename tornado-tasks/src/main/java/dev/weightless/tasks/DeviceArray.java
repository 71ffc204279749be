package dev.weightless.tasks;

/**
 * A range of a device buffer passed to a kernel where it takes an off-heap array: {@code elements}
 * values of {@code arrayType} (IntArray, LongArray, ...) from byte {@code byteOffset} on. The data stays
 * on the device: a graph needs no transfer for it, and a plan neither copies nor frees it (the caller
 * keeps the buffer alive while plans use it).
 */
public record DeviceArray(DeviceBuffer buffer, long byteOffset, long elements, Class<?> arrayType) {
    public DeviceArray {
        if (buffer == null) throw new IllegalArgumentException("null buffer");
        if (!HostArrays.isArrayType(arrayType)) throw new IllegalArgumentException(arrayType + " is not an off-heap array type of the kernel API");
        int size = HostArrays.elementBytes(arrayType);
        if (byteOffset < 0 || elements < 0 || byteOffset % size != 0) {
            throw new IllegalArgumentException(elements + " " + arrayType.getSimpleName() + " elements at byte " + byteOffset + ": offset must be a non-negative multiple of " + size);
        }
        if (elements > (buffer.bytes() - byteOffset) / size) {
            throw new IndexOutOfBoundsException(elements + " " + arrayType.getSimpleName() + " elements at byte " + byteOffset + " do not fit " + buffer);
        }
    }

    /** The device address of the first element (what the kernel receives). */
    public long address() {
        if (!buffer.isLive()) throw new IllegalStateException(buffer + " was freed");
        return buffer.address() + byteOffset;
    }

    public long bytes() { return elements * HostArrays.elementBytes(arrayType); }
}
