package dev.weightless.tensorcore.gemm;

import dev.weightless.jit.kernel.IntArray;
import dev.weightless.jit.kernel.KernelContext;
import dev.weightless.jit.kernel.KernelMethod;
import dev.weightless.jit.ptx.PtxCompiler;
import dev.weightless.jit.ptx.PtxKernel;

import java.util.function.Function;

/**
 * A plain-Java kernel (compiled to PTX by jit) that reads a zero-filled device buffer larger than L2, so that a product
 * timed after it finds none of its weights there, as in a model where the other layers' weights pass through L2 between
 * two calls of this one. The benches rotate copies of W instead; {@link ScheduleTuner} has one W and uses this.
 */
public final class L2Scrub {
    /** Bytes read per scrub: over three times the H200's 60 MB L2 (the benches' rotation size). */
    public static final long BYTES = 192L << 20;

    private L2Scrub() {}

    /**
     * Reads every value of {@code buffer}, grid-stride. The store below never happens on a zero-filled buffer; it is
     * there so that the reads have a use.
     */
    public static void scrub(KernelContext ctx, IntArray buffer) {
        long n = buffer.size();
        int any = 0;
        for (long i = ctx.globalIdx; i < n; i += ctx.globalSize) any |= buffer.get(i);
        if (any != 0) buffer.set(ctx.globalIdx, 0);
    }

    /** {@link FusedKernels#compiler()} with this class's kernel compiled by jit. */
    static Function<KernelMethod, PtxKernel> compiler() {
        Function<KernelMethod, PtxKernel> fused = FusedKernels.compiler();
        return method -> method.method().getDeclaringClass() == L2Scrub.class ? PtxCompiler.compileCached(method) : fused.apply(method);
    }
}
