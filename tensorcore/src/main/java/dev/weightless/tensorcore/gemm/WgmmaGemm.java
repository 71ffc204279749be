package dev.weightless.tensorcore.gemm;

import dev.weightless.jit.kernel.Grid;
import dev.weightless.jit.kernel.KernelMethod;
import dev.weightless.jit.kernel.ShortArray;
import dev.weightless.tasks.TaskGraph;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Launches the large-M product ({@link WgmmaKernels}, wgmma_gemm.cu) as a task: which entry, how many CTAs,
 * how much dynamic shared memory. A CTA covers 128 rows of W and {@code rows} (64, 128 or 256) rows of X,
 * so W's rows must be a multiple of 128 and K a multiple of 128 (the consumer loop takes K blocks in pairs).
 * The paired entries run in clusters of two CTAs (fixed in the kernel) that share the decode of their 128 W
 * rows and cover two consecutive blocks of X rows: the grid has an even number of blocks of X rows per 128 W
 * rows. The solo entries run one CTA per tile (better where there is a single block of X rows).
 * The shared-memory size mirrors the CUDA source's {@code sharedBytes<BN>()}: a ring of stages, each holding
 * one K block (64 columns) of X ({@code rows x 128} bytes) and of W (128 x 128 bytes; paired: half of it
 * decoded by this CTA's producer warpgroup, half by the other CTA's), a 1 KB exponent buffer for each tile a
 * producer warp decodes per block (1 paired, 2 solo; 4 producer warps), two mbarriers per stage, and 1 KB to
 * align the ring.
 */
public final class WgmmaGemm {
    /** Threads per CTA: two consumer warpgroups and one producer warpgroup. */
    static final int THREADS = 384;
    static final int W_ROWS = 128;

    private WgmmaGemm() {}

    /** Whether a W of n x k can be read by these kernels. */
    public static boolean supports(long n, long k) { return n > 0 && k > 0 && n % W_ROWS == 0 && k % 128 == 0; }

    /** Stages in the ring for a CTA of {@code rows} rows of X (as in wgmma_gemm.cu's Config). */
    static int stages(int rows) {
        return switch (rows) {
            case 64 -> 8;
            case 128 -> 6;
            case 256 -> 4;
            default -> throw new IllegalArgumentException("rows of X per CTA must be 64, 128 or 256, got " + rows);
        };
    }

    /** Dynamic shared memory of one CTA, bytes, for the paired ({@code paired}) or solo entries. */
    public static int sharedBytes(int rows, boolean paired) {
        int stages = stages(rows);
        return stages * (rows * 128 + W_ROWS * 128) + 4 * (paired ? 1 : 2) * 1024 + stages * 16 + 1024;
    }

    /** The paired entries' shared memory. */
    public static int sharedBytes(int rows) { return sharedBytes(rows, true); }

    /** The paired entries' grid for m rows of X and n rows of W: per 128 W rows, the blocks of X rows rounded up to pairs. */
    public static Grid grid(int m, long n, int rows) { return grid(m, n, rows, true); }

    /** The grid for m rows of X and n rows of W: per 128 W rows, the blocks of X rows (rounded up to pairs when paired). */
    public static Grid grid(int m, long n, int rows, boolean paired) {
        long blocks = Math.ceilDiv(m, rows);
        long ctas = Math.multiplyExact(n / W_ROWS, paired ? 2L * Math.ceilDiv(blocks, 2) : blocks);
        if (ctas > Integer.MAX_VALUE) throw new IllegalArgumentException("grid of " + ctas + " CTAs is too large");
        return new Grid(ctas, THREADS, sharedBytes(rows, paired));
    }

    /**
     * Rows of X per CTA, by a rule fitted to the H200 run w4 (results/h200-wgmma-w4-results.jsonl): the
     * largest tile that gives at least 3/4 of the multiprocessors a CTA and covers more than one block of X
     * rows (with one block, its cluster partner computes nothing: at M = 256, 128-row tiles beat 256-row ones
     * on 14336 x 4096 and 128256 x 4096), else 64. It picks the measured best in 13 of the 14 (shape, M >= 256)
     * cases where these kernels are chosen; the other, 1024 x 4096 at M = 1024, measured 128 best, 64 untimed.
     */
    public static int rows(int m, long n, int multiprocessors) {
        if (m > 256 && 4 * grid(m, n, 256).groups() >= 3L * multiprocessors) return 256;
        if (m > 128 && 4 * grid(m, n, 128).groups() >= 3L * multiprocessors) return 128;
        return 64;
    }

    /**
     * Whether these kernels beat the mma.sync kernels at batch size m, by run w4 against the mma.sync runs:
     * from M = 256 when their 64-row tiles give at least half the multiprocessors a CTA (every shape but
     * 1024 x 4096 at M = 256; at M = 64 the patching kernel is faster on all five shapes), which decides all
     * 10 measured (shape, M = 64 / 256) pairs.
     */
    public static boolean pays(int m, long n, long k, int multiprocessors) {
        return supports(n, k) && m >= 256 && 2 * (n / W_ROWS) * Math.ceilDiv(m, 64) >= multiprocessors;
    }

    /**
     * Adds task {@code task} computing y (m x n) from x (m x k) with W given as {@code weights}: the palette
     * layout's five parts (tiles, palettes, escape starts, escapes, escape positions) when {@code palette},
     * else the one row-major BF16 array; the paired entries when {@code paired}, else the solo ones. Records the
     * task's grid in {@code grids}.
     */
    static void addTo(TaskGraph g, String task, List<Object> weights, boolean palette, ShortArray x, ShortArray y, int m, long n, long k, int rows, boolean paired, Map<String, Grid> grids) {
        if (!supports(n, k)) throw new IllegalArgumentException("the wgmma kernels need n a multiple of 128 and k a multiple of 128, got " + n + " x " + k);
        if (weights.size() != (palette ? 5 : 1)) throw new IllegalArgumentException((palette ? "palette" : "BF16") + " W needs " + (palette ? 5 : 1) + " arrays, got " + weights.size());
        Grid grid = grid(m, n, rows, paired);
        List<Object> args = new ArrayList<>(weights);
        args.addAll(List.of(x, y, m, (int) n, (int) k));
        g.task(task, KernelMethod.of(WgmmaKernels.class, (paired ? "wgmma" : "wgmmaSolo") + (palette ? "Patch" : "Bf16_") + rows), args.toArray());
        grids.put(g.name() + "." + task, grid);
    }
}
