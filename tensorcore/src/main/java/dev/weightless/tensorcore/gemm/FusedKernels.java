package dev.weightless.tensorcore.gemm;

import dev.weightless.jit.kernel.ByteArray;
import dev.weightless.jit.kernel.FloatArray;
import dev.weightless.jit.kernel.IntArray;
import dev.weightless.jit.kernel.KernelContext;
import dev.weightless.jit.kernel.KernelMethod;
import dev.weightless.jit.kernel.ShortArray;
import dev.weightless.jit.ptx.PtxKernel;

import java.lang.reflect.Method;
import java.util.List;
import java.util.function.Function;

/**
 * The fused kernels as tasks of the task-graph runtime. Each method below is the signature a task names;
 * the code that runs is the nvcc-built PTX entry of the same name ({@code src/main/cuda/palette_gemm.cu},
 * checked in as {@code /tensorcore/palette_gemm.ptx}), supplied by {@link #compiler()} in place of the
 * Java-to-PTX compiler. The method bodies never run: the JVM executor cannot model tensor-core
 * instructions, so on a device without CUDA these tasks fail loudly instead of computing something else.
 * The {@code 8/16/32/64} suffix is how many rows of X one CTA covers (M chunk); {@code m} may be any size.
 */
public final class FusedKernels {
    public static final String PTX_RESOURCE = "/tensorcore/palette_gemm.ptx";
    public static final String PTX_OVERRIDE = "tensorcore.ptx";
    static final NvccPtx.Module MODULE = new NvccPtx.Module(FusedKernels.class, PTX_RESOURCE, PTX_OVERRIDE, "tensorcore kernels");

    private FusedKernels() {}

