package dev.weightless.jit.ptx;

import java.lang.classfile.TypeKind;

/**
 * Loads and stores: off-heap arrays in global memory (get/set/size) and shared arrays (Java array
 * instructions), plus the addresses atomics use. Accesses are unchecked, as in CUDA: an index out of
 * range is undefined on the GPU, where the JVM throws.
 */
final class MemoryEmitter {
    private final MethodTranslator t;

    MemoryEmitter(MethodTranslator t) { this.t = t; }

    /** An address operand and the state space it lies in. */
    record Address(String space, String operand) {}

    /** {@code IntArray.get(long)}, {@code set(long, int)}, {@code size()} and the same on the other off-heap arrays; {@code IntArray.getL2Fetch(long, int)}, {@code LongArray.setStreaming(long, long)}. */
    void invokeArray(Element e, String name, String descriptor) {
        if (name.equals("get") && descriptor.equals("(J)" + e.descriptor)) globalLoad(e);
        else if (name.equals("set") && descriptor.equals("(J" + e.descriptor + ")V")) globalStore(e, "st.global.");
        else if (name.equals("setStreaming") && descriptor.equals("(J" + e.descriptor + ")V")) globalStore(e, "st.global.cs.");
        else if (name.equals("size") && descriptor.equals("()J")) size();
        else if (name.equals("getL2Fetch") && descriptor.equals("(JI)I") && e.bytes == 4) fetchingLoad(e);
        else throw t.refuse("call to " + MethodTranslator.dotted(e.arrayClass) + "." + name + descriptor + " (host-side method)");
    }

    private void globalLoad(Element e) {
        Long constant = t.constantOnTop();
        String index = t.pop(JavaKind.LONG);
        Address a = global(globalArray(t.popReference()), index, constant);
        t.emit("ld.global." + e.loadType + " " + t.push(e.kind) + ", " + a.operand() + ";");
    }

    /** {@code IntArray.getL2Fetch(i, bytes)}: a load whose L2 miss fetches {@code bytes} (a constant: 64, 128 or 256). */
    private void fetchingLoad(Element e) {
        Long bytes = t.constantOnTop();
        if (bytes == null || (bytes != 64 && bytes != 128 && bytes != 256)) {
            throw t.refuse("IntArray.getL2Fetch with an L2 fetch size that is not the constant 64, 128 or 256");
        }
        t.pop(JavaKind.INT);
        Long constant = t.constantOnTop();
        String index = t.pop(JavaKind.LONG);
        Address a = global(globalArray(t.popReference()), index, constant);
        t.emit("ld.global.L2::" + bytes + "B." + e.loadType + " " + t.push(e.kind) + ", " + a.operand() + ";");
    }

    /** {@code set}, or {@code setStreaming} with the {@code .cs} (evict-first) cache operator. */
    private void globalStore(Element e, String instruction) {
        String value = t.pop(e.kind);
        Long constant = t.constantOnTop();
        String index = t.pop(JavaKind.LONG);
        Address a = global(globalArray(t.popReference()), index, constant);
        t.emit(instruction + e.storeType + " " + a.operand() + ", " + value + ";");
    }

    /** {@code size()}: the element count passed with the array. */
    private void size() {
        Value.GlobalArray array = globalArray(t.popReference());
        t.emit("mov.b64 " + t.push(JavaKind.LONG) + ", " + array.count() + ";");
    }

    /** iaload, saload, ...: only shared arrays exist as Java arrays in a kernel. */
    void sharedLoad(TypeKind type) {
        Long constant = t.constantOnTop();
        String index = t.pop(JavaKind.INT);
        Value.SharedArray array = sharedArray(t.popReference(), type);
        Address a = shared(array, index, constant);
        t.emit("ld.shared." + array.element().loadType + " " + t.push(array.element().kind) + ", " + a.operand() + ";");
    }

