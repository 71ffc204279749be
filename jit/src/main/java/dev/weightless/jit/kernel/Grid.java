package dev.weightless.jit.kernel;

/**
 * A one-dimensional launch: {@code groups} thread blocks of {@code localSize} threads.
 * {@code localSize} is at most 1024, as on NVIDIA GPUs.
 */
public record Grid(long groups, int localSize) {
    public Grid {
        if (groups < 1 || groups > Integer.MAX_VALUE) throw new IllegalArgumentException("groups must be in 1..2^31-1, got " + groups);
        if (localSize < 1 || localSize > 1024) throw new IllegalArgumentException("localSize must be in 1..1024, got " + localSize);
    }

    /** Enough groups of {@code localSize} threads to cover {@code threads} threads. */
    public static Grid covering(long threads, int localSize) {
        return new Grid(Math.max(1, Math.ceilDiv(threads, localSize)), localSize);
    }

    public long globalSize() { return Math.multiplyExact(groups, localSize); }
}
