package dev.weightless.tasks.codec;

import dev.weightless.codec.ChecksumMismatchException;
import dev.weightless.codec.CodecOptions;
import dev.weightless.codec.Crc32c;
import dev.weightless.codec.EncodedTensor;
import dev.weightless.codec.HuffmanDecoder;
import dev.weightless.codec.MalformedInputException;
import dev.weightless.codec.coder.CodedTensor;
import dev.weightless.io.container.CompressedFile;
import dev.weightless.io.container.TensorRecord;
import dev.weightless.jit.kernel.KernelMethod;
import dev.weightless.jit.ptx.PtxCompiler;
import dev.weightless.jit.ptx.PtxKernel;
import dev.weightless.tasks.Device;
import dev.weightless.tasks.DeviceBuffer;
import dev.weightless.tasks.ExecutionPlan;
import dev.weightless.tasks.ExecutionResult;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.function.Function;

/**
 * Decodes Huffman tensors with {@link DecodeKernels#decode} on a device, one plan per tensor, and tensors of
 * the rans, rans-ctx and palette coders (format version 2) with their kernels ({@link GpuCoderDecoder}). Tensors
 * the kernels cannot take ({@link DecodeInput#whyNot}, {@link CoderDecodeInput#whyNot}) and raw tensors go
 * through the CPU codec instead.
 * As a {@code Decompressor.TensorDecoder} ({@link #decodeToHost}) it copies each result back and checks its CRC32C.
 */
public final class GpuDecoder {
    private final Device device;
    private final Function<KernelMethod, PtxKernel> compiler;
    private long gpuTensors, cpuTensors;

    /** The output left on the device (held: close it when done) and the plan's transfer and kernel times. */
    public record Decoded(DeviceBuffer out, ExecutionResult result) {}

    public GpuDecoder(Device device) { this(device, PtxCompiler::compileCached); }

    /** With another compiler: tests run the kernel on a fake device. */
    public GpuDecoder(Device device, Function<KernelMethod, PtxKernel> compiler) {
        this.device = device;
        this.compiler = compiler;
    }

    public Device device() { return device; }

    /** The compiler its plans use. */
    public Function<KernelMethod, PtxKernel> compiler() { return compiler; }

    /** Runs the kernel for {@code input}; its inputs are freed, its output stays on the device. */
    public Decoded decodeOnDevice(DecodeInput input) {
        DeviceBuffer out = device.buffer(input.out()); // our hold keeps it past the plan
        try (ExecutionPlan plan = new ExecutionPlan(device, compiler, List.of(input.graph()))) {
            ExecutionResult result = plan.withGrid("decode.run", input.grid(device.multiprocessors())).execute();
            return new Decoded(out, result);
        } catch (RuntimeException | Error e) {
            out.close();
            throw e;
        }
    }

    /** Decodes {@code r} into {@code out} (its original size) on the device where it can, and checks its CRC32C on the host. */
    public void decodeToHost(CompressedFile file, TensorRecord r, MemorySegment out, CodecOptions cpu) {
        if (r.codec() == TensorRecord.Codec.CODED && r.elements() > 0 && GPU_CODERS.contains(r.coder())) {
            decodeCoded(file, r, out, cpu);
            return;
        }
        if (r.codec() != TensorRecord.Codec.HUFFMAN || r.elements() == 0) {
            cpuTensors++;
            file.decode(r, out, cpu);
            return;
        }
        EncodedTensor tensor = file.encoded(r);
        try (Arena arena = Arena.ofShared()) {
            DecodeInput input;
            try {
                String why = DecodeInput.whyNot(tensor, HuffmanDecoder.validate(tensor));
                if (why != null) {
                    cpuTensors++;
                    file.decode(r, out, cpu);
                    return;
                }
                input = DecodeInput.of(tensor, arena, arena.allocate(DecodeInput.outputBytes(r.elements()), 8));
            } catch (MalformedInputException e) {
                throw e.source() == null ? e.in(file.source(), 0) : e;
            }
            try (DeviceBuffer decoded = decodeOnDevice(input).out()) {
                decoded.copyToHost();
            }
            out.copyFrom(input.decoded());
        }
        int crc = Crc32c.of(out);
        if (crc != r.crc32c()) throw new ChecksumMismatchException(file.source() + ": tensor \"" + r.name() + "\"", r.crc32c(), crc);
        gpuTensors++;
        cpu.progress().accept(out.byteSize());
    }

    /** Coders of format version 2 with a GPU decoder ({@link GpuCoderDecoder}). */
    private static final List<String> GPU_CODERS = List.of("rans", "rans-ctx", "palette");

    /**
     * A tensor of another coder: validated on the host, decoded by its kernel (GpuCoderDecoder), its status
     * and the coder's CRC32C checked, then the record's CRC32C; a layout the kernel does not take goes to the CPU.
     */
    private void decodeCoded(CompressedFile file, TensorRecord r, MemorySegment out, CodecOptions cpu) {
        CodedTensor coded = file.coded(r);
        try {
            if (CoderDecodeInput.whyNot(coded) != null) {
                cpuTensors++;
                file.decode(r, out, cpu);
                return;
            }
            new GpuCoderDecoder(device, compiler).decode(coded, out);
        } catch (MalformedInputException e) {
            throw new MalformedInputException(file.source(), file.codedOffset(r), "tensor \"" + r.name() + "\" (coder " + r.coder() + "): " + e.getMessage());
        } catch (ChecksumMismatchException e) {
            throw new ChecksumMismatchException(file.source() + ": tensor \"" + r.name() + "\" (coder " + r.coder() + ", GPU-decoded)", e.expected(), e.actual());
        }
        int crc = Crc32c.of(out);
        if (crc != r.crc32c()) throw new ChecksumMismatchException(file.source() + ": tensor \"" + r.name() + "\"", r.crc32c(), crc);
        gpuTensors++;
        cpu.progress().accept(out.byteSize());
    }

    /** Tensors {@link #decodeToHost} decoded on the device so far. */
    public long gpuTensors() { return gpuTensors; }

    /** Tensors {@link #decodeToHost} left to the CPU so far (raw, empty, or not for the kernel). */
    public long cpuTensors() { return cpuTensors; }
}
