package dev.weightless.jit.ptx;

import java.lang.classfile.Opcode;

import static dev.weightless.jit.ptx.JavaKind.DOUBLE;
import static dev.weightless.jit.ptx.JavaKind.FLOAT;
import static dev.weightless.jit.ptx.JavaKind.INT;
import static dev.weightless.jit.ptx.JavaKind.LONG;

/**
 * Arithmetic, bit operations, shifts, three-way compares and conversions with Java semantics.
 * Floating-point operations carry an explicit rounding mode (.rn): besides being IEEE round-to-nearest
 * as Java requires, it stops ptxas from fusing a multiply and an add into an fma, which Java forbids.
 */
final class ArithmeticEmitter {
    private final MethodTranslator t;

    ArithmeticEmitter(MethodTranslator t) { this.t = t; }

    void operator(Opcode op) {
        switch (op) {
            case IADD -> binary(INT, "add.s32");
            case LADD -> binary(LONG, "add.s64");
            case FADD -> binary(FLOAT, "add.rn.f32");
            case DADD -> binary(DOUBLE, "add.rn.f64");
            case ISUB -> binary(INT, "sub.s32");
            case LSUB -> binary(LONG, "sub.s64");
            case FSUB -> binary(FLOAT, "sub.rn.f32");
            case DSUB -> binary(DOUBLE, "sub.rn.f64");
            case IMUL -> binary(INT, "mul.lo.s32");
            case LMUL -> binary(LONG, "mul.lo.s64");
            case FMUL -> binary(FLOAT, "mul.rn.f32");
            case DMUL -> binary(DOUBLE, "mul.rn.f64");
            // Division by zero is undefined on the GPU (as in CUDA); the JVM throws.
            case IDIV -> binary(INT, "div.s32");
            case LDIV -> binary(LONG, "div.s64");
            case FDIV -> binary(FLOAT, "div.rn.f32");
            case DDIV -> binary(DOUBLE, "div.rn.f64");
            case IREM -> binary(INT, "rem.s32");
            case LREM -> binary(LONG, "rem.s64");
            // PTX has no exact floating-point remainder; an approximation would differ from Java.
            case FREM -> throw t.refuse("floating-point remainder (frem)");
            case DREM -> throw t.refuse("floating-point remainder (drem)");
            case INEG -> unary(INT, "neg.s32");
            case LNEG -> unary(LONG, "neg.s64");
            case FNEG -> unary(FLOAT, "neg.f32");
            case DNEG -> unary(DOUBLE, "neg.f64");
            case IAND -> binary(INT, "and.b32");
            case LAND -> binary(LONG, "and.b64");
            case IOR -> binary(INT, "or.b32");
            case LOR -> binary(LONG, "or.b64");
            case IXOR -> binary(INT, "xor.b32");
            case LXOR -> binary(LONG, "xor.b64");
            case ISHL -> shift(INT, "shl.b32");
            case ISHR -> shift(INT, "shr.s32");
            case IUSHR -> shift(INT, "shr.u32");
            case LSHL -> shift(LONG, "shl.b64");
            case LSHR -> shift(LONG, "shr.s64");
            case LUSHR -> shift(LONG, "shr.u64");
            case LCMP -> compareGreaterFirst(LONG);
            case FCMPL -> compareGreaterFirst(FLOAT);
            case DCMPL -> compareGreaterFirst(DOUBLE);
            case FCMPG -> compareLessFirst(FLOAT);
            case DCMPG -> compareLessFirst(DOUBLE);
            default -> throw t.refuse("instruction " + op.name().toLowerCase());
        }
    }

    private void binary(JavaKind kind, String op) {
        if (fold(kind, op)) return;
        String right = t.pop(kind), left = t.pop(kind);
        t.emit(op + " " + t.push(kind) + ", " + left + ", " + right + ";");
    }

