package dev.weightless.tensorcore.gemm;

import dev.weightless.jit.kernel.ByteArray;
import dev.weightless.jit.kernel.FloatArray;
import dev.weightless.jit.kernel.IntArray;
import dev.weightless.jit.kernel.KernelContext;
import dev.weightless.jit.kernel.ShortArray;
import dev.weightless.jit.kernel.TensorMap;

/**
 * The wide build of the TMA-fed kernel ({@code src/main/cuda/wgmma_tma.cu} with {@code TC_WIDE}, checked in as
 * {@code /tensorcore/wgmma_tma_wide.ptx}; {@code Kernel.WGMMA_TMA_WIDE}): four consumer warpgroups and 256 W rows per CTA, 64
 * rows of X, 640 threads. The entries are those of {@link TmaKernels} at 64 rows, in their own module: the window coding
 * unsplit (one CTA per tile, or persistent) or with K in 2 or 4 slices, a tile's slices one cluster, the tile map in boxes of 16
 * strips; BF16 twins alike, W's tensor map in boxes of 256 rows. Launch them through {@link WgmmaGemm}. The bodies never run: off
 * a CUDA device these tasks fail loudly.
 */
public final class WideTmaKernels {
    public static final String PTX_RESOURCE = "/tensorcore/wgmma_tma_wide.ptx";
    /** System property naming another build to load instead (timing and diagnosis experiments). */
    public static final String PTX_OVERRIDE = "tensorcore.tma.wide.ptx";
    static final NvccPtx.Module MODULE = new NvccPtx.Module(WideTmaKernels.class, PTX_RESOURCE, PTX_OVERRIDE, "wide TMA kernels");

    private WideTmaKernels() {}

    public static void tmaWindow64(KernelContext c, TensorMap x, TensorMap tileMap, ByteArray tiles, ByteArray palettes, IntArray escapeStarts, ByteArray escapes, ShortArray escapePositions, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    public static void tmaWindowCluster64x2(KernelContext c, TensorMap x, TensorMap tileMap, ByteArray tiles, ByteArray palettes, IntArray escapeStarts, ByteArray escapes, ShortArray escapePositions, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    public static void tmaWindowCluster64x4(KernelContext c, TensorMap x, TensorMap tileMap, ByteArray tiles, ByteArray palettes, IntArray escapeStarts, ByteArray escapes, ShortArray escapePositions, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    public static void tmaBf16_64(KernelContext c, TensorMap x, TensorMap weights, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    public static void tmaBf16Cluster64x2(KernelContext c, TensorMap x, TensorMap weights, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    public static void tmaBf16Cluster64x4(KernelContext c, TensorMap x, TensorMap weights, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    /** The checked-in PTX text, or the file named by {@value #PTX_OVERRIDE}. */
    public static String ptx() { return MODULE.ptx(); }
}
