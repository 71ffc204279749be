package dev.weightless.codec;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongConsumer;

/** Runs numbered tasks on up to {@code threads} threads, the caller's among them (the codec's and its coders' worker pool). */
public final class Parallel {
    private Parallel() {}

    /** Never started: only asked whether a segment is open to threads other than its owner. */
    private static final Thread OTHER_THREAD = new Thread(() -> {});

    static int defaultThreads() { return Runtime.getRuntime().availableProcessors(); }

    /** Whether threads other than the caller may touch every one of {@code segments} (a confined arena's may not). */
    public static boolean shareable(MemorySegment... segments) {
        for (MemorySegment s : segments) if (!s.isAccessibleBy(OTHER_THREAD)) return false;
        return true;
    }

    /** Calls {@code body} once for each task in [0, tasks); rethrows the first failure after all threads stop. */
    public static void forEach(int threads, long tasks, LongConsumer body) {
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        int workers = (int) Math.min(threads, tasks);
        if (workers <= 1) {
            for (long t = 0; t < tasks; t++) body.accept(t);
            return;
        }
        AtomicLong next = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Runnable loop = () -> {
            try {
                for (long t; failure.get() == null && (t = next.getAndIncrement()) < tasks; ) body.accept(t);
            } catch (Throwable e) {
                if (!failure.compareAndSet(null, e)) failure.get().addSuppressed(e);
            }
        };
        Thread[] helpers = new Thread[workers - 1];
        for (int i = 0; i < helpers.length; i++) {
            helpers[i] = Thread.ofPlatform().daemon().name("weightless-worker-" + i).start(loop);
        }
        loop.run();
        boolean interrupted = false;
        for (Thread t : helpers) {
            while (true) {
                try {
                    t.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                    failure.compareAndSet(null, e);
                }
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
        Throwable e = failure.get();
        if (e instanceof RuntimeException r) throw r;
        if (e instanceof Error err) throw err;
        if (e != null) throw new IllegalStateException(e);
    }
}
