package dev.weightless.tensorcore.gemm;

import dev.weightless.codec.CodecOptions;
import dev.weightless.io.container.CompressedFile;
import dev.weightless.io.container.TensorRecord;
import dev.weightless.jit.kernel.ByteArray;
import dev.weightless.jit.kernel.FloatArray;
import dev.weightless.jit.kernel.Grid;
import dev.weightless.jit.kernel.IntArray;
import dev.weightless.jit.kernel.KernelMethod;
import dev.weightless.jit.kernel.ShortArray;
import dev.weightless.tasks.DataTransferMode;
import dev.weightless.tasks.Device;
import dev.weightless.tasks.DeviceArray;
import dev.weightless.tasks.DeviceBuffer;
import dev.weightless.tasks.ExecutionPlan;
import dev.weightless.tasks.ImmutableTaskGraph;
import dev.weightless.tasks.TaskGraph;
import dev.weightless.tensorcore.layout.PaletteDecoder;
import dev.weightless.tensorcore.layout.PaletteEncoder;
import dev.weightless.tensorcore.layout.PaletteLayout;
import dev.weightless.tensorcore.layout.PaletteTensor;
import dev.weightless.tensorcore.transcode.DevicePalette;
import dev.weightless.tensorcore.transcode.DeviceLoader;
import dev.weightless.tensorcore.transcode.GpuTranscoder;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code Y[m x n] = X[m x k] . W^T} as a task of the task-graph runtime, W [n x k] in the palette layout
 * ({@link #palette}), already on the device ({@link #resident}, the GPU transcoder's output) or as plain
 * row-major BF16 ({@link #bf16}, the same kernel reading uncompressed weights: the bit-exactness reference
 * and the speed yardstick; {@link #twin} gives the one matching a coded W). W in the palette layout's window coding
 * ({@link Variant#WINDOW}, what {@link #fromWeightless} makes) is read by the patching, band and TMA-fed wgmma kernels'
 * window entries. Palette-coded W is read by one of two kernels, chosen per launch by the
 * {@link Schedule}: {@link Kernel#PATCH} (escapes patched through shared memory, variant 5) or
 * {@link Kernel#BALLOT} (escapes ranked by ballots, variant 4); {@link #schedule(int, Device)} picks the
 * one measured faster for the shape and batch size. {@link #upload} makes host-side W device-resident once (resident W is there
 * already); {@link #bind} then gives, for a batch size, a graph (and its grids) that any number of plans can run.
 * X and Y are BF16; Y, X and the split-K workspace are {@code UNDER_DEMAND}: copy them with the plan's
 * {@code transferToDevice/transferToHost} when they change.
 */
public final class FusedLinear {
    /** Warps per CTA in palette_gemm.cu. */
    static final int WARPS = 8;
    static final int ESCAPE_PADDING = 128;
    /** Strips per CTA of the band kernel (one per warp). */
    static final int BAND_STRIPS = 8;
    /** Warps per CTA of the narrow kernel. */
    static final int NARROW_WARPS = 4;

    /**
     * How W is held: the palette layout in its 3-bit palette coding (every coded kernel reads it), in its 4-bit window
     * coding (the patching, band and TMA-fed wgmma kernels' window entries: fewer escapes, faster decode, tiles in the
     * MMA fragment order; NOTES.md session 10), or plain BF16 read as the palette-coded kernels read it (BF16, their
     * bit-exact twins) or as the window-coded ones do (BF16_WINDOW: X and W in fragment order).
     */
    public enum Variant {
        PALETTE, WINDOW, BF16, BF16_WINDOW;

        static Variant of(PaletteLayout.Coding coding) { return coding == PaletteLayout.Coding.WINDOW ? WINDOW : PALETTE; }

        /** Whether W is in the palette layout (either coding), not plain BF16. */
        public boolean coded() { return this == PALETTE || this == WINDOW; }

        /** Whether a kernel has an entry for W held this way. */
        public boolean readBy(Kernel kernel) {
            boolean window = this == WINDOW || this == BF16_WINDOW;
            if (kernel == Kernel.PATCH_NARROW || kernel == Kernel.PATCH_CLUSTER || kernel == Kernel.WGMMA_TMA_CLUSTER || kernel == Kernel.WGMMA_TMA_HALF
                    || kernel == Kernel.WGMMA_TMA_WIDE || kernel == Kernel.WGMMA_TMA_MEET || kernel == Kernel.WGMMA_TMA_PAIR) return window;
            return !window || kernel == Kernel.PATCH || kernel == Kernel.PATCH_BAND || kernel == Kernel.WGMMA_TMA;
        }
    }

    /**
     * The kernel that reads W: patchGemm (variant 5) or paletteGemm (variant 4), whose BF16 twin is bf16Gemm;
     * PATCH_BAND, 16 rows of X only: patchBand16 (twin bf16Band16), the patching kernel with 8 strips per CTA walking
     * the same K tiles, one warp each, so that X's fragments are read from L1 by 7 of the 8; or for large M the wgmma kernels ({@link WgmmaGemm}): WGMMA_TMA, tmaPatch / tmaBf16_, fed by
     * the TMA, one CTA per tile; WGMMA, wgmmaPatch / wgmmaBf16_, the earlier kernel in clusters of two CTAs sharing W;
     * WGMMA_SOLO, wgmmaSoloPatch / wgmmaSoloBf16_, that kernel one CTA per tile; PATCH_NARROW, 8 rows of X and window-coded W
     * only: windowNarrow8 (twin bf16FragNarrow8), the patching kernel with 4 warps per CTA, so that twice the CTAs fit on a
     * multiprocessor (one wave where the strips fill them once: 14336 x 4096); PATCH_CLUSTER, 8 or 16 rows of X, window-coded W and
     * K split in 2, 4 or 8: windowCluster8x2/4/8 and windowCluster16x2/4/8, the patching kernel with a strip's splits in one
     * cluster, whose rank 0 adds their sums, stored into its shared memory by st.async (no workspace round trip); its twin is bf16Frag8 / bf16Frag16 at
     * the same splits, whose sums run in the same order. WGMMA_TMA_CLUSTER, window-coded W and K split in 2 or 4:
     * tmaWindowCluster{64,128,256}x{2,4} (twin tmaBf16Cluster*), the TMA-fed kernel with a tile's slices in one cluster,
     * whose CTAs add their sums through distributed shared memory (no workspace round trip): one CTA per slice, or, on a
     * persistent grid where the tiles' last round fits clusters of 2, whole tiles first and only that round's tiles split.
     * With one CTA per slice its Y equals WGMMA_TMA's at the same splits. WGMMA_TMA_HALF, window-coded W, 256 rows of X and
     * K in 1, 2 or 4 slices: tmaWindowHalf256 and tmaWindowHalfCluster256x{2,4} (twins tmaBf16Half_256, tmaBf16HalfCluster256x*),
     * the TMA-fed kernel on 64 W rows per CTA, its two consumer warpgroups on alternate K blocks, a tile's slices one
     * cluster: twice the tiles of the 128-row kernel with wgmma's widest shape, one CTA per slice (never persistent).
     * WGMMA_TMA_WIDE, window-coded W, n a multiple of 256, 64 rows of X and K in 1, 2 or 4 slices: the wide build's tmaWindow64 and
     * tmaWindowCluster64x{2,4} (twins tmaBf16_64, tmaBf16Cluster64x*; {@link WideTmaKernels}), the TMA-fed kernel with four
     * consumer warpgroups on 256 W rows per CTA, twice the decoding warps of the 128-row kernel's CTA: unsplit, one CTA per tile or
     * persistent; split, a tile's slices one cluster, one CTA per slice (NOTES.md session 19, w1, and session 20). WGMMA_TMA_MEET,
     * window-coded W, 128 or 256 rows of X and K split: tmaWindowMeet{128,256} (twin tmaBf16Meet_*), the TMA-fed kernel one CTA per slice, all resident
     * at once (a cooperative launch), a tile's slices meeting through the workspace so that each adds its share of the sums instead of
     * the last one adding all; its Y equals WGMMA_TMA's at the same splits (NOTES.md session 21, m). WGMMA_TMA_PAIR, window-coded W,
     * 256 rows of X, K unsplit, n a multiple of 256: tmaWindowPair256 (twin tmaBf16Pair_256), the TMA-fed kernel in clusters of 2 on
     * adjacent W tiles of the same X rows, each CTA loading half of X into both by multicast, so X is read from L2 once per pair;
     * one cluster per pair of tiles, or persistent; its Y equals WGMMA_TMA's (NOTES.md session 24, p2).
     */
    public enum Kernel {
        PATCH, BALLOT, WGMMA, WGMMA_SOLO, PATCH_BAND, WGMMA_TMA, PATCH_NARROW, PATCH_CLUSTER, WGMMA_TMA_CLUSTER, WGMMA_TMA_HALF, WGMMA_TMA_WIDE, WGMMA_TMA_MEET,
        WGMMA_TMA_PAIR;

        /** Whether this is one of the wgmma kernels (large M, {@link WgmmaGemm}). */
        public boolean wgmma() { return this == WGMMA || this == WGMMA_SOLO || tma(); }

        /** Whether this is the TMA-fed wgmma kernel, its split K summed through the workspace (by the last slice or all meeting) or in a cluster, or its half, wide or pair form. */
        public boolean tma() {
            return this == WGMMA_TMA || this == WGMMA_TMA_CLUSTER || this == WGMMA_TMA_HALF || this == WGMMA_TMA_WIDE || this == WGMMA_TMA_MEET || this == WGMMA_TMA_PAIR;
        }

        /**
         * Whether the kernel can run persistent at {@code splits} slices of K (a CTA limit, {@link Schedule#persistent}): the TMA-fed
         * one but its half form, the wide and pair forms unsplit only.
         */
        boolean persists(int splits) { return this == WGMMA_TMA || this == WGMMA_TMA_CLUSTER || ((this == WGMMA_TMA_WIDE || this == WGMMA_TMA_PAIR) && splits == 1); }

        /** Whether this mma.sync kernel has an entry for {@code rows} rows of X per CTA (8, 16, 32 or 64). */
        boolean takesRows(int rows) {
            return switch (this) {
                case PATCH_BAND -> rows == 16;
                case PATCH_NARROW -> rows == 8;
                case PATCH_CLUSTER -> rows <= 16;
                default -> true;
            };
        }
    }


    /**
     * How the product is cut: {@code splits} slices of K, each its own CTAs, summed in order by the last CTA of
     * each strip (or band); {@code rowsPerCta} rows of X per CTA; which palette kernel runs; for the TMA-fed wgmma
     * kernel, {@code ctas}: at most this many CTAs, each taking its tiles' slices of K in turn (persistent: one per
     * multiprocessor, see {@link #persistent}), or 0 for one CTA per slice.
     */
    public record Schedule(int splits, int rowsPerCta, Kernel kernel, int ctas) {
        public Schedule {
            if (splits < 1) throw new IllegalArgumentException("splits must be >= 1, got " + splits);
            if (kernel == null) throw new IllegalArgumentException("kernel must not be null");
            if (ctas < 0 || (ctas != 0 && !kernel.persists(splits))) {
                throw new IllegalArgumentException("a CTA limit (" + ctas + ") is for the TMA-fed wgmma kernel only (not its half form, its wide and pair forms unsplit), >= 0; got it for "
                        + kernel + " at " + splits + " splits");
            }
            if (kernel.wgmma()) {
                WgmmaGemm.stages(rowsPerCta); // 64, 128 or 256
                if (splits != 1 && !kernel.tma()) {
                    throw new IllegalArgumentException("only the TMA-fed wgmma kernel splits K; got splits " + splits + " for " + kernel + " at " + rowsPerCta + " rows");
                }
                if (kernel == Kernel.WGMMA_TMA_CLUSTER && splits != 2 && splits != 4) {
                    throw new IllegalArgumentException("the TMA kernel's cluster finish takes 2 or 4 splits of K, got " + splits);
                }
                if (kernel == Kernel.WGMMA_TMA_HALF && (rowsPerCta != 256 || (splits != 1 && splits != 2 && splits != 4))) {
                    throw new IllegalArgumentException("the half kernel takes 256 rows of X per CTA and 1, 2 or 4 splits of K, got " + rowsPerCta + " rows, " + splits + " splits");
                }
                if (kernel == Kernel.WGMMA_TMA_WIDE && (rowsPerCta != 64 || (splits != 1 && splits != 2 && splits != 4))) {
                    throw new IllegalArgumentException("the wide kernel takes 64 rows of X per CTA and 1, 2 or 4 splits of K, got " + rowsPerCta + " rows, " + splits + " splits");
                }
                if (kernel == Kernel.WGMMA_TMA_MEET && (rowsPerCta == 64 || splits < 2)) {
                    throw new IllegalArgumentException("the meet kernel takes 128 or 256 rows of X per CTA and 2 or more splits of K, got " + rowsPerCta + " rows, " + splits + " splits");
                }
                if (kernel == Kernel.WGMMA_TMA_PAIR && (rowsPerCta != 256 || splits != 1)) {
                    throw new IllegalArgumentException("the pair kernel takes 256 rows of X per CTA and K unsplit, got " + rowsPerCta + " rows, " + splits + " splits");
                }
            } else if (rowsPerCta != 8 && rowsPerCta != 16 && rowsPerCta != 32 && rowsPerCta != 64) {
                throw new IllegalArgumentException("rowsPerCta must be 8, 16, 32 or 64, got " + rowsPerCta);
            } else if (kernel == Kernel.PATCH_BAND && !kernel.takesRows(rowsPerCta)) {
                throw new IllegalArgumentException("the band kernel takes 16 rows of X per CTA, got " + rowsPerCta);
            } else if (kernel == Kernel.PATCH_NARROW && !kernel.takesRows(rowsPerCta)) {
                throw new IllegalArgumentException("the narrow kernel takes 8 rows of X per CTA, got " + rowsPerCta);
            } else if (kernel == Kernel.PATCH_CLUSTER && (!kernel.takesRows(rowsPerCta) || (splits != 2 && splits != 4 && splits != 8))) {
                throw new IllegalArgumentException("the cluster kernel takes 8 or 16 rows of X per CTA and 2, 4 or 8 splits of K, got " + rowsPerCta + " rows, " + splits + " splits");
            }
        }

        /** One CTA per slice of K (the TMA-fed kernel not persistent). */
        public Schedule(int splits, int rowsPerCta, Kernel kernel) { this(splits, rowsPerCta, kernel, 0); }

        public Schedule(int splits, int rowsPerCta) { this(splits, rowsPerCta, Kernel.PATCH); }

        public Schedule with(Kernel k) { return new Schedule(splits, rowsPerCta, k, k.persists(splits) ? ctas : 0); }

        /**
         * The TMA-fed kernel on one CTA per multiprocessor, each filling its ring for its next tile while it finishes
         * one (on the H200 up to 9% faster at M >= 1024, within 1.5% at M = 64 and 256: NOTES.md, session 11); its cluster
         * finish too, where then only the tiles of the last, partial round are split ({@link WgmmaGemm#grid}); the wide kernel
         * unsplit; other kernels (the half kernel among them, and the wide one split) unchanged.
         */
        public Schedule persistent(int multiprocessors) {
            if (multiprocessors < 1) throw new IllegalArgumentException("multiprocessors must be >= 1, got " + multiprocessors);
            return kernel.persists(splits) ? new Schedule(splits, rowsPerCta, kernel, multiprocessors) : this;
        }
    }

    /** A graph for one batch size and the grid of each of its tasks. */
    public record Bound(ImmutableTaskGraph graph, Map<String, Grid> grids, FloatArray partial) {
        /** A plan for this graph with its grids set. */
        public ExecutionPlan plan(Device device) { return plan(device, graph, grids); }

        /** A plan for any graph of these kernels, with the grids {@link #addTo} recorded. */
        public static ExecutionPlan plan(Device device, ImmutableTaskGraph graph, Map<String, Grid> grids) {
            ExecutionPlan plan = new ExecutionPlan(device, FusedKernels.compiler(), List.of(graph));
            grids.forEach(plan::withGrid);
            return plan;
        }
    }

    private final Variant variant;
    private final long n, k;
    private final List<Object> weights;

    private FusedLinear(Variant variant, long n, long k, List<Object> weights) {
        this.variant = variant;
        this.n = n;
        this.k = k;
        this.weights = List.copyOf(weights);
        if (n > Integer.MAX_VALUE || k > Integer.MAX_VALUE) throw new IllegalArgumentException("n and k must fit an int: " + n + " x " + k);
    }

    /**
     * W in the palette layout, all five parts; its escape offsets and positions are validated here, since the
     * kernels trust them. Segments must be native.
     */
    public static FusedLinear palette(PaletteTensor w, Arena arena) {
        PaletteDecoder.validate(w);
        // The ballot kernel loads each tile's escapes as one 128-byte window from the tile's first escape
        // (rounded down to 4 bytes), so the list on the device carries 128 bytes of padding.
        MemorySegment escapes = arena.allocate(w.escapes().byteSize() + ESCAPE_PADDING, 4);
        MemorySegment.copy(w.escapes(), 0, escapes, 0, w.escapes().byteSize());
        return new FusedLinear(Variant.of(w.coding()), w.rows(), w.cols(), List.of(new ByteArray(w.tiles()), new ByteArray(w.palettes()), new IntArray(w.escapeStarts()),
                new ByteArray(escapes), new ShortArray(nonEmpty(w.escapePositions(), arena))));
    }

    /**
     * W transcoded on the device ({@link GpuTranscoder}), read by the palette kernels in place: nothing is
     * uploaded, and {@code w} must stay open while plans use it.
     */
    public static FusedLinear resident(DevicePalette w) {
        return new FusedLinear(Variant.of(w.coding()), w.rows(), w.cols(), List.of(w.tiles(), w.palettes(), w.escapeStarts(), w.escapes(), w.escapePositions()));
    }


    /** A device buffer is never empty: an empty part becomes a zeroed one of 16 bytes (the kernel reads none of it). */
    private static MemorySegment nonEmpty(MemorySegment s, Arena arena) { return s.byteSize() > 0 ? s : arena.allocate(16, 16); }

    /** W as row-major BF16 [n x k]: n a multiple of 16, k of 64; the palette-coded kernels' twin. */
    public static FusedLinear bf16(MemorySegment w, long n, long k) { return bf16(w, n, k, PaletteLayout.Coding.PALETTE); }

    /** W as row-major BF16 [n x k], read as the kernels of {@code coding} read their tiles (the bit-exact twin of W held in it). */
    public static FusedLinear bf16(MemorySegment w, long n, long k, PaletteLayout.Coding coding) {
        PaletteTensor.checkShape(n, k);
        if (w.byteSize() != Math.multiplyExact(Math.multiplyExact(n, k), 2L)) throw new IllegalArgumentException("W has " + w.byteSize() + " bytes, " + n + " x " + k + " BF16 needs " + n * k * 2);
        return new FusedLinear(coding == PaletteLayout.Coding.WINDOW ? Variant.BF16_WINDOW : Variant.BF16, n, k, List.of(new ShortArray(w)));
    }

    /** {@code w}, the BF16 original of this operator's W, as the operator whose products equal this one's bit for bit. */
    public FusedLinear twin(MemorySegment w) {
        return bf16(w, n, k, variant == Variant.WINDOW || variant == Variant.BF16_WINDOW ? PaletteLayout.Coding.WINDOW : PaletteLayout.Coding.PALETTE);
    }

    /** An operator whose W lives only on the device, and the hold on W: close it when done with the operator. */
    public record OnDevice(FusedLinear linear, DeviceLoader.Loaded weights) implements AutoCloseable {
        @Override public void close() { weights.close(); }
    }

    /**
     * A 2-D BF16 tensor of a Weightless file, on the GPU path: decoded on {@code device} by the GPU Huffman
     * decoder where it takes the tensor, and transcoded there by {@link GpuTranscoder} to the window coding (one
     * window per tensor); the BF16 never returns to the host ({@link DeviceLoader} says what falls back to a CPU decode,
     * and when the CRC32C is checked: {@code verify}).
     */
    public static OnDevice fromWeightless(CompressedFile file, TensorRecord tensor, Device device, boolean verify) {
        return fromWeightless(file, tensor, new DeviceLoader(device), verify, PaletteLayout.Coding.WINDOW);
    }

    /** As {@link #fromWeightless(CompressedFile, TensorRecord, Device, boolean)} through {@code loader} (tests: a fake device's compiler). */
    public static OnDevice fromWeightless(CompressedFile file, TensorRecord tensor, DeviceLoader loader, boolean verify) {
        return fromWeightless(file, tensor, loader, verify, PaletteLayout.Coding.WINDOW);
    }

    /** As {@link #fromWeightless(CompressedFile, TensorRecord, DeviceLoader, boolean)}, in {@code coding}. */
    public static OnDevice fromWeightless(CompressedFile file, TensorRecord tensor, DeviceLoader loader, boolean verify, PaletteLayout.Coding coding) {
        checkLinear(file, tensor);
        DeviceLoader.Loaded loaded = loader.load(file, tensor, verify, coding);
        return new OnDevice(resident(loaded.palette()), loaded);
    }

    /**
     * A 2-D BF16 tensor of a Weightless file, decoded and transcoded to the palette layout's window coding on the
     * CPU (a window per tile): its CRC32C is checked by the decode. This is the path
     * without a device; with one, {@link #fromWeightless(CompressedFile, TensorRecord, Device, boolean)}
     * does both steps on the GPU.
     */
    public static FusedLinear fromWeightless(CompressedFile file, TensorRecord tensor, Arena arena) {
        long[] shape = checkLinear(file, tensor);
        MemorySegment bf16 = arena.allocate(tensor.byteSize(), 2);
        file.decode(tensor, bf16, CodecOptions.defaults());
        return palette(PaletteEncoder.encode(bf16, shape[0], shape[1], PaletteEncoder.Scope.TILE, PaletteLayout.Coding.WINDOW, arena), arena);
    }

    /** The shape of {@code tensor} if it can be W: two dimensions, BF16, n a multiple of 16, k of 64. */
    public static long[] checkLinear(CompressedFile file, TensorRecord tensor) {
        long[] shape = tensor.shape();
        if (shape.length != 2) throw new IllegalArgumentException(file.source() + ": tensor " + tensor.name() + " has shape " + java.util.Arrays.toString(shape) + ", a linear layer needs 2 dimensions");
        if (tensor.dtype() != dev.weightless.io.safetensors.Dtype.BF16) throw new IllegalArgumentException(file.source() + ": tensor " + tensor.name() + " is " + tensor.dtype() + ", not BF16");
        try {
            PaletteTensor.checkShape(shape[0], shape[1]);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file.source() + ": tensor " + tensor.name() + ": " + e.getMessage(), e);
        }
        return shape;
    }

    public Variant variant() { return variant; }

    public long n() { return n; }

    public long k() { return k; }

    /** Bytes of W held on the device: the layout's five parts with the escape list's padding, or 2 n k. */
    public long weightBytes() {
        long total = 0;
        for (Object w : weights) total += switch (w) {
            case DeviceArray d -> d.bytes();
            case ByteArray b -> b.size();
            case IntArray i -> i.size() * 4;
            case ShortArray s -> s.size() * 2;
            default -> throw new IllegalStateException();
        };
        return total;
    }

    /** Copies W to the device once; the returned buffers keep it there (close them to free it). Resident W: nothing to copy, an empty list. */
    public List<DeviceBuffer> upload(Device device) {
        List<DeviceBuffer> held = new ArrayList<>();
        try {
            for (Object w : hostWeights()) {
                DeviceBuffer b = device.buffer(w);
                held.add(b);
                b.copyFromHost();
            }
        } catch (RuntimeException | Error e) {
            held.forEach(DeviceBuffer::close);
            throw e;
        }
        return held;
    }

    /**
     * The cut for batch size m on {@code device}: on an H200 the measured best kernel, splits and tile for this
     * shape ({@link ScheduleTable#h200()}) when it was measured, otherwise {@link #schedule(int, int)}'s rule.
     */
    public Schedule schedule(int m, Device device) {
        Schedule rule = schedule(m, device.multiprocessors());
        if (!device.name().contains("H200")) return rule;
        return tabled(H200_TABLE, m, device.multiprocessors()).orElse(rule);
    }

    /**
     * {@code table}'s choice for this shape at batch size m, when it has one this operator can run (mma.sync kernels at the rule's
     * rows, where the kernel has an entry for them: a narrow choice made at M = 4 does not apply at M = 9, 16 rows). A meet choice
     * whose CTAs would not all fit the multiprocessors at m (more tiles than at the M it was measured at) meets in fewer slices
     * where they fit, else runs unsplit on the persistent grid: more slices than SMs would put several slices on each CTA and
     * the finish through the workspace.
     */
    Optional<Schedule> tabled(ScheduleTable table, int m, int multiprocessors) {
        return table.choice(n, k, m)
                .filter(c -> variant.readBy(c.kernel()))
                .filter(c -> c.kernel().wgmma() ? WgmmaGemm.supports(n, k, c.kernel()) && WgmmaGemm.splits(k, c.splits(), c.kernel()) : c.splits() <= k / 64)
                .filter(c -> c.kernel().wgmma() || c.kernel().takesRows(mmaSchedule(m, multiprocessors).rowsPerCta()))
                .map(c -> c.kernel().wgmma() ? new Schedule(c.splits(), c.rows(), c.kernel()).persistent(multiprocessors)
                        : new Schedule(c.splits(), mmaSchedule(m, multiprocessors).rowsPerCta(), c.kernel()))
                .map(s -> s.kernel() == Kernel.WGMMA_TMA_MEET ? meetAt(m, s, multiprocessors) : s);
    }

    /** {@code meet} at batch size m: its splits, or the most of their halves whose CTAs all fit at once, or unsplit. */
    private Schedule meetAt(int m, Schedule meet, int multiprocessors) {
        for (int splits = meet.splits(); splits >= 2; splits /= 2) {
            Schedule fewer = new Schedule(splits, meet.rowsPerCta(), Kernel.WGMMA_TMA_MEET);
            if (WgmmaGemm.meetFits(m, n, fewer, multiprocessors)) return fewer;
        }
        return new Schedule(1, meet.rowsPerCta(), Kernel.WGMMA_TMA).persistent(multiprocessors);
    }

    private static final ScheduleTable H200_TABLE = ScheduleTable.h200();

    /**
     * The default cut: the TMA-fed wgmma kernel where {@link WgmmaGemm#pays} (n and k multiples of 128, M >= 256 and
     * enough CTAs; {@link WgmmaGemm#rows} picks its tile); otherwise one split when the strips alone give
     * every multiprocessor a CTA, else enough splits to give two (a threshold of two CTAs measured faster at M = 1
     * on 4096 x 14336, but slower at M = 256 on 1024 x 4096: session 7, NOTES.md); the patching kernel up to m = 64 (measured
     * faster than the ballot kernel there on every benchmarked shape, H200 run 6: NOTES.md), the ballot kernel
     * above (measured faster than the patching kernel of run 2; today's is unmeasured there) unless W is window-coded
     * (the ballot kernel reads only the palette coding).
     */
    public Schedule schedule(int m, int multiprocessors) {
        if (WgmmaGemm.pays(m, n, k, multiprocessors)) return new Schedule(1, WgmmaGemm.rows(m, n, multiprocessors), Kernel.WGMMA_TMA, multiprocessors);
        return mmaSchedule(m, multiprocessors);
    }

    /** The rule for the mma.sync kernels (patching, ballot) alone, at any m: {@link #schedule(int, int)} where the wgmma kernels do not pay. */
    public Schedule mmaSchedule(int m, int multiprocessors) {
        int rows = m <= 8 ? 8 : m <= 16 ? 16 : m <= 32 ? 32 : 64;
        long ctas = (n / 16) * Math.ceilDiv(m, rows);
        long kTiles = k / 64;
        int splits = ctas >= multiprocessors ? 1 : (int) Math.min(Math.max(1, kTiles / WARPS), Math.ceilDiv(2L * multiprocessors, ctas));
        return new Schedule(splits, rows, m <= 64 || !variant.readBy(Kernel.BALLOT) ? Kernel.PATCH : Kernel.BALLOT);
    }

    /**
     * FP32 values of the split-K workspace a product needs (1 when unsplit: buffers are never empty): the splits'
     * sums, then one counter per strip and M chunk (zero when allocated; each launch leaves them at zero); for the
     * TMA-fed wgmma kernel, the slices' sums per tile of 128 W rows by rowsPerCta X rows, then one counter per tile.
     */
    public long partialSize(int m, Schedule s) {
        if (s.splits() == 1) return 1;
        if (s.kernel() == Kernel.WGMMA_TMA_CLUSTER || s.kernel() == Kernel.WGMMA_TMA_HALF || s.kernel() == Kernel.WGMMA_TMA_WIDE) return 1;   // slices meet in shared memory, the twins' too
        if (s.kernel() == Kernel.WGMMA_TMA || s.kernel() == Kernel.WGMMA_TMA_MEET) {   // per slice and tile its rows x 128 sums, then a counter per tile
            long tiles = WgmmaGemm.tmaTiles(m, n, s.rowsPerCta());
            return Math.addExact(Math.multiplyExact(Math.multiplyExact((long) s.splits(), tiles), 128L * s.rowsPerCta()), tiles);
        }
        return Math.addExact(Math.multiplyExact(Math.multiplyExact((long) s.splits(), m), n), Math.multiplyExact(n / 16, (long) Math.ceilDiv(m, s.rowsPerCta())));
    }

    /** The host arrays holding W, for a graph's {@code transferToDevice(UNDER_DEMAND, ...)} (they are uploaded by {@link #upload}); none for resident W. */
    public Object[] weightArrays() { return hostWeights().toArray(); }

    /** Whether W lives only on the device ({@link #resident}). */
    public boolean isResident() { return weights.getFirst() instanceof DeviceArray; }

    private List<Object> hostWeights() { return weights.stream().filter(w -> !(w instanceof DeviceArray)).toList(); }

    /**
     * Adds to {@code g} the task {@code task} computing {@code y} (m x n BF16) from {@code x} (m x k BF16), and
     * split or not (a split product's last CTAs add the splits' sums); puts the task's grid in {@code grids}. The caller names x, partial,
     * y and {@link #weightArrays()} in the graph's transfers, once each, however many products it adds.
     */
    public void addTo(TaskGraph g, String task, ShortArray x, ShortArray y, FloatArray partial, int m, Schedule s, Map<String, Grid> grids) {
        if (m < 1) throw new IllegalArgumentException("m must be >= 1, got " + m);
        if (x.size() != Math.multiplyExact((long) m, k)) throw new IllegalArgumentException("x has " + x.size() + " values, " + m + " x " + k + " expected");
        if (y.size() != Math.multiplyExact((long) m, n)) throw new IllegalArgumentException("y has " + y.size() + " values, " + m + " x " + n + " expected");
        if (s.splits() > k / 64) throw new IllegalArgumentException("splits " + s.splits() + " exceeds the " + k / 64 + " tiles along k");
        if (partial.size() < partialSize(m, s)) throw new IllegalArgumentException("partial has " + partial.size() + " values, " + partialSize(m, s) + " needed");
        if (!variant.readBy(s.kernel())) throw new IllegalArgumentException(s.kernel() + " has no entry for " + variant + " W");
        if (s.kernel().wgmma()) {
            WgmmaGemm.addTo(g, task, weights, variant, x, y, partial, m, n, k, s, grids);
            return;
        }
        boolean band = s.kernel() == Kernel.PATCH_BAND;
        long bands = band ? Math.ceilDiv(n / 16, (long) BAND_STRIPS) : n / 16;
        long ctas = Math.multiplyExact(Math.multiplyExact(bands, (long) s.splits()), (long) Math.ceilDiv(m, s.rowsPerCta()));
        if (ctas > Integer.MAX_VALUE) throw new IllegalArgumentException("grid of " + ctas + " CTAs is too large");
        boolean narrow = s.kernel() == Kernel.PATCH_NARROW, cluster = s.kernel() == Kernel.PATCH_CLUSTER;
        String kernel = switch (variant) {
            case BF16 -> band ? "bf16Band" : "bf16Gemm";
            case BF16_WINDOW -> band ? "bf16FragBand" : narrow ? "bf16FragNarrow" : "bf16Frag";   // the cluster kernel's twin: bf16Frag
            case WINDOW -> band ? "windowBand" : narrow ? "windowNarrow" : cluster ? "windowCluster" : "windowGemm";
            case PALETTE -> band ? "patchBand" : s.kernel() == Kernel.PATCH ? "patchGemm" : "paletteGemm";
        } + s.rowsPerCta() + (cluster && variant == Variant.WINDOW ? "x" + s.splits() : "");
        // The ballot kernel reads four parts (no escape positions), the patching kernels all five.
        List<Object> args = new ArrayList<>(variant == Variant.PALETTE && s.kernel() == Kernel.BALLOT ? weights.subList(0, 4) : weights);
        args.addAll(List.of(x, y, partial, m, (int) n, (int) k, s.splits()));
        g.task(task, KernelMethod.of(FusedKernels.class, kernel), args.toArray());
        grids.put(g.name() + "." + task, new Grid(ctas, (narrow ? NARROW_WARPS : WARPS) * 32));
    }

    /** A graph {@code name} of this one product, with its workspace; x, y and the workspace are {@code UNDER_DEMAND}. */
    public Bound bind(String name, ShortArray x, ShortArray y, int m, Schedule s, Arena arena) {
        FloatArray partial = FloatArray.allocate(arena, partialSize(m, s));
        TaskGraph g = new TaskGraph(name);
        if (!isResident()) g.transferToDevice(DataTransferMode.UNDER_DEMAND, weightArrays());
        g.transferToDevice(DataTransferMode.UNDER_DEMAND, x, partial)
                .transferToHost(DataTransferMode.UNDER_DEMAND, y);
        Map<String, Grid> grids = new LinkedHashMap<>();
        addTo(g, "gemm", x, y, partial, m, s, grids);
        return new Bound(g.snapshot(), grids, partial);
    }
}
