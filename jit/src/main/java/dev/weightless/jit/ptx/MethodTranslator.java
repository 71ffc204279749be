package dev.weightless.jit.ptx;

import java.lang.classfile.Instruction;
import java.lang.classfile.Label;
import java.lang.classfile.Opcode;
import java.lang.classfile.TypeKind;
import java.lang.classfile.instruction.ArrayLoadInstruction;
import java.lang.classfile.instruction.ArrayStoreInstruction;
import java.lang.classfile.instruction.BranchInstruction;
import java.lang.classfile.instruction.ConstantInstruction;
import java.lang.classfile.instruction.ConvertInstruction;
import java.lang.classfile.instruction.DiscontinuedInstruction;
import java.lang.classfile.instruction.ExceptionCatch;
import java.lang.classfile.instruction.FieldInstruction;
import java.lang.classfile.instruction.IncrementInstruction;
import java.lang.classfile.instruction.InvokeDynamicInstruction;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.classfile.instruction.LoadInstruction;
import java.lang.classfile.instruction.LookupSwitchInstruction;
import java.lang.classfile.instruction.MonitorInstruction;
import java.lang.classfile.instruction.NewMultiArrayInstruction;
import java.lang.classfile.instruction.NewObjectInstruction;
import java.lang.classfile.instruction.NewPrimitiveArrayInstruction;
import java.lang.classfile.instruction.NewReferenceArrayInstruction;
import java.lang.classfile.instruction.NopInstruction;
import java.lang.classfile.instruction.OperatorInstruction;
import java.lang.classfile.instruction.ReturnInstruction;
import java.lang.classfile.instruction.StackInstruction;
import java.lang.classfile.instruction.StoreInstruction;
import java.lang.classfile.instruction.SwitchCase;
import java.lang.classfile.instruction.TableSwitchInstruction;
import java.lang.classfile.instruction.ThrowInstruction;
import java.lang.classfile.instruction.TypeCheckInstruction;
import java.lang.constant.ConstantDesc;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Translates one method body, the kernel's or an inlined one, by abstract interpretation over its
 * basic blocks: a worklist visits each block with the state merged from its predecessors until
 * nothing changes, then the blocks are laid out in bytecode order. Operation shapes are emitted by
 * the emitters; this class keeps the stack, the locals and the control flow.
 */
final class MethodTranslator {
    static final String KERNEL_CONTEXT = Element.API_PACKAGE + "KernelContext";

    final Compilation compilation;
    final MethodBytecode method;
    final int frame;
    private final boolean inLoop;
    private final ReturnTarget returnTarget;
    private final Map<Integer, FrameState> entryStates = new HashMap<>();
    private final Map<Integer, PtxLines> blockCode = new HashMap<>();
    private final TreeSet<Integer> worklist = new TreeSet<>();
    private final ArithmeticEmitter arithmetic = new ArithmeticEmitter(this);
    private final MemoryEmitter memory = new MemoryEmitter(this);
    private final CallEmitter calls = new CallEmitter(this, memory);
    private final StackEmitter stack = new StackEmitter(this);

    private FrameState state;
    private PtxLines out;
    private int index;
    private int bci;

    /** Where an inlined method's return goes: its value's register in the caller (null for void) and the label after the body. */
    record ReturnTarget(JavaKind kind, String register, String endLabel) {}

    /** @param returnTarget null for the kernel itself, whose return ends the thread */
    MethodTranslator(Compilation compilation, MethodBytecode method, int frame, boolean inLoop, ReturnTarget returnTarget) {
        this.compilation = compilation;
        this.method = method;
        this.frame = frame;
        this.inLoop = inLoop;
        this.returnTarget = returnTarget;
    }

    /** The method's body as PTX, starting from {@code entry}. */
    PtxLines translate(FrameState entry) {
        refuseExceptionsAndMonitors();
        entryStates.put(0, entry);
        worklist.add(0);
        while (!worklist.isEmpty()) translateBlock(worklist.pollFirst());
        PtxLines body = new PtxLines();
        for (int start : method.blockStarts()) {
            PtxLines code = blockCode.get(start);
            if (code == null) continue; // unreachable
            if (method.isJumpTarget(start)) body.label(label(start));
            body.append(code);
        }
        return body;
    }

