package dev.weightless.jit.ptx;

import dev.weightless.jit.samples.SampleKernels;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.lang.classfile.ClassFile;
import java.lang.classfile.MethodModel;
import java.lang.classfile.attribute.CodeAttribute;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.Method;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The unroller's rewritten bytecode, loaded and run on the JVM against the original method: the rewrite
 * must not change what a method computes, whatever the loop shapes. Helpers below cover the shapes.
 */
class LoopUnrollerTest {
    private static final SplittableRandom RANDOM = new SplittableRandom(23);
    private static final int[] EDGES = {0, 1, -1, 2, 3, 31, 32, 33, 63, 64, 255, Integer.MIN_VALUE, Integer.MAX_VALUE};

    @Test
    void unrolledHelpersComputeWhatTheOriginalsDo() throws Exception {
        check(SampleKernels.class, "bitsAndLoopsOf", 3);
        check(LoopUnrollerTest.class, "shapes", 2);
        check(LoopUnrollerTest.class, "nested", 2);
        check(LoopUnrollerTest.class, "returnsFromTheBody", 2);
    }

    @Test
    void loopsThatAreNotCountedStay() throws Exception {
        assertNull(rewritten(LoopUnrollerTest.class, "notCounted"), "no loop of notCounted may be unrolled");
        assertNull(rewritten(CompilerKernels.class, "branchy"), "branchy's loop has 64 trips and a break");
    }

    /** Counted loops: rising, falling, by shifts, with continue and a switch in the body, the variable read after. */
    static int shapes(int a, int b) {
        int acc = a;
        int i;
        for (i = 0; i < 6; i++) acc = acc * 31 + (b >>> i);
        acc += i;
        for (int k = 10; k >= -2; k -= 4) {
            if (((a >> (k & 31)) & 1) == 0) continue;
            acc ^= k * 0x01010101;
        }
        for (int d = 1; d <= 256; d <<= 3) {
            switch ((a + d) & 3) {
                case 0 -> acc += d;
                case 1 -> acc -= b;
                default -> acc = Integer.rotateLeft(acc, d & 31);
            }
        }
        for (int u = -8; u != 0; u >>>= 29) acc += u; // -8 >>> 29 = 7, then 0: two trips
        for (int z = 5; z > 0; z--) acc ^= acc >>> z;
        return acc;
    }

    /** Nested counted loops: the inner one unrolls first, then the outer one. */
    static int nested(int a, int b) {
        int acc = 0;
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 3; j++) acc += (a >>> (i * 8 + j)) & (b + i * j);
        }
        return acc;
    }

    static int returnsFromTheBody(int a, int b) {
        for (int i = 0; i < 8; i++) {
            if (((a >>> i) & 0xF) == (b & 0xF)) return i * b;
        }
        return -1;
    }

    /** A bound from a parameter, a body that writes the variable, a break, a bound over the trip limit: all kept. */
    static int notCounted(int a, int b) {
        int acc = 0;
        for (int i = 0; i < b; i++) acc += a;
        for (int i = 0; i < 8; i++) {
            if (acc > a) i++;
            acc ^= i;
        }
        for (int i = 0; i < 8; i++) {
            if (acc == b) break;
            acc += i;
        }
        for (int i = 0; i < 100; i++) acc += i ^ a;
        return acc;
    }

    private static void check(Class<?> owner, String name, int arguments) throws Exception {
        byte[] bytes = rewritten(owner, name);
        assertNotNull(bytes, name + " has counted loops: something must unroll");
        Method original = null;
        for (Method m : owner.getDeclaredMethods()) if (m.getName().equals(name)) original = m;
        original.setAccessible(true);
        // The rewritten class joins the original's package so that it may call its package-private helpers.
        Class<?> loaded = MethodHandles.privateLookupIn(owner, MethodHandles.lookup()).defineHiddenClass(bytes, true).lookupClass();
        Method unrolled = loaded.getDeclaredMethod(name, original.getParameterTypes());
        unrolled.setAccessible(true);
        for (int trial = 0; trial < 3000; trial++) {
            Object[] args = new Object[arguments];
            for (int k = 0; k < arguments; k++) args[k] = trial < EDGES.length * EDGES.length && k < 2 ? EDGES[k == 0 ? trial % EDGES.length : trial / EDGES.length] : RANDOM.nextInt();
            assertEquals(original.invoke(null, args), unrolled.invoke(null, args), () -> name + java.util.Arrays.toString(args));
        }
    }

    private static byte[] rewritten(Class<?> owner, String name) throws IOException {
        try (InputStream in = owner.getResourceAsStream(owner.getSimpleName() + ".class")) {
            var model = ClassFile.of().parse(in.readAllBytes());
            MethodModel method = model.methods().stream().filter(m -> m.methodName().equalsString(name)).findFirst().orElseThrow();
            String hidden = owner.getPackageName() + ".Unrolled" + name;
            return LoopUnroller.loadableClass(method, (CodeAttribute) method.code().orElseThrow(), hidden);
        }
    }
}