    void sharedStore(TypeKind type) {
        JavaKind kind = JavaKind.of(type);
        if (kind == null) throw t.refuse("array of references");
        String value = t.pop(kind);
        Long constant = t.constantOnTop();
        String index = t.pop(JavaKind.INT);
        Value.SharedArray array = sharedArray(t.popReference(), type);
        Address a = shared(array, index, constant);
        t.emit("st.shared." + array.element().storeType + " " + a.operand() + ", " + value + ";");
    }

    /** arraylength of a shared array folds to its constant length. */
    void arrayLength() {
        Value ref = t.popReference();
        if (!(ref instanceof Value.SharedArray s)) throw t.refuse("array length of a non-shared array");
        t.pushValue(new Value.Const(JavaKind.INT, s.length()));
    }

    /** {@code ctx.shared*Array(length)}: a {@code .shared} block per call site; the length must be a constant. */
    void allocateShared(Element e) {
        Long constant = t.constantOnTop();
        if (constant == null) throw t.refuse("shared array with non-constant length");
        t.pop(JavaKind.INT);
        t.popReference(); // the context
        int length = constant.intValue();
        if (length < 1) throw t.refuse("shared array of length " + length);
        // A GPU block has one array per call site; the JVM would hand out a new one per iteration.
        if (t.inLoop()) throw t.refuse("shared array allocated in a loop");
        String symbol = t.compilation.sharedSymbol(t.frame, t.bci(), e, length);
        if (symbol == null) throw t.refuse("shared arrays over " + Compilation.MAX_SHARED_BYTES + " bytes per block");
        t.pushValue(new Value.SharedArray(e, symbol, length));
    }

    /** Address of element {@code index} (a long operand; {@code constant} its value when an immediate) of an off-heap array. */
    Address global(Value.GlobalArray array, String index, Long constant) {
        int bytes = array.element().bytes;
        // Small constant indexes become an immediate offset (PTX offsets are 32-bit).
        if (constant != null && constant >= 0 && constant <= Integer.MAX_VALUE / bytes) {
            long offset = constant * bytes;
            return new Address("global", offset == 0 ? "[" + array.base() + "]" : "[" + array.base() + "+" + offset + "]");
        }
        String address = t.temp(RegType.B64);
        if (bytes == 1) t.emit("add.s64 " + address + ", " + array.base() + ", " + index + ";");
        else {
            String scaled = t.temp(RegType.B64);
            t.emit("shl.b64 " + scaled + ", " + index + ", " + array.element().shift() + ";");
            t.emit("add.s64 " + address + ", " + array.base() + ", " + scaled + ";");
        }
        return new Address("global", "[" + address + "]");
    }

    /** Address of element {@code index} (an int operand) of a shared array: shared addresses are 32-bit. */
    Address shared(Value.SharedArray array, String index, Long constant) {
        int bytes = array.element().bytes;
        if (constant != null && constant >= 0 && constant <= Integer.MAX_VALUE / bytes) {
            long offset = constant * bytes;
            return new Address("shared", t.compilation.sharedAddress(array.symbol(), offset));
        }
        String base = t.compilation.sharedBase(array.symbol()), address = t.temp(RegType.B32);
        if (bytes == 1) t.emit("add.s32 " + address + ", " + base + ", " + index + ";");
        else {
            String scaled = t.temp(RegType.B32);
            t.emit("shl.b32 " + scaled + ", " + index + ", " + array.element().shift() + ";");
            t.emit("add.s32 " + address + ", " + base + ", " + scaled + ";");
        }
        return new Address("shared", "[" + address + "]");
    }

    Value.GlobalArray globalArray(Value ref) {
        if (ref instanceof Value.GlobalArray g) return g;
        throw new IllegalStateException("expected an off-heap array parameter, found " + ref);
    }

    Value.SharedArray sharedArray(Value ref, TypeKind type) {
        if (ref instanceof Value.SharedArray s) return s;
        throw t.refuse("access to a " + type.name().toLowerCase() + " array that is not a KernelContext shared array");
    }
}
