package dev.weightless.jit.ptx;

import java.util.ArrayList;
import java.util.List;

/** PTX instructions and labels of a block or method body, in order. */
final class PtxLines {
    private final List<String> lines = new ArrayList<>();

    void op(String instruction) { lines.add("\t" + instruction); }

    void label(String name) { lines.add(name + ":"); }

    void comment(String text) { lines.add("\t// " + text); }

    void append(PtxLines other) { lines.addAll(other.lines); }

    /** Drops a final {@code bra target;}, redundant when the target label comes next. */
    void dropTrailingBranchTo(String target) {
        if (!lines.isEmpty() && lines.getLast().equals("\tbra " + target + ";")) lines.removeLast();
    }

    void appendTo(StringBuilder s) {
        for (String line : lines) s.append(line).append('\n');
    }
}
