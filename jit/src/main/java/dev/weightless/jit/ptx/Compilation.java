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
    /** Shared memory a block may have on sm_90, static and dynamic together. */
    static final int MAX_SHARED_BYTES = 227 * 1024;
    /** The module's dynamic shared-memory array, where shared arrays go once the static ones fill their 48 KiB. */
    static final String DYNAMIC_SHARED = "dsmem";

    final Registers registers = new Registers();
    final ClassFiles classes;
    private final Map<String, String> sharedSymbols = new HashMap<>();
    private final List<String> sharedDeclarations = new ArrayList<>();
    private final Map<String, String> sharedBases = new LinkedHashMap<>();
    private int sharedBytes;
    /** Byte offset in {@link #DYNAMIC_SHARED} of each array placed there, by symbol. */
    private final Map<String, Integer> dynamicOffsets = new HashMap<>();
    private int dynamicBytes;
    private final Map<String, Integer> inlineFrames = new HashMap<>();
    private final Deque<String> translating = new ArrayDeque<>();

    Compilation(Class<?> kernelClass) { classes = new ClassFiles(kernelClass); }

    MethodBytecode bytecode(String owner, MethodModel method) {
        CodeAttribute code = (CodeAttribute) method.code().orElseThrow(() -> new IllegalStateException("no code in " + owner + "." + method.methodName()));
        LoopUnroller.Unrolled unrolled = LoopUnroller.unroll(method, code);
        return unrolled == null ? new MethodBytecode(owner, method, code) : new MethodBytecode(owner, method, unrolled.code(), unrolled.originBci());
    }

    /**
     * The symbol of the shared array allocated at this call site (the same on every visit), or null when it
     * would pass the block's shared-memory limit. Arrays are declared {@code .shared} while they fit in the
     * 48 KiB of static shared memory; later ones are placed in the dynamic shared memory ({@link #DYNAMIC_SHARED}),
     * whose size the kernel then asks of its launches ({@link PtxKernel#dynamicSharedBytes()}).
     */
    String sharedSymbol(int frame, int bci, Element element, int length) {
        String site = frame + ":" + bci;
        String symbol = sharedSymbols.get(site);
        if (symbol != null) return symbol;
        long bytes = (long) length * element.bytes;
        boolean fitsStatic = sharedBytes + bytes <= MAX_STATIC_SHARED_BYTES;
        long dynamicAt = (dynamicBytes + 7) & ~7L; // every array 8-byte aligned, as the static ones
        if (!fitsStatic && sharedBytes + dynamicAt + bytes > MAX_SHARED_BYTES) return null;
        symbol = "smem" + sharedSymbols.size();
        sharedSymbols.put(site, symbol);
        if (fitsStatic) {
            sharedBytes += (int) bytes;
            sharedDeclarations.add("\t.shared .align 8 .b8 " + symbol + "[" + bytes + "];\n");
        } else {
            dynamicOffsets.put(symbol, (int) dynamicAt);
            dynamicBytes = (int) (dynamicAt + bytes);
        }
        return symbol;
    }

    /** Bytes of dynamic shared memory the kernel's launches must give it (0 when every array is static). */
    int dynamicSharedBytes() { return dynamicBytes; }

    /** Module-level declarations: the dynamic shared array when some shared array lives there. */
    String moduleDeclarations() { return dynamicBytes == 0 ? "" : ".extern .shared .align 16 .b8 " + DYNAMIC_SHARED + "[];\n\n"; }

    /** The address operand of byte {@code offset} of shared array {@code symbol}. */
    String sharedAddress(String symbol, long offset) {
        Integer at = dynamicOffsets.get(symbol);
        String base = at == null ? symbol : DYNAMIC_SHARED;
        long total = offset + (at == null ? 0 : at);
        return total == 0 ? "[" + base + "]" : "[" + base + "+" + total + "]";
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
        sharedBases.forEach((symbol, register) -> {
            Integer at = dynamicOffsets.get(symbol);
            s.append("\tmov.u32 ").append(register).append(", ").append(at == null ? symbol : DYNAMIC_SHARED).append(";\n");
            if (at != null && at != 0) s.append("\tadd.u32 ").append(register).append(", ").append(register).append(", ").append(at).append(";\n");
        });
        return s.toString();
    }

    /** Frame number of the method inlined at this call site (stable across re-visits, so registers and labels are too). */
    int inlineFrame(int callerFrame, int bci) { return inlineFrames.computeIfAbsent(callerFrame + ":" + bci, k -> inlineFrames.size() + 1); }

    boolean isTranslating(String method) { return translating.contains(method); }

    void enter(String method) { translating.push(method); }

    void exit() { translating.pop(); }
}
