package dev.weightless.jit.ptx;

import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.CodeBuilder;
import java.lang.classfile.CodeElement;
import java.lang.classfile.Instruction;
import java.lang.classfile.Label;
import java.lang.classfile.MethodModel;
import java.lang.classfile.Opcode;
import java.lang.classfile.TypeKind;
import java.lang.classfile.attribute.CodeAttribute;
import java.lang.classfile.instruction.BranchInstruction;
import java.lang.classfile.instruction.ConstantInstruction;
import java.lang.classfile.instruction.IncrementInstruction;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.classfile.instruction.LabelTarget;
import java.lang.classfile.instruction.LoadInstruction;
import java.lang.classfile.instruction.LookupSwitchInstruction;
import java.lang.classfile.instruction.OperatorInstruction;
import java.lang.classfile.instruction.StoreInstruction;
import java.lang.classfile.instruction.SwitchCase;
import java.lang.classfile.instruction.TableSwitchInstruction;
import java.lang.constant.ClassDesc;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Full unrolling of small counted loops, done on the bytecode before translation: ptxas does not unroll
 * PTX loops, while nvcc unrolls CUDA C's small constant-trip loops, and an unrolled body lets the loop
 * variable become an immediate (shuffle offsets, shared-memory offsets, shift counts).
 *
 * <p>A loop is unrolled when it has javac's shape for {@code for (int i = A; i <cmp> B; i = i <op> C)} with
 * A, B and C constants: a constant stored into int local i just before the header; the header loads i,
 * compares it with B (or zero) and exits forward to the label right after the loop; the body is innermost
 * (no backward branch), never writes i, branches only inside itself, and allocates no shared array; the update
 * is {@code iinc} or {@code iload i; const C; op; istore i} with op one of + - * &lt;&lt; &gt;&gt; &gt;&gt;&gt;; and
 * the trip count, found by running the header and update on the constants with Java's int arithmetic, is
 * at most {@link #MAX_TRIPS} with at most {@link #MAX_UNROLLED} instructions in all. Each copy of the body
 * reads i as the constant of its iteration; after the copies i holds its final value, as after the loop.
 * Loops that become innermost after their inner loops are unrolled are considered again. The result is the
 * same program for the JVM (which runs the original), so the JVM executor stays the reference.
 */
final class LoopUnroller {
    /** {@code -Dweightless.jit.unroll=false} turns unrolling off, to measure what it does (GPU benchmarks). */
    static final boolean ENABLED = !"false".equals(System.getProperty("weightless.jit.unroll"));
    /** Iterations a fully unrolled loop may have. */
    static final int MAX_TRIPS = 32;
    /** Instructions one unrolled loop may grow to. */
    static final int MAX_UNROLLED = 1200;
    /** Instructions a method may grow to through unrolling (kernels are small; this bounds compile time and PTX size). */
    static final int MAX_METHOD = 8000;

    private LoopUnroller() {}

    /** The method's code with its counted loops unrolled, and each new instruction's origin in the original. */
    record Unrolled(CodeAttribute code, int[] originBci) {}

    /** Unrolled code, or null when nothing was unrolled (or the method has exception handlers, which are refused later). */
    static Unrolled unroll(MethodModel method, CodeAttribute code) {
        if (!ENABLED || !code.exceptionHandlers().isEmpty()) return null;
        List<Item> items = items(code);
        boolean changed = false;
        while (true) {
            List<Item> next = unrollOne(items);
            if (next == null) break;
            items = next;
            changed = true;
        }
        if (!changed) return null;
        return build(method, items);
    }

    // ---- the code as a list of items, labels as numbers

    private sealed interface Item {}

    /** An instruction that names no label, copied as it is. */
    private record Insn(Instruction insn, int origin) implements Item {}

    /** A branch to label {@code target}. */
    private record Jump(Opcode op, int target, int origin) implements Item {}

    /** A tableswitch or lookupswitch: default and case targets as label numbers. */
    private record Switch(boolean table, int low, int high, int defaultTarget, List<Integer> values, List<Integer> targets, int origin) implements Item {}

    /** Binds label {@code label} here. */
    private record Bind(int label) implements Item {}

    /** An int constant (a copied loop variable, or its final value). */
    private record Push(int value, int origin) implements Item {}

    private static List<Item> items(CodeAttribute code) {
        Map<Label, Integer> numbers = new HashMap<>();
        List<Item> items = new ArrayList<>();
        int bci = 0;
        for (CodeElement e : code) {
            switch (e) {
                case LabelTarget t -> items.add(new Bind(number(numbers, t.label())));
                case BranchInstruction b -> items.add(new Jump(b.opcode(), number(numbers, b.target()), bci));
                case TableSwitchInstruction s -> items.add(new Switch(true, s.lowValue(), s.highValue(), number(numbers, s.defaultTarget()),
                        s.cases().stream().map(SwitchCase::caseValue).toList(), s.cases().stream().map(c -> number(numbers, c.target())).toList(), bci));
                case LookupSwitchInstruction s -> items.add(new Switch(false, 0, 0, number(numbers, s.defaultTarget()),
                        s.cases().stream().map(SwitchCase::caseValue).toList(), s.cases().stream().map(c -> number(numbers, c.target())).toList(), bci));
                case Instruction i -> items.add(new Insn(i, bci));
                default -> { } // line numbers, local variable tables: not needed for translation
            }
            if (e instanceof Instruction i) bci += i.sizeInBytes();
        }
        return items;
    }

    private static int number(Map<Label, Integer> numbers, Label l) { return numbers.computeIfAbsent(l, k -> numbers.size()); }

    // ---- finding and unrolling one loop

    /** The items with the first unrollable loop unrolled, or null when there is none. */
    private static List<Item> unrollOne(List<Item> items) {
        int size = instructions(items, 0, items.size());
        for (int h = 2; h < items.size(); h++) {
            if (!(items.get(h) instanceof Bind header)) continue;
            Loop loop = match(items, h, header.label());
            if (loop == null) continue;
            int body = instructions(items, loop.bodyFrom, loop.bodyTo);
            if (loop.values.size() * body > MAX_UNROLLED || size - (loop.exit - h) + loop.values.size() * body + 2 > MAX_METHOD) continue;
            return expand(items, h, loop);
        }
        return null;
    }

    /** A counted loop found at a header: the body's item range, the values of i per iteration and after, the exit bind's index. */
    private record Loop(int slot, int bodyFrom, int bodyTo, List<Integer> values, int last, int exit, int origin) {}

    private static Loop match(List<Item> items, int h, int header) {
        // Initialisation: a constant stored into an int local just before the header.
        Integer init = constant(items.get(h - 2));
        if (init == null || !(items.get(h - 1) instanceof Insn(StoreInstruction st, int o1)) || st.typeKind() != TypeKind.INT) return null;
        int slot = st.slot();
        // Header: iload i, [const B], if<cond> exit.
        int at = h + 1;
        if (!isLoad(items, at, slot)) return null;
        at++;
        Integer bound = constant(items.get(at));
        if (bound != null) at++;
        if (!(items.get(at) instanceof Jump(Opcode test, int exit, int o2))) return null;
        if (bound == null && !isZeroCompare(test)) return null;
        if (bound != null && !isIntCompare(test)) return null;
        int bodyFrom = at + 1;
        // The back edge: the only branch to the header, followed by the exit label.
        int back = -1;
        for (int i = 0; i < items.size(); i++) {
            if (targets(items.get(i)).contains(header)) {
                if (back >= 0 || i < h || !(items.get(i) instanceof Jump(Opcode op, int t, int o)) || op != Opcode.GOTO) return null;
                back = i;
            }
        }
        if (back < 0 || back + 1 >= items.size() || !(items.get(back + 1) instanceof Bind(int bound2)) || bound2 != exit) return null;
        // Update: iinc i, or iload i; const; op; istore i.
        int bodyTo;
        java.util.function.IntUnaryOperator update;
        if (items.get(back - 1) instanceof Insn(IncrementInstruction inc, int o3) && inc.slot() == slot) {
            bodyTo = back - 1;
            int c = inc.constant();
            update = v -> v + c;
        } else if (back - 4 >= bodyFrom && isLoad(items, back - 4, slot) && constant(items.get(back - 3)) != null
                && items.get(back - 2) instanceof Insn(OperatorInstruction op, int o4)
                && items.get(back - 1) instanceof Insn(StoreInstruction s2, int o5) && s2.typeKind() == TypeKind.INT && s2.slot() == slot) {
            bodyTo = back - 4;
            int c = constant(items.get(back - 3));
            update = switch (op.opcode()) {
                case IADD -> v -> v + c;
                case ISUB -> v -> v - c;
                case IMUL -> v -> v * c;
                case ISHL -> v -> v << c;
                case ISHR -> v -> v >> c;
                case IUSHR -> v -> v >>> c;
                default -> null;
            };
            if (update == null) return null;
        } else {
            return null;
        }
        if (!bodyIsUnrollable(items, bodyFrom, bodyTo, slot, h, back)) return null;
        // The iterations, run on the constants.
        List<Integer> values = new ArrayList<>();
        int v = init;
        while (!exits(test, v, bound == null ? 0 : bound)) {
            if (values.size() == MAX_TRIPS) return null;
            values.add(v);
            v = update.applyAsInt(v);
        }
        if (values.isEmpty()) return null;
        return new Loop(slot, bodyFrom, bodyTo, values, v, back + 1, origin(items.get(back - 1)));
    }

    /**
     * The body writes no i, has no backward branch (it is innermost), branches only to labels bound inside
     * it, allocates no shared array; and nothing outside the loop branches into it.
     */
    private static boolean bodyIsUnrollable(List<Item> items, int from, int to, int slot, int h, int back) {
        Set<Integer> bound = new HashSet<>();
        for (int i = from; i < to; i++) if (items.get(i) instanceof Bind(int l)) bound.add(l);
        Set<Integer> seen = new HashSet<>();
        for (int i = from; i < to; i++) {
            Item item = items.get(i);
            if (item instanceof Bind(int l)) seen.add(l);
            for (int target : targets(item)) {
                if (!bound.contains(target) || seen.contains(target)) return false; // leaves the body, or jumps back
            }
            if (item instanceof Insn(Instruction insn, int o)) {
                switch (insn) {
                    case StoreInstruction s when s.slot() == slot || (s.slot() == slot - 1 && (s.typeKind() == TypeKind.LONG || s.typeKind() == TypeKind.DOUBLE)) -> {
                        return false;
                    }
                    case IncrementInstruction inc when inc.slot() == slot -> {
                        return false;
                    }
                    case InvokeInstruction call when call.owner().asInternalName().equals(MethodTranslator.KERNEL_CONTEXT)
                            && call.name().stringValue().startsWith("shared") -> {
                        return false;
                    }
                    default -> { }
                }
            }
        }
        for (int i = 0; i < items.size(); i++) {
            if (i >= from && i < to) continue;
            for (int target : targets(items.get(i))) if (bound.contains(target)) return false;
        }
        return true;
    }

    private static List<Item> expand(List<Item> items, int h, Loop loop) {
        List<Item> out = new ArrayList<>(items.subList(0, h)); // up to the initialisation
        int[] nextLabel = {maxLabel(items) + 1};
        for (int value : loop.values) {
            Map<Integer, Integer> fresh = new HashMap<>();
            for (int i = loop.bodyFrom; i < loop.bodyTo; i++) {
                if (items.get(i) instanceof Bind(int l)) fresh.put(l, nextLabel[0]++);
            }
            for (int i = loop.bodyFrom; i < loop.bodyTo; i++) {
                Item item = items.get(i);
                out.add(switch (item) {
                    case Insn(LoadInstruction l, int o) when l.typeKind() == TypeKind.INT && l.slot() == loop.slot -> new Push(value, o);
                    case Bind(int l) -> new Bind(fresh.get(l));
                    case Jump(Opcode op, int t, int o) -> new Jump(op, fresh.get(t), o);
                    case Switch s -> new Switch(s.table(), s.low(), s.high(), fresh.get(s.defaultTarget()), s.values(),
                            s.targets().stream().map(fresh::get).toList(), s.origin());
                    default -> item;
                });
            }
        }
        // i after the loop, as the loop would leave it.
        out.add(new Push(loop.last, loop.origin));
        out.add(new Insn(storeInt(loop.slot), loop.origin));
        out.addAll(items.subList(loop.exit, items.size()));
        return out;
    }

    // ---- helpers

    private static Integer constant(Item item) {
        return switch (item) {
            case Insn(ConstantInstruction c, int o) when c.constantValue() instanceof Integer v -> v;
            case Push p -> p.value();
            default -> null;
        };
    }

    private static boolean isLoad(List<Item> items, int at, int slot) {
        return at < items.size() && items.get(at) instanceof Insn(LoadInstruction l, int o) && l.typeKind() == TypeKind.INT && l.slot() == slot;
    }

    private static boolean isZeroCompare(Opcode op) {
        return switch (op) {
            case IFEQ, IFNE, IFLT, IFGE, IFGT, IFLE -> true;
            default -> false;
        };
    }

    private static boolean isIntCompare(Opcode op) {
        return switch (op) {
            case IF_ICMPEQ, IF_ICMPNE, IF_ICMPLT, IF_ICMPGE, IF_ICMPGT, IF_ICMPLE -> true;
            default -> false;
        };
    }

    /** Whether the header's branch (taken: the loop ends) is taken for {@code v} against {@code b}. */
    private static boolean exits(Opcode op, int v, int b) {
        return switch (op) {
            case IFEQ, IF_ICMPEQ -> v == b;
            case IFNE, IF_ICMPNE -> v != b;
            case IFLT, IF_ICMPLT -> v < b;
            case IFGE, IF_ICMPGE -> v >= b;
            case IFGT, IF_ICMPGT -> v > b;
            case IFLE, IF_ICMPLE -> v <= b;
            default -> throw new IllegalStateException(op.name());
        };
    }

    private static List<Integer> targets(Item item) {
        return switch (item) {
            case Jump j -> List.of(j.target());
            case Switch s -> {
                List<Integer> t = new ArrayList<>(s.targets());
                t.add(s.defaultTarget());
                yield t;
            }
            default -> List.of();
        };
    }

    private static int origin(Item item) {
        return switch (item) {
            case Insn i -> i.origin();
            case Jump j -> j.origin();
            case Switch s -> s.origin();
            case Push p -> p.origin();
            case Bind b -> 0;
        };
    }

    private static int maxLabel(List<Item> items) {
        int max = -1;
        for (Item item : items) {
            if (item instanceof Bind(int l)) max = Math.max(max, l);
            for (int t : targets(item)) max = Math.max(max, t);
        }
        return max;
    }

    private static int instructions(List<Item> items, int from, int to) {
        int n = 0;
        for (int i = from; i < to; i++) if (!(items.get(i) instanceof Bind)) n++;
        return n;
    }

    private static Instruction storeInt(int slot) {
        return java.lang.classfile.instruction.StoreInstruction.of(TypeKind.INT, slot);
    }

    // ---- back to a class file

    private static final ClassFile CLASS_FILE = ClassFile.of(ClassFile.StackMapsOption.DROP_STACK_MAPS);

    /**
     * The method after unrolling as the only method of a class named {@code className}, with stack maps so that
     * a JVM can load it: tests run the rewritten bytecode against the original. Null when nothing unrolls.
     */
    static byte[] loadableClass(MethodModel method, CodeAttribute code, String className) {
        if (unroll(method, code) == null) return null;
        List<Item> items = items(code);
        for (List<Item> next = unrollOne(items); next != null; next = unrollOne(items)) items = next;
        return classBytes(ClassFile.of(), method, items, className);
    }

    private static byte[] classBytes(ClassFile classFile, MethodModel method, List<Item> items, String className) {
        return classFile.build(ClassDesc.of(className), cb -> cb.withMethod(
                method.methodName().stringValue(), method.methodTypeSymbol(), method.flags().flagsMask(),
                mb -> mb.withCode(b -> emit(b, items))));
    }

    private static Unrolled build(MethodModel method, List<Item> items) {
        byte[] bytes = classBytes(CLASS_FILE, method, items, "dev.weightless.jit.ptx.Unrolled");
        ClassModel unrolled = CLASS_FILE.parse(bytes);
        CodeAttribute code = unrolled.methods().getFirst().findAttribute(java.lang.classfile.Attributes.code()).orElseThrow();
        List<Integer> origins = new ArrayList<>();
        for (Item item : items) if (!(item instanceof Bind)) origins.add(origin(item));
        int count = 0;
        for (CodeElement e : code) if (e instanceof Instruction) count++;
        // Each item is one instruction unless a branch had to be widened; then keep the original code.
        if (count != origins.size()) return null;
        return new Unrolled(code, origins.stream().mapToInt(Integer::intValue).toArray());
    }

    private static void emit(CodeBuilder b, List<Item> items) {
        Map<Integer, Label> labels = new HashMap<>();
        java.util.function.IntFunction<Label> label = n -> labels.computeIfAbsent(n, k -> b.newLabel());
        for (Item item : items) {
            switch (item) {
                case Insn i -> b.with(i.insn());
                case Jump j -> b.branch(j.op(), label.apply(j.target()));
                case Bind l -> b.labelBinding(label.apply(l.label()));
                case Push p -> b.loadConstant(Integer.valueOf(p.value()));
                case Switch s -> {
                    List<SwitchCase> cases = new ArrayList<>();
                    for (int k = 0; k < s.values().size(); k++) cases.add(SwitchCase.of(s.values().get(k), label.apply(s.targets().get(k))));
                    if (s.table()) b.tableswitch(s.low(), s.high(), label.apply(s.defaultTarget()), cases);
                    else b.lookupswitch(label.apply(s.defaultTarget()), cases);
                }
            }
        }
    }
}
