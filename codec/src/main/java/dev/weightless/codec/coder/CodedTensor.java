package dev.weightless.codec.coder;

import java.lang.foreign.MemorySegment;
import java.util.List;

/** A tensor of {@code elements} BF16 values as coded by the coder named {@code coder}: its parts, in the coder's order. */
public record CodedTensor(String coder, long elements, List<MemorySegment> parts) {
    public CodedTensor {
        if (elements < 0) throw new IllegalArgumentException("negative element count " + elements);
        parts = List.copyOf(parts);
    }

    /** Every byte a decoder needs. */
    public long encodedBytes() {
        long sum = 0;
        for (MemorySegment p : parts) sum = Math.addExact(sum, p.byteSize());
        return sum;
    }

    /** Coded size over the BF16 size (1.0 for an empty tensor). */
    public double ratio() {
        return elements == 0 ? 1.0 : (double) encodedBytes() / (2.0 * elements);
    }

    public MemorySegment part(int i) { return parts.get(i); }
}
