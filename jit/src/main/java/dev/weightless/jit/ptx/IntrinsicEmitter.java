package dev.weightless.jit.ptx;

import java.util.HashMap;
import java.util.Map;

import static dev.weightless.jit.ptx.JavaKind.DOUBLE;
import static dev.weightless.jit.ptx.JavaKind.FLOAT;
import static dev.weightless.jit.ptx.JavaKind.INT;
import static dev.weightless.jit.ptx.JavaKind.LONG;

/**
 * JDK static methods with an exact PTX translation: bit counting and reversal, rotations, min, max,
 * abs, sqrt, fma, and float/int bit conversions. Any other JDK call is refused.
 */
final class IntrinsicEmitter {
    /** The NaN Java's own operations produce (Float.NaN / Double.NaN bit patterns). */
    private static final String FLOAT_NAN_BITS = "2143289344"; // 0x7fc00000
    private static final String DOUBLE_NAN = "0d7FF8000000000000";

    private final MethodTranslator t;
    private final Map<String, Runnable> intrinsics = new HashMap<>();

    IntrinsicEmitter(MethodTranslator t) {
        this.t = t;
        for (String box : new String[] {"java/lang/Math", "java/lang/Integer"}) {
            add(box + ".min(II)I", () -> binary(INT, INT, "min.s32"));
            add(box + ".max(II)I", () -> binary(INT, INT, "max.s32"));
        }
        for (String box : new String[] {"java/lang/Math", "java/lang/Long"}) {
            add(box + ".min(JJ)J", () -> binary(LONG, LONG, "min.s64"));
            add(box + ".max(JJ)J", () -> binary(LONG, LONG, "max.s64"));
        }
        for (String box : new String[] {"java/lang/Math", "java/lang/Float"}) {
            // .NaN: a NaN operand gives NaN, as in Java (plain min/max would return the other operand).
            add(box + ".min(FF)F", () -> binary(FLOAT, FLOAT, "min.NaN.f32"));
            add(box + ".max(FF)F", () -> binary(FLOAT, FLOAT, "max.NaN.f32"));
        }
        for (String box : new String[] {"java/lang/Math", "java/lang/Double"}) {
            add(box + ".min(DD)D", () -> doubleMinMax("min"));
            add(box + ".max(DD)D", () -> doubleMinMax("max"));
        }
        add("java/lang/Math.abs(I)I", () -> integerAbs(INT));
        add("java/lang/Math.abs(J)J", () -> integerAbs(LONG));
        // Java defines abs of a float as clearing the sign bit, NaN payloads included.
        add("java/lang/Math.abs(F)F", () -> binary(FLOAT, "and.b32", "0x7FFFFFFF"));
        add("java/lang/Math.abs(D)D", () -> binary(DOUBLE, "and.b64", "0x7FFFFFFFFFFFFFFF"));
        add("java/lang/Math.sqrt(D)D", () -> unary(DOUBLE, DOUBLE, "sqrt.rn.f64"));
        add("java/lang/Math.fma(FFF)F", () -> fma(FLOAT));
        add("java/lang/Math.fma(DDD)D", () -> fma(DOUBLE));

        add("java/lang/Integer.bitCount(I)I", () -> unary(INT, INT, "popc.b32"));
        add("java/lang/Long.bitCount(J)I", () -> unary(LONG, INT, "popc.b64"));
        add("java/lang/Integer.numberOfLeadingZeros(I)I", () -> unary(INT, INT, "clz.b32"));
        add("java/lang/Long.numberOfLeadingZeros(J)I", () -> unary(LONG, INT, "clz.b64"));
        add("java/lang/Integer.numberOfTrailingZeros(I)I", () -> trailingZeros(INT));
        add("java/lang/Long.numberOfTrailingZeros(J)I", () -> trailingZeros(LONG));
        add("java/lang/Integer.reverse(I)I", () -> unary(INT, INT, "brev.b32"));
        add("java/lang/Long.reverse(J)J", () -> unary(LONG, LONG, "brev.b64"));
        add("java/lang/Integer.reverseBytes(I)I", this::reverseBytes);
        add("java/lang/Integer.rotateLeft(II)I", () -> intRotate("l"));
        add("java/lang/Integer.rotateRight(II)I", () -> intRotate("r"));
        add("java/lang/Long.rotateLeft(JI)J", () -> longRotate(true));
        add("java/lang/Long.rotateRight(JI)J", () -> longRotate(false));
        add("java/lang/Integer.toUnsignedLong(I)J", () -> unary(INT, LONG, "cvt.u64.u32"));
        add("java/lang/Short.toUnsignedInt(S)I", () -> binary(INT, "and.b32", "65535"));
        add("java/lang/Byte.toUnsignedInt(B)I", () -> binary(INT, "and.b32", "255"));
        // Division by zero is undefined on the GPU, as for / and %.
        add("java/lang/Integer.divideUnsigned(II)I", () -> binary(INT, INT, "div.u32"));
        add("java/lang/Integer.remainderUnsigned(II)I", () -> binary(INT, INT, "rem.u32"));
        add("java/lang/Long.divideUnsigned(JJ)J", () -> binary(LONG, LONG, "div.u64"));
        add("java/lang/Long.remainderUnsigned(JJ)J", () -> binary(LONG, LONG, "rem.u64"));

        add("java/lang/Float.floatToRawIntBits(F)I", () -> unary(FLOAT, INT, "mov.b32"));
        add("java/lang/Float.intBitsToFloat(I)F", () -> unary(INT, FLOAT, "mov.b32"));
        add("java/lang/Double.doubleToRawLongBits(D)J", () -> unary(DOUBLE, LONG, "mov.b64"));
        add("java/lang/Double.longBitsToDouble(J)D", () -> unary(LONG, DOUBLE, "mov.b64"));
        add("java/lang/Float.floatToIntBits(F)I", () -> canonicalBits(FLOAT));
        add("java/lang/Double.doubleToLongBits(D)J", () -> canonicalBits(DOUBLE));
        add("java/lang/Float.isNaN(F)Z", () -> isNaN(FLOAT));
        add("java/lang/Double.isNaN(D)Z", () -> isNaN(DOUBLE));

        String context = MethodTranslator.KERNEL_CONTEXT + ".";
        add(context + "funnelShiftRight(III)I", () -> ternary("shf.r.wrap.b32"));
        add(context + "funnelShiftRightClamped(III)I", () -> ternary("shf.r.clamp.b32"));
        add(context + "funnelShiftLeft(III)I", () -> ternary("shf.l.wrap.b32"));
        add(context + "bytePermute(III)I", () -> ternary("prmt.b32"));
    }

