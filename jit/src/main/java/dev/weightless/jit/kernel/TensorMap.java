package dev.weightless.jit.kernel;

/**
 * A kernel argument that a CUDA device receives as a TMA tensor map (a 128-byte {@code CUtensorMap}): the
 * row-major matrix of {@code rows x columns} elements that {@code array} holds, read by the tensor memory
 * accelerator in boxes of {@code boxColumns x boxRows} into shared memory; a box's elements past the matrix's
 * edges arrive as zeros. {@link Element#BF16}: BF16 values of a {@link ShortArray} (or a device-resident range of
 * one), boxes with the 128-byte swizzle. {@link Element#WORD8}: 8-byte words of a {@link ByteArray}, boxes as they
 * lie (no swizzle), which copies blocks of a byte stream. The runtime encodes the map at launch, when the array's
 * device address is known. Kernels declare such a parameter with this type; only nvcc-built kernels can use it.
 */
public record TensorMap(Object array, long columns, long rows, int boxColumns, int boxRows, Element element) {
    /** What one element of the matrix is, and how a box lands in shared memory. */
    public enum Element {
        /** A BF16 value of a ShortArray; boxes with the 128-byte swizzle (the wgmma operands' layout). */
        BF16(2, ShortArray.class),
        /** 8 bytes of a ByteArray; boxes unswizzled, rows of the box one after another. */
        WORD8(8, ByteArray.class);

        private final int bytes;
        private final Class<?> arrayType;

        Element(int bytes, Class<?> arrayType) {
            this.bytes = bytes;
            this.arrayType = arrayType;
        }

        /** Bytes of one element. */
        public int bytes() { return bytes; }

        /** The array type that holds such elements. */
        public Class<?> arrayType() { return arrayType; }
    }

    /** A BF16 matrix's map ({@link Element#BF16}). */
    public TensorMap(Object array, long columns, long rows, int boxColumns, int boxRows) {
        this(array, columns, rows, boxColumns, boxRows, Element.BF16);
    }

    public TensorMap {
        if (array == null) throw new IllegalArgumentException("a tensor map needs an array");
        if (element == null) throw new IllegalArgumentException("a tensor map needs an element type");
        // The driver's limits (cuTensorMapEncodeTiled): a row stride that is a multiple of 16 bytes, dimensions up
        // to 2^32, boxes of at most 256 per dimension whose inner extent is a multiple of 16 bytes, and with the 128-byte
        // swizzle an inner box of at most 128 bytes.
        if (columns < 1 || rows < 1 || columns > (1L << 32) || rows > (1L << 32)) {
            throw new IllegalArgumentException("tensor map of " + rows + " x " + columns + ": both must be in 1..2^32");
        }
        if (columns * element.bytes % 16 != 0) throw new IllegalArgumentException("tensor map rows of " + columns + " " + element + " elements: the row stride must be a multiple of 16 bytes");
        if (boxRows < 1 || boxRows > 256) throw new IllegalArgumentException("tensor map box of " + boxRows + " rows: must be in 1..256");
        if (element == Element.BF16 && (boxColumns < 8 || boxColumns * element.bytes > 128 || boxColumns * element.bytes % 16 != 0)) {
            throw new IllegalArgumentException("tensor map box of " + boxColumns + " columns: with the 128-byte swizzle, 16 to 128 bytes in multiples of 16");
        }
        if (element == Element.WORD8 && (boxColumns < 2 || boxColumns > 256 || boxColumns * element.bytes % 16 != 0)) {
            throw new IllegalArgumentException("tensor map box of " + boxColumns + " 8-byte columns: must be even and in 2..256");
        }
    }

    /** Elements the array must hold at least, in the array's own elements (BF16 values; bytes). */
    public long elements() {
        long mapped = Math.multiplyExact(columns, rows);
        return element == Element.WORD8 ? Math.multiplyExact(mapped, element.bytes) : mapped;
    }
}
