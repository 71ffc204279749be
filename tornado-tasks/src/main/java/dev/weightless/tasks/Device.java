package dev.weightless.tasks;

import dev.weightless.jit.ptx.PtxKernel;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One GPU with a CUDA context of its own. It owns the device buffers (one per host array object) and
 * knows the plans that use it: closing it while buffers are held or plans are open releases
 * everything and then fails, naming what was left, so leaks show up where they happen.
 */
public final class Device implements AutoCloseable {
    private final Driver driver;
    private final Map<Object, DeviceBuffer> buffers = new IdentityHashMap<>();
    private final Set<ExecutionPlan> openPlans = new LinkedHashSet<>();
    private boolean closed;

    Device(Driver driver) {
        this.driver = driver;
    }

    /** Opens device {@code ordinal} (cuInit, cuDeviceGet, cuCtxCreate). */
    public static Device open(int ordinal) { return new Device(CudaDriver.open(ordinal)); }

    public static Device open() { return open(0); }

    /** Why {@link #open} would fail (no driver library, no device), or empty when a device is there. */
    public static Optional<String> whyUnavailable() { return Optional.ofNullable(CudaDriver.whyUnavailable()); }

    public String name() { return driver.name(); }

    /** Device memory in bytes. */
    public long totalMemory() { return driver.totalMemory(); }

    public int multiprocessors() { return driver.multiprocessors(); }

    public String computeCapability() { return driver.computeCapability(); }

    /**
     * The buffer for {@code array}, allocated (zero-filled) on first use, with one more hold on it:
     * close the returned buffer once when done with it.
     */
    public synchronized DeviceBuffer buffer(Object array) {
        ensureOpen();
        HostArrays.requireCopyable(array, "Device.buffer");
        DeviceBuffer existing = buffers.get(array);
        if (existing != null) {
            existing.hold();
            return existing;
        }
        long bytes = HostArrays.segment(array).byteSize();
        DeviceBuffer created = new DeviceBuffer(this, array, driver.allocate(bytes), bytes);
        buffers.put(array, created);
        return created;
    }

    /**
     * Device memory with no host array behind it (zero-filled), held once: for data that only ever lives on
     * the device, filled and read with {@link DeviceBuffer#copyFrom} and {@link DeviceBuffer#copyTo}, and
     * passed to kernels as {@link DeviceArray}s.
     */
    public synchronized DeviceBuffer allocate(long bytes) {
        ensureOpen();
        if (bytes < 0) throw new IllegalArgumentException("negative size " + bytes);
        DeviceBuffer.DeviceOnly key = new DeviceBuffer.DeviceOnly(bytes);
        DeviceBuffer created = new DeviceBuffer(this, key, driver.allocate(bytes), bytes);
        buffers.put(key, created);
        return created;
    }

    /** Buffers still held, for leak checks. */
    public synchronized List<DeviceBuffer> liveBuffers() { return List.copyOf(buffers.values()); }

    synchronized void release(DeviceBuffer buffer) {
        if (closed) {
            buffer.forget(); // the context, and the memory with it, is gone
            return;
        }
        if (buffer.letGo()) {
            buffers.remove(buffer.key());
            driver.free(buffer.address());
        }
    }

    synchronized long copyToDevice(DeviceBuffer buffer) {
        ensureLive(buffer);
        long start = System.nanoTime();
        driver.copyToDevice(buffer.address(), HostArrays.segment(buffer.hostArray()));
        return System.nanoTime() - start;
    }

    synchronized long copyToDevice(DeviceBuffer buffer, long byteOffset, MemorySegment source) {
        ensureLive(buffer);
        checkRange(buffer, byteOffset, source.byteSize());
        long start = System.nanoTime();
        driver.copyToDevice(buffer.address() + byteOffset, source);
        return System.nanoTime() - start;
    }

    /** Host bytes bound for {@code byteOffset} of a device buffer: one of the copies of {@link #copyToDevice(List)}. */
    public record Copy(DeviceBuffer buffer, long byteOffset, MemorySegment source) {}

