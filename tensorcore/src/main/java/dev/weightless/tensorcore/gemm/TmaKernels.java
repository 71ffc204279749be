package dev.weightless.tensorcore.gemm;

import dev.weightless.jit.kernel.ByteArray;
import dev.weightless.jit.kernel.FloatArray;
import dev.weightless.jit.kernel.IntArray;
import dev.weightless.jit.kernel.KernelContext;
import dev.weightless.jit.kernel.ShortArray;
import dev.weightless.jit.kernel.TensorMap;

/**
 * The TMA-fed large-M kernels ({@code src/main/cuda/wgmma_tma.cu}, checked in as {@code /tensorcore/wgmma_tma.ptx})
 * as task signatures; {@link FusedKernels#compiler()} supplies their PTX. The suffix is how many rows of X one CTA
 * covers (64, 128 or 256); each CTA covers 128 rows of W (64 in the half kernels). X (and, for the BF16 twin, W) arrive as tensor maps
 * ({@link WgmmaGemm#xMap}, {@link WgmmaGemm#wMap}); the window entries take the tile array's map ({@link WgmmaGemm#tileMap}) before
 * the tiles themselves. With {@code splits} > 1 (64 and 128 rows only) each tile's K is cut
 * into that many slices, one CTA each, whose FP32 sums meet in {@code partial} and are added in order by the tile's
 * last CTA ({@link FusedLinear#partialSize}), or by all of them in shares (the meet entries). The pair entries run clusters of two
 * CTAs on adjacent W tiles that share X. Launch them through {@link WgmmaGemm}, which sets the grid and the
 * dynamic shared memory they need. The bodies never run: off a CUDA device these tasks fail loudly.
 */
public final class TmaKernels {
    public static final String PTX_RESOURCE = "/tensorcore/wgmma_tma.ptx";
    /** System property naming another build of wgmma_tma.cu to load instead (timing and diagnosis experiments). */
    public static final String PTX_OVERRIDE = "tensorcore.tma.ptx";
    static final NvccPtx.Module MODULE = new NvccPtx.Module(TmaKernels.class, PTX_RESOURCE, PTX_OVERRIDE, "TMA kernels");

    private TmaKernels() {}