    public static void paletteGemm8(KernelContext c, ByteArray tiles, ByteArray palettes, IntArray escapeStarts, ByteArray escapes, ShortArray x, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    public static void paletteGemm16(KernelContext c, ByteArray tiles, ByteArray palettes, IntArray escapeStarts, ByteArray escapes, ShortArray x, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    public static void paletteGemm32(KernelContext c, ByteArray tiles, ByteArray palettes, IntArray escapeStarts, ByteArray escapes, ShortArray x, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    public static void paletteGemm64(KernelContext c, ByteArray tiles, ByteArray palettes, IntArray escapeStarts, ByteArray escapes, ShortArray x, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    public static void patchGemm8(KernelContext c, ByteArray tiles, ByteArray palettes, IntArray escapeStarts, ByteArray escapes, ShortArray escapePositions, ShortArray x, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    public static void patchGemm16(KernelContext c, ByteArray tiles, ByteArray palettes, IntArray escapeStarts, ByteArray escapes, ShortArray escapePositions, ShortArray x, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    public static void patchGemm32(KernelContext c, ByteArray tiles, ByteArray palettes, IntArray escapeStarts, ByteArray escapes, ShortArray escapePositions, ShortArray x, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    public static void patchGemm64(KernelContext c, ByteArray tiles, ByteArray palettes, IntArray escapeStarts, ByteArray escapes, ShortArray escapePositions, ShortArray x, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    /** The band kernel: 8 strips per CTA over the same K tiles, one warp each (16 rows of X only). */
    public static void patchBand16(KernelContext c, ByteArray tiles, ByteArray palettes, IntArray escapeStarts, ByteArray escapes, ShortArray escapePositions, ShortArray x, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    /** The patching kernel on the window coding (LAYOUT.md); BF16 twins: bf16Gemm. */
    public static void windowGemm8(KernelContext c, ByteArray tiles, ByteArray palettes, IntArray escapeStarts, ByteArray escapes, ShortArray escapePositions, ShortArray x, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    public static void windowGemm16(KernelContext c, ByteArray tiles, ByteArray palettes, IntArray escapeStarts, ByteArray escapes, ShortArray escapePositions, ShortArray x, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    public static void windowGemm32(KernelContext c, ByteArray tiles, ByteArray palettes, IntArray escapeStarts, ByteArray escapes, ShortArray escapePositions, ShortArray x, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    public static void windowGemm64(KernelContext c, ByteArray tiles, ByteArray palettes, IntArray escapeStarts, ByteArray escapes, ShortArray escapePositions, ShortArray x, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    /** The band kernel on the window coding; BF16 twin: bf16Band16. */
    public static void windowBand16(KernelContext c, ByteArray tiles, ByteArray palettes, IntArray escapeStarts, ByteArray escapes, ShortArray escapePositions, ShortArray x, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    /** The 8-row patching kernel on the window coding with 4 warps per CTA; BF16 twin: bf16FragNarrow8. */
    public static void windowNarrow8(KernelContext c, ByteArray tiles, ByteArray palettes, IntArray escapeStarts, ByteArray escapes, ShortArray escapePositions, ShortArray x, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    public static void bf16FragNarrow8(KernelContext c, ShortArray weights, ShortArray x, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    /** The 8-row patching kernel on the window coding with K in 2, 4 or 8 splits summed in a cluster; BF16 twin: bf16Frag8. */
    public static void windowCluster8x2(KernelContext c, ByteArray tiles, ByteArray palettes, IntArray escapeStarts, ByteArray escapes, ShortArray escapePositions, ShortArray x, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    public static void windowCluster8x4(KernelContext c, ByteArray tiles, ByteArray palettes, IntArray escapeStarts, ByteArray escapes, ShortArray escapePositions, ShortArray x, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    public static void windowCluster8x8(KernelContext c, ByteArray tiles, ByteArray palettes, IntArray escapeStarts, ByteArray escapes, ShortArray escapePositions, ShortArray x, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    /** The same at 16 rows of X (windowGemm16's loads ahead); BF16 twin: bf16Frag16. */
    public static void windowCluster16x2(KernelContext c, ByteArray tiles, ByteArray palettes, IntArray escapeStarts, ByteArray escapes, ShortArray escapePositions, ShortArray x, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    public static void windowCluster16x4(KernelContext c, ByteArray tiles, ByteArray palettes, IntArray escapeStarts, ByteArray escapes, ShortArray escapePositions, ShortArray x, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    public static void windowCluster16x8(KernelContext c, ByteArray tiles, ByteArray palettes, IntArray escapeStarts, ByteArray escapes, ShortArray escapePositions, ShortArray x, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    /** The window kernels' BF16 twins: W and X fed to the products in the window coding's fragment order. */
    public static void bf16Frag8(KernelContext c, ShortArray weights, ShortArray x, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    public static void bf16Frag16(KernelContext c, ShortArray weights, ShortArray x, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    public static void bf16Frag32(KernelContext c, ShortArray weights, ShortArray x, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    public static void bf16Frag64(KernelContext c, ShortArray weights, ShortArray x, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    public static void bf16FragBand16(KernelContext c, ShortArray weights, ShortArray x, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    /** The band kernel's BF16 twin: the same cut and sums in the same order. */
    public static void bf16Band16(KernelContext c, ShortArray weights, ShortArray x, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    public static void bf16Gemm8(KernelContext c, ShortArray weights, ShortArray x, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    public static void bf16Gemm16(KernelContext c, ShortArray weights, ShortArray x, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    public static void bf16Gemm32(KernelContext c, ShortArray weights, ShortArray x, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    public static void bf16Gemm64(KernelContext c, ShortArray weights, ShortArray x, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    /** Busy for {@code cycles} clock cycles (one thread): queued ahead of timed launches so that the host cannot starve them. */
    public static void spin(KernelContext c, long cycles) { throw MODULE.nvccOnly(); }

    /** The nvcc PTX entry for a method of this class; anything else is refused. */
    public static Function<KernelMethod, PtxKernel> compiler() { return compiler(null); }

    /** As {@link #compiler()}, the entries taken from {@code ptxText} (another build of palette_gemm.cu, for side-by-side timing), or the usual PTX when null. */
    public static Function<KernelMethod, PtxKernel> compiler(String ptxText) {
        return method -> {
            Method m = method.method();
            if (MODULE.declares(m)) return NvccPtx.kernel(m, ptxText != null ? ptxText : ptx());
            for (NvccPtx.Module other : List.of(WgmmaKernels.MODULE, TmaKernels.MODULE, WideTmaKernels.MODULE)) {
                if (other.declares(m)) return other.kernel(m);
            }
            throw new IllegalArgumentException(method + " is not a tensorcore kernel");
        };
    }

    /**
     * The checked-in PTX text, or for timing experiments the file named by the system property
     * {@value #PTX_OVERRIDE} (another build of palette_gemm.cu, say with a {@code TC_EXPERIMENT_*} macro).
     */
    public static String ptx() { return MODULE.ptx(); }
}
