package dev.weightless.jit.ptx;

import java.lang.classfile.MethodModel;
import java.lang.classfile.attribute.CodeAttribute;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** State shared by the kernel and every method inlined into it: registers, shared memory, frames. */
final class Compilation {
    /** Static shared memory a kernel may declare on NVIDIA GPUs (more needs dynamic shared memory). */
    static final int MAX_STATIC_SHARED_BYTES = 48 * 1024;

    final Registers registers = new Registers();
    final ClassFiles classes;
    private final Map<String, String> sharedSymbols = new HashMap<>();
    private final List<String> sharedDeclarations = new ArrayList<>();
    private final Map<String, String> sharedBases = new LinkedHashMap<>();
    private int sharedBytes;
    private final Map<String, Integer> inlineFrames = new HashMap<>();
    private final Deque<String> translating = new ArrayDeque<>();

    Compilation(Class<?> kernelClass) { classes = new ClassFiles(kernelClass); }

    MethodBytecode bytecode(String owner, MethodModel method) {
        CodeAttribute code = (CodeAttribute) method.code().orElseThrow(() -> new IllegalStateException("no code in " + owner + "." + method.methodName()));
        LoopUnroller.Unrolled unrolled = LoopUnroller.unroll(method, code);
        return unrolled == null ? new MethodBytecode(owner, method, code) : new MethodBytecode(owner, method, unrolled.code(), unrolled.originBci());
    }

    /**
     * The {@code .shared} symbol for the allocation at this call site (the same on every visit), or
     * null when it would pass the static shared-memory limit.
     */
    String sharedSymbol(int frame, int bci, Element element, int length) {
        String site = frame + ":" + bci;
        String symbol = sharedSymbols.get(site);
        if (symbol != null) return symbol;
        long bytes = (long) length * element.bytes;
        if (sharedBytes + bytes > MAX_STATIC_SHARED_BYTES) return null;
        symbol = "smem" + sharedSymbols.size();
        sharedSymbols.put(site, symbol);
        sharedBytes += (int) bytes;
        sharedDeclarations.add("\t.shared .align 8 .b8 " + symbol + "[" + bytes + "];\n");
        return symbol;
    }

    String sharedDeclarations() { return String.join("", sharedDeclarations); }

    /**
     * A register holding the address of a shared array, set once at the kernel's entry ({@link #sharedBaseMoves}):
     * a {@code mov} of the symbol next to each access left ptxas reloading the block's shared window
     * (S2R of the CTA id) inside loops and branches.
     */
    String sharedBase(String symbol) { return sharedBases.computeIfAbsent(symbol, s -> registers.temp(RegType.B32)); }

    /** The moves that set the {@link #sharedBase} registers, for the kernel's prologue. */
    String sharedBaseMoves() {
        StringBuilder s = new StringBuilder();
        sharedBases.forEach((symbol, register) -> s.append("\tmov.u32 ").append(register).append(", ").append(symbol).append(";\n"));
        return s.toString();
    }

    /** Frame number of the method inlined at this call site (stable across re-visits, so registers and labels are too). */
    int inlineFrame(int callerFrame, int bci) { return inlineFrames.computeIfAbsent(callerFrame + ":" + bci, k -> inlineFrames.size() + 1); }

    boolean isTranslating(String method) { return translating.contains(method); }

    void enter(String method) { translating.push(method); }

    void exit() { translating.pop(); }
}
