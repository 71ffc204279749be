package dev.weightless.tasks.codec;

import dev.weightless.io.safetensors.Dtype;
import dev.weightless.jit.kernel.ShortArray;
import dev.weightless.tasks.DeviceArray;

import java.util.Arrays;

/**
 * A tensor whose values live on a device, as {@link ResidentModelWriter} writes it: BF16 values as a
 * ShortArray range, any other dtype as a range of any array type holding exactly its bytes; {@code values}
 * is null only for an empty tensor.
 */
public record ResidentTensor(String name, Dtype dtype, long[] shape, DeviceArray values) {
    public ResidentTensor {
        shape = shape.clone();
        long bytes = dtype.sizeOf(shape);
        long held = values == null ? 0 : values.bytes();
        if (held != bytes) throw new IllegalArgumentException(name + ": " + dtype + " " + Arrays.toString(shape) + " takes " + bytes + " bytes, the device range holds " + held);
        if (dtype == Dtype.BF16 && values != null && values.arrayType() != ShortArray.class) {
            throw new IllegalArgumentException(name + ": BF16 values must be a ShortArray range, got " + values.arrayType().getSimpleName());
        }
    }

    @Override
    public long[] shape() { return shape.clone(); }
}
