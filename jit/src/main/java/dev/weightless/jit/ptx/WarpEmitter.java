package dev.weightless.jit.ptx;

import static dev.weightless.jit.ptx.JavaKind.INT;

/**
 * Warp shuffles and votes, in their {@code .sync} forms over the full warp (mask 0xffffffff): like
 * the JVM executor's, every lane of the warp must take part.
 */
final class WarpEmitter {
    private static final String FULL_WARP = "0xffffffff";
    private final MethodTranslator t;

    WarpEmitter(MethodTranslator t) { this.t = t; }

    /** {@code shuffleDown/Up/Xor/shuffle(value, laneOrDelta)}. */
    void shuffle(String mode, String clamp) {
        String lane = t.pop(INT), value = t.pop(INT);
        t.popReference();
        t.emit("shfl.sync." + mode + ".b32 " + t.push(INT) + ", " + value + ", " + lane + ", " + clamp + ", " + FULL_WARP + ";");
    }

    /** {@code ballot(predicate)}: bit i set when lane i's predicate holds. */
    void ballot() {
        String p = predicate();
        t.popReference();
        t.emit("vote.sync.ballot.b32 " + t.push(INT) + ", " + p + ", " + FULL_WARP + ";");
    }

    /** {@code any(predicate)} and {@code all(predicate)}, as 0 or 1. */
    void vote(String mode) {
        String p = predicate();
        t.popReference();
        String result = t.temp(RegType.PRED);
        t.emit("vote.sync." + mode + ".pred " + result + ", " + p + ", " + FULL_WARP + ";");
        t.emit("selp.s32 " + t.push(INT) + ", 1, 0, " + result + ";");
    }

    /** A Java boolean (an int, 0 or 1) as a predicate. */
    private String predicate() {
        String value = t.pop(INT);
        String p = t.temp(RegType.PRED);
        t.emit("setp.ne.s32 " + p + ", " + value + ", 0;");
        return p;
    }
}
