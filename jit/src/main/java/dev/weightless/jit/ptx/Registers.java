package dev.weightless.jit.ptx;

import java.util.HashMap;
import java.util.Map;

/**
 * Virtual registers of one kernel. Each local slot and stack depth of each (inlined) method frame
 * has one register per kind, so every path into a block leaves its values where the block reads them;
 * everything else gets a fresh temporary. ptxas does the real allocation.
 */
final class Registers {
    private final int[] counts = new int[RegType.values().length];
    private final Map<String, String> canonical = new HashMap<>();

    String temp(RegType type) { return type.prefix + counts[type.ordinal()]++; }

    String local(int frame, int slot, JavaKind kind) { return canonical.computeIfAbsent(frame + "L" + slot + kind, k -> temp(kind.reg)); }

    String stack(int frame, int depth, JavaKind kind) { return canonical.computeIfAbsent(frame + "S" + depth + kind, k -> temp(kind.reg)); }

    /** {@code .reg} lines for the register files in use. */
    String declarations() {
        StringBuilder s = new StringBuilder();
        for (RegType t : RegType.values()) {
            if (counts[t.ordinal()] > 0) s.append("\t.reg ").append(t.declaration).append(' ').append(t.prefix).append('<').append(counts[t.ordinal()]).append(">;\n");
        }
        return s.toString();
    }
}
