package dev.weightless.tasks;

import dev.weightless.jit.kernel.Grid;
import dev.weightless.jit.ptx.PtxKernel;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUfunction;
import jcuda.driver.CUfunction_attribute;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static jcuda.driver.JCudaDriver.*;

/**
 * The CUDA driver API through JCuda (never its NVRTC binding: GPU hosts have no libnvrtc). Every call's
 * result is checked. The context is made current before each operation, so a device can be used from
 * any thread, one at a time.
 */
final class CudaDriver implements Driver {
    /** Copies go in pieces: a ByteBuffer view of a segment cannot exceed 2 GiB. */
    private static final long COPY_PIECE = 1L << 30;
    /**
     * Copies of at least this size go through pinned staging buffers: from pageable memory the driver
     * stages through its own small buffers (about 8 GB/s on the H200 host), from pinned memory the copy
     * engine runs at the link's speed while the next piece is copied into the other buffer.
     */
    private static final long STAGED_COPY_MIN = 8L << 20;

    private final CUcontext context = new CUcontext();
    private final CUstream stream = new CUstream();
    private final TreeMap<Long, Allocation> allocations = new TreeMap<>();
    /** Per function, the dynamic shared memory its launches were allowed (cuFuncSetAttribute). */
    private final java.util.Map<Object, Integer> sharedLimits = new java.util.IdentityHashMap<>();
    private PinnedStaging staging; // allocated at the first large copy
    private final String name;
    private final long totalMemory;
    private final int multiprocessors;
    private final String computeCapability;

