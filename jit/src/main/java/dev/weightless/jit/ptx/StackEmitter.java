package dev.weightless.jit.ptx;

import java.lang.classfile.Opcode;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The JVM's stack shuffles (pop, dup*, swap). Primitives live in the register of their depth, so an
 * entry that changes depth is copied; the JVM's category-2 rules decide how many entries move.
 */
final class StackEmitter {
    private final MethodTranslator t;

    StackEmitter(MethodTranslator t) { this.t = t; }

    void shuffle(Opcode op) {
        List<Value> s = t.stack();
        boolean topWide = s.getLast().wide();
        switch (op) {
            case POP -> s.removeLast();
            case POP2 -> {
                s.removeLast();
                if (!topWide) s.removeLast();
            }
            // pattern[j]: which taken entry (0 = deepest) ends at position j
            case DUP -> rearrange(1, 0, 0);
            case DUP_X1 -> rearrange(2, 1, 0, 1);
            case DUP_X2 -> {
                if (s.get(s.size() - 2).wide()) rearrange(2, 1, 0, 1);
                else rearrange(3, 2, 0, 1, 2);
            }
            case DUP2 -> {
                if (topWide) rearrange(1, 0, 0);
                else rearrange(2, 0, 1, 0, 1);
            }
            case DUP2_X1 -> {
                if (topWide) rearrange(2, 1, 0, 1);
                else rearrange(3, 1, 2, 0, 1, 2);
            }
            case DUP2_X2 -> {
                boolean secondWide = s.get(s.size() - 2).wide();
                if (topWide && secondWide) rearrange(2, 1, 0, 1);
                else if (topWide) rearrange(3, 2, 0, 1, 2);
                else if (s.get(s.size() - 3).wide()) rearrange(3, 1, 2, 0, 1, 2);
                else rearrange(4, 2, 3, 0, 1, 2, 3);
            }
            case SWAP -> rearrange(2, 1, 0);
            default -> throw new IllegalStateException("stack instruction " + op);
        }
    }

    private void rearrange(int take, int... pattern) {
        List<Value> s = t.stack();
        int base = s.size() - take;
        List<Value> taken = List.copyOf(s.subList(base, s.size()));
        // Copy the primitives that move out first, so no move clobbers another's source.
        Map<Integer, String> saved = new HashMap<>();
        for (int j = 0; j < pattern.length; j++) {
            int from = pattern[j];
            if (taken.get(from) instanceof Value.Prim p && from != j && !saved.containsKey(from)) {
                String copy = t.temp(p.kind().reg);
                t.emit(p.kind().mov + " " + copy + ", " + t.stackRegister(base + from, p.kind()) + ";");
                saved.put(from, copy);
            }
        }
        s.subList(base, s.size()).clear();
        for (int j = 0; j < pattern.length; j++) {
            int from = pattern[j];
            Value v = taken.get(from);
            if (v instanceof Value.Prim p && from != j) t.emit(p.kind().mov + " " + t.stackRegister(base + j, p.kind()) + ", " + saved.get(from) + ";");
            s.add(v);
        }
    }
}
