package dev.weightless.io.safetensors;

import java.util.Arrays;
import java.util.Objects;

/**
 * One tensor of a safetensors file: its data occupies bytes {@code [begin, end)} of the data
 * section, which starts right after the header.
 */
public record TensorInfo(String name, Dtype dtype, long[] shape, long begin, long end) {
    public TensorInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        shape = shape.clone();
        long size = dtype.sizeOf(shape);
        if (begin < 0 || end - begin != size) {
            throw new IllegalArgumentException("tensor " + name + ": data [" + begin + ", " + end
                    + ") does not hold the " + size + " bytes its shape needs");
        }
    }

    /** A copy, so the record stays immutable. */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    public long elementCount() {
        return Dtype.elementCount(shape);
    }

    public long byteSize() {
        return end - begin;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t && name.equals(t.name) && dtype == t.dtype
                && Arrays.equals(shape, t.shape) && begin == t.begin && end == t.end;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, Arrays.hashCode(shape), begin, end);
    }

    @Override
    public String toString() {
        return name + " " + dtype + " " + Arrays.toString(shape) + " [" + begin + ", " + end + ")";
    }
}
