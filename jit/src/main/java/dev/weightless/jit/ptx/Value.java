package dev.weightless.jit.ptx;

/**
 * What the abstract interpreter knows about a local slot or stack entry. Primitives live in the
 * register of their location; references are known statically and never reach a register.
 */
sealed interface Value {
    /** A primitive in the canonical register of its local slot or stack depth. */
    record Prim(JavaKind kind) implements Value {}

    /** A constant pushed in this block, not yet in a register (it becomes an immediate operand). */
    record Const(JavaKind kind, long bits) implements Value {}

    /** The kernel's {@code KernelContext}. */
    record Context() implements Value {}

    /** An off-heap array parameter: its global address and element count live in registers loaded at entry. */
    record GlobalArray(Element element, String base, String count) implements Value {}

    /** A shared-memory array of constant length, at a {@code .shared} symbol. */
    record SharedArray(Element element, String symbol, int length) implements Value {}

    /** Unknown: uninitialised, or different values met at a merge point. */
    record Conflict() implements Value {}

    Value CONFLICT = new Conflict();

    /** Whether the value is a long or double (a category-2 entry for the JVM's stack instructions). */
    default boolean wide() {
        return switch (this) {
            case Prim p -> p.kind().wide();
            case Const c -> c.kind().wide();
            default -> false;
        };
    }
}
