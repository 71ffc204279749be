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
import dev.weightless.jit.kernel.LongArray;
import dev.weightless.jit.kernel.ShortArray;
import dev.weightless.jit.ptx.PtxCompiler;
import dev.weightless.jit.ptx.PtxKernel;
import dev.weightless.tasks.Device;
import dev.weightless.tasks.DeviceArray;
import dev.weightless.tasks.DeviceBuffer;
import dev.weightless.tasks.ExecutionPlan;
import dev.weightless.tasks.ExecutionResult;
import dev.weightless.tasks.HostArrays;
import dev.weightless.tasks.TaskGraph;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;

/**
 * A whole Weightless model (one file or a sharded one) loaded onto a device as BF16 (or raw) tensors.
 * Huffman tensors are validated on the CPU, their coded parts copied to the device (large ones through
 * pinned staging) and decoded there by {@link DecodeKernels#decode}, in batches: one input allocation,
 * one output allocation and one plan with a launch per tensor for each batch of up to 1 GiB of input.
 * Tensors the kernel cannot take, and those of the other coders (format version 2), are decoded on the CPU
 * and copied up, raw ones copied up as stored.
 * CRC32C: raw and CPU-decoded tensors are always checked on the host; a GPU-decoded tensor only with
 * {@code verify}, which copies it back once (otherwise the kernel's output is trusted: the index was
 * validated on the CPU, but the values themselves are not checked). GPU-decoded tensors of one batch share
 * one device allocation; each {@link Tensor} gives its address inside it.
 */
public final class DeviceModel implements AutoCloseable {
    /** Where a tensor's values came from. */
    public enum Source { GPU_DECODED, CPU_DECODED, RAW }

    /** One tensor on the device: its {@code values} (BF16 as ShortArray, others as ByteArray; null when empty), freed with the model. */
    public record Tensor(String name, Dtype dtype, long[] shape, DeviceArray values, Source source, boolean crcChecked, String note) {
        public Tensor { shape = shape.clone(); }

        @Override
        public long[] shape() { return shape.clone(); }

        /** The device address of the first value (0 when empty). */
        public long address() { return values == null ? 0 : values.address(); }

        /** Bytes of values at {@link #address} (the buffer behind them may be padded). */
        public long bytes() { return values == null ? 0 : values.bytes(); }

        /** This tensor as {@link ResidentModelWriter} takes it, to write the model (or part of it) to a file again. */
        public ResidentTensor resident() { return new ResidentTensor(name, dtype, shape, values); }
    }

    /**
     * Where the time went, in nanoseconds: opening and validating files and CRCs of raw tensors on the host
     * ({@code readNanos}, page faults of the mapped file land in the copies), checking every Huffman tensor's index and
     * building its decode table ({@code validateNanos}, on the CPU options' threads), host-to-device copies
     * ({@code toDeviceBytes} in {@code toDeviceNanos}), the GPU kernels (device time), CPU decodes, and verification.
     */
    public record Timings(long readNanos, long validateNanos, long toDeviceBytes, long toDeviceNanos, long gpuDecodedBytes, long gpuDecodeNanos,
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
        return load(device, weightlessFileOrShardedModel, cpu, false, PtxCompiler::compileCached);
    }

