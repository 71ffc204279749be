package dev.weightless.jit.kernel;

import java.lang.reflect.Array;
import java.lang.reflect.InvocationTargetException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Phaser;

/**
 * Runs a kernel on the JVM, emulating the GPU's execution model: every thread of a block runs on its
 * own virtual thread, so barriers and warp operations behave as on the device; blocks run one after
 * another. It is the reference the compiled kernels are tested against, not a fast path. A thread
 * that returns leaves the block's barriers (as an exited GPU thread does).
 */
public final class JvmExecutor {
    private JvmExecutor() {}

    /** Runs {@code kernel} over {@code grid}; {@code args} are the kernel's parameters after the context. */
    public static void run(KernelMethod kernel, Grid grid, Object... args) {
        Object[] call = new Object[args.length + 1];
        System.arraycopy(args, 0, call, 1, args.length);
        for (int g = 0; g < grid.groups(); g++) runBlock(kernel, grid, g, call);
    }

    private static void runBlock(KernelMethod kernel, Grid grid, int group, Object[] args) {
        Block block = new Block(grid.localSize());
        List<Thread> threads = new ArrayList<>(grid.localSize());
        List<Throwable> failures = new ArrayList<>();
        for (int t = 0; t < grid.localSize(); t++) {
            KernelContext ctx = new KernelContext(grid, group, t, block);
            Object[] call = args.clone();
            call[0] = ctx;
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    kernel.method().invoke(null, call);
                } catch (InvocationTargetException e) {
                    synchronized (failures) {
                        failures.add(e.getCause());
                    }
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                } finally {
                    block.exit(ctx.localIdx);
                }
            }));
        }
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while running " + kernel, e);
            }
        }
        if (!failures.isEmpty()) {
            Throwable first = failures.getFirst();
            if (first instanceof RuntimeException r) throw r;
            if (first instanceof Error e) throw e;
            throw new IllegalStateException(first);
        }
    }

    /** Shared state of one thread block: its barrier, shared arrays and warps. */
    static final class Block {
        private final Phaser barrier;
        private final List<Object> shared = new ArrayList<>();
        private final Warp[] warps;

        Block(int localSize) {
            barrier = new Phaser(localSize);
            warps = new Warp[Math.ceilDiv(localSize, KernelContext.WARP_SIZE)];
            for (int w = 0; w < warps.length; w++) warps[w] = new Warp(Math.min(KernelContext.WARP_SIZE, localSize - w * KernelContext.WARP_SIZE));
        }

        void barrier() { barrier.arriveAndAwaitAdvance(); }

        synchronized Object shared(int index, Class<?> type, int length) {
            if (index < shared.size()) {
                Object a = shared.get(index);
                if (a.getClass() != type || Array.getLength(a) != length) {
                    throw new IllegalStateException("threads of one block asked for different shared arrays at call " + index);
                }
                return a;
            }
            if (index != shared.size()) throw new IllegalStateException("shared arrays must be requested in the same order by every thread");
            Object a = Array.newInstance(type.getComponentType(), length);
            shared.add(a);
            return a;
        }

        Warp warp(int localIdx) { return warps[localIdx / KernelContext.WARP_SIZE]; }

        void exit(int localIdx) {
            barrier.arriveAndDeregister();
            warp(localIdx).exit();
        }
    }

    /** The lanes of one warp, exchanging values in lockstep for shuffles and votes. */
    static final class Warp {
        private final Phaser step;
        private final int lanes;
        private final int[] values;
        private final boolean[] votes;

        Warp(int lanes) {
            this.lanes = lanes;
            this.step = new Phaser(lanes);
            this.values = new int[lanes];
            this.votes = new boolean[lanes];
        }

        int fullMask() { return lanes == 32 ? -1 : (1 << lanes) - 1; }

        int shuffle(int lane, int value, int source) {
            values[lane] = value;
            step.arriveAndAwaitAdvance(); // every lane has written
            int result = source >= 0 && source < lanes ? values[source] : value;
            step.arriveAndAwaitAdvance(); // every lane has read
            return result;
        }

        int ballot(int lane, boolean predicate) {
            votes[lane] = predicate;
            step.arriveAndAwaitAdvance();
            int mask = 0;
            for (int i = 0; i < lanes; i++) if (votes[i]) mask |= 1 << i;
            step.arriveAndAwaitAdvance();
            return mask;
        }

        void sync() { step.arriveAndAwaitAdvance(); }

        void exit() { step.arriveAndDeregister(); }
    }
}
