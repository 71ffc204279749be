package dev.weightless.tasks.codec;

import dev.weightless.codec.ChecksumMismatchException;
import dev.weightless.codec.CodeTable;
import dev.weightless.codec.CodecOptions;
import dev.weightless.codec.Crc32c;
import dev.weightless.codec.EncodedTensor;
import dev.weightless.codec.HuffmanDecoder;
import dev.weightless.codec.MalformedInputException;
import dev.weightless.codec.coder.CodedTensor;
import dev.weightless.io.arrow.ArrowMemory;
import dev.weightless.io.container.CompressedFile;
import dev.weightless.io.container.TensorRecord;
import dev.weightless.io.safetensors.Dtype;
import dev.weightless.jit.kernel.ByteArray;
import dev.weightless.jit.kernel.IntArray;
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
import java.lang.foreign.ValueLayout;
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
 * Huffman tensors are validated on the CPU (on the CPU options' threads, overlapping the copies), their
 * coded parts copied to the device (each batch streamed through the pinned buffers as one transfer) and
 * decoded there by {@link DecodeKernels#decode}, in batches: one input allocation, one output allocation
 * and one plan with a launch per tensor for each batch of up to 1 GiB of input; no kernel is launched on
 * a tensor before its validation has passed. Tensors of the rans, rans-ctx and palette coders (format
 * version 2) go the same way in batches of their own, through their kernels ({@link CoderDecodeInput}):
 * validated by the coder's {@code open} on the same threads, their parts and tables copied up once
 * validated, and each kernel's per-chunk status copied back and checked (words used, final states,
 * escape counts: a corrupt stream is a MalformedInputException naming the file and tensor).
 * Tensors no kernel can take are decoded on the CPU and copied up, raw ones copied up as stored.
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
         * The file's tensors in record order. Huffman ones go in batches of up to {@link #BATCH_INPUT_BYTES} of
         * kernel input: one device allocation for the batch's inputs (freed after), one for its outputs (kept),
         * one plan with a task per tensor, so a model of hundreds of tensors pays for set-up a few times, not once
         * per tensor. Validation (index checks and decode tables) runs ahead on the CPU options' threads while
         * each batch's streams and planes are copied up, which needs no validation; a batch's kernels are
         * launched only once all its tensors have passed. Only the time spent waiting for validation counts
         * as validateNanos.
         */
        private void loadFile(CompressedFile file, MemorySegment host, Arena arena, BufferAllocator job) {
            List<TensorRecord> records = file.tensors();
            Tensor[] loaded = new Tensor[records.size()];
            List<Pending> batch = new ArrayList<>();
            long batchBytes = 0;
            try (ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(cpu.threads(), records.size())))) {
                // The kernel's Java-to-PTX compile (cached per process) starts now, off the copy path; a failure there
                // comes back when the first batch compiles it again.
                pool.submit(() -> gpu.compiler().apply(DecodeInput.kernel()));
                List<Future<Validated>> checks = new ArrayList<>(records.size());
                for (TensorRecord r : records) {
                    checks.add(isHuffman(r) ? pool.submit(() -> validate(file, r, arena)) : isCoded(r) ? pool.submit(() -> validateCoded(file, r, arena)) : null);
                }
                List<CodedPending> codedBatch = new ArrayList<>();
                long codedBytes = 0;
                try {
                    for (int i = 0; i < records.size(); i++) {
                        TensorRecord r = records.get(i);
                        if (isCoded(r)) {
                            CodedPending p = new CodedPending(i, r, file.storedBytes(r), checks.get(i));
                            if (!codedBatch.isEmpty() && codedBytes + p.storedBytes() > BATCH_INPUT_BYTES) {
                                decodeCoded(file, codedBatch, loaded, host);
                                codedBatch.clear();
                                codedBytes = 0;
                            }
                            codedBatch.add(p);
                            codedBytes += p.storedBytes();
                            continue;
                        }
                        if (!isHuffman(r)) {
                            loaded[i] = load(file, r, host, job);
                            continue;
                        }
                        Pending p = new Pending(i, r, file.encoded(r), checks.get(i));
                        if (!batch.isEmpty() && batchBytes + p.inputBytes() > BATCH_INPUT_BYTES) {
                            decode(file, batch, loaded, host);
                            batch.clear();
                            batchBytes = 0;
                        }
                        batch.add(p);
                        batchBytes += p.inputBytes();
                    }
                    if (!batch.isEmpty()) decode(file, batch, loaded, host);
                    if (!codedBatch.isEmpty()) decodeCoded(file, codedBatch, loaded, host);
                } finally {
                    for (Future<Validated> f : checks) if (f != null) f.cancel(true); // after a failure: validate nothing more
                }
            }
            tensors.addAll(List.of(loaded));
        }

        /** Kernel input bytes of one batch before a new one starts (a larger tensor goes alone). */
        private static final long BATCH_INPUT_BYTES = 1L << 30;
        /** Alignment of each array inside a batch's device allocations. */
        private static final long ALIGN = 256;

        private static boolean isHuffman(TensorRecord r) { return r.byteSize() > 0 && r.codec() == TensorRecord.Codec.HUFFMAN; }

        /** A tensor of a registered coder (format version 2): validated, then decoded by its GPU decoder where there is one. */
        private static boolean isCoded(TensorRecord r) { return r.byteSize() > 0 && r.codec() == TensorRecord.Codec.CODED; }

        /**
         * What validation found: the Huffman kernel's decode table, or a coded tensor laid out for its kernel
         * ({@code coded}), or why the kernel cannot take the tensor.
         */
        private record Validated(MemorySegment table, CoderDecodeInput coded, String whyNot) {}

        /** A coded tensor in a batch, its validation under way; {@code storedBytes} (its parts in the file) sizes the batch. */
        private record CodedPending(int position, TensorRecord record, long storedBytes, Future<Validated> check) {}

        /** A Huffman tensor in a batch, its validation under way. */
        private record Pending(int position, TensorRecord record, EncodedTensor encoded, Future<Validated> check) {
            long groups() { return encoded.layout().groups(); }

            long chunks() { return encoded.layout().chunks(); }

            /** The plane padded to whole words of four values, as the kernel reads it. */
            long planeBytes() { return Math.ceilDiv(record.elements(), 4) * 4; }

            /** Where its inputs go in the batch's input allocation, from {@code base} on. */
            Slots slots(long base) {
                long plane = base + align(encoded.payload().bytes().byteSize()), groups = plane + align(planeBytes());
                long chunkBits = groups + align(groups() * 8), table = chunkBits + align(chunks() * 2);
                return new Slots(base, plane, groups, chunkBits, table, table + align(4L << DecodeKernels.TABLE_BITS));
            }

            /** Device bytes of its inputs: stream, plane, group offsets, chunk lengths and a table, each aligned. */
            long inputBytes() { return slots(0).end(); }
        }

        /** Byte offsets of one tensor's kernel inputs in a batch's input allocation, each {@link #ALIGN}-aligned; {@code end} is past the last. */
        private record Slots(long payload, long plane, long groups, long chunkBits, long table, long end) {}

        /** Validates {@code r} (throwing MalformedInputException naming the file) and builds the kernel's table when it can take it. */
        private static Validated validate(CompressedFile file, TensorRecord r, Arena arena) {
            EncodedTensor encoded = file.encoded(r);
            CodeTable code;
            try {
                code = HuffmanDecoder.validate(encoded); // the kernel trusts the index only after this
            } catch (MalformedInputException e) {
                throw e.source() == null ? e.in(file.source(), 0) : e;
            }
            String why = DecodeInput.whyNot(encoded, code);
            if (why != null) return new Validated(null, null, why);
            int[] entries = DecodeTable.of(code);
            MemorySegment table = arena.allocate(entries.length * 4L, 8);
            MemorySegment.copy(entries, 0, table, ValueLayout.JAVA_INT_UNALIGNED, 0, entries.length);
            return new Validated(table, null, null);
        }

        /**
         * Validates a coded tensor with its coder's own {@code open} (header, table, index and part sizes;
         * throwing MalformedInputException naming the file, the tensor and where its parts begin) and lays it
         * out for its kernel (tables built in {@code arena}), or says why no kernel takes it.
         */
        private static Validated validateCoded(CompressedFile file, TensorRecord r, Arena arena) {
            CodedTensor coded = file.coded(r);
            try {
                String why = CoderDecodeInput.whyNot(coded); // validates
                return why != null ? new Validated(null, null, why) : new Validated(null, CoderDecodeInput.of(coded, arena), null);
            } catch (MalformedInputException | IllegalArgumentException e) {
                throw new MalformedInputException(file.source(), file.codedOffset(r), "tensor \"" + r.name() + "\" (coder " + r.coder() + "): " + e.getMessage());
            }
        }

        /** The result of one validation task: its MalformedInputException (or other failure) rethrown as it was. */
        private Validated await(Future<Validated> check, CompressedFile file) {
            long t0 = System.nanoTime();
            try {
                return check.get();
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RuntimeException r) throw r; // MalformedInputException among them
                if (e.getCause() instanceof Error error) throw error;
                throw new IllegalStateException(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while validating " + file.source(), e);
            } finally {
                validateNanos += System.nanoTime() - t0;
            }
        }

        private void decode(CompressedFile file, List<Pending> batch, Tensor[] loaded, MemorySegment host) {
            long inBytes = 0, outBytes = 0;
            for (Pending p : batch) {
                inBytes += p.inputBytes();
                outBytes += align(DecodeInput.outputBytes(p.record().elements()));
            }
            DeviceBuffer out = gpu.device().allocate(outBytes);
            buffers.add(out);
            long[] outAt = new long[batch.size()];
            boolean[] onGpu = new boolean[batch.size()];
            String[] whyNot = new String[batch.size()];
            try (DeviceBuffer in = gpu.device().allocate(inBytes)) {
                // 1. Streams and planes, before validation ends: copying is safe, launching is not. The planes' padding
                //    to whole words stays zero (allocations are zero-filled).
                Slots[] slots = new Slots[batch.size()];
                List<Device.Copy> bulk = new ArrayList<>();
                for (int t = 0; t < batch.size(); t++) {
                    Pending p = batch.get(t);
                    slots[t] = p.slots(t == 0 ? 0 : slots[t - 1].end());
                    bulk.add(new Device.Copy(in, slots[t].payload(), p.encoded().payload().bytes()));
                    bulk.add(new Device.Copy(in, slots[t].plane(), p.encoded().plane().bytes()));
                }
                toDeviceNanos += gpu.device().copyToDevice(bulk);
                for (Device.Copy c : bulk) toDeviceBytes += c.source().byteSize();

                // 2. Once validated: the index and table of each tensor the kernel takes, and its task.
                TaskGraph graph = new TaskGraph("model");
                List<Device.Copy> small = new ArrayList<>();
                long nextOut = 0;
                int tasks = 0;
                for (int t = 0; t < batch.size(); t++) {
                    Pending p = batch.get(t);
                    Validated v = await(p.check(), file);
                    whyNot[t] = v.whyNot();
                    if (whyNot[t] != null) continue; // decoded on the CPU below
                    onGpu[t] = true;
                    Slots at = slots[t];
                    MemorySegment index = p.encoded().index().bytes();
                    small.add(new Device.Copy(in, at.groups(), index.asSlice(0, p.groups() * 8)));
                    small.add(new Device.Copy(in, at.chunkBits(), index.asSlice(p.groups() * 8, p.chunks() * 2)));
                    small.add(new Device.Copy(in, at.table(), v.table()));
                    outAt[t] = nextOut;
                    long words = Math.ceilDiv(p.record().elements(), 4);
                    nextOut += align(DecodeInput.outputBytes(p.record().elements()));
                    graph.task("t" + t, DecodeInput.kernel(),
                            new DeviceArray(in, at.payload(), p.encoded().payload().bytes().byteSize() / 4, IntArray.class),
                            new DeviceArray(in, at.groups(), p.groups(), LongArray.class),
                            new DeviceArray(in, at.chunkBits(), p.chunks(), ShortArray.class),
                            new DeviceArray(in, at.table(), v.table().byteSize() / 4, IntArray.class),
                            new DeviceArray(in, at.plane(), words, IntArray.class),
                            new DeviceArray(out, outAt[t], words, LongArray.class),
                            p.record().elements(), p.encoded().layout().chunkSymbols(), Integer.numberOfTrailingZeros((int) (v.table().byteSize() / 4)));
                    tasks++;
                }
                toDeviceNanos += gpu.device().copyToDevice(small);
                for (Device.Copy c : small) toDeviceBytes += c.source().byteSize();
                if (tasks > 0) {
                    try (ExecutionPlan plan = new ExecutionPlan(gpu.device(), gpu.compiler(), List.of(graph.snapshot()))) {
                        for (int t = 0; t < batch.size(); t++) {
                            if (onGpu[t]) plan.withGrid("model.t" + t, DecodeInput.grid(batch.get(t).groups(), gpu.device().multiprocessors()));
                        }
                        ExecutionResult result = plan.execute();
                        for (int t = 0; t < batch.size(); t++) if (onGpu[t]) gpuNanos += Math.round(result.taskMillis("model.t" + t) * 1e6);
                    }
                }
            }
            for (int t = 0; t < batch.size(); t++) {
                Pending p = batch.get(t);
                TensorRecord r = p.record();
                loaded[p.position()] = onGpu[t] ? gpuDecoded(file, r, out, outAt[t], host, "decoded on the GPU") : decodeOnCpu(file, r, host, whyNot[t]);
            }
        }

        /**
         * A batch of coded tensors: once each has passed validation, all their kernel inputs (the coded parts
         * from the mapped file, the tables built by validation) go up in one transfer into one input allocation
         * (freed after; its zero fill pads parts the kernels read in whole words), the outputs into one allocation
         * (kept), one plan with a launch per tensor. Each kernel's per-chunk status comes back and is checked
         * (a stream that does not decode to its own word count and final states is a MalformedInputException
         * naming the file and tensor); the values' CRC32C only with {@code verify}, as for Huffman tensors.
         * Tensors no kernel takes are decoded on the CPU.
         */
        private void decodeCoded(CompressedFile file, List<CodedPending> batch, Tensor[] loaded, MemorySegment host) {
            int n = batch.size();
            CoderDecodeInput[] inputs = new CoderDecodeInput[n];
            String[] whyNot = new String[n];
            long[][] uploadAt = new long[n][];
            long[] statusAt = new long[n], outAt = new long[n];
            long inBytes = 0, outBytes = 0;
            for (int t = 0; t < n; t++) {
                Validated v = await(batch.get(t).check(), file);
                whyNot[t] = v.whyNot();
                inputs[t] = v.coded();
                if (inputs[t] == null) continue;
                List<CoderDecodeInput.Upload> uploads = inputs[t].uploads();
                uploadAt[t] = new long[uploads.size()];
                for (int u = 0; u < uploads.size(); u++) {
                    uploadAt[t][u] = inBytes;
                    inBytes += align(uploads.get(u).deviceBytes());
                }
                statusAt[t] = inBytes;
                inBytes += align(4 * inputs[t].chunks());
                outAt[t] = outBytes;
                outBytes += align(inputs[t].outputBytes());
            }
            DeviceBuffer out = null;
            if (outBytes > 0) {
                out = gpu.device().allocate(outBytes);
                buffers.add(out);
                try (DeviceBuffer in = gpu.device().allocate(inBytes)) {
                    List<Device.Copy> copies = new ArrayList<>();
                    TaskGraph graph = new TaskGraph("coded");
                    for (int t = 0; t < n; t++) {
                        if (inputs[t] == null) continue;
                        CoderDecodeInput input = inputs[t];
                        List<CoderDecodeInput.Upload> uploads = input.uploads();
                        List<DeviceArray> arrays = new ArrayList<>(uploads.size());
                        for (int u = 0; u < uploads.size(); u++) {
                            CoderDecodeInput.Upload up = uploads.get(u);
                            if (up.bytes().byteSize() > 0) copies.add(new Device.Copy(in, uploadAt[t][u], up.bytes()));
                            arrays.add(new DeviceArray(in, uploadAt[t][u], up.deviceBytes() / HostArrays.elementBytes(up.type()), up.type()));
                        }
                        DeviceArray values = new DeviceArray(out, outAt[t], input.outputBytes() / HostArrays.elementBytes(input.outputType()), input.outputType());
                        DeviceArray status = new DeviceArray(in, statusAt[t], input.chunks(), IntArray.class); // zero-filled, as the host's
                        graph.task("t" + t, input.kernel(), input.arguments(arrays, values, status));
                    }
                    toDeviceNanos += gpu.device().copyToDevice(copies);
                    for (Device.Copy c : copies) toDeviceBytes += c.source().byteSize();
                    try (ExecutionPlan plan = new ExecutionPlan(gpu.device(), gpu.compiler(), List.of(graph.snapshot()))) {
                        for (int t = 0; t < n; t++) if (inputs[t] != null) plan.withGrid("coded.t" + t, inputs[t].grid(gpu.device().multiprocessors(), 0));
                        ExecutionResult result = plan.execute();
                        for (int t = 0; t < n; t++) if (inputs[t] != null) gpuNanos += Math.round(result.taskMillis("coded.t" + t) * 1e6);
                    }
                    for (int t = 0; t < n; t++) {
                        if (inputs[t] == null) continue;
                        in.copyTo(inputs[t].status().segment(), statusAt[t]);
                        TensorRecord r = batch.get(t).record();
                        try {
                            inputs[t].checkStatus();
                        } catch (MalformedInputException e) {
                            throw new MalformedInputException(file.source(), file.codedOffset(r), "tensor \"" + r.name() + "\" (coder " + r.coder() + "): " + e.getMessage());
                        }
                    }
                }
            }
            for (int t = 0; t < n; t++) {
                TensorRecord r = batch.get(t).record();
                loaded[batch.get(t).position()] = inputs[t] != null ? gpuDecoded(file, r, out, outAt[t], host, "decoded on the GPU (coder " + r.coder() + ")")
                        : decodeOnCpu(file, r, host, whyNot[t]);
            }
        }

        /**
         * A tensor a batch decoded on the device into {@code out} at {@code at}: counted, its values copied back
         * once through {@code host} and checked against its CRC32C when {@code verify}, and wrapped.
         */
        private Tensor gpuDecoded(CompressedFile file, TensorRecord r, DeviceBuffer out, long at, MemorySegment host, String detail) {
            gpuBytes += r.byteSize();
            if (verify) {
                long t0 = System.nanoTime();
                MemorySegment values = host.asSlice(0, r.byteSize());
                out.copyTo(values, at);
                checkCrc(file, r, values);
                verifyNanos += System.nanoTime() - t0;
            }
            return new Tensor(r.name(), r.dtype(), r.shape(), new DeviceArray(out, at, r.elements(), ShortArray.class), Source.GPU_DECODED, verify, detail);
        }

        private static long align(long bytes) { return Math.ceilDiv(bytes, ALIGN) * ALIGN; }

        /** A tensor that goes through no batch: empty, raw or passthrough (copied up as stored). */
        private Tensor load(CompressedFile file, TensorRecord r, MemorySegment host, BufferAllocator job) {
            long bytes = r.byteSize();
            if (bytes == 0) return new Tensor(r.name(), r.dtype(), r.shape(), null, Source.RAW, true, "empty: nothing on the device");
            if (r.codec() == TensorRecord.Codec.HUFFMAN || r.codec() == TensorRecord.Codec.CODED) {
                throw new IllegalStateException(r.name() + ": a coded tensor goes through a batch, not here");
            }
            long t0 = System.nanoTime();
            // The mapped bytes wrapped as an Arrow buffer (no copy) and uploaded from there.
            try (ArrowBuf stored = ArrowMemory.wrap(file.storedData(r), job)) {
                MemorySegment bytesIn = ArrowMemory.segment(stored);
                checkCrc(file, r, bytesIn);
                readNanos += System.nanoTime() - t0;
                return upload(r, bytesIn, Source.RAW, "copied as stored from the mapped file");
            }
        }

        /** A tensor no kernel takes ({@code why}, from its validation): decoded on the CPU, CRC32C checked, then uploaded. */
        private Tensor decodeOnCpu(CompressedFile file, TensorRecord r, MemorySegment host, String why) {
            long t0 = System.nanoTime();
            MemorySegment out = host.asSlice(0, r.byteSize());
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