    private void unary(JavaKind kind, String op) {
        String a = t.pop(kind);
        t.emit(op + " " + t.push(kind) + ", " + a + ";");
    }

    /**
     * Integer arithmetic on two constants is done here, with Java's wrap-around, so that the result stays a
     * constant (an immediate operand, an address offset, a shift count): unrolled loops leave many such
     * expressions. Division and remainder are left to the GPU (a zero divisor is the program's, not ours, to keep).
     */
    private boolean fold(JavaKind kind, String op) {
        if (kind != INT && kind != LONG) return false;
        Value.Const right = t.constantAt(0), left = t.constantAt(1);
        if (right == null || left == null || right.kind() != kind || left.kind() != kind) return false;
        long a = left.bits(), b = right.bits();
        Long r = switch (op.substring(0, op.indexOf('.'))) {
            case "add" -> a + b;
            case "sub" -> a - b;
            case "mul" -> a * b;
            case "and" -> a & b;
            case "or" -> a | b;
            case "xor" -> a ^ b;
            default -> null;
        };
        if (r == null) return false;
        t.pop(kind);
        t.pop(kind);
        t.pushValue(new Value.Const(kind, kind == INT ? (long) (int) (long) r : r));
        return true;
    }

    /** A shift of a constant by a constant, with Java's count masking (the int count is the top entry). */
    private boolean foldShift(JavaKind kind, String op) {
        Value.Const count = t.constantAt(0), value = t.constantAt(1);
        if (count == null || value == null || value.kind() != kind) return false;
        int n = (int) count.bits();
        long v = value.bits(), r;
        if (kind == INT) {
            int x = (int) v;
            r = switch (op) {
                case "shl.b32" -> x << n;
                case "shr.s32" -> x >> n;
                default -> x >>> n;
            };
        } else {
            r = switch (op) {
                case "shl.b64" -> v << n;
                case "shr.s64" -> v >> n;
                default -> v >>> n;
            };
        }
        t.pop(INT);
        t.pop(kind);
        t.pushValue(new Value.Const(kind, r));
        return true;
    }

    /** PTX shifts saturate at the register width; Java uses the count modulo 32 or 64. */
    private void shift(JavaKind kind, String op) {
        if (foldShift(kind, op)) return;
        int mask = kind == LONG ? 63 : 31;
        String count;
        Long constant = t.constantOnTop();
        if (constant != null) {
            t.pop(INT);
            count = Integer.toString(constant.intValue() & mask);
        } else {
            String raw = t.pop(INT);
            count = t.temp(RegType.B32);
            t.emit("and.b32 " + count + ", " + raw + ", " + mask + ";");
        }
        String a = t.pop(kind);
        t.emit(op + " " + t.push(kind) + ", " + a + ", " + count + ";");
    }

    /**
     * lcmp and fcmpl/dcmpl: 1 if greater, 0 if equal, else -1, so unordered (NaN) gives -1.
     * The result register is written last: it may be an operand's.
     */
    private void compareGreaterFirst(JavaKind kind) {
        String right = t.pop(kind), left = t.pop(kind);
        String greater = t.temp(RegType.PRED), equal = t.temp(RegType.PRED), partial = t.temp(RegType.B32);
        t.emit("setp.gt." + kind.type + " " + greater + ", " + left + ", " + right + ";");
        t.emit("setp.eq." + kind.type + " " + equal + ", " + left + ", " + right + ";");
        t.emit("selp.s32 " + partial + ", 0, -1, " + equal + ";");
        t.emit("selp.s32 " + t.push(INT) + ", 1, " + partial + ", " + greater + ";");
    }