    /**
     * Makes all of {@code copies}, complete on return, and returns the nanoseconds taken. On a GPU they are
     * streamed through the pinned buffers together, so host copies and DMA overlap across them as well;
     * many small or mid-sized copies go much faster this way than one {@link DeviceBuffer#copyFrom} each.
     */
    public synchronized long copyToDevice(List<Copy> copies) {
        List<Driver.Transfer> transfers = new ArrayList<>(copies.size());
        for (Copy c : copies) {
            ensureLive(c.buffer());
            checkRange(c.buffer(), c.byteOffset(), c.source().byteSize());
            transfers.add(new Driver.Transfer(c.buffer().address() + c.byteOffset(), c.source()));
        }
        long start = System.nanoTime();
        driver.copyToDevice(transfers);
        return System.nanoTime() - start;
    }

    synchronized long copyToHost(DeviceBuffer buffer, long byteOffset, MemorySegment target) {
        ensureLive(buffer);
        checkRange(buffer, byteOffset, target.byteSize());
        long start = System.nanoTime();
        driver.copyToHost(target, buffer.address() + byteOffset);
        return System.nanoTime() - start;
    }

    private static void checkRange(DeviceBuffer buffer, long byteOffset, long bytes) {
        if (byteOffset < 0 || bytes < 0 || byteOffset > buffer.bytes() - bytes) {
            throw new IndexOutOfBoundsException(bytes + " bytes at offset " + byteOffset + " do not fit " + buffer);
        }
    }

    synchronized long copyToHost(DeviceBuffer buffer) {
        ensureLive(buffer);
        MemorySegment target = HostArrays.segment(buffer.hostArray());
        long start = System.nanoTime();
        driver.copyToHost(target, buffer.address());
        return System.nanoTime() - start;
    }

    /** A kernel ready to launch, and what loading it cost. */
    record LoadedKernel(PtxKernel kernel, Object function, boolean moduleCached, long loadNanos) {}

    synchronized LoadedKernel load(PtxKernel kernel) {
        ensureOpen();
        long start = System.nanoTime();
        ModuleCache.Lookup module = ModuleCache.module(this, driver, kernel.ptx());
        Object function = driver.function(module.module(), kernel.entry());
        return new LoadedKernel(kernel, function, module.cached(), System.nanoTime() - start);
    }

    /** The driver, for a plan's launches and timers. */
    synchronized Driver driver() {
        ensureOpen();
        return driver;
    }

    synchronized void opened(ExecutionPlan plan) {
        ensureOpen();
        openPlans.add(plan);
    }

    synchronized void closed(ExecutionPlan plan) { openPlans.remove(plan); }

    synchronized boolean isClosed() { return closed; }

    /** Releases the context; fails afterwards if plans were open or buffers held, naming them. */
    @Override
    public synchronized void close() {
        if (closed) return;
        List<String> leftOpen = new ArrayList<>();
        for (ExecutionPlan plan : List.copyOf(openPlans)) {
            leftOpen.add("open " + plan);
            plan.abandon();
        }
        for (DeviceBuffer buffer : buffers.values()) leftOpen.add("held " + buffer);
        closed = true;
        try {
            ModuleCache.evict(this, driver);
        } finally {
            for (DeviceBuffer buffer : buffers.values()) buffer.forget();
            buffers.clear();
            openPlans.clear();
            driver.close();
        }
        if (!leftOpen.isEmpty()) throw new IllegalStateException("device " + name() + " closed with " + leftOpen.size() + " resources in use: " + String.join("; ", leftOpen));
    }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException("device " + name() + " is closed");
    }

    private void ensureLive(DeviceBuffer buffer) {
        ensureOpen();
        if (!buffer.isLive() || buffers.get(buffer.key()) != buffer) throw new IllegalStateException(buffer + " was freed");
    }

    @Override
    public String toString() { return "Device[" + name() + ", sm_" + computeCapability().replace(".", "") + ", " + multiprocessors() + " SMs]"; }
}