    /**
     * Checked before anything else, so the report names the root cause: a {@code throw new X()} is
     * refused as a throw rather than as the allocation before it, a synchronized block as a monitor.
     */
    private void refuseExceptionsAndMonitors() {
        for (index = 0; index < method.size(); index++) {
            bci = method.bciAt(index);
            if (method.instruction(index) instanceof MonitorInstruction) throw refuse("monitor (synchronized block)");
        }
        List<ExceptionCatch> handlers = method.code.exceptionHandlers();
        if (!handlers.isEmpty()) {
            bci = method.bci(handlers.getFirst().handler());
            throw refuse("exception handler (try/catch/finally)");
        }
        for (index = 0; index < method.size(); index++) {
            bci = method.bciAt(index);
            if (method.instruction(index) instanceof ThrowInstruction) throw refuse("athrow (throwing an exception)");
        }
    }

    private void translateBlock(int start) {
        state = entryStates.get(start).copy();
        out = new PtxLines();
        for (index = method.indexAt(start); ; index++) {
            bci = method.bciAt(index);
            if (!translate(method.instruction(index))) break;
            int next = method.bciAt(index + 1);
            if (method.isBlockStart(next)) {
                materializeStack();
                flowTo(next);
                break;
            }
        }
        blockCode.put(start, out);
    }

    /** Translates one instruction; false when control does not fall through to the next one. */
    private boolean translate(Instruction insn) {
        switch (insn) {
            case LoadInstruction l -> load(l);
            case StoreInstruction s -> store(s);
            case ConstantInstruction c -> constant(c);
            case IncrementInstruction i -> arithmetic.increment(i.slot(), i.constant());
            case OperatorInstruction o -> {
                if (o.opcode() == Opcode.ARRAYLENGTH) memory.arrayLength();
                else if (compareAndBranch(o.opcode())) return false;
                else arithmetic.operator(o.opcode());
            }
            case ConvertInstruction c -> arithmetic.convert(c.opcode());
            case ArrayLoadInstruction a -> memory.sharedLoad(a.typeKind());
            case ArrayStoreInstruction a -> memory.sharedStore(a.typeKind());
            case StackInstruction s -> stack.shuffle(s.opcode());
            case FieldInstruction f -> calls.field(f);
            case InvokeInstruction i -> calls.invoke(i);
            case NopInstruction n -> { }
            case BranchInstruction b -> {
                branch(b);
                return false;
            }
            case TableSwitchInstruction t -> {
                switchOn(t.defaultTarget(), t.cases());
                return false;
            }
            case LookupSwitchInstruction l -> {
                switchOn(l.defaultTarget(), l.cases());
                return false;
            }
            case ReturnInstruction r -> {
                returnFrom(r);
                return false;
            }
            case InvokeDynamicInstruction d -> throw refuse(CallEmitter.invokeDynamicConstruct(d));
            case ThrowInstruction t -> throw refuse("athrow (throwing an exception)");
            case MonitorInstruction m -> throw refuse("monitor (synchronized block)");
            case NewObjectInstruction n -> throw refuse("object allocation (new " + dotted(n.className().asInternalName()) + ")");
            case NewPrimitiveArrayInstruction n -> throw refuse("array allocation (only KernelContext.shared*Array allocates arrays)");
            case NewReferenceArrayInstruction n -> throw refuse("array allocation (only KernelContext.shared*Array allocates arrays)");
            case NewMultiArrayInstruction n -> throw refuse("multi-dimensional array");
            case TypeCheckInstruction t -> throw refuse(t.opcode() == Opcode.INSTANCEOF ? "instanceof" : "checkcast");
            case DiscontinuedInstruction d -> throw refuse("jsr/ret subroutine");
            default -> throw refuse("instruction " + insn.opcode().name().toLowerCase());
        }
        return true;
    }

    // ---- the operand stack and locals, as the emitters use them

    /** Pops a primitive operand: an immediate for a constant, else the register of its stack depth. */
    String pop(JavaKind kind) {
        int depth = state.stack.size() - 1;
        return switch (state.stack.removeLast()) {
            case Value.Const c when c.kind() == kind -> kind.literal(c.bits());
            case Value.Prim p when p.kind() == kind -> compilation.registers.stack(frame, depth, kind);
            case Value v -> throw new IllegalStateException("expected a " + kind + " on the stack, found " + v + " at " + where());
        };
    }

    /** Pops a reference; a merge of different references cannot be translated statically. */
    Value popReference() {
        Value v = state.stack.removeLast();
        if (v instanceof Value.Conflict) throw refuse("merge of different array references (a reference chosen at run time)");
        return v;
    }

    /** Pops any value, an unknown reference included (a call may pass one on; using it is refused). */
    Value popAny() { return state.stack.removeLast(); }

    /** The operand stack itself, for the JVM's stack-shuffling instructions. */
    List<Value> stack() { return state.stack; }

