package dev.weightless.jit.ptx;

import java.lang.classfile.TypeKind;

/** A primitive value as the JVM computes with it: boolean, byte, short and char are ints. */
enum JavaKind {
    INT(RegType.B32, "s32", "mov.b32"),
    LONG(RegType.B64, "s64", "mov.b64"),
    FLOAT(RegType.F32, "f32", "mov.f32"),
    DOUBLE(RegType.F64, "f64", "mov.f64");

    final RegType reg;
    /** The PTX type of arithmetic on this kind: s32, s64, f32, f64. */
    final String type;
    final String mov;

    JavaKind(RegType reg, String type, String mov) {
        this.reg = reg;
        this.type = type;
        this.mov = mov;
    }

    /** Longs and doubles take two local slots and count as one category-2 stack entry. */
    boolean wide() { return this == LONG || this == DOUBLE; }

    /** A PTX immediate for a constant held as raw bits (float and double literals are exact hex). */
    String literal(long bits) {
        return switch (this) {
            case INT -> Integer.toString((int) bits);
            // The one long whose decimal form overflows the literal's signed parse.
            case LONG -> bits == Long.MIN_VALUE ? "0x8000000000000000" : Long.toString(bits);
            case FLOAT -> String.format("0f%08X", (int) bits);
            case DOUBLE -> String.format("0d%016X", bits);
        };
    }

    /** The kind of a JVM type, or null for references and void. */
    static JavaKind of(TypeKind t) {
        return switch (t) {
            case BOOLEAN, BYTE, CHAR, SHORT, INT -> INT;
            case LONG -> LONG;
            case FLOAT -> FLOAT;
            case DOUBLE -> DOUBLE;
            case REFERENCE, VOID -> null;
        };
    }

    /** The kind of a field or method descriptor type such as {@code "I"} or {@code "[I"} (null: reference or void). */
    static JavaKind ofDescriptor(String descriptor) {
        return switch (descriptor.charAt(0)) {
            case 'Z', 'B', 'C', 'S', 'I' -> INT;
            case 'J' -> LONG;
            case 'F' -> FLOAT;
            case 'D' -> DOUBLE;
            default -> null;
        };
    }

    /** The kind of a Java parameter class, or null for references. */
    static JavaKind ofClass(Class<?> c) {
        if (c == int.class || c == short.class || c == byte.class || c == char.class || c == boolean.class) return INT;
        if (c == long.class) return LONG;
        if (c == float.class) return FLOAT;
        if (c == double.class) return DOUBLE;
        return null;
    }
}
