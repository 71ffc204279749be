package dev.weightless.jit.ptx;

import java.lang.classfile.TypeKind;

/**
 * Atomics on shared and global arrays ({@code atom.shared.*}, {@code atom.global.*}), returning the
 * old value. PTX's default semantics are relaxed at GPU scope, as CUDA's atomicAdd and friends.
 */
final class AtomicEmitter {
    private final MethodTranslator t;
    private final MemoryEmitter memory;

    AtomicEmitter(MethodTranslator t, MemoryEmitter memory) {
        this.t = t;
        this.memory = memory;
    }

    /** {@code ctx.atomicX(int[]/long[] shared, int index, value...)}. */
    void shared(String op, JavaKind kind, int operands) {
        String values = popValues(kind, operands);
        Long constant = t.constantOnTop();
        String index = t.pop(JavaKind.INT);
        Value.SharedArray array = memory.sharedArray(t.popReference(), kind == JavaKind.LONG ? TypeKind.LONG : TypeKind.INT);
        finish(op, kind, memory.shared(array, index, constant), values);
    }

    /** {@code ctx.atomicX(IntArray/LongArray global, long index, value...)}. */
    void global(String op, JavaKind kind, int operands) {
        String values = popValues(kind, operands);
        Long constant = t.constantOnTop();
        String index = t.pop(JavaKind.LONG);
        Value.GlobalArray array = memory.globalArray(t.popReference());
        finish(op, kind, memory.global(array, index, constant), values);
    }

    private String popValues(JavaKind kind, int operands) {
        String[] values = new String[operands];
        for (int i = operands - 1; i >= 0; i--) values[i] = t.pop(kind);
        return String.join(", ", values);
    }

    private void finish(String op, JavaKind kind, MemoryEmitter.Address address, String values) {
        t.popReference(); // the context
        t.emit("atom." + address.space() + "." + op + " " + t.push(kind) + ", " + address.operand() + ", " + values + ";");
    }
}