    /** Three int operands in order, one int result: the funnel shifts and the byte permute. */
    private void ternary(String op) {
        String c = t.pop(INT), b = t.pop(INT), a = t.pop(INT);
        t.emit(op + " " + t.push(INT) + ", " + a + ", " + b + ", " + c + ";");
    }

    private void add(String method, Runnable emitter) { intrinsics.put(method, emitter); }

    /** Emits the static call {@code owner.name descriptor} if it is an intrinsic; false otherwise. */
    boolean emit(String owner, String name, String descriptor) {
        Runnable emitter = intrinsics.get(owner + "." + name + descriptor);
        if (emitter == null) return false;
        emitter.run();
        return true;
    }

    private void unary(JavaKind from, JavaKind to, String op) {
        String a = t.pop(from);
        t.emit(op + " " + t.push(to) + ", " + a + ";");
    }

    private void binary(JavaKind from, JavaKind to, String op) {
        String b = t.pop(from), a = t.pop(from);
        t.emit(op + " " + t.push(to) + ", " + a + ", " + b + ";");
    }

    /** An operation with an immediate second operand, on the bits of the value. */
    private void binary(JavaKind kind, String op, String immediate) {
        String a = t.pop(kind);
        t.emit(op + " " + t.push(kind) + ", " + a + ", " + immediate + ";");
    }

    private void fma(JavaKind kind) {
        String c = t.pop(kind), b = t.pop(kind), a = t.pop(kind);
        t.emit("fma.rn." + kind.type + " " + t.push(kind) + ", " + a + ", " + b + ", " + c + ";");
    }

