package dev.weightless.jit.ptx;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Locals and operand stack at one point of a method, as the abstract interpreter sees them. */
final class FrameState {
    final Value[] locals;
    final List<Value> stack;

    FrameState(int maxLocals) {
        locals = new Value[maxLocals];
        Arrays.fill(locals, Value.CONFLICT);
        stack = new ArrayList<>();
    }

    private FrameState(Value[] locals, List<Value> stack) {
        this.locals = locals;
        this.stack = stack;
    }

    FrameState copy() { return new FrameState(locals.clone(), new ArrayList<>(stack)); }

    /** Stores into a local; a long or double also takes the next slot, and breaks one it overlapped. */
    void setLocal(int slot, Value v) {
        locals[slot] = v;
        if (v.wide()) locals[slot + 1] = Value.CONFLICT;
        if (slot > 0 && locals[slot - 1].wide()) locals[slot - 1] = Value.CONFLICT;
    }

    /**
     * Merges the state of another path into this block-entry state. Values that differ become
     * unknown (javac reuses slots across scopes); returns whether anything changed.
     */
    boolean absorb(FrameState other) {
        if (other.stack.size() != stack.size()) throw new IllegalStateException("stack depths differ at a merge point: " + stack + " vs " + other.stack);
        boolean changed = false;
        for (int i = 0; i < locals.length; i++) {
            if (!locals[i].equals(other.locals[i]) && !(locals[i] instanceof Value.Conflict)) {
                locals[i] = Value.CONFLICT;
                changed = true;
            }
        }
        for (int i = 0; i < stack.size(); i++) {
            if (!stack.get(i).equals(other.stack.get(i)) && !(stack.get(i) instanceof Value.Conflict)) {
                stack.set(i, Value.CONFLICT);
                changed = true;
            }
        }
        return changed;
    }
}
