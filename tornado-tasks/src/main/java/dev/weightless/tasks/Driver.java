package dev.weightless.tasks;

import dev.weightless.jit.kernel.Grid;
import dev.weightless.jit.ptx.PtxKernel;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * What a {@link Device} needs from a GPU, with device memory named by plain addresses. {@link CudaDriver}
 * is the real one; the tests have a fake that runs kernels on the JVM executor, so plans can be tested
 * without a GPU. Calls come from one thread at a time.
 */
interface Driver {
    String name();

    long totalMemory();

    int multiprocessors();

    /** Compute capability as "major.minor". */
    String computeCapability();

    /** Zero-filled device memory; its address. */
    long allocate(long bytes);

    void free(long address);

    /** Copies all of {@code source} to {@code address}; complete on return. */
    void copyToDevice(long address, MemorySegment source);

    /** One host range bound for a device address. */
    record Transfer(long address, MemorySegment source) {}

    /**
     * Copies every transfer; complete on return. A driver may overlap them (the CUDA one streams them all
     * through its pinned buffers with one wait at the end); by default they go one by one.
     */
    default void copyToDevice(List<Transfer> transfers) {
        for (Transfer t : transfers) copyToDevice(t.address(), t.source());
    }

    /** Fills all of {@code target} from {@code address}; complete on return. */
    void copyToHost(MemorySegment target, long address);

    /** Loads a module from PTX text (the driver compiles it for the device). */
    Object loadModule(String ptx);

    void unloadModule(Object module);

    Object function(Object module, String entry);

    /** Measures one launch on the device; reusable. */
    Timer timer();

    /**
     * Enqueues a launch. {@code arguments} are the PTX parameters' values in order, as Long, Integer,
     * Float, Double (an array is its address and its element count, both Long) or {@link TensorMapArgument}
     * (the driver encodes the tensor map).
     */
    void launch(Object function, PtxKernel kernel, Grid grid, List<Object> arguments, Timer timer);

    /** Waits for every enqueued launch. */
    void synchronize();

    /** Releases the device; later calls fail. */
    void close();

    interface Timer {
        /** Device time of the last launch timed with it, in milliseconds; call after {@link #synchronize()}. */
        double millis();

        void close();
    }
}
