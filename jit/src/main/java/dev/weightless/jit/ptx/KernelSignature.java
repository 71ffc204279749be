package dev.weightless.jit.ptx;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;

/**
 * The kernel's parameters after the context, as PTX parameters {@code p0, p1, ...}, with the
 * prologue that loads them into the registers of their local slots (arrays: a global address and
 * an element count, {@code NAME} and {@code NAME_n}).
 */
final class KernelSignature {
    final List<PtxKernel.Param> params = new ArrayList<>();
    final List<String> declarations = new ArrayList<>();
    final PtxLines prologue = new PtxLines();
    final FrameState entry;

    KernelSignature(Method kernel, MethodBytecode code, Registers registers) {
        entry = new FrameState(code.code.maxLocals());
        entry.setLocal(0, new Value.Context());
        Class<?>[] types = kernel.getParameterTypes();
        for (int i = 1, slot = 1; i < types.length; i++) {
            Class<?> type = types[i];
            String name = "p" + (i - 1);
            JavaKind kind = JavaKind.ofClass(type);
            Element element = elementOf(type);
            if (kind != null) {
                String reg = registers.local(0, slot, kind);
                declarations.add(".param ." + kind.type + " " + name);
                prologue.op("ld.param." + kind.type + " " + reg + ", [" + name + "];");
                entry.setLocal(slot, new Value.Prim(kind));
                params.add(new PtxKernel.Param(name, paramKind(kind), type));
                slot += kind.wide() ? 2 : 1;
            } else if (element != null) {
                String base = registers.temp(RegType.B64), count = registers.temp(RegType.B64);
                declarations.add(".param .u64 " + name);
                declarations.add(".param .u64 " + name + "_n");
                prologue.op("ld.param.u64 " + base + ", [" + name + "];");
                prologue.op("cvta.to.global.u64 " + base + ", " + base + ";");
                prologue.op("ld.param.u64 " + count + ", [" + name + "_n];");
                entry.setLocal(slot, new Value.GlobalArray(element, base, count));
                params.add(new PtxKernel.Param(name, PtxKernel.Kind.ARRAY, type));
                slot++;
            } else if (type.isArray()) {
                throw new UnsupportedConstructException("Java heap array parameter (" + type.getSimpleName() + "; use an off-heap array such as IntArray)", code.display(), 0);
            } else {
                throw new UnsupportedConstructException("parameter of type " + type.getName(), code.display(), 0);
            }
        }
    }

    private static Element elementOf(Class<?> type) {
        return type.getName().startsWith("dev.weightless.jit.kernel.") ? Element.ofArrayClass(type.getName().replace('.', '/')) : null;
    }

    private static PtxKernel.Kind paramKind(JavaKind kind) {
        return switch (kind) {
            case INT -> PtxKernel.Kind.INT;
            case LONG -> PtxKernel.Kind.LONG;
            case FLOAT -> PtxKernel.Kind.FLOAT;
            case DOUBLE -> PtxKernel.Kind.DOUBLE;
        };
    }
}