    /** The register of a primitive at a stack depth of this frame. */
    String stackRegister(int depth, JavaKind kind) { return compilation.registers.stack(frame, depth, kind); }

    /** Pushes a primitive computed into the returned register. */
    String push(JavaKind kind) {
        String reg = compilation.registers.stack(frame, state.stack.size(), kind);
        state.stack.add(new Value.Prim(kind));
        return reg;
    }

    void pushValue(Value v) { state.stack.add(v); }

    /** The value on top of the stack when it is a constant (raw bits), else null. */
    Long constantOnTop() { return state.stack.getLast() instanceof Value.Const c ? c.bits() : null; }

    /** The constant {@code below} entries under the top of the stack (0: the top), or null when that entry is not a constant. */
    Value.Const constantAt(int below) {
        int i = state.stack.size() - 1 - below;
        return i >= 0 && state.stack.get(i) instanceof Value.Const c ? c : null;
    }

    String local(int slot, JavaKind kind) { return compilation.registers.local(frame, slot, kind); }

    String temp(RegType type) { return compilation.registers.temp(type); }

    void emit(String instruction) { out.op(instruction); }

    void comment(String text) { out.comment(text); }

    void append(PtxLines code) { out.append(code); }

    void label(String name) { out.label(name); }

    int bci() { return bci; }

    boolean inLoop() { return inLoop || method.inLoop(bci); }

    UnsupportedConstructException refuse(String construct) { return new UnsupportedConstructException(construct, method.display(), method.originBci(bci)); }

    private String where() { return method.display() + " bytecode index " + method.originBci(bci); }

    private void load(LoadInstruction l) {
        Value v = state.locals[l.slot()];
        if (l.typeKind() == TypeKind.REFERENCE) {
            state.stack.add(v); // unknown references are refused where used
            return;
        }
        JavaKind kind = JavaKind.of(l.typeKind());
        if (!(v instanceof Value.Prim p) || p.kind() != kind) throw new IllegalStateException("local " + l.slot() + " holds " + v + ", not a " + kind + " at " + where());
        String reg = push(kind);
        emit(kind.mov + " " + reg + ", " + local(l.slot(), kind) + ";");
    }

    private void store(StoreInstruction s) {
        if (s.typeKind() == TypeKind.REFERENCE) {
            state.setLocal(s.slot(), state.stack.removeLast());
            return;
        }
        JavaKind kind = JavaKind.of(s.typeKind());
        String v = pop(kind);
        emit(kind.mov + " " + local(s.slot(), kind) + ", " + v + ";");
        state.setLocal(s.slot(), new Value.Prim(kind));
    }

    private void constant(ConstantInstruction c) {
        if (c.opcode() == Opcode.ACONST_NULL) throw refuse("null reference");
        ConstantDesc v = c.constantValue();
        switch (v) {
            case Integer i -> pushValue(new Value.Const(JavaKind.INT, i));
            case Long l -> pushValue(new Value.Const(JavaKind.LONG, l));
            case Float f -> pushValue(new Value.Const(JavaKind.FLOAT, Float.floatToRawIntBits(f)));
            case Double d -> pushValue(new Value.Const(JavaKind.DOUBLE, Double.doubleToRawLongBits(d)));
            default -> throw refuse("constant of type " + v.getClass().getSimpleName() + " (" + v + ")");
        }
    }

    /** Moves constants still on the stack into their registers: the next block reads registers. */
    private void materializeStack() {
        for (int d = 0; d < state.stack.size(); d++) {
            if (state.stack.get(d) instanceof Value.Const c) {
                emit(c.kind().mov + " " + compilation.registers.stack(frame, d, c.kind()) + ", " + c.kind().literal(c.bits()) + ";");
                state.stack.set(d, new Value.Prim(c.kind()));
            }
        }
    }

    // ---- control flow

    String label(int target) { return (frame == 0 ? "L_" : "L" + frame + "_") + target; }

    private void flowTo(int target) {
        FrameState known = entryStates.get(target);
        if (known == null) {
            entryStates.put(target, state.copy());
            worklist.add(target);
        } else if (known.absorb(state)) {
            worklist.add(target);
        }
    }

