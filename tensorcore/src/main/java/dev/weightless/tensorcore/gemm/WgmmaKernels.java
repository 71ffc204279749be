package dev.weightless.tensorcore.gemm;

import dev.weightless.jit.kernel.ByteArray;
import dev.weightless.jit.kernel.IntArray;
import dev.weightless.jit.kernel.KernelContext;
import dev.weightless.jit.kernel.ShortArray;

/**
 * The large-M kernels (warp-specialised wgmma, {@code src/main/cuda/wgmma_gemm.cu}, checked in as
 * {@code /tensorcore/wgmma_gemm.ptx}) as task signatures; {@link FusedKernels#compiler()} supplies their
 * PTX. The suffix is how many rows of X one CTA covers (64, 128 or 256); each CTA covers 128 rows of W, in
 * clusters of two that share its decode (wgmmaPatch, wgmmaBf16_) or alone (wgmmaSoloPatch, wgmmaSoloBf16_).
 * Launch them through {@link WgmmaGemm}, which sets the grid and the dynamic shared memory they need. As
 * with {@link FusedKernels}, the bodies never run: off a CUDA device these tasks fail loudly.
 */
public final class WgmmaKernels {
    public static final String PTX_RESOURCE = "/tensorcore/wgmma_gemm.ptx";
    /** System property naming another build of wgmma_gemm.cu to load instead (timing and diagnosis experiments). */
    public static final String PTX_OVERRIDE = "tensorcore.wgmma.ptx";

    static final NvccPtx.Module MODULE = new NvccPtx.Module(WgmmaKernels.class, PTX_RESOURCE, PTX_OVERRIDE, "wgmma kernels");

    private WgmmaKernels() {}

    public static void wgmmaPatch64(KernelContext c, ByteArray tiles, ByteArray palettes, IntArray escapeStarts, ByteArray escapes, ShortArray escapePositions, ShortArray x, ShortArray y, int m, int n, int k) { throw MODULE.nvccOnly(); }

    public static void wgmmaPatch128(KernelContext c, ByteArray tiles, ByteArray palettes, IntArray escapeStarts, ByteArray escapes, ShortArray escapePositions, ShortArray x, ShortArray y, int m, int n, int k) { throw MODULE.nvccOnly(); }

    public static void wgmmaPatch256(KernelContext c, ByteArray tiles, ByteArray palettes, IntArray escapeStarts, ByteArray escapes, ShortArray escapePositions, ShortArray x, ShortArray y, int m, int n, int k) { throw MODULE.nvccOnly(); }

    public static void wgmmaBf16_64(KernelContext c, ShortArray weights, ShortArray x, ShortArray y, int m, int n, int k) { throw MODULE.nvccOnly(); }

    public static void wgmmaBf16_128(KernelContext c, ShortArray weights, ShortArray x, ShortArray y, int m, int n, int k) { throw MODULE.nvccOnly(); }

    public static void wgmmaBf16_256(KernelContext c, ShortArray weights, ShortArray x, ShortArray y, int m, int n, int k) { throw MODULE.nvccOnly(); }

    // One CTA per tile (no cluster): the same product where a single block of X rows would leave half of each cluster idle.
    public static void wgmmaSoloPatch64(KernelContext c, ByteArray tiles, ByteArray palettes, IntArray escapeStarts, ByteArray escapes, ShortArray escapePositions, ShortArray x, ShortArray y, int m, int n, int k) { throw MODULE.nvccOnly(); }

    public static void wgmmaSoloPatch128(KernelContext c, ByteArray tiles, ByteArray palettes, IntArray escapeStarts, ByteArray escapes, ShortArray escapePositions, ShortArray x, ShortArray y, int m, int n, int k) { throw MODULE.nvccOnly(); }

    public static void wgmmaSoloPatch256(KernelContext c, ByteArray tiles, ByteArray palettes, IntArray escapeStarts, ByteArray escapes, ShortArray escapePositions, ShortArray x, ShortArray y, int m, int n, int k) { throw MODULE.nvccOnly(); }

    public static void wgmmaSoloBf16_64(KernelContext c, ShortArray weights, ShortArray x, ShortArray y, int m, int n, int k) { throw MODULE.nvccOnly(); }

    public static void wgmmaSoloBf16_128(KernelContext c, ShortArray weights, ShortArray x, ShortArray y, int m, int n, int k) { throw MODULE.nvccOnly(); }

    public static void wgmmaSoloBf16_256(KernelContext c, ShortArray weights, ShortArray x, ShortArray y, int m, int n, int k) { throw MODULE.nvccOnly(); }

    /** The checked-in PTX text, or the file named by {@value #PTX_OVERRIDE}. */
    public static String ptx() { return MODULE.ptx(); }
}
