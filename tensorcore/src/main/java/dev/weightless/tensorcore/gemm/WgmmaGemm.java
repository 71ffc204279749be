package dev.weightless.tensorcore.gemm;

import dev.weightless.jit.kernel.FloatArray;
import dev.weightless.jit.kernel.Grid;
import dev.weightless.jit.kernel.KernelMethod;
import dev.weightless.jit.kernel.ShortArray;
import dev.weightless.jit.kernel.TensorMap;
import dev.weightless.tasks.TaskGraph;
import dev.weightless.tensorcore.layout.PaletteLayout;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Launches the large-M product as a task: which entry, how many CTAs, how much dynamic shared memory. A CTA
 * covers 128 rows of W and {@code rows} (64, 128 or 256) rows of X, so W's rows must be a multiple of 128 and
 * K a multiple of 128 (the consumer loop takes K blocks in pairs). Two kernels: the TMA-fed one
 * ({@link TmaKernels}, wgmma_tma.cu, {@code Kernel.WGMMA_TMA}), one CTA per tile and slice of K or, persistent,
 * at most {@link FusedLinear.Schedule#ctas()} CTAs taking them in turn, X (and BF16 W) passed as tensor maps (with
 * {@code Kernel.WGMMA_TMA_CLUSTER} a tile's slices one cluster that adds their sums: one CTA per slice, or persistent with only
 * the last round's tiles split, {@link #persistentCluster}; {@code Kernel.WGMMA_TMA_HALF} 64 W rows by 256 X rows per CTA, its
 * two consumer warpgroups on alternate K blocks, a tile's slices one cluster, one CTA per slice, {@link #halfTiles};
 * {@code Kernel.WGMMA_TMA_WIDE} its wide build, 256 W rows by 64 X rows per CTA, four consumer warpgroups, {@link #wideTiles};
 * {@code Kernel.WGMMA_TMA_MEET} one CTA per slice, all resident at once, a tile's slices sharing the adds of their sums;
 * {@code Kernel.WGMMA_TMA_PAIR} clusters of 2 on adjacent W tiles sharing X by multicast, K unsplit);
 * and the earlier one ({@link WgmmaKernels}, wgmma_gemm.cu), whose producer warps copy X and decode W.
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
    /** The H200's (sm_90) opt-in dynamic shared memory per block; wgmma_tma.cu fills its ring up to it. */
    static final int SHARED_LIMIT = 232448;
    private static final int CONSUMER_WARPS = 8;

    private WgmmaGemm() {}

    /** Whether a W of n x k can be read by these kernels. */
    public static boolean supports(long n, long k) { return n > 0 && k > 0 && n % W_ROWS == 0 && k % 128 == 0; }

    /**
     * Whether a W of n x k can be read by {@code kernel}: the wide kernel needs n a multiple of its 256 W rows per CTA, the pair
     * kernel a multiple of its pairs of 128-row tiles.
     */
    public static boolean supports(long n, long k, FusedLinear.Kernel kernel) {
        return supports(n, k) && (kernel != FusedLinear.Kernel.WGMMA_TMA_WIDE || n % WIDE_W_ROWS == 0)
                && (kernel != FusedLinear.Kernel.WGMMA_TMA_PAIR || n % (2 * W_ROWS) == 0);
    }

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

    /** Stages in the TMA kernel's ring (wgmma_tma.cu's stages<BN, MODE>) for W held as {@code w}: as many as fit, at most 8. */
    static int tmaStages(int rows, FusedLinear.Variant w) { return tmaStages(rows, w, W_ROWS, CONSUMER_WARPS); }

    /** The same for CTAs of {@code wRows} W rows and {@code consumerWarps} consumer warps (wgmma_tma.cu's stages<BN, MODE, WR>). */
    private static int tmaStages(int rows, FusedLinear.Variant w, int wRows, int consumerWarps) {
        return Math.min(8, (SHARED_LIMIT - 1024 - consumerWarps * bufferBytes(w) - 8 * 16) / tmaStageBytes(rows, w, wRows));
    }

    /**
     * A consumer warp's buffer: 512 bytes for its part of Y on the way out, which the palette coding's 1 KB exponent
     * buffer holds (the window coding patches its rare escapes in its stage tile).
     */
    private static int bufferBytes(FusedLinear.Variant w) { return w == FusedLinear.Variant.PALETTE ? 1024 : 512; }

    /** A TMA stage: X ({@code rows x 128} bytes) and W ({@code wRows / 16} tiles of its coding, or {@code wRows} BF16 rows of 128 bytes). */
    private static int tmaStageBytes(int rows, FusedLinear.Variant w, int wRows) {
        stages(rows);   // 64, 128 or 256
        return rows * 128 + switch (w) {
            case PALETTE -> wRows / 16 * PaletteLayout.Coding.PALETTE.tileBytes();
            case WINDOW -> wRows / 16 * PaletteLayout.Coding.WINDOW.tileBytes();
            case BF16, BF16_WINDOW -> wRows * 128;
        };
    }

    /**
     * The TMA kernel's dynamic shared memory (wgmma_tma.cu's sharedBytes<BN, MODE>): the ring, a buffer per consumer
     * warp ({@link #bufferBytes}), two mbarriers per stage, and 1 KB to align the ring.
     */
    public static int tmaSharedBytes(int rows, FusedLinear.Variant w) { return tmaSharedBytes(rows, w, W_ROWS, CONSUMER_WARPS); }

    /** The same for CTAs of {@code wRows} W rows and {@code consumerWarps} consumer warps (wgmma_tma.cu's sharedBytes<BN, MODE, WR>). */
    private static int tmaSharedBytes(int rows, FusedLinear.Variant w, int wRows, int consumerWarps) {
        int stages = tmaStages(rows, w, wRows, consumerWarps);
        return stages * tmaStageBytes(rows, w, wRows) + consumerWarps * bufferBytes(w) + stages * 16 + 1024;
    }

    /** Tiles of the TMA kernel: 128 W rows by {@code rows} X rows. */
    static long tmaTiles(int m, long n, int rows) { return Math.multiplyExact(n / W_ROWS, Math.ceilDiv((long) m, rows)); }

    /** W rows per CTA of the half kernel ({@code Kernel.WGMMA_TMA_HALF}), whose CTAs take 256 rows of X. */
    static final int HALF_W_ROWS = 64;

    /** The half kernel's splits of K (its entries: unsplit, and 2 or 4 slices in a cluster). */
    static final int[] HALF_SPLITS = {1, 2, 4};

    /** Tiles of the half kernel: 64 W rows by 256 X rows. */
    static long halfTiles(int m, long n) { return Math.multiplyExact(n / HALF_W_ROWS, Math.ceilDiv((long) m, 256)); }

    /** Whether the TMA kernel can cut K into {@code splits} slices: each an even number of K blocks (any tile). */
    public static boolean splits(long k, int splits) {
        return splits == 1 || (splits > 1 && (k / 64) % (2L * splits) == 0);
    }

    /**
     * Whether {@code kernel} can cut K into {@code splits} slices: the half kernel's warpgroups each take an even number of
     * a slice's K blocks, so a multiple of 4 of them ({@link #splits(long, int)} for the others).
     */
    public static boolean splits(long k, int splits, FusedLinear.Kernel kernel) {
        if (kernel != FusedLinear.Kernel.WGMMA_TMA_HALF) return splits(k, splits);
        return splits >= 1 && (k / 64) % (4L * splits) == 0;
    }

    /** The half kernel's dynamic shared memory (wgmma_tma.cu's sharedBytes<256, MODE, 64>): stages of 256 X and 64 W rows. */
    static int halfSharedBytes(FusedLinear.Variant w) {
        if (!w.readBy(FusedLinear.Kernel.WGMMA_TMA_HALF)) throw new IllegalArgumentException("the half kernel reads window-coded W (or its BF16 twin), not " + w);
        return tmaSharedBytes(256, w, HALF_W_ROWS, CONSUMER_WARPS);
    }

    /** W rows per CTA of the wide kernel ({@code Kernel.WGMMA_TMA_WIDE}: wgmma_tma.cu built with TC_WIDE), whose CTAs take 64 rows of X. */
    static final int WIDE_W_ROWS = 256;

    /** Threads per CTA of the wide kernel: four consumer warpgroups and the producer warpgroup. */
    static final int WIDE_THREADS = 640;

    private static final int WIDE_CONSUMER_WARPS = 16;

    /** Tiles of the wide kernel: 256 W rows by 64 X rows. */
    static long wideTiles(int m, long n) { return Math.multiplyExact(n / WIDE_W_ROWS, Math.ceilDiv((long) m, 64)); }

    /** The wide kernel's dynamic shared memory (the TC_WIDE build's sharedBytes<64, MODE>): stages of 64 X and 256 W rows, 16 warps' buffers. */
    static int wideSharedBytes(FusedLinear.Variant w) {
        if (!w.readBy(FusedLinear.Kernel.WGMMA_TMA_WIDE)) throw new IllegalArgumentException("the wide kernel reads window-coded W (or its BF16 twin), not " + w);
        return tmaSharedBytes(64, w, WIDE_W_ROWS, WIDE_CONSUMER_WARPS);
    }

    /**
     * The grid of schedule {@code s} (one of the wgmma kernels) for m rows of X and n rows of W: for the TMA kernel one
     * CTA per tile and slice of K, or at most {@code s.ctas()} of them, each taking those units in turn.
     */
    public static Grid grid(int m, long n, FusedLinear.Schedule s, FusedLinear.Variant w) {
        int rows = s.rowsPerCta();
        return switch (s.kernel()) {
            case WGMMA -> grid(m, n, rows, true);
            case WGMMA_SOLO -> grid(m, n, rows, false);
            case WGMMA_TMA, WGMMA_TMA_CLUSTER -> {
                long tiles = tmaTiles(m, n, rows), units = Math.multiplyExact(tiles, (long) s.splits());
                if (units > Integer.MAX_VALUE) throw new IllegalArgumentException("the TMA kernel's " + units + " tiles and slices exceed 2^31 - 1");
                long ctas = s.kernel() == FusedLinear.Kernel.WGMMA_TMA ? (s.ctas() == 0 ? units : Math.min(units, s.ctas()))
                        : persistentCluster(tiles, s) ? s.ctas() & ~1 : units;
                yield new Grid(ctas, THREADS, tmaSharedBytes(rows, w));
            }
            case WGMMA_TMA_MEET -> {   // the slices of a tile wait for each other: one CTA per unit, launched cooperatively
                long units = Math.multiplyExact(tmaTiles(m, n, rows), (long) s.splits());
                if (units > Integer.MAX_VALUE) throw new IllegalArgumentException("the meet kernel's " + units + " tiles and slices exceed 2^31 - 1");
                yield new Grid(units, THREADS, tmaSharedBytes(rows, w)).allResident();
            }
            case WGMMA_TMA_HALF -> {
                long units = Math.multiplyExact(halfTiles(m, n), (long) s.splits());
                if (units > Integer.MAX_VALUE) throw new IllegalArgumentException("the half kernel's " + units + " tiles and slices exceed 2^31 - 1");
                yield new Grid(units, THREADS, halfSharedBytes(w));
            }
            case WGMMA_TMA_PAIR -> {   // clusters of 2 on pairs of tiles: one per pair, or at most s.ctas() rounded down to even
                long pairs = tmaTiles(m, n, rows) / 2, clusters = s.ctas() == 0 ? pairs : Math.min(pairs, s.ctas() / 2);
                if (clusters < 1) throw new IllegalArgumentException("the pair kernel needs n a multiple of 256 and a CTA limit of 2 or more, got n = " + n + ", " + s.ctas() + " CTAs");
                if (2 * clusters > Integer.MAX_VALUE) throw new IllegalArgumentException("the pair kernel's " + 2 * clusters + " CTAs exceed 2^31 - 1");
                yield new Grid(2 * clusters, THREADS, tmaSharedBytes(rows, w));
            }
            case WGMMA_TMA_WIDE -> {   // unsplit: one CTA per tile, or persistent; split: one CTA per slice, a tile's slices one cluster
                long units = Math.multiplyExact(wideTiles(m, n), (long) s.splits());
                if (units > Integer.MAX_VALUE) throw new IllegalArgumentException("the wide kernel's " + units + " tiles and slices exceed 2^31 - 1");
                yield new Grid(s.ctas() == 0 ? units : Math.min(units, s.ctas()), WIDE_THREADS, wideSharedBytes(w));
            }
            default -> throw new IllegalArgumentException(s.kernel() + " is not a wgmma kernel");
        };
    }

    /**
     * Whether the cluster finish (schedule {@code s}) runs persistent, on {@code s.ctas()} CTAs rounded down to even: with 2
     * splits, where the tiles fill that grid at least once. The kernel then takes whole tiles first and splits the last,
     * partial round's tiles where they fit one cluster of 2 each ({@link #tailFits}), else none. Otherwise, and always with 4
     * splits (66 clusters of 2 one-SM CTAs fit an H200 at once, only 30 of 4: NOTES.md, session 14), one CTA per slice.
     */
    static boolean persistentCluster(long tiles, FusedLinear.Schedule s) {
        long grid = s.ctas() & ~1;
        return s.kernel() == FusedLinear.Kernel.WGMMA_TMA_CLUSTER && s.splits() == 2 && grid > 0 && tiles >= grid;
    }

    /**
     * The TMA kernel's split schedules at {@code rows} rows of X, for W held as {@code w}: where its tiles leave multiprocessors
     * idle, each of {@code splits} that k allows, summed through the workspace (persistent) and, for window-coded W, in a cluster;
     * where they fill them once or more, for window-coded W, the last, partial round split in clusters of 2, where it fits. At
     * 256 rows, where those tiles leave multiprocessors idle, for window-coded W also the half kernel at 1, 2 and 4 splits where
     * its CTAs fit the multiprocessors at once (the harness, NOTES.md session 15: more lost everywhere). At 64 rows and M <= 64, for
     * window-coded W and n a multiple of 256, also the wide kernel: unsplit on one CTA per multiprocessor, and where its tiles leave
     * multiprocessors idle at 2 and 4 splits in a cluster (the harness, NOTES.md session 19, w1: it gains only where one round of
     * X rows streams W once, and loses from M = 256). For window-coded W and 128 or 256 rows, at each of {@link #MEET_SPLITS} whose
     * CTAs fit the multiprocessors at once, also the meet kernel (its slices share the adds; NOTES.md session 21, m: 6% ahead on 4096 x 14336 at
     * M = 256, behind the workspace finish everywhere at 64 rows; session 22, m3: the table's choice on four cells). For window-coded W at
     * 256 rows, n a multiple of 256, where the tiles give at least 3/4 of the multiprocessors a CTA, also the pair kernel, persistent (X read
     * once per pair of W tiles: 1.8-2.1% faster at M = 4096 in the harness, NOTES.md session 24, p2).
     */
    static List<FusedLinear.Schedule> splitSchedules(int m, long n, long k, int rows, int multiprocessors, int[] splits, FusedLinear.Variant w) {
        boolean cluster = w.readBy(FusedLinear.Kernel.WGMMA_TMA_CLUSTER);
        long tiles = tmaTiles(m, n, rows);
        List<FusedLinear.Schedule> out = new ArrayList<>();
        if (rows == 64 && m <= 64 && w.readBy(FusedLinear.Kernel.WGMMA_TMA_WIDE) && supports(n, k, FusedLinear.Kernel.WGMMA_TMA_WIDE)) {
            out.add(new FusedLinear.Schedule(1, 64, FusedLinear.Kernel.WGMMA_TMA_WIDE).persistent(multiprocessors));
            if (wideTiles(m, n) < multiprocessors) {
                for (int s : new int[] {2, 4}) if (splits(k, s)) out.add(new FusedLinear.Schedule(s, 64, FusedLinear.Kernel.WGMMA_TMA_WIDE));
            }
        }
        if (rows == 256 && w.readBy(FusedLinear.Kernel.WGMMA_TMA_PAIR) && supports(n, k, FusedLinear.Kernel.WGMMA_TMA_PAIR) && 4 * tiles >= 3L * multiprocessors) {
            out.add(new FusedLinear.Schedule(1, 256, FusedLinear.Kernel.WGMMA_TMA_PAIR).persistent(multiprocessors));
        }
        if (tiles >= multiprocessors) {
            if (cluster && splits(k, 2) && tailFits(tiles, multiprocessors & ~1)) {
                out.add(new FusedLinear.Schedule(2, rows, FusedLinear.Kernel.WGMMA_TMA_CLUSTER).persistent(multiprocessors));
            }
            return out;
        }
        for (int s : splits) {
            if (!splits(k, s)) continue;
            out.add(new FusedLinear.Schedule(s, rows, FusedLinear.Kernel.WGMMA_TMA).persistent(multiprocessors));
            if (cluster) out.add(new FusedLinear.Schedule(s, rows, FusedLinear.Kernel.WGMMA_TMA_CLUSTER));
        }
        if (rows > 64 && w.readBy(FusedLinear.Kernel.WGMMA_TMA_MEET)) {
            for (int s : MEET_SPLITS) {
                FusedLinear.Schedule meet = new FusedLinear.Schedule(s, rows, FusedLinear.Kernel.WGMMA_TMA_MEET);
                if (splits(k, s) && meetFits(m, n, meet, multiprocessors)) out.add(meet);
            }
        }
        if (rows == 256 && w.readBy(FusedLinear.Kernel.WGMMA_TMA_HALF)) {
            for (int s : HALF_SPLITS) {
                if (splits(k, s, FusedLinear.Kernel.WGMMA_TMA_HALF) && halfTiles(m, n) * s <= multiprocessors) {
                    out.add(new FusedLinear.Schedule(s, 256, FusedLinear.Kernel.WGMMA_TMA_HALF));
                }
            }
        }
        return out;
    }

    /** The meet kernel's splits of K: up to 16, so that the few tiles of the small shapes fill the multiprocessors. */
    static final int[] MEET_SPLITS = {2, 4, 8, 16};

    /**
     * Whether the meet kernel's CTAs at schedule {@code s}, one per tile and slice, fit {@code multiprocessors} at once (one CTA
     * each: its ring takes a multiprocessor's shared memory), as its cooperative launch needs.
     */
    static boolean meetFits(int m, long n, FusedLinear.Schedule s, int multiprocessors) {
        return tmaTiles(m, n, s.rowsPerCta()) * s.splits() <= multiprocessors;
    }

    /** Whether the last, partial round of {@code tiles} on {@code grid} CTAs fits one cluster of 2 each (wgmma_tma.cu's rule). */
    static boolean tailFits(long tiles, int grid) {
        long left = tiles % grid;
        return left > 0 && left <= grid / 2;
    }

    /** X (m x k BF16) as the TMA kernels read it: boxes of 64 columns by {@code rows} rows, rows past m zero-filled (the pair kernel: half of its rows). */
    static TensorMap xMap(Object x, int m, long k, int rows) { return new TensorMap(x, k, m, 64, rows); }

    /** BF16 W (n x k) as the TMA kernels' BF16 twin reads it: boxes of 64 columns by 128 rows (64: the half kernel's). */
    static TensorMap wMap(Object w, long n, long k, int wRows) { return new TensorMap(w, k, n, 64, wRows); }

    /**
     * The window coding's tile array (n / 16 strips of k / 64 tiles of {@value PaletteLayout#WINDOW_TILE_BYTES} bytes, LAYOUT.md) as the TMA kernels' window
     * entries read it: a row of 8-byte words per strip, boxes of one tile by {@code wRows / 16} strips, so that one request brings a
     * CTA's tiles of a K block (NOTES.md, session 25, t3).
     */
    static TensorMap tileMap(Object tiles, long n, long k, int wRows) {
        int words = PaletteLayout.WINDOW_TILE_BYTES / 8;
        return new TensorMap(tiles, Math.multiplyExact(k / 64, words), n / 16, words, wRows / 16, TensorMap.Element.WORD8);
    }

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
     * Rows of X per CTA of the TMA kernel, by a rule fitted to the harness runs of session 8 (NOTES.md, w5): the
     * largest tile that gives at least 3/4 of the multiprocessors a CTA, else 64 (14336 x 4096 at M = 256: 256 rows
     * on 112 CTAs beat 128 and 64 rows; 4096 x 4096 at M = 256: 64 rows on 128 CTAs beat 128 and 256).
     */
    public static int rows(int m, long n, int multiprocessors) {
        for (int rows : new int[] {256, 128}) {
            if (m >= rows && 4 * tmaTiles(m, n, rows) >= 3L * multiprocessors) return rows;
        }
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
     * layout's five parts (tiles, palettes, escape starts, escapes, escape positions) in the palette or window coding
     * ({@code w}), else the one row-major BF16 array; {@code kernel} is one of the wgmma kernels (TMA-fed, paired or
     * solo; the window coding only TMA-fed); the
     * TMA kernel cuts K into {@code splits} slices summed through {@code partial} ({@link FusedLinear#partialSize}).
     * Records the task's grid in {@code grids}.
     */
    static void addTo(TaskGraph g, String task, List<Object> weights, FusedLinear.Variant w, ShortArray x, ShortArray y, FloatArray partial, int m, long n, long k,
                      FusedLinear.Schedule s, Map<String, Grid> grids) {
        int rows = s.rowsPerCta(), splits = s.splits();
        FusedLinear.Kernel kernel = s.kernel();
        if (!supports(n, k)) throw new IllegalArgumentException("the wgmma kernels need n a multiple of 128 and k a multiple of 128, got " + n + " x " + k);
        if (!supports(n, k, kernel)) throw new IllegalArgumentException("the " + (kernel == FusedLinear.Kernel.WGMMA_TMA_PAIR ? "pair" : "wide") + " kernel needs n a multiple of 256, got " + n + " x " + k);
        if (w == FusedLinear.Variant.WINDOW && !kernel.tma()) throw new IllegalArgumentException(kernel + " reads no window-coded W; the TMA-fed kernel does");
        boolean palette = w.coded();
        if (weights.size() != (palette ? 5 : 1)) throw new IllegalArgumentException((palette ? "palette" : "BF16") + " W needs " + (palette ? 5 : 1) + " arrays, got " + weights.size());
        if (!splits(k, splits, kernel)) {
            throw new IllegalArgumentException("the TMA kernel splits K into slices of an even number of 64-column blocks (the half kernel: a multiple of 4), got "
                    + splits + " splits of k = " + k + " at " + rows + " rows for " + kernel);
        }
        Grid grid = grid(m, n, s, w);
        List<Object> args = new ArrayList<>();
        KernelMethod method;
        if (kernel == FusedLinear.Kernel.WGMMA_TMA_WIDE) {
            args.add(xMap(x, m, k, rows));
            if (palette) {   // the wide build's entries read window-coded W only
                args.add(tileMap(weights.getFirst(), n, k, WIDE_W_ROWS));
                args.addAll(weights);
            } else {
                args.add(wMap(weights.getFirst(), n, k, WIDE_W_ROWS));
            }
            args.addAll(List.of(y, partial, m, (int) n, (int) k, splits));
            String form = splits > 1 ? "Cluster" + rows + "x" + splits : (palette ? "" : "_") + rows;
            method = KernelMethod.of(WideTmaKernels.class, (palette ? "tmaWindow" : "tmaBf16") + form);
        } else if (kernel.tma()) {
            boolean half = kernel == FusedLinear.Kernel.WGMMA_TMA_HALF, cluster = kernel == FusedLinear.Kernel.WGMMA_TMA_CLUSTER || (half && splits > 1);
            boolean pair = kernel == FusedLinear.Kernel.WGMMA_TMA_PAIR;
            args.add(xMap(x, m, k, pair ? rows / 2 : rows));   // each CTA of a pair loads half of the X rows into both
            if (w == FusedLinear.Variant.WINDOW) args.add(tileMap(weights.getFirst(), n, k, half ? HALF_W_ROWS : W_ROWS));
            if (palette) args.addAll(weights);
            else args.add(wMap(weights.getFirst(), n, k, half ? HALF_W_ROWS : W_ROWS));
            args.addAll(List.of(y, partial, m, (int) n, (int) k, splits));
            String form = (half ? "Half" : "") + (cluster ? "Cluster" : "") + (kernel == FusedLinear.Kernel.WGMMA_TMA_MEET ? "Meet" : "") + (pair ? "Pair" : "");
            String entry = w == FusedLinear.Variant.WINDOW ? "tmaWindow" + form : palette ? "tmaPatch" : form.isEmpty() ? "tmaBf16_" : "tmaBf16" + form + (cluster ? "" : "_");
            method = KernelMethod.of(TmaKernels.class, entry + rows + (cluster ? "x" + splits : ""));
        } else {
            args.addAll(weights);
            args.addAll(List.of(x, y, m, (int) n, (int) k));
            method = KernelMethod.of(WgmmaKernels.class, (kernel == FusedLinear.Kernel.WGMMA ? "wgmma" : "wgmmaSolo") + (palette ? "Patch" : "Bf16_") + rows);
        }
        g.task(task, method, args.toArray());
        grids.put(g.name() + "." + task, grid);
    }
}