    public static void tmaPatch64(KernelContext c, TensorMap x, ByteArray tiles, ByteArray palettes, IntArray escapeStarts, ByteArray escapes, ShortArray escapePositions, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    public static void tmaPatch128(KernelContext c, TensorMap x, ByteArray tiles, ByteArray palettes, IntArray escapeStarts, ByteArray escapes, ShortArray escapePositions, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    public static void tmaPatch256(KernelContext c, TensorMap x, ByteArray tiles, ByteArray palettes, IntArray escapeStarts, ByteArray escapes, ShortArray escapePositions, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    /** The window coding's entries (LAYOUT.md): the same kernel, escapes patched in the warp's stage tile. */
    public static void tmaWindow64(KernelContext c, TensorMap x, TensorMap tileMap, ByteArray tiles, ByteArray palettes, IntArray escapeStarts, ByteArray escapes, ShortArray escapePositions, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    public static void tmaWindow128(KernelContext c, TensorMap x, TensorMap tileMap, ByteArray tiles, ByteArray palettes, IntArray escapeStarts, ByteArray escapes, ShortArray escapePositions, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    public static void tmaWindow256(KernelContext c, TensorMap x, TensorMap tileMap, ByteArray tiles, ByteArray palettes, IntArray escapeStarts, ByteArray escapes, ShortArray escapePositions, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    /** The window coding with K in 2 or 4 slices, a tile's slices one cluster adding their sums; BF16 twin: tmaBf16Cluster*. */
    public static void tmaWindowCluster64x2(KernelContext c, TensorMap x, TensorMap tileMap, ByteArray tiles, ByteArray palettes, IntArray escapeStarts, ByteArray escapes, ShortArray escapePositions, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    public static void tmaWindowCluster64x4(KernelContext c, TensorMap x, TensorMap tileMap, ByteArray tiles, ByteArray palettes, IntArray escapeStarts, ByteArray escapes, ShortArray escapePositions, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    public static void tmaWindowCluster128x2(KernelContext c, TensorMap x, TensorMap tileMap, ByteArray tiles, ByteArray palettes, IntArray escapeStarts, ByteArray escapes, ShortArray escapePositions, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    public static void tmaWindowCluster128x4(KernelContext c, TensorMap x, TensorMap tileMap, ByteArray tiles, ByteArray palettes, IntArray escapeStarts, ByteArray escapes, ShortArray escapePositions, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    public static void tmaWindowCluster256x2(KernelContext c, TensorMap x, TensorMap tileMap, ByteArray tiles, ByteArray palettes, IntArray escapeStarts, ByteArray escapes, ShortArray escapePositions, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    public static void tmaWindowCluster256x4(KernelContext c, TensorMap x, TensorMap tileMap, ByteArray tiles, ByteArray palettes, IntArray escapeStarts, ByteArray escapes, ShortArray escapePositions, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    public static void tmaBf16_64(KernelContext c, TensorMap x, TensorMap weights, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    public static void tmaBf16_128(KernelContext c, TensorMap x, TensorMap weights, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    public static void tmaBf16_256(KernelContext c, TensorMap x, TensorMap weights, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    /** The cluster entries' BF16 twins: the same split, tail and sums. */
    public static void tmaBf16Cluster64x2(KernelContext c, TensorMap x, TensorMap weights, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    public static void tmaBf16Cluster64x4(KernelContext c, TensorMap x, TensorMap weights, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    public static void tmaBf16Cluster128x2(KernelContext c, TensorMap x, TensorMap weights, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    public static void tmaBf16Cluster128x4(KernelContext c, TensorMap x, TensorMap weights, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    public static void tmaBf16Cluster256x2(KernelContext c, TensorMap x, TensorMap weights, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    public static void tmaBf16Cluster256x4(KernelContext c, TensorMap x, TensorMap weights, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    /**
     * The half kernels: 64 W rows by 256 X rows per CTA, the two consumer warpgroups on alternate K blocks, K in 1, 2 or 4
     * slices (2 and 4: a tile's slices one cluster); BF16 twins tmaBf16Half_256 and tmaBf16HalfCluster256x*, W's map in boxes of 64 rows.
     */
    public static void tmaWindowHalf256(KernelContext c, TensorMap x, TensorMap tileMap, ByteArray tiles, ByteArray palettes, IntArray escapeStarts, ByteArray escapes, ShortArray escapePositions, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    public static void tmaWindowHalfCluster256x2(KernelContext c, TensorMap x, TensorMap tileMap, ByteArray tiles, ByteArray palettes, IntArray escapeStarts, ByteArray escapes, ShortArray escapePositions, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    public static void tmaWindowHalfCluster256x4(KernelContext c, TensorMap x, TensorMap tileMap, ByteArray tiles, ByteArray palettes, IntArray escapeStarts, ByteArray escapes, ShortArray escapePositions, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    public static void tmaBf16Half_256(KernelContext c, TensorMap x, TensorMap weights, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    public static void tmaBf16HalfCluster256x2(KernelContext c, TensorMap x, TensorMap weights, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    public static void tmaBf16HalfCluster256x4(KernelContext c, TensorMap x, TensorMap weights, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    /**
     * The meet entries (128 and 256 rows): K in 2 or more slices, one CTA each, all resident at once (launch with {@code Grid.allResident()}), a tile's
     * slices meeting through {@code partial} so that each adds its share of the sums; BF16 twins tmaBf16Meet_*.
     */
    public static void tmaWindowMeet128(KernelContext c, TensorMap x, TensorMap tileMap, ByteArray tiles, ByteArray palettes, IntArray escapeStarts, ByteArray escapes, ShortArray escapePositions, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    public static void tmaWindowMeet256(KernelContext c, TensorMap x, TensorMap tileMap, ByteArray tiles, ByteArray palettes, IntArray escapeStarts, ByteArray escapes, ShortArray escapePositions, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    public static void tmaBf16Meet_128(KernelContext c, TensorMap x, TensorMap weights, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    public static void tmaBf16Meet_256(KernelContext c, TensorMap x, TensorMap weights, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    /**
     * The pair entries (256 rows, K unsplit: splits must be 1): clusters of 2 on adjacent W tiles of the same X rows, each CTA loading half
     * of X (the map's box is 128 rows) into both by multicast; BF16 twin tmaBf16Pair_256. partial is not used.
     */
    public static void tmaWindowPair256(KernelContext c, TensorMap x, TensorMap tileMap, ByteArray tiles, ByteArray palettes, IntArray escapeStarts, ByteArray escapes, ShortArray escapePositions, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    public static void tmaBf16Pair_256(KernelContext c, TensorMap x, TensorMap weights, ShortArray y, FloatArray partial, int m, int n, int k, int splits) { throw MODULE.nvccOnly(); }

    /** The checked-in PTX text, or the file named by {@value #PTX_OVERRIDE}. */
    public static String ptx() { return MODULE.ptx(); }
}
