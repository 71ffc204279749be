package dev.weightless.tasks.codec;

import dev.weightless.codec.ChecksumMismatchException;
import dev.weightless.codec.CodeTable;
import dev.weightless.codec.CodecOptions;
import dev.weightless.codec.Crc32c;
import dev.weightless.codec.EncodedTensor;
import dev.weightless.codec.HuffmanDecoder;
import dev.weightless.codec.MalformedInputException;
import dev.weightless.io.arrow.ArrowMemory;
import dev.weightless.io.container.CompressedFile;
import dev.weightless.io.container.TensorRecord;
import dev.weightless.io.safetensors.Dtype;
import dev.weightless.jit.kernel.ByteArray;
import dev.weightless.jit.kernel.KernelMethod;
import dev.weightless.jit.ptx.PtxCompiler;
import dev.weightless.jit.ptx.PtxKernel;
import dev.weightless.tasks.Device;
import dev.weightless.tasks.DeviceBuffer;
import dev.weightless.tasks.ExecutionResult;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * A whole Weightless model (one file or a sharded one) loaded onto a device as BF16 (or raw) tensors.
 * Huffman tensors' coded parts go from the mapped file to the device without a heap copy and are decoded
 * there by {@link DecodeKernels#decode}; tensors the kernel cannot take are decoded on the CPU and copied
 * up, raw ones copied up as stored. CRC32C: raw and CPU-decoded tensors are always checked on the host;
 * a GPU-decoded tensor only with {@code verify}, which copies it back once (otherwise the kernel's output
 * is trusted: the index was validated on the CPU, but the values themselves are not checked).
 */
public final class DeviceModel implements AutoCloseable {
    /** Where a tensor's values came from. */
    public enum Source { GPU_DECODED, CPU_DECODED, RAW }

    /** One tensor on the device: {@code bytes} of values at {@code address} (the buffer may be padded to 8 bytes). */
    public record Tensor(String name, Dtype dtype, long[] shape, long address, long bytes, Source source, boolean crcChecked, String note) {
        public Tensor { shape = shape.clone(); }

        @Override
        public long[] shape() { return shape.clone(); }
    }

    /**
     * Where the time went, in nanoseconds: opening and validating files and CRCs of raw tensors on the host
     * ({@code readNanos}, page faults of the mapped file land in the copies), host-to-device copies
     * ({@code toDeviceBytes} in {@code toDeviceNanos}), the GPU kernels (device time), CPU decodes, and verification.
     */
    public record Timings(long readNanos, long toDeviceBytes, long toDeviceNanos, long gpuDecodedBytes, long gpuDecodeNanos,
                          long cpuDecodeNanos, long verifyNanos, long totalNanos) {
        public double toDeviceGBps() { return toDeviceNanos == 0 ? Double.NaN : toDeviceBytes / (double) toDeviceNanos; }

        public double gpuDecodeGBps() { return gpuDecodeNanos == 0 ? Double.NaN : gpuDecodedBytes / (double) gpuDecodeNanos; }
    }

    private final List<Tensor> tensors;
    private final List<DeviceBuffer> buffers;
    private final Timings timings;

    private DeviceModel(List<Tensor> tensors, List<DeviceBuffer> buffers, Timings timings) {
        this.tensors = List.copyOf(tensors);
        this.buffers = buffers;
        this.timings = timings;
    }

    /** Loads without checking GPU-decoded values (see the class comment). */
    public static DeviceModel load(Device device, Path weightlessFileOrShardedModel, CodecOptions cpu) throws IOException {
        return load(device, weightlessFileOrShardedModel, cpu, false, PtxCompiler::compile);
    }

    public static DeviceModel load(Device device, Path weightlessFileOrShardedModel, CodecOptions cpu, boolean verify) throws IOException {
        return load(device, weightlessFileOrShardedModel, cpu, verify, PtxCompiler::compile);
    }

    /** With another compiler: tests run the kernel on a fake device. */
    public static DeviceModel load(Device device, Path weightlessFileOrShardedModel, CodecOptions cpu, boolean verify,
                                   Function<KernelMethod, PtxKernel> compiler) throws IOException {
        return new Loader(new GpuDecoder(device, compiler), cpu, verify).load(weightlessFileOrShardedModel);
    }

    public List<Tensor> tensors() { return tensors; }

    public Timings timings() { return timings; }

    /** Frees the device buffers. */
    @Override
    public void close() {
        RuntimeException first = null;
        for (DeviceBuffer b : buffers) {
            try {
                b.close();
            } catch (RuntimeException e) {
                if (first == null) first = e;
            }
        }
        buffers.clear();
        if (first != null) throw first;
    }

    private static final class Loader {
        private final GpuDecoder gpu;
        private final CodecOptions cpu;
        private final boolean verify;
        private final List<Tensor> tensors = new ArrayList<>();
        private final List<DeviceBuffer> buffers = new ArrayList<>();
        private long readNanos, toDeviceBytes, toDeviceNanos, gpuBytes, gpuNanos, cpuNanos, verifyNanos;

        Loader(GpuDecoder gpu, CodecOptions cpu, boolean verify) {
            this.gpu = gpu;
            this.cpu = cpu;
            this.verify = verify;
        }

        DeviceModel load(Path in) throws IOException {
            long start = System.nanoTime();
            try {
                for (Path path : CompressedFile.modelFiles(in)) {
                    long t0 = System.nanoTime();
                    try (CompressedFile file = CompressedFile.open(path)) {
                        readNanos += System.nanoTime() - t0;
                        // One host segment, as large as the largest tensor, for CPU decodes and verification: never the whole model.
                        long staging = file.tensors().stream()
                                .mapToLong(r -> r.codec() == TensorRecord.Codec.HUFFMAN ? DecodeInput.outputBytes(r.elements()) : 0).max().orElse(0);
                        // Host memory in Arrow buffers of one job (its allocator checks for leaks on close);
                        // copies to the device take their addresses straight, as direct buffers, never via the heap.
                        try (BufferAllocator job = ArrowMemory.job(); ArrowBuf staged = ArrowMemory.allocate(job, Math.max(8, staging))) {
                            MemorySegment host = ArrowMemory.segment(staged, 0, Math.max(8, staging));
                            for (TensorRecord r : file.tensors()) tensors.add(load(file, r, host, job));
                        }
                    }
                }
            } catch (IOException | RuntimeException | Error e) {
                for (DeviceBuffer b : buffers) b.close();
                throw e;
            }
            return new DeviceModel(tensors, buffers, new Timings(readNanos, toDeviceBytes, toDeviceNanos, gpuBytes, gpuNanos, cpuNanos,
                    verifyNanos, System.nanoTime() - start));
        }

        private Tensor load(CompressedFile file, TensorRecord r, MemorySegment host, BufferAllocator job) {
            long bytes = r.byteSize();
            if (bytes == 0) return new Tensor(r.name(), r.dtype(), r.shape(), 0, 0, Source.RAW, true, "empty: nothing on the device");
            if (r.codec() != TensorRecord.Codec.HUFFMAN) {
                long t0 = System.nanoTime();
                // The mapped bytes wrapped as an Arrow buffer (no copy) and uploaded from there.
                try (ArrowBuf stored = ArrowMemory.wrap(file.storedData(r), job)) {
                    MemorySegment bytesIn = ArrowMemory.segment(stored);
                    checkCrc(file, r, bytesIn);
                    readNanos += System.nanoTime() - t0;
                    return upload(r, bytesIn, Source.RAW, "copied as stored from the mapped file");
                }
            }
            EncodedTensor encoded = file.encoded(r);
            CodeTable code;
            try {
                code = HuffmanDecoder.open(encoded).code(); // validates the index before the kernel trusts it
            } catch (MalformedInputException e) {
                throw e.source() == null ? e.in(file.source(), 0) : e;
            }
            String why = DecodeInput.whyNot(encoded, code);
            if (why != null) {
                long t0 = System.nanoTime();
                MemorySegment out = host.asSlice(0, bytes);
                file.decode(r, out, cpu); // checks the CRC32C
                cpuNanos += System.nanoTime() - t0;
                return upload(r, out, Source.CPU_DECODED, "decoded on the CPU: " + why);
            }
            try (Arena arena = Arena.ofShared()) {
                DecodeInput input = DecodeInput.of(encoded, arena, host.asSlice(0, DecodeInput.outputBytes(r.elements())));
                GpuDecoder.Decoded decoded = gpu.decodeOnDevice(input);
                buffers.add(decoded.out());
                for (ExecutionResult.TransferTime t : decoded.result().transfers()) {
                    toDeviceBytes += t.bytes();
                    toDeviceNanos += Math.round(t.millis() * 1e6);
                }
                gpuBytes += bytes;
                gpuNanos += Math.round(decoded.result().taskMillis("decode.run") * 1e6);
                if (verify) {
                    long t0 = System.nanoTime();
                    decoded.out().copyToHost();
                    checkCrc(file, r, input.decoded());
                    verifyNanos += System.nanoTime() - t0;
                }
                return new Tensor(r.name(), r.dtype(), r.shape(), decoded.out().address(), bytes, Source.GPU_DECODED, verify, "decoded on the GPU");
            }
        }

        /** Copies {@code values} to a new device buffer straight from where they are (the mapped file or the staging segment). */
        private Tensor upload(TensorRecord r, MemorySegment values, Source source, String note) {
            DeviceBuffer buffer = gpu.device().buffer(new ByteArray(values));
            buffers.add(buffer);
            toDeviceNanos += buffer.copyFromHost();
            toDeviceBytes += values.byteSize();
            return new Tensor(r.name(), r.dtype(), r.shape(), buffer.address(), values.byteSize(), source, true, note);
        }

        private static void checkCrc(CompressedFile file, TensorRecord r, MemorySegment values) {
            int crc = Crc32c.of(values);
            if (crc != r.crc32c()) throw new ChecksumMismatchException(file.source() + ": tensor \"" + r.name() + "\"", r.crc32c(), crc);
        }
    }
}
