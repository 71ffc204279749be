package dev.weightless.jit.kernel;

/**
 * A one-dimensional launch: {@code groups} thread blocks of {@code localSize} threads, each with
 * {@code sharedBytes} of dynamic shared memory (0 for kernels with static shared memory only).
 * {@code localSize} is at most 1024, as on NVIDIA GPUs. {@code coResident}: every group must be resident at once
 * (groups that wait on each other); CUDA launches it cooperatively, and the driver refuses a grid the GPU cannot hold.
 */
public record Grid(long groups, int localSize, int sharedBytes, boolean coResident) {
    public Grid {
        if (groups < 1 || groups > Integer.MAX_VALUE) throw new IllegalArgumentException("groups must be in 1..2^31-1, got " + groups);
        if (localSize < 1 || localSize > 1024) throw new IllegalArgumentException("localSize must be in 1..1024, got " + localSize);
        if (sharedBytes < 0) throw new IllegalArgumentException("sharedBytes must be >= 0, got " + sharedBytes);
    }

    /** A launch whose groups need not all be resident at once. */
    public Grid(long groups, int localSize, int sharedBytes) { this(groups, localSize, sharedBytes, false); }

    /** This launch with every group resident at once. */
    public Grid allResident() { return new Grid(groups, localSize, sharedBytes, true); }

    /** A launch without dynamic shared memory. */
    public Grid(long groups, int localSize) { this(groups, localSize, 0); }

    /** Enough groups of {@code localSize} threads to cover {@code threads} threads. */
    public static Grid covering(long threads, int localSize) {
        return new Grid(Math.max(1, Math.ceilDiv(threads, localSize)), localSize);
    }

    public long globalSize() { return Math.multiplyExact(groups, localSize); }
}