    private CudaDriver(int ordinal) {
        JCudaDriver.setExceptionsEnabled(false); // results are checked here, with the call's name
        check(cuInit(0), "cuInit");
        int[] count = new int[1];
        check(cuDeviceGetCount(count), "cuDeviceGetCount");
        if (ordinal < 0 || ordinal >= count[0]) throw new IllegalArgumentException("no CUDA device " + ordinal + ": " + count[0] + " present");
        CUdevice device = new CUdevice();
        check(cuDeviceGet(device, ordinal), "cuDeviceGet(" + ordinal + ")");
        byte[] nameBytes = new byte[256];
        check(cuDeviceGetName(nameBytes, nameBytes.length, device), "cuDeviceGetName");
        name = cString(nameBytes);
        long[] memory = new long[1];
        check(cuDeviceTotalMem(memory, device), "cuDeviceTotalMem");
        totalMemory = memory[0];
        multiprocessors = attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, "multiprocessor count");
        computeCapability = attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, "compute capability")
                + "." + attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, "compute capability");
        check(cuCtxCreate(context, 0, device), "cuCtxCreate");
        // A blocking stream: the synchronous copies (legacy default stream) stay ordered with its launches.
        check(cuStreamCreate(stream, CUstream_flags.CU_STREAM_DEFAULT), "cuStreamCreate");
    }

    static CudaDriver open(int ordinal) { return new CudaDriver(ordinal); }

    /** Why no device can be opened, or null when one can. Loads JCuda's natives, which need libcuda.so.1. */
    static String whyUnavailable() {
        try {
            JCudaDriver.setExceptionsEnabled(false);
            int init = cuInit(0);
            if (init != CUresult.CUDA_SUCCESS) return "cuInit: " + errorName(init);
            int[] count = new int[1];
            int result = cuDeviceGetCount(count);
            if (result != CUresult.CUDA_SUCCESS) return "cuDeviceGetCount: " + errorName(result);
            return count[0] == 0 ? "the CUDA driver reports no device" : null;
        } catch (LinkageError e) {
            // No driver library (libcuda.so.1) or no natives for this platform.
            return "JCuda's driver library could not be loaded: " + rootCause(e);
        }
    }

    @Override public String name() { return name; }

    @Override public long totalMemory() { return totalMemory; }

    @Override public int multiprocessors() { return multiprocessors; }

    @Override public String computeCapability() { return computeCapability; }

    @Override
    public long allocate(long bytes) {
        current();
        Allocation a = new Allocation(Math.max(bytes, 1));
        check(cuMemAlloc(a, a.bytes), "cuMemAlloc(" + bytes + " bytes)");
        // Zeroed, so arrays that are only written on the device start from a known state.
        int zero = cuMemsetD8(a, (byte) 0, Math.max(bytes, 1));
        if (zero != CUresult.CUDA_SUCCESS) {
            cuMemFree(a);
            check(zero, "cuMemsetD8(" + bytes + " bytes)");
        }
        allocations.put(a.address(), a);
        return a.address();
    }

    @Override
    public void free(long address) {
        current();
        Allocation a = allocations.remove(address);
        if (a == null) throw new IllegalArgumentException("no allocation at 0x" + Long.toHexString(address));
        check(cuMemFree(a), "cuMemFree");
    }

    @Override
    public void copyToDevice(long address, MemorySegment source) {
        current();
        CUdeviceptr base = inside(address, source.byteSize());
        if (source.byteSize() >= STAGED_COPY_MIN) {
            staging().toDevice(base, source);
            return;
        }
        for (long offset = 0; offset < source.byteSize(); offset += COPY_PIECE) {
            long length = Math.min(COPY_PIECE, source.byteSize() - offset);
            // A direct buffer over the segment: JCuda passes its native address, nothing is copied on the heap.
            Pointer host = Pointer.to(source.asSlice(offset, length).asByteBuffer());
            check(cuMemcpyHtoD(base.withByteOffset(offset), host, length), "cuMemcpyHtoD(" + length + " bytes at offset " + offset + ")");
        }
        // From pageable memory the copy may still be in flight when cuMemcpyHtoD returns; timings want it done.
        check(cuCtxSynchronize(), "cuCtxSynchronize after cuMemcpyHtoD");
    }

    @Override
    public void copyToHost(MemorySegment target, long address) {
        current();
        CUdeviceptr base = inside(address, target.byteSize());
        if (target.byteSize() >= STAGED_COPY_MIN) {
            staging().toHost(target, base);
            return;
        }
        for (long offset = 0; offset < target.byteSize(); offset += COPY_PIECE) {
            long length = Math.min(COPY_PIECE, target.byteSize() - offset);
            Pointer host = Pointer.to(target.asSlice(offset, length).asByteBuffer());
            check(cuMemcpyDtoH(host, base.withByteOffset(offset), length), "cuMemcpyDtoH(" + length + " bytes at offset " + offset + ")");
        }
    }

    @Override
    public void copyToDevice(List<Transfer> transfers) {
        current();
        long total = 0;
        List<PinnedStaging.Transfer> staged = new ArrayList<>(transfers.size());
        for (Transfer t : transfers) {
            staged.add(new PinnedStaging.Transfer(inside(t.address(), t.source().byteSize()), t.source()));
            total += t.source().byteSize();
        }
        if (total < STAGED_COPY_MIN) {
            for (Transfer t : transfers) copyToDevice(t.address(), t.source());
            return;
        }
        staging().toDevice(staged);
    }

    private PinnedStaging staging() {
        if (staging == null) staging = new PinnedStaging(stream);
        return staging;
    }

    @Override
    public Object loadModule(String ptx) {
        current();
        CUmodule module = new CUmodule();
        byte[] image = (ptx + "\0").getBytes(StandardCharsets.UTF_8);
        int result = cuModuleLoadData(module, image);
        if (result != CUresult.CUDA_SUCCESS) {
            throw new CudaException("cuModuleLoadData (PTX kept at " + keep(ptx) + "; ptxas -arch=sm_90a on it says why)", result, errorName(result));
        }
        return module;
    }

    @Override
    public void unloadModule(Object module) {
        current();
        check(cuModuleUnload((CUmodule) module), "cuModuleUnload");
    }

    @Override
    public Object function(Object module, String entry) {
        current();
        CUfunction function = new CUfunction();
        check(cuModuleGetFunction(function, (CUmodule) module, entry), "cuModuleGetFunction(" + entry + ")");
        return function;
    }

    @Override
    public Timer timer() {
        current();
        return new EventTimer();
    }

    @Override
    public void launch(Object function, PtxKernel kernel, Grid grid, List<Object> arguments, Timer timer) {
        current();
        Pointer[] values = new Pointer[arguments.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = switch (arguments.get(i)) {
                case Long v -> Pointer.to(new long[] {v});
                case Integer v -> Pointer.to(new int[] {v});
                case Float v -> Pointer.to(new float[] {v});
                case Double v -> Pointer.to(new double[] {v});
                case TensorMapArgument t -> Pointer.to(TensorMapEncoder.encode(t));
                default -> throw new IllegalArgumentException("kernel argument " + i + " of " + kernel.entry() + " is a " + arguments.get(i).getClass().getName());
            };
        }
        EventTimer events = (EventTimer) timer;
        check(cuEventRecord(events.start, stream), "cuEventRecord");
        // The launch's dynamic shared memory: the grid's, or at least what the kernel's own arrays beyond 48 KiB need.
        int shared = Math.max(grid.sharedBytes(), kernel.dynamicSharedBytes());
        // Static plus dynamic shared memory over 48 KB must be allowed per function first (once: the attribute stays set).
        // The limit is on the sum, so a kernel with 16 KB of static arrays fails to launch with 40 KB of dynamic memory
        // unless it is raised (measured on the H200): allow any dynamic size, it costs nothing where it was not needed.
        Integer allowed = sharedLimits.get(function);
        if (shared > 0 && (allowed == null || allowed < shared)) {
            sharedLimits.put(function, shared);
            check(cuFuncSetAttribute((CUfunction) function, CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, shared),
                    "cuFuncSetAttribute(" + kernel.entry() + ", max dynamic shared memory " + shared + " bytes)");
        }
        String what = kernel.entry() + ", " + grid.groups() + " x " + grid.localSize() + (shared > 0 ? ", " + shared + " bytes of dynamic shared memory" : "") + ")";
        if (grid.coResident()) {   // groups that wait on each other: the driver refuses the launch (TOO_LARGE) rather than let it hang
            check(cuLaunchCooperativeKernel((CUfunction) function, Math.toIntExact(grid.groups()), 1, 1, grid.localSize(), 1, 1, shared, stream, Pointer.to(values)),
                    "cuLaunchCooperativeKernel(" + what + "; every CTA must fit on the GPU at once");
        } else {
            check(cuLaunchKernel((CUfunction) function, Math.toIntExact(grid.groups()), 1, 1, grid.localSize(), 1, 1, shared, stream, Pointer.to(values), null),
                    "cuLaunchKernel(" + what);
        }
        check(cuEventRecord(events.stop, stream), "cuEventRecord");
    }

    @Override
    public void synchronize() {
        current();
        check(cuStreamSynchronize(stream), "cuStreamSynchronize (a kernel failed if this reports a launch or illegal-address error)");
    }

    @Override
    public void close() {
        current();
        if (staging != null) staging.close();
        check(cuStreamDestroy(stream), "cuStreamDestroy");
        allocations.clear(); // the context's memory goes with it
        check(cuCtxDestroy(context), "cuCtxDestroy");
    }

    private void current() { check(cuCtxSetCurrent(context), "cuCtxSetCurrent"); }

    /** The device pointer at {@code address}, which may lie inside an allocation, checking that {@code bytes} from there fit in it. */
    private CUdeviceptr inside(long address, long bytes) {
        Map.Entry<Long, Allocation> entry = allocations.floorEntry(address);
        if (entry == null || address - entry.getKey() + bytes > entry.getValue().bytes) {
            throw new IllegalArgumentException(bytes + " bytes at 0x" + Long.toHexString(address) + " are outside every allocation");
        }
        return entry.getValue().withByteOffset(address - entry.getKey());
    }


    private static int attribute(CUdevice device, int attribute, String what) {
        int[] value = new int[1];
        check(cuDeviceGetAttribute(value, attribute, device), "cuDeviceGetAttribute(" + what + ")");
        return value[0];
    }

    static void check(int result, String call) {
        if (result != CUresult.CUDA_SUCCESS) throw new CudaException(call, result, errorName(result));
    }

    private static String errorName(int result) {
        String[] text = new String[1];
        String description = cuGetErrorString(result, text) == CUresult.CUDA_SUCCESS && text[0] != null ? ": " + text[0] : "";
        return CUresult.stringFor(result) + description;
    }

    /** JCuda's message holds every attempt with stack traces; the last line naming a missing library says it all. */
    private static String rootCause(LinkageError e) {
        String message = String.valueOf(e.getMessage());
        return message.lines().filter(l -> l.contains("cannot open shared object") || l.contains("wrong ELF class")).reduce((a, b) -> b)
                .orElse(e.getClass().getSimpleName() + ": " + message.lines().findFirst().orElse(""));
    }

    private static String cString(byte[] bytes) {
        int n = 0;
        while (n < bytes.length && bytes[n] != 0) n++;
        return new String(bytes, 0, n, StandardCharsets.UTF_8);
    }

    private static String keep(String ptx) {
        try {
            Path file = Files.createTempFile("weightless-rejected-", ".ptx");
            Files.writeString(file, ptx);
            return file.toString();
        } catch (IOException e) {
            return "nowhere (" + e.getMessage() + ")";
        }
    }

    /** A device pointer whose address can be read (JCuda keeps it in a protected field). */
    private static final class Allocation extends CUdeviceptr {
        final long bytes;

        Allocation(long bytes) { this.bytes = bytes; }

        long address() { return getNativePointer(); }
    }

    /** Two events around a launch on the stream. */
    private final class EventTimer implements Timer {
        private final CUevent start = new CUevent();
        private final CUevent stop = new CUevent();

        EventTimer() {
            check(cuEventCreate(start, CUevent_flags.CU_EVENT_DEFAULT), "cuEventCreate");
            check(cuEventCreate(stop, CUevent_flags.CU_EVENT_DEFAULT), "cuEventCreate");
        }

        @Override
        public double millis() {
            current();
            float[] ms = new float[1];
            check(cuEventElapsedTime(ms, start, stop), "cuEventElapsedTime");
            return ms[0];
        }

        @Override
        public void close() {
            current();
            check(cuEventDestroy(start), "cuEventDestroy");
            check(cuEventDestroy(stop), "cuEventDestroy");
        }
    }
}
