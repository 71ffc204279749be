package dev.weightless.tensorcore.layout;

import dev.weightless.tensorcore.layout.PaletteLayout.Coding;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Objects;

import static dev.weightless.tensorcore.layout.PaletteLayout.*;

/**
 * The CPU reference encoder of the palette layout: row-major little-endian BF16 in, {@link PaletteTensor}
 * out, in either coding. {@link Coding#PALETTE}: each tile's palette holds the 7 exponents most frequent in
 * the tile ({@link Scope#TILE}) or in the whole matrix ({@link Scope#TENSOR}); any other exponent is coded 7.
 * {@link Coding#WINDOW}: each tile's window base b (0..240) is the one whose window b..b+14 holds the most
 * exponents of the tile or of the matrix; any exponent outside it is coded 15. Escaped exponents go to the
 * escape list in tile, lane, weight order.
 */
public final class PaletteEncoder {
    /** Where the palette's (or window's) exponents are counted. */
    public enum Scope { TILE, TENSOR }

    private static final ValueLayout.OfShort BF16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;

    private PaletteEncoder() {}

    /** The 3-bit palette coding ({@link Coding#PALETTE}). */
    public static PaletteTensor encode(MemorySegment bf16, long rows, long cols, Scope scope, Arena arena) {
        return encode(bf16, rows, cols, scope, Coding.PALETTE, arena);
    }

    /**
     * {@code bf16} (rows x cols, row-major little-endian BF16) in the palette layout's {@code coding}, each tile's
     * palette or window chosen from the exponents counted over {@code scope}; the parts are allocated in {@code arena}.
     */
    public static PaletteTensor encode(MemorySegment bf16, long rows, long cols, Scope scope, Coding coding, Arena arena) {
        Objects.requireNonNull(scope, "scope");
        Objects.requireNonNull(coding, "coding");
        PaletteTensor.checkShape(rows, cols);
        long bytes = Math.multiplyExact(Math.multiplyExact(rows, cols), 2L);
        if (bf16.byteSize() != bytes) throw new IllegalArgumentException("a " + rows + " x " + cols + " BF16 matrix has " + bytes + " bytes, the segment " + bf16.byteSize());
        long tileCount = PaletteTensor.tileCount(rows, cols);
        long tilesPerStrip = cols / TILE_COLS;
        MemorySegment tiles = arena.allocate(Math.multiplyExact(tileCount, (long) coding.tileBytes()), 16);
        MemorySegment palettes = arena.allocate(Math.multiplyExact(tileCount, (long) PALETTE_SIZE), 8);
        MemorySegment starts = arena.allocate(Math.multiplyExact(tileCount + 1, 4L), 4);
        byte[] tensorPalette = scope == Scope.TENSOR ? paletteEntry(coding, histogram(bf16)) : null;

        // Pass 1: palettes and escape counts per tile (in starts[t + 1]); pass 2 writes tiles and escapes.
        boolean parallel = Parallelism.allowed(bf16, tiles);
        Parallelism.range(tileCount, parallel).forEach(t -> {
            byte[] palette = tensorPalette != null ? tensorPalette : paletteEntry(coding, tileHistogram(bf16, cols, t / tilesPerStrip, t % tilesPerStrip));
            MemorySegment.copy(palette, 0, palettes, ValueLayout.JAVA_BYTE, t * PALETTE_SIZE, PALETTE_SIZE);
            int[] codeOf = codeMap(coding, palette);
            int escapes = 0;
            long base = origin(cols, t / tilesPerStrip, t % tilesPerStrip);
            for (int r = 0; r < TILE_ROWS; r++) {
                for (int c = 0; c < TILE_COLS; c++) {
                    int v = bf16.getAtIndex(BF16, base + r * cols + c) & 0xFFFF;
                    if (codeOf[(v >>> 7) & 0xFF] == coding.escapeCode()) escapes++;
                }
            }
            starts.setAtIndex(INT, t + 1, escapes);
        });
        long total = 0;
        for (long t = 0; t < tileCount; t++) {
            total += starts.getAtIndex(INT, t + 1);
            if (total > Integer.MAX_VALUE) throw new IllegalArgumentException("more than 2^31 - 1 escaped exponents: the palette layout cannot hold this matrix");
            starts.setAtIndex(INT, t + 1, (int) total);
        }
        MemorySegment escapes = arena.allocate(total, 1);
        MemorySegment positions = arena.allocate(Math.multiplyExact(total, 2L), 2);
        Parallelism.range(tileCount, parallel).forEach(t -> writeTile(coding, bf16, cols, t, tilesPerStrip, tiles, palettes, starts, escapes, positions));
        return new PaletteTensor(rows, cols, tiles, palettes, starts, escapes, positions, coding);
    }

