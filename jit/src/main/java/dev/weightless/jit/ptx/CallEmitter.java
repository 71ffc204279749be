package dev.weightless.jit.ptx;

import java.lang.classfile.AccessFlags;
import java.lang.classfile.Opcode;
import java.lang.classfile.instruction.FieldInstruction;
import java.lang.classfile.instruction.InvokeDynamicInstruction;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.constant.MethodTypeDesc;
import java.lang.reflect.AccessFlag;
import java.util.List;

import static dev.weightless.jit.ptx.MethodTranslator.KERNEL_CONTEXT;
import static dev.weightless.jit.ptx.MethodTranslator.dotted;

/**
 * Field reads and calls: the context and off-heap arrays, JDK intrinsics, and other static methods,
 * which are inlined. Everything else that touches objects is refused.
 */
final class CallEmitter {
    private static final List<String> HOST_CLASSES = List.of("Grid", "JvmExecutor", "KernelMethod", "Kernels");

    private final MethodTranslator t;
    private final MemoryEmitter memory;
    private final ContextEmitter context;
    private final IntrinsicEmitter intrinsics;

    CallEmitter(MethodTranslator t, MemoryEmitter memory) {
        this.t = t;
        this.memory = memory;
        this.context = new ContextEmitter(t, memory);
        this.intrinsics = new IntrinsicEmitter(t);
    }

    /** Only the kernel context's id fields can be read. */
    void field(FieldInstruction f) {
        String owner = f.owner().asInternalName();
        String name = dotted(owner) + "." + f.name().stringValue();
        switch (f.opcode()) {
            case GETFIELD -> {
                if (!owner.equals(KERNEL_CONTEXT)) throw t.refuse("instance field read " + name);
                context.field(f.name().stringValue());
            }
            case PUTFIELD -> throw t.refuse("instance field write " + name);
            case GETSTATIC -> throw t.refuse("static field read " + name);
            default -> throw t.refuse("static field write " + name);
        }
    }

    void invoke(InvokeInstruction i) {
        String owner = i.owner().asInternalName();
        String name = i.name().stringValue();
        String descriptor = i.type().stringValue();
        String call = "call to " + dotted(owner) + "." + name + descriptor;
        if (i.opcode() == Opcode.INVOKEVIRTUAL) {
            Element array = Element.ofArrayClass(owner);
            if (owner.equals(KERNEL_CONTEXT)) context.invoke(name, descriptor);
            else if (array != null) memory.invokeArray(array, name, descriptor);
            else throw t.refuse(call + " (invokevirtual)");
        } else if (i.opcode() == Opcode.INVOKESTATIC) {
            if (intrinsics.emit(owner, name, descriptor)) return;
            if (isLibrary(owner)) throw t.refuse(call + " (a library method without a GPU translation)");
            inline(owner, name, descriptor);
        } else {
            throw t.refuse(call + " (" + i.opcode().name().toLowerCase() + ")");
        }
    }

    /** JDK classes and the kernel API itself are never inlined: only the intrinsics translate. */
    private static boolean isLibrary(String owner) {
        if (owner.startsWith("java/") || owner.startsWith("javax/") || owner.startsWith("jdk/") || owner.startsWith("sun/")) return true;
        return owner.equals(KERNEL_CONTEXT) || Element.ofArrayClass(owner) != null
                || HOST_CLASSES.stream().anyMatch(c -> owner.equals(Element.API_PACKAGE + c));
    }

    /** Inlines a static call: arguments move into the callee's local registers, its returns branch to the end of its body. */
    private void inline(String owner, String name, String descriptor) {
        ClassFiles.Found found = t.compilation.classes.find(owner, name, descriptor);
        if (found == null) throw new IllegalStateException("no method " + owner + "." + name + descriptor);
        AccessFlags flags = found.method().flags();
        String callee = dotted(found.owner()) + "." + name + descriptor;
        if (t.compilation.isTranslating(callee)) throw t.refuse("recursion (" + callee + " is already being inlined)");
        if (flags.has(AccessFlag.NATIVE) || flags.has(AccessFlag.ABSTRACT)) throw t.refuse("call to native or abstract method " + callee);
        if (flags.has(AccessFlag.SYNCHRONIZED)) throw t.refuse("synchronized method " + callee);
        MethodTypeDesc type = MethodTypeDesc.ofDescriptor(descriptor);
        String returnDescriptor = type.returnType().descriptorString();
        JavaKind returnKind = JavaKind.ofDescriptor(returnDescriptor);
        if (returnKind == null && !returnDescriptor.equals("V")) throw t.refuse("call to " + callee + " returning a reference");

        MethodBytecode body = t.compilation.bytecode(found.owner(), found.method());
        int frame = t.compilation.inlineFrame(t.frame, t.bci());
        int argc = type.parameterCount();
        Value[] args = new Value[argc];
        String[] operands = new String[argc];
        for (int a = argc - 1; a >= 0; a--) {
            JavaKind kind = JavaKind.ofDescriptor(type.parameterType(a).descriptorString());
            if (kind == null) {
                args[a] = t.popAny();
            } else {
                operands[a] = t.pop(kind);
                args[a] = new Value.Prim(kind);
            }
        }
        t.comment("inlined " + callee);
        FrameState entry = new FrameState(body.code.maxLocals());
        for (int a = 0, slot = 0; a < argc; a++) {
            if (args[a] instanceof Value.Prim p) t.emit(p.kind().mov + " " + t.compilation.registers.local(frame, slot, p.kind()) + ", " + operands[a] + ";");
            entry.setLocal(slot, args[a]);
            slot += args[a].wide() ? 2 : 1;
        }
        String result = returnKind == null ? null : t.stackRegister(t.stack().size(), returnKind);
        String end = "L" + frame + "_end";
        PtxLines code;
        t.compilation.enter(callee);
        try {
            code = new MethodTranslator(t.compilation, body, frame, t.inLoop(), new MethodTranslator.ReturnTarget(returnKind, result, end)).translate(entry);
        } finally {
            t.compilation.exit();
        }
        code.dropTrailingBranchTo(end);
        t.append(code);
        t.label(end);
        if (returnKind != null) t.pushValue(new Value.Prim(returnKind));
    }

    static String invokeDynamicConstruct(InvokeDynamicInstruction d) {
        String factory = d.bootstrapMethod().owner().descriptorString();
        if (factory.equals("Ljava/lang/invoke/StringConcatFactory;")) return "invokedynamic (string concatenation)";
        if (factory.equals("Ljava/lang/invoke/LambdaMetafactory;")) return "invokedynamic (lambda or method reference)";
        return "invokedynamic (" + d.name().stringValue() + ")";
    }
}