    private void branch(BranchInstruction b) {
        int target = method.bci(b.target());
        switch (b.opcode()) {
            case GOTO, GOTO_W -> {
                materializeStack();
                emit("bra " + label(target) + ";");
                flowTo(target);
            }
            case IFEQ -> conditional("eq", pop(JavaKind.INT), "0", target);
            case IFNE -> conditional("ne", pop(JavaKind.INT), "0", target);
            case IFLT -> conditional("lt", pop(JavaKind.INT), "0", target);
            case IFGE -> conditional("ge", pop(JavaKind.INT), "0", target);
            case IFGT -> conditional("gt", pop(JavaKind.INT), "0", target);
            case IFLE -> conditional("le", pop(JavaKind.INT), "0", target);
            case IF_ICMPEQ, IF_ICMPNE, IF_ICMPLT, IF_ICMPGE, IF_ICMPGT, IF_ICMPLE -> {
                String right = pop(JavaKind.INT), left = pop(JavaKind.INT);
                conditional(b.opcode().name().substring(7).toLowerCase(), left, right, target);
            }
            default -> throw refuse("reference comparison (" + b.opcode().name().toLowerCase() + ")");
        }
    }

    /**
     * lcmp, fcmp* or dcmp* directly followed (in the same block) by an if&lt;cond&gt; on its result: one
     * setp on the operands instead of building the -1/0/1 int and comparing it with zero. For floats the
     * condition takes NaN the way the bytecode does: fcmpl/dcmpl count an unordered pair as less (-1),
     * so lt, le and ne become PTX's unordered ltu, leu and neu; fcmpg/dcmpg count it as greater (1), so
     * gt, ge and ne become gtu, geu and neu. Returns false, emitting nothing, when the pattern does not apply.
     */
    private boolean compareAndBranch(Opcode compare) {
        JavaKind kind = switch (compare) {
            case LCMP -> JavaKind.LONG;
            case FCMPL, FCMPG -> JavaKind.FLOAT;
            case DCMPL, DCMPG -> JavaKind.DOUBLE;
            default -> null;
        };
        if (kind == null || index + 1 >= method.size()) return false;
        int next = method.bciAt(index + 1);
        if (method.isBlockStart(next) || !(method.instruction(index + 1) instanceof BranchInstruction b)) return false;
        String cmp = switch (b.opcode()) {
            case IFEQ -> "eq";
            case IFNE -> "ne";
            case IFLT -> "lt";
            case IFGE -> "ge";
            case IFGT -> "gt";
            case IFLE -> "le";
            default -> null;
        };
        if (cmp == null) return false;
        if (kind != JavaKind.LONG) {
            boolean nanIsLess = compare == Opcode.FCMPL || compare == Opcode.DCMPL;
            cmp = switch (cmp) {
                case "lt", "le" -> nanIsLess ? cmp + "u" : cmp;
                case "gt", "ge" -> nanIsLess ? cmp : cmp + "u";
                case "ne" -> "neu";
                default -> cmp; // eq: false for NaN either way
            };
        }
        String right = pop(kind), left = pop(kind);
        index++;
        bci = next;
        conditional(cmp, kind.type, left, right, method.bci(b.target()));
        return true;
    }

    /** A signed int comparison and a predicated branch; the fall-through is the next block. */
    private void conditional(String cmp, String left, String right, int target) {
        conditional(cmp, "s32", left, right, target);
    }

    /** A comparison of {@code type} operands and a predicated branch; the fall-through is the next block. */
    private void conditional(String cmp, String type, String left, String right, int target) {
        materializeStack();
        String p = temp(RegType.PRED);
        emit("setp." + cmp + "." + type + " " + p + ", " + left + ", " + right + ";");
        emit("@" + p + " bra " + label(target) + ";");
        flowTo(target);
        flowTo(method.bciAt(index + 1));
    }

    /** A switch as a chain of compares: kernels switch over few cases. */
    private void switchOn(Label defaultTarget, List<SwitchCase> cases) {
        String key = pop(JavaKind.INT);
        materializeStack();
        for (SwitchCase c : cases) {
            int target = method.bci(c.target());
            String p = temp(RegType.PRED);
            emit("setp.eq.s32 " + p + ", " + key + ", " + c.caseValue() + ";");
            emit("@" + p + " bra " + label(target) + ";");
            flowTo(target);
        }
        int fallback = method.bci(defaultTarget);
        emit("bra " + label(fallback) + ";");
        flowTo(fallback);
    }

    private void returnFrom(ReturnInstruction r) {
        if (returnTarget == null) {
            emit("ret;"); // the kernel returns void; returning ends this thread
            return;
        }
        if (r.opcode() == Opcode.ARETURN) throw refuse("returning a reference from a called method");
        if (r.opcode() != Opcode.RETURN) {
            JavaKind kind = returnTarget.kind();
            emit(kind.mov + " " + returnTarget.register() + ", " + pop(kind) + ";");
        }
        emit("bra " + returnTarget.endLabel() + ";");
    }

    static String dotted(String internalName) { return internalName.replace('/', '.'); }
}
