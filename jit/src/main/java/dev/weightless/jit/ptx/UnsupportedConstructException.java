package dev.weightless.jit.ptx;

/**
 * A kernel uses something the PTX compiler does not translate. The compiler refuses rather than
 * approximate: the message names the construct, the method it is in and the bytecode index.
 */
public final class UnsupportedConstructException extends RuntimeException {
    private final String construct;
    private final String method;
    private final int bytecodeIndex;

    public UnsupportedConstructException(String construct, String method, int bytecodeIndex) {
        super(construct + " is not supported in a GPU kernel (in " + method + " at bytecode index " + bytecodeIndex + ")");
        this.construct = construct;
        this.method = method;
        this.bytecodeIndex = bytecodeIndex;
    }

    /** What was refused, for example {@code "object allocation (new java.lang.StringBuilder)"}. */
    public String construct() { return construct; }

    /** The method holding it: class name, method name and descriptor. */
    public String method() { return method; }

    /** The bytecode index of the refused instruction in {@link #method()} (0 for a parameter). */
    public int bytecodeIndex() { return bytecodeIndex; }
}
