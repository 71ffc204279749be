package dev.weightless.tasks.codec;

import dev.weightless.codec.CodecOptions;
import dev.weightless.codec.HuffmanEncoder;
import dev.weightless.jit.kernel.KernelMethod;
import dev.weightless.jit.ptx.PtxCompiler;
import dev.weightless.jit.ptx.PtxKernel;
import dev.weightless.tasks.Device;
import dev.weightless.tasks.ExecutionPlan;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.function.Function;

/**
 * Packs Huffman tensors with {@link EncodeKernels} ({@link EncodeInput#graph}) on a device, one plan per tensor,
 * with the code lengths of the CPU plan. As a {@code Compressor.TensorWriter} ({@link #write}) it copies the
 * index, payload and plane back; they are byte-identical to {@link HuffmanEncoder.Plan#write}'s. Tensors the
 * kernels cannot take ({@link #whyNot}) are written by the CPU plan instead.
 */
public final class GpuEncoder {
    private final Device device;
    private final Function<KernelMethod, PtxKernel> compiler;
    private long gpuTensors, cpuTensors;

    public GpuEncoder(Device device) { this(device, PtxCompiler::compileCached); }

    /** With another compiler: tests run the kernels on a fake device. */
    public GpuEncoder(Device device, Function<KernelMethod, PtxKernel> compiler) {
        this.device = device;
        this.compiler = compiler;
    }

    /** Why the kernels cannot encode with {@code plan}, or null when they can. */
    public static String whyNot(HuffmanEncoder.Plan plan) {
        if (plan.layout().elements() == 0) return "an empty tensor has nothing to encode";
        if (plan.layout().groupChunks() != 32) return "the GPU encoder needs 32-chunk groups, got " + plan.layout().groupChunks();
        return null;
    }

    /** Writes the four parts of {@code plan}'s tensor ({@code bf16}) as the CPU plan would, packing them on the device where it can. */
    public void write(HuffmanEncoder.Plan plan, MemorySegment bf16, MemorySegment table, MemorySegment index,
                      MemorySegment payload, MemorySegment plane, CodecOptions options) {
        if (whyNot(plan) != null) {
            cpuTensors++;
            plan.write(table, index, payload, plane);
            return;
        }
        try (Arena arena = Arena.ofShared()) {
            EncodeInput input = EncodeInput.of(bf16, plan, arena);
            try (ExecutionPlan run = new ExecutionPlan(device, compiler, List.of(input.graph()))) {
                input.withGrids(run).execute();
                run.transferToHost(input.outputs());
            }
            plan.code().write(table);
            index.copyFrom(input.index(arena));
            payload.copyFrom(input.payloadBytes());
            plane.copyFrom(input.planeBytes());
        }
        gpuTensors++;
        options.progress().accept(bf16.byteSize());
    }

    /** Tensors {@link #write} packed on the device so far. */
    public long gpuTensors() { return gpuTensors; }

    /** Tensors {@link #write} left to the CPU so far (a layout the kernels do not take). */
    public long cpuTensors() { return cpuTensors; }
}
