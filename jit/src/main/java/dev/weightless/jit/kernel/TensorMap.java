package dev.weightless.jit.kernel;

/**
 * A kernel argument that a CUDA device receives as a TMA tensor map (a 128-byte {@code CUtensorMap}): the
 * row-major BF16 matrix of {@code rows x columns} that {@code array} holds (a {@link ShortArray}, or a
 * device-resident range of one), read by the tensor memory accelerator in boxes of {@code boxColumns x
 * boxRows} into shared memory with the 128-byte swizzle; a box's elements past the matrix's edges arrive as
 * zeros. The runtime encodes the map at launch, when the array's device address is known. Kernels declare
 * such a parameter with this type; only nvcc-built kernels can use it.
 */
public record TensorMap(Object array, long columns, long rows, int boxColumns, int boxRows) {
    /** Bytes of one element (BF16). */
    public static final int ELEMENT_BYTES = 2;

    public TensorMap {
        if (array == null) throw new IllegalArgumentException("a tensor map needs an array");
        // The driver's limits (cuTensorMapEncodeTiled): a row stride that is a multiple of 16 bytes, dimensions up
        // to 2^32, boxes of at most 256 per dimension, and with the 128-byte swizzle an inner box of at most 128
        // bytes that is a multiple of 16.
        if (columns < 1 || rows < 1 || columns > (1L << 32) || rows > (1L << 32)) {
            throw new IllegalArgumentException("tensor map of " + rows + " x " + columns + ": both must be in 1..2^32");
        }
        if (columns * ELEMENT_BYTES % 16 != 0) throw new IllegalArgumentException("tensor map rows of " + columns + " BF16 values: the row stride must be a multiple of 16 bytes");
        if (boxRows < 1 || boxRows > 256) throw new IllegalArgumentException("tensor map box of " + boxRows + " rows: must be in 1..256");
        if (boxColumns < 8 || boxColumns * ELEMENT_BYTES > 128 || boxColumns * ELEMENT_BYTES % 16 != 0) {
            throw new IllegalArgumentException("tensor map box of " + boxColumns + " columns: with the 128-byte swizzle, 16 to 128 bytes in multiples of 16");
        }
    }

    /** Elements the array must hold at least. */
    public long elements() { return Math.multiplyExact(columns, rows); }
}