    private static void writeTile(Coding coding, MemorySegment bf16, long cols, long t, long tilesPerStrip, MemorySegment tiles, MemorySegment palettes,
                                  MemorySegment starts, MemorySegment escapes, MemorySegment positions) {
        byte[] palette = new byte[PALETTE_SIZE];
        MemorySegment.copy(palettes, ValueLayout.JAVA_BYTE, t * PALETTE_SIZE, palette, 0, PALETTE_SIZE);
        int[] codeOf = codeMap(coding, palette);
        long base = origin(cols, t / tilesPerStrip, t % tilesPerStrip);
        int tileBytes = coding.tileBytes();
        MemorySegment tile = tiles.asSlice(t * tileBytes, tileBytes);
        long escape = starts.getAtIndex(INT, t);
        int[] words = new int[4]; // a lane's code words: three (palette) or four (window)
        int[] values = new int[LANE_WEIGHTS];
        for (int lane = 0; lane < LANES; lane++) {
            for (int j = 0; j < LANE_WEIGHTS; j++) values[j] = bf16.getAtIndex(BF16, base + row(lane, j) * cols + col(coding, lane, j)) & 0xFFFF;
            Arrays.fill(words, 0);
            for (int j = 0; j < LANE_WEIGHTS; j++) {
                int v = values[j];
                int exponent = (v >>> 7) & 0xFF;
                int code = codeOf[exponent];
                if (code == coding.escapeCode()) {
                    positions.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, escape, (short) escapePosition(lane, j));
                    escapes.set(ValueLayout.JAVA_BYTE, escape++, (byte) exponent);
                }
                if (coding == Coding.PALETTE) {
                    for (int b = 0; b < 3; b++) {
                        int bit = codeBit(j, b);
                        words[bit >>> 5] |= ((code >>> b) & 1) << (bit & 31);
                    }
                } else {
                    // Word j / 8 of the lane's four; byte and nibble as windowCodeOffset / windowCodeShift say.
                    words[j >>> 3] |= code << (8 * (windowCodeOffset(lane, j) & 3) + windowCodeShift(j));
                }
                tile.set(ValueLayout.JAVA_BYTE, planeOffset(coding, lane, j), (byte) planeByte(v, values[j ^ 1]));
            }
            if (coding == Coding.PALETTE) {
                for (int w = 0; w < 3; w++) tile.set(INT, codeWordOffset(lane, w), words[w]);
            } else {
                for (int w = 0; w < 4; w++) tile.set(INT, windowCodeOffset(lane, 8 * w), words[w]);
            }
        }
        if (escape != starts.getAtIndex(INT, t + 1)) throw new IllegalStateException("tile " + t + ": escape count changed between passes");
    }

    /** Index of the first weight of tile (strip, kt) in the row-major matrix. */
    static long origin(long cols, long strip, long kt) { return strip * TILE_ROWS * cols + kt * TILE_COLS; }

    public static long[] histogram(MemorySegment bf16) {
        long[] counts = new long[256];
        long n = bf16.byteSize() / 2;
        for (long i = 0; i < n; i++) counts[(bf16.getAtIndex(BF16, i) >>> 7) & 0xFF]++;
        return counts;
    }

    private static long[] tileHistogram(MemorySegment bf16, long cols, long strip, long kt) {
        long[] counts = new long[256];
        long base = origin(cols, strip, kt);
        for (int r = 0; r < TILE_ROWS; r++) {
            for (int c = 0; c < TILE_COLS; c++) counts[(bf16.getAtIndex(BF16, base + r * cols + c) >>> 7) & 0xFF]++;
        }
        return counts;
    }

    /** The 8-byte palette entry of a tile whose exponents (or the tensor's) have these 256 counts, in {@code coding}. */
    public static byte[] paletteEntry(Coding coding, long[] counts) {
        if (coding == Coding.PALETTE) return palette(counts);
        byte[] entry = new byte[PALETTE_SIZE];
        entry[0] = (byte) windowBase(counts);
        return entry;
    }

    /** The 7 most frequent exponents (ties: the smaller exponent first), padded with unused values; entry 7 is 0. */
    public static byte[] palette(long[] counts) {
        byte[] palette = new byte[PALETTE_SIZE];
        boolean[] taken = new boolean[256];
        for (int slot = 0; slot < ESCAPE_CODE; slot++) {
            int best = -1;
            for (int e = 0; e < 256; e++) if (!taken[e] && (best < 0 || counts[e] > counts[best])) best = e;
            taken[best] = true;
            palette[slot] = (byte) best;
        }
        return palette;
    }

    /** The window base b in 0..240 whose window b..b+14 holds the most of these 256 exponent counts; ties to the smaller b. */
    public static int windowBase(long[] counts) {
        if (counts.length != 256) throw new IllegalArgumentException("256 exponent counts expected, got " + counts.length);
        long inWindow = 0;
        for (int e = 0; e < WINDOW_EXPONENTS; e++) inWindow += counts[e];
        long best = inWindow;
        int bestBase = 0;
        for (int b = 1; b <= MAX_WINDOW_BASE; b++) {
            inWindow += counts[b + WINDOW_EXPONENTS - 1] - counts[b - 1];
            if (inWindow > best) { // strictly more: ties keep the smaller base
                best = inWindow;
                bestBase = b;
            }
        }
        return bestBase;
    }

    /** Code of each exponent under a palette entry of {@code coding}: its slot or offset in the window, or the escape code. */
    static int[] codeMap(Coding coding, byte[] palette) {
        int[] codeOf = new int[256];
        Arrays.fill(codeOf, coding.escapeCode());
        if (coding == Coding.PALETTE) {
            for (int slot = ESCAPE_CODE - 1; slot >= 0; slot--) codeOf[palette[slot] & 0xFF] = slot;
        } else {
            int b = palette[0] & 0xFF;
            for (int c = 0; c < WINDOW_EXPONENTS; c++) codeOf[b + c] = c;
        }
        return codeOf;
    }
}
