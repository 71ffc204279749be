package dev.weightless.io.safetensors;

import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/** Element types of safetensors; constant names are the strings used in headers. */
public enum Dtype {
    BOOL(1), U8(1), I8(1), F8_E5M2(1), F8_E4M3(1), F8_E8M0(1),
    I16(2), U16(2), F16(2), BF16(2),
    I32(4), U32(4), F32(4),
    F64(8), I64(8), U64(8);

    private static final Map<String, Dtype> BY_NAME =
            Arrays.stream(values()).collect(Collectors.toUnmodifiableMap(Dtype::name, Function.identity()));

    private final int byteSize;

    Dtype(int byteSize) {
        this.byteSize = byteSize;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** The dtype spelled {@code name} in a header, or empty for one this library does not know. */
    public static Optional<Dtype> byName(String name) {
        return Optional.ofNullable(BY_NAME.get(name));
    }

    /**
     * Bytes taken by a tensor of this dtype and {@code shape}.
     *
     * @throws IllegalArgumentException for a negative dimension
     * @throws ArithmeticException when the size does not fit in a long
     */
    public long sizeOf(long[] shape) {
        return Math.multiplyExact(elementCount(shape), byteSize);
    }

    static long elementCount(long[] shape) {
        long count = 1;
        for (long dim : shape) {
            if (dim < 0) throw new IllegalArgumentException("negative dimension " + dim);
            count = Math.multiplyExact(count, dim);
        }
        return count;
    }
}
