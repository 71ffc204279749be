package dev.weightless.jit.ptx;

import java.lang.classfile.CodeElement;
import java.lang.classfile.Instruction;
import java.lang.classfile.Label;
import java.lang.classfile.MethodModel;
import java.lang.classfile.Opcode;
import java.lang.classfile.attribute.CodeAttribute;
import java.lang.classfile.instruction.BranchInstruction;
import java.lang.classfile.instruction.DiscontinuedInstruction;
import java.lang.classfile.instruction.LookupSwitchInstruction;
import java.lang.classfile.instruction.ReturnInstruction;
import java.lang.classfile.instruction.SwitchCase;
import java.lang.classfile.instruction.TableSwitchInstruction;
import java.lang.classfile.instruction.ThrowInstruction;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Set;
import java.util.TreeSet;

/** One method's instructions with their bytecode indexes, split into basic blocks. */
final class MethodBytecode {
    final String owner;
    final String name;
    final String descriptor;
    final MethodModel model;
    final CodeAttribute code;
    private final List<Instruction> instructions = new ArrayList<>();
    private final List<Integer> bcis = new ArrayList<>();
    private final Map<Integer, Integer> indexAt = new HashMap<>();
    private final NavigableSet<Integer> blockStarts = new TreeSet<>();
    private final Set<Integer> jumpTargets = new HashSet<>();
    private final Set<Integer> loopBlocks = new HashSet<>();

    /** For code the loop unroller rewrote: each instruction's bytecode index in the original method (null: this is the original). */
    private final int[] originBci;

    MethodBytecode(String owner, MethodModel model, CodeAttribute code) { this(owner, model, code, null); }

    MethodBytecode(String owner, MethodModel model, CodeAttribute code, int[] originBci) {
        this.originBci = originBci;
        this.owner = owner;
        this.name = model.methodName().stringValue();
        this.descriptor = model.methodType().stringValue();
        this.model = model;
        this.code = code;
        int bci = 0;
        for (CodeElement e : code) {
            if (e instanceof Instruction i) {
                indexAt.put(bci, instructions.size());
                instructions.add(i);
                bcis.add(bci);
                bci += i.sizeInBytes();
            }
        }
        findBlocks();
        findLoops();
    }

    int size() { return instructions.size(); }

    Instruction instruction(int index) { return instructions.get(index); }

    int bciAt(int index) { return bcis.get(index); }

    int indexAt(int bci) {
        Integer i = indexAt.get(bci);
        if (i == null) throw new IllegalStateException("no instruction at bytecode index " + bci + " of " + display());
        return i;
    }

    int bci(Label label) { return code.labelToBci(label); }

    /** The bytecode index in the method as javac wrote it, for messages: unrolled copies name their original. */
    int originBci(int bci) {
        if (originBci == null) return bci;
        Integer i = indexAt.get(bci);
        return i == null ? bci : originBci[i];
    }

    NavigableSet<Integer> blockStarts() { return blockStarts; }

    boolean isBlockStart(int bci) { return blockStarts.contains(bci); }

    boolean isJumpTarget(int bci) { return jumpTargets.contains(bci); }

    /** Whether the block holding {@code bci} can run more than once (it lies on a cycle). */
    boolean inLoop(int bci) { return loopBlocks.contains(blockStarts.floor(bci)); }

    /** Class, method name and descriptor, as in {@code a.b.C.run(I)V}. */
    String display() { return owner.replace('/', '.') + "." + name + descriptor; }

    private void findBlocks() {
        blockStarts.add(0);
        for (int i = 0; i < instructions.size(); i++) {
            Instruction insn = instructions.get(i);
            List<Integer> targets = targets(insn);
            jumpTargets.addAll(targets);
            blockStarts.addAll(targets);
            if (endsBlock(insn) && i + 1 < instructions.size()) blockStarts.add(bcis.get(i + 1));
        }
    }

    private static boolean endsBlock(Instruction i) {
        return i instanceof BranchInstruction || i instanceof TableSwitchInstruction || i instanceof LookupSwitchInstruction
                || i instanceof ReturnInstruction || i instanceof ThrowInstruction || i instanceof DiscontinuedInstruction;
    }

    private List<Integer> targets(Instruction i) {
        List<Integer> t = new ArrayList<>();
        switch (i) {
            case BranchInstruction b -> t.add(bci(b.target()));
            case TableSwitchInstruction s -> {
                t.add(bci(s.defaultTarget()));
                for (SwitchCase c : s.cases()) t.add(bci(c.target()));
            }
            case LookupSwitchInstruction s -> {
                t.add(bci(s.defaultTarget()));
                for (SwitchCase c : s.cases()) t.add(bci(c.target()));
            }
            default -> { }
        }
        return t;
    }

    /** Successor blocks of the block starting at {@code start}. */
    private List<Integer> successors(int start) {
        Integer next = blockStarts.higher(start);
        int last = next == null ? instructions.size() - 1 : indexAt(next) - 1;
        Instruction end = instructions.get(last);
        List<Integer> s = new ArrayList<>(targets(end));
        boolean unconditional = end instanceof BranchInstruction b && (b.opcode() == Opcode.GOTO || b.opcode() == Opcode.GOTO_W);
        boolean fallsThrough = !unconditional && !(end instanceof TableSwitchInstruction) && !(end instanceof LookupSwitchInstruction)
                && !(end instanceof ReturnInstruction) && !(end instanceof ThrowInstruction) && !(end instanceof DiscontinuedInstruction);
        if (fallsThrough && next != null) s.add(next);
        return s;
    }

    /** Marks every block that can reach itself: shared arrays must not be allocated there. */
    private void findLoops() {
        Map<Integer, List<Integer>> succ = new HashMap<>();
        for (int b : blockStarts) succ.put(b, successors(b));
        for (int b : blockStarts) {
            Set<Integer> seen = new HashSet<>();
            List<Integer> todo = new ArrayList<>(succ.get(b));
            while (!todo.isEmpty()) {
                int x = todo.removeLast();
                if (x == b) {
                    loopBlocks.add(b);
                    break;
                }
                if (seen.add(x)) todo.addAll(succ.get(x));
            }
        }
    }
}
