package dev.weightless.jit.kernel;

import java.io.Serializable;
import java.lang.invoke.SerializedLambda;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;

/**
 * A kernel: a static method whose first parameter is a {@link KernelContext}, followed by primitives
 * and off-heap arrays. Obtained from a method reference through one of the {@link Kernels} interfaces
 * (serializable, so the implementing method can be found) or by class and name.
 */
public record KernelMethod(Method method) {
    public KernelMethod {
        if (!Modifier.isStatic(method.getModifiers())) throw new IllegalArgumentException(method + " is not static");
        Class<?>[] p = method.getParameterTypes();
        if (p.length == 0 || p[0] != KernelContext.class) throw new IllegalArgumentException(method + ": the first parameter must be a KernelContext");
        if (method.getReturnType() != void.class) throw new IllegalArgumentException(method + " must return void");
        method.setAccessible(true);
    }

    /** The method behind a method reference such as {@code Kernels::histogram}. */
    public static KernelMethod of(Serializable methodReference) {
        SerializedLambda lambda = serialized(methodReference);
        if (lambda.getImplMethodKind() != java.lang.invoke.MethodHandleInfo.REF_invokeStatic) {
            throw new IllegalArgumentException("a kernel must be a reference to a static method, got " + lambda.getImplMethodName());
        }
        try {
            Class<?> owner = Class.forName(lambda.getImplClass().replace('/', '.'), false, methodReference.getClass().getClassLoader());
            for (Method m : owner.getDeclaredMethods()) {
                if (m.getName().equals(lambda.getImplMethodName()) && descriptor(m).equals(lambda.getImplMethodSignature())) {
                    return new KernelMethod(m);
                }
            }
            throw new IllegalArgumentException("no method " + lambda.getImplMethodName() + lambda.getImplMethodSignature() + " in " + owner.getName());
        } catch (ClassNotFoundException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** The static method {@code name} of {@code owner} (it must not be overloaded). */
    public static KernelMethod of(Class<?> owner, String name) {
        Method[] matches = Arrays.stream(owner.getDeclaredMethods()).filter(m -> m.getName().equals(name)).toArray(Method[]::new);
        if (matches.length != 1) throw new IllegalArgumentException(owner.getName() + " has " + matches.length + " methods named " + name);
        return new KernelMethod(matches[0]);
    }

    public String name() { return method.getDeclaringClass().getSimpleName() + "." + method.getName(); }

    private static SerializedLambda serialized(Serializable ref) {
        try {
            Method writeReplace = ref.getClass().getDeclaredMethod("writeReplace");
            writeReplace.setAccessible(true);
            return (SerializedLambda) writeReplace.invoke(ref);
        } catch (ReflectiveOperationException | ClassCastException e) {
            throw new IllegalArgumentException("not a method reference: " + ref, e);
        }
    }

    static String descriptor(Method m) {
        StringBuilder s = new StringBuilder("(");
        for (Class<?> p : m.getParameterTypes()) s.append(p.descriptorString());
        return s.append(')').append(m.getReturnType().descriptorString()).toString();
    }

    @Override
    public String toString() { return name(); }
}
