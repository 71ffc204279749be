package dev.weightless.tasks.codec;

import dev.weightless.codec.coder.CodedTensor;
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
 * Decodes tensors of the other coders (rans, rans-ctx, palette) on a device, one plan per tensor: validated
 * on the host ({@link CoderDecodeInput#of}), decoded by the coder's kernel, copied back, and checked on the
 * host (per-chunk status, CRC32C) before the values are handed out.
 */
public final class GpuCoderDecoder {
    private final Device device;
    private final Function<KernelMethod, PtxKernel> compiler;

    public GpuCoderDecoder(Device device) { this(device, PtxCompiler::compileCached); }

    /** With another compiler: tests run the kernels on a fake device. */
    public GpuCoderDecoder(Device device, Function<KernelMethod, PtxKernel> compiler) {
        this.device = device;
        this.compiler = compiler;
    }

    /**
     * Decodes {@code coded} into {@code out} ({@code 2 × elements} bytes). A malformed tensor is a
     * MalformedInputException (from the host's validation, or from the kernel's status after the run), a
     * wrong result a ChecksumMismatchException; {@code out} is written only when everything matched.
     */
    public void decode(CodedTensor coded, MemorySegment out) {
        if (out.byteSize() != Math.multiplyExact(coded.elements(), 2)) {
            throw new IllegalArgumentException("output must be " + 2 * coded.elements() + " bytes, got " + out.byteSize());
        }
        if (coded.elements() == 0) return;
        try (Arena arena = Arena.ofShared()) {
            CoderDecodeInput input = CoderDecodeInput.of(coded, arena);
            try (ExecutionPlan plan = new ExecutionPlan(device, compiler, List.of(input.graph()))) {
                plan.withGrid(CoderDecodeInput.GRAPH + "." + CoderDecodeInput.TASK, input.grid(device.multiprocessors(), 0)).execute();
                plan.transferToHost(input.out());
            }
            input.check();
            MemorySegment.copy(input.decoded(), 0, out, 0, out.byteSize());
        }
    }
}
