package dev.weightless.jit.kernel;

import java.io.Serializable;

/** Serializable functional interfaces for kernel method references, by parameter count after the context. */
public final class Kernels {
    private Kernels() {}

    @FunctionalInterface public interface K1<A> extends Serializable { void run(KernelContext ctx, A a); }

    @FunctionalInterface public interface K2<A, B> extends Serializable { void run(KernelContext ctx, A a, B b); }

    @FunctionalInterface public interface K3<A, B, C> extends Serializable { void run(KernelContext ctx, A a, B b, C c); }

    @FunctionalInterface public interface K4<A, B, C, D> extends Serializable { void run(KernelContext ctx, A a, B b, C c, D d); }

    @FunctionalInterface public interface K5<A, B, C, D, E> extends Serializable { void run(KernelContext ctx, A a, B b, C c, D d, E e); }

    @FunctionalInterface public interface K6<A, B, C, D, E, F> extends Serializable { void run(KernelContext ctx, A a, B b, C c, D d, E e, F f); }
}
