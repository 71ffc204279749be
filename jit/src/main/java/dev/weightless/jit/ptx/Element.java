package dev.weightless.jit.ptx;

/** Element types of the arrays a kernel can touch: off-heap arrays in global memory and shared arrays. */
enum Element {
    INT(JavaKind.INT, 4, "b32", "b32", "IntArray", "sharedIntArray", "I"),
    // Narrow loads sign-extend into 32-bit registers, as Java widens short and byte.
    SHORT(JavaKind.INT, 2, "s16", "b16", "ShortArray", "sharedShortArray", "S"),
    BYTE(JavaKind.INT, 1, "s8", "b8", "ByteArray", "sharedByteArray", "B"),
    LONG(JavaKind.LONG, 8, "b64", "b64", "LongArray", "sharedLongArray", "J"),
    FLOAT(JavaKind.FLOAT, 4, "f32", "f32", "FloatArray", "sharedFloatArray", "F");

    static final String API_PACKAGE = "dev/weightless/jit/kernel/";

    final JavaKind kind;
    final int bytes;
    final String loadType;
    final String storeType;
    /** Internal name of the off-heap array class. */
    final String arrayClass;
    final String sharedMethod;
    /** Descriptor of one element, as in {@code get(J)I}. */
    final String descriptor;

    Element(JavaKind kind, int bytes, String loadType, String storeType, String arrayClass, String sharedMethod, String descriptor) {
        this.kind = kind;
        this.bytes = bytes;
        this.loadType = loadType;
        this.storeType = storeType;
        this.arrayClass = API_PACKAGE + arrayClass;
        this.sharedMethod = sharedMethod;
        this.descriptor = descriptor;
    }

    /** log2 of the element size, for address arithmetic. */
    int shift() { return Integer.numberOfTrailingZeros(bytes); }

    static Element ofArrayClass(String internalName) {
        for (Element e : values()) if (e.arrayClass.equals(internalName)) return e;
        return null;
    }

    static Element ofSharedMethod(String name) {
        for (Element e : values()) if (e.sharedMethod.equals(name)) return e;
        return null;
    }
}