    /** max(x, -x): exact for the most negative value too, which stays negative as in Java. */
    private void integerAbs(JavaKind kind) {
        String a = t.pop(kind), negated = t.temp(kind.reg);
        t.emit("neg." + kind.type + " " + negated + ", " + a + ";");
        t.emit("max." + kind.type + " " + t.push(kind) + ", " + a + ", " + negated + ";");
    }

    /** PTX has no .NaN form of min/max for f64: a NaN operand selects NaN explicitly. */
    private void doubleMinMax(String op) {
        String b = t.pop(DOUBLE), a = t.pop(DOUBLE);
        String partial = t.temp(RegType.F64), nan = t.temp(RegType.PRED);
        t.emit(op + ".f64 " + partial + ", " + a + ", " + b + ";");
        t.emit("setp.nan.f64 " + nan + ", " + a + ", " + b + ";");
        t.emit("selp.f64 " + t.push(DOUBLE) + ", " + DOUBLE_NAN + ", " + partial + ", " + nan + ";");
    }

    /** Trailing zeros are the leading zeros of the bit-reversed value (32 or 64 for zero, as in Java). */
    private void trailingZeros(JavaKind kind) {
        String a = t.pop(kind), reversed = t.temp(kind.reg);
        String bits = kind == LONG ? "b64" : "b32";
        t.emit("brev." + bits + " " + reversed + ", " + a + ";");
        t.emit("clz." + bits + " " + t.push(INT) + ", " + reversed + ";");
    }

    private void reverseBytes() {
        String a = t.pop(INT);
        t.emit("prmt.b32 " + t.push(INT) + ", " + a + ", 0, 0x0123;");
    }

    /** A funnel shift of the value with itself is a rotation; .wrap takes the count modulo 32 as Java does. */
    private void intRotate(String direction) {
        String count = t.pop(INT), a = t.pop(INT);
        t.emit("shf." + direction + ".wrap.b32 " + t.push(INT) + ", " + a + ", " + a + ", " + count + ";");
    }

    /** (x << (n & 63)) | (x >>> (-n & 63)), and the mirror image for a right rotation. */
    private void longRotate(boolean left) {
        Long constant = t.constantOnTop();
        String count = t.pop(INT), a = t.pop(LONG);
        String first, second;
        if (constant != null) {
            first = Integer.toString(constant.intValue() & 63);
            second = Integer.toString(-constant.intValue() & 63);
        } else {
            first = t.temp(RegType.B32);
            second = t.temp(RegType.B32);
            t.emit("and.b32 " + first + ", " + count + ", 63;");
            t.emit("neg.s32 " + second + ", " + count + ";");
            t.emit("and.b32 " + second + ", " + second + ", 63;");
        }
        String high = t.temp(RegType.B64), low = t.temp(RegType.B64);
        t.emit((left ? "shl.b64 " : "shr.u64 ") + high + ", " + a + ", " + first + ";");
        t.emit((left ? "shr.u64 " : "shl.b64 ") + low + ", " + a + ", " + second + ";");
        t.emit("or.b64 " + t.push(LONG) + ", " + high + ", " + low + ";");
    }

    /** floatToIntBits/doubleToLongBits: the raw bits, with every NaN collapsed to Java's canonical one. */
    private void canonicalBits(JavaKind kind) {
        String a = t.pop(kind);
        boolean wide = kind == DOUBLE;
        String raw = t.temp(wide ? RegType.B64 : RegType.B32), nan = t.temp(RegType.PRED);
        t.emit((wide ? "mov.b64 " : "mov.b32 ") + raw + ", " + a + ";");
        t.emit("setp.nan." + kind.type + " " + nan + ", " + a + ", " + a + ";");
        String canonical = wide ? Long.toString(Double.doubleToLongBits(Double.NaN)) : FLOAT_NAN_BITS;
        t.emit((wide ? "selp.b64 " : "selp.b32 ") + t.push(wide ? LONG : INT) + ", " + canonical + ", " + raw + ", " + nan + ";");
    }

    private void isNaN(JavaKind kind) {
        String a = t.pop(kind), nan = t.temp(RegType.PRED);
        t.emit("setp.nan." + kind.type + " " + nan + ", " + a + ", " + a + ";");
        t.emit("selp.s32 " + t.push(INT) + ", 1, 0, " + nan + ";");
    }
}