    /** fcmpg and dcmpg: -1 if less, 0 if equal, else 1, so unordered (NaN) gives 1. */
    private void compareLessFirst(JavaKind kind) {
        String right = t.pop(kind), left = t.pop(kind);
        String less = t.temp(RegType.PRED), equal = t.temp(RegType.PRED), partial = t.temp(RegType.B32);
        t.emit("setp.lt." + kind.type + " " + less + ", " + left + ", " + right + ";");
        t.emit("setp.eq." + kind.type + " " + equal + ", " + left + ", " + right + ";");
        t.emit("selp.s32 " + partial + ", 0, 1, " + equal + ";");
        t.emit("selp.s32 " + t.push(INT) + ", -1, " + partial + ", " + less + ";");
    }

    /**
     * Conversions. Float to integer truncates (.rzi) and saturates, as Java's do; NaN must give 0,
     * which cvt does for f32 to s32 only (on an H200 the others give the most negative value, so a
     * select fixes them). Integer to float rounds to nearest; narrowing to byte, short and char
     * sign- or zero-extends the low bits back to an int.
     */
    void convert(Opcode op) {
        switch (op) {
            case I2L -> conversion(INT, LONG, "cvt.s64.s32");
            case I2F -> conversion(INT, FLOAT, "cvt.rn.f32.s32");
            case I2D -> conversion(INT, DOUBLE, "cvt.rn.f64.s32");
            case L2I -> conversion(LONG, INT, "cvt.u32.u64");
            case L2F -> conversion(LONG, FLOAT, "cvt.rn.f32.s64");
            case L2D -> conversion(LONG, DOUBLE, "cvt.rn.f64.s64");
            case F2I -> conversion(FLOAT, INT, "cvt.rzi.s32.f32");
            case F2L -> nanToZero(FLOAT, LONG, "cvt.rzi.s64.f32");
            case F2D -> conversion(FLOAT, DOUBLE, "cvt.f64.f32");
            case D2I -> nanToZero(DOUBLE, INT, "cvt.rzi.s32.f64");
            case D2L -> nanToZero(DOUBLE, LONG, "cvt.rzi.s64.f64");
            case D2F -> conversion(DOUBLE, FLOAT, "cvt.rn.f32.f64");
            case I2B -> conversion(INT, INT, "cvt.s32.s8");
            case I2S -> conversion(INT, INT, "cvt.s32.s16");
            case I2C -> conversion(INT, INT, "cvt.u32.u16");
            default -> throw t.refuse("instruction " + op.name().toLowerCase());
        }
    }

    private void conversion(JavaKind from, JavaKind to, String op) {
        Value.Const c = t.constantAt(0);
        if (c != null && c.kind() == from && (from == INT || from == LONG) && (to == INT || to == LONG)) {
            t.pop(from);
            t.pushValue(new Value.Const(to, convertConstant(op, c.bits())));
            return;
        }
        String a = t.pop(from);
        t.emit(op + " " + t.push(to) + ", " + a + ";");
    }

    /** Integer conversions of a constant, with the JVM's results (constants are held sign-extended). */
    private static long convertConstant(String op, long v) {
        return switch (op) {
            case "cvt.s64.s32" -> (int) v;
            case "cvt.u32.u64" -> (int) v;
            case "cvt.s32.s8" -> (byte) v;
            case "cvt.s32.s16" -> (short) v;
            case "cvt.u32.u16" -> (char) v;
            default -> throw new IllegalStateException("no constant form of " + op);
        };
    }

    private void nanToZero(JavaKind from, JavaKind to, String op) {
        String a = t.pop(from), converted = t.temp(to.reg), nan = t.temp(RegType.PRED);
        t.emit(op + " " + converted + ", " + a + ";");
        t.emit("setp.nan." + from.type + " " + nan + ", " + a + ", " + a + ";");
        t.emit("selp." + (to == LONG ? "b64 " : "b32 ") + t.push(to) + ", 0, " + converted + ", " + nan + ";");
    }

    /** iinc: adds a constant to an int local in place. */
    void increment(int slot, int constant) {
        String reg = t.local(slot, INT);
        t.emit("add.s32 " + reg + ", " + reg + ", " + constant + ";");
    }
}