    public static DeviceModel load(Device device, Path weightlessFileOrShardedModel, CodecOptions cpu, boolean verify) throws IOException {
        return load(device, weightlessFileOrShardedModel, cpu, verify, PtxCompiler::compileCached);
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
        private long readNanos, validateNanos, toDeviceBytes, toDeviceNanos, gpuBytes, gpuNanos, cpuNanos, verifyNanos;

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
                                .mapToLong(r -> switch (r.codec()) {
                                    case HUFFMAN -> DecodeInput.outputBytes(r.elements());
                                    case CODED -> r.byteSize();
                                    case RAW, PASSTHROUGH -> 0;
                                }).max().orElse(0);
                        // Host memory in Arrow buffers of one job (its allocator checks for leaks on close);
                        // copies to the device take their addresses straight, never via the heap.
                        try (BufferAllocator job = ArrowMemory.job(); ArrowBuf staged = ArrowMemory.allocate(job, Math.max(8, staging));
                             Arena arena = Arena.ofShared()) {
                            MemorySegment host = ArrowMemory.segment(staged, 0, Math.max(8, staging));
                            loadFile(file, host, arena, job);
                        }
                    }
                }
            } catch (IOException | RuntimeException | Error e) {
                for (DeviceBuffer b : buffers) b.close();
                throw e;
            }
            return new DeviceModel(tensors, buffers, new Timings(readNanos, validateNanos, toDeviceBytes, toDeviceNanos, gpuBytes, gpuNanos, cpuNanos,
                    verifyNanos, System.nanoTime() - start));
        }

        /**
         * The file's tensors in record order. GPU-decodable ones go in batches of up to {@link #BATCH_INPUT_BYTES}
         * of kernel input: one device allocation for the batch's inputs (freed after), one for its outputs
         * (kept), one plan with a task per tensor, so a model of hundreds of tensors pays for set-up a few times,
         * not once per tensor.
         */
        private void loadFile(CompressedFile file, MemorySegment host, Arena arena, BufferAllocator job) {
            List<TensorRecord> records = file.tensors();
            Tensor[] loaded = new Tensor[records.size()];
            List<Pending> batch = new ArrayList<>();
            long batchBytes = 0;
            // Validation runs ahead on the CPU options' threads, in record order, while the batches before are copied
            // and decoded: only the time spent waiting for it counts as validateNanos.
            try (ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(cpu.threads(), records.size())))) {
                // The kernel's Java-to-PTX compile (cached per process) starts now, off the copy path; a failure there
                // comes back when the first batch compiles it again.
                pool.submit(() -> gpu.compiler().apply(DecodeInput.kernel()));
                List<Future<DecodeInput>> inputs = new ArrayList<>(records.size());
                for (TensorRecord r : records) inputs.add(pool.submit(() -> gpuInput(file, r, host, arena)));
                try {
                    for (int i = 0; i < records.size(); i++) {
                        TensorRecord r = records.get(i);
                        long t0 = System.nanoTime();
                        DecodeInput input = await(inputs.get(i), file);
                        validateNanos += System.nanoTime() - t0;
                        if (input == null) {
                            loaded[i] = load(file, r, host, job);
                            continue;
                        }
                        long bytes = inputBytes(input);
                        if (!batch.isEmpty() && batchBytes + bytes > BATCH_INPUT_BYTES) {
                            decode(file, batch, loaded, host);
                            batch.clear();
                            batchBytes = 0;
                        }
                        batch.add(new Pending(i, r, input));
                        batchBytes += bytes;
                    }
                    if (!batch.isEmpty()) decode(file, batch, loaded, host);
                } finally {
                    inputs.forEach(f -> f.cancel(true)); // after a failure: validate nothing more (no-op on finished ones)
                }
            }
            tensors.addAll(List.of(loaded));
        }

        /** Kernel input bytes of one batch before a new one starts (a larger tensor goes alone). */
        private static final long BATCH_INPUT_BYTES = 1L << 30;
        /** Alignment of each array inside a batch's device allocations. */
        private static final long ALIGN = 256;

        private record Pending(int position, TensorRecord record, DecodeInput input) {}

        /** The result of one validation task: its MalformedInputException (or other failure) rethrown as it was. */
        private static DecodeInput await(Future<DecodeInput> input, CompressedFile file) {
            try {
                return input.get();
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RuntimeException r) throw r; // MalformedInputException among them
                if (e.getCause() instanceof Error error) throw error;
                throw new IllegalStateException(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while validating " + file.source(), e);
            }
        }

        /** The kernel's input for {@code r} (validated), or null when {@code r} is not for the GPU kernel. */
        private DecodeInput gpuInput(CompressedFile file, TensorRecord r, MemorySegment host, Arena arena) {
            if (r.byteSize() == 0 || r.codec() != TensorRecord.Codec.HUFFMAN) return null;
            EncodedTensor encoded = file.encoded(r);
            CodeTable code;
            try {
                code = HuffmanDecoder.validate(encoded); // validates the index before the kernel trusts it
            } catch (MalformedInputException e) {
                throw e.source() == null ? e.in(file.source(), 0) : e;
            }
            if (DecodeInput.whyNot(encoded, code) != null) return null;
            return DecodeInput.of(encoded, code, arena, host.asSlice(0, DecodeInput.outputBytes(r.elements())));
        }

        private static long inputBytes(DecodeInput input) {
            long bytes = 0;
            for (Object a : input.arguments()) {
                if (a != input.out() && HostArrays.isArray(a)) bytes += align(HostArrays.segment(a).byteSize());
            }
            return bytes;
        }

        private void decode(CompressedFile file, List<Pending> batch, Tensor[] loaded, MemorySegment host) {
            long inBytes = 0, outBytes = 0;
            for (Pending p : batch) {
                inBytes += inputBytes(p.input());
                outBytes += align(DecodeInput.outputBytes(p.record().elements()));
            }
            DeviceBuffer out = gpu.device().allocate(outBytes);
            buffers.add(out);
            long[] outAt = new long[batch.size()];
            try (DeviceBuffer in = gpu.device().allocate(inBytes)) {
                TaskGraph graph = new TaskGraph("model");
                List<Device.Copy> copies = new ArrayList<>();
                long inAt = 0, nextOut = 0;
                for (int t = 0; t < batch.size(); t++) {
                    DecodeInput input = batch.get(t).input();
                    Object[] arguments = input.arguments();
                    for (int k = 0; k < arguments.length; k++) {
                        if (arguments[k] == input.out()) {
                            outAt[t] = nextOut;
                            arguments[k] = new DeviceArray(out, nextOut, input.out().size(), LongArray.class);
                            nextOut += align(input.out().segment().byteSize());
                        } else if (HostArrays.isArray(arguments[k])) {
                            MemorySegment values = HostArrays.segment(arguments[k]);
                            copies.add(new Device.Copy(in, inAt, values));
                            toDeviceBytes += values.byteSize();
                            arguments[k] = new DeviceArray(in, inAt, HostArrays.elementCount(arguments[k]), arguments[k].getClass());
                            inAt += align(values.byteSize());
                        }
                    }
                    graph.task("t" + t, DecodeInput.kernel(), arguments);
                }
                // The batch's inputs in one stream through the pinned buffers: host copies overlap the DMA across tensors.
                toDeviceNanos += gpu.device().copyToDevice(copies);
                try (ExecutionPlan plan = new ExecutionPlan(gpu.device(), gpu.compiler(), List.of(graph.snapshot()))) {
                    for (int t = 0; t < batch.size(); t++) plan.withGrid("model.t" + t, batch.get(t).input().grid(gpu.device().multiprocessors()));
                    ExecutionResult result = plan.execute();
                    for (int t = 0; t < batch.size(); t++) gpuNanos += Math.round(result.taskMillis("model.t" + t) * 1e6);
                }
            }
            for (int t = 0; t < batch.size(); t++) {
                Pending p = batch.get(t);
                TensorRecord r = p.record();
                gpuBytes += r.byteSize();
                if (verify) {
                    long t0 = System.nanoTime();
                    MemorySegment values = host.asSlice(0, r.byteSize());
                    out.copyTo(values, outAt[t]);
                    checkCrc(file, r, values);
                    verifyNanos += System.nanoTime() - t0;
                }
                loaded[p.position()] = new Tensor(r.name(), r.dtype(), r.shape(), new DeviceArray(out, outAt[t], r.elements(), ShortArray.class),
                        Source.GPU_DECODED, verify, "decoded on the GPU");
            }
        }

        private static long align(long bytes) { return Math.ceilDiv(bytes, ALIGN) * ALIGN; }

        /** An empty, raw or CPU-decoded tensor (everything the batches do not take). */
        private Tensor load(CompressedFile file, TensorRecord r, MemorySegment host, BufferAllocator job) {
            long bytes = r.byteSize();
            if (bytes == 0) return new Tensor(r.name(), r.dtype(), r.shape(), null, Source.RAW, true, "empty: nothing on the device");
            if (r.codec() == TensorRecord.Codec.CODED) {
                // No GPU kernel for registered coders: decoded on the CPU (CRC32C checked), then the values uploaded.
                long t0 = System.nanoTime();
                MemorySegment out = host.asSlice(0, bytes);
                file.decode(r, out, cpu);
                cpuNanos += System.nanoTime() - t0;
                return upload(r, out, Source.CPU_DECODED, "decoded on the CPU: coder " + r.coder() + " has no GPU decoder");
            }
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
            String why = DecodeInput.whyNot(encoded, HuffmanDecoder.validate(encoded));
            long t0 = System.nanoTime();
            MemorySegment out = host.asSlice(0, bytes);
            file.decode(r, out, cpu); // checks the CRC32C
            cpuNanos += System.nanoTime() - t0;
            return upload(r, out, Source.CPU_DECODED, "decoded on the CPU: " + why);
        }

        /** Copies {@code values} to a new device buffer straight from where they are (the mapped file or the staging segment). */
        private Tensor upload(TensorRecord r, MemorySegment values, Source source, String note) {
            DeviceBuffer buffer = gpu.device().buffer(new ByteArray(values));
            buffers.add(buffer);
            toDeviceNanos += buffer.copyFromHost();
            toDeviceBytes += values.byteSize();
            DeviceArray array = r.dtype() == Dtype.BF16 ? new DeviceArray(buffer, 0, r.elements(), ShortArray.class)
                    : new DeviceArray(buffer, 0, values.byteSize(), ByteArray.class);
            return new Tensor(r.name(), r.dtype(), r.shape(), array, source, true, note);
        }

        private static void checkCrc(CompressedFile file, TensorRecord r, MemorySegment values) {
            int crc = Crc32c.of(values);
            if (crc != r.crc32c()) throw new ChecksumMismatchException(file.source() + ": tensor \"" + r.name() + "\"", r.crc32c(), crc);
        }
    }
}
