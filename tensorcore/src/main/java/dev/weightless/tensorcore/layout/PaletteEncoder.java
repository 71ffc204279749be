package dev.weightless.tensorcore.layout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static dev.weightless.tensorcore.layout.PaletteLayout.*;

/**
 * The CPU reference encoder of the palette layout: row-major little-endian BF16 in, {@link PaletteTensor}
 * out. Each tile's palette holds the 7 exponents most frequent in the tile ({@link Scope#TILE}) or in the
 * whole matrix ({@link Scope#TENSOR}); any other exponent is coded 7 and listed in the escape list.
 */
public final class PaletteEncoder {
    /** Where the palette's exponents are counted. */
    public enum Scope { TILE, TENSOR }

    private static final ValueLayout.OfShort BF16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;

    private PaletteEncoder() {}

    public static PaletteTensor encode(MemorySegment bf16, long rows, long cols, Scope scope, Arena arena) {
        PaletteTensor.checkShape(rows, cols);
        if (bf16.byteSize() != Math.multiplyExact(Math.multiplyExact(rows, cols), 2L)) {
            throw new IllegalArgumentException("a " + rows + " x " + cols + " BF16 matrix has " + rows * cols * 2 + " bytes, the segment " + bf16.byteSize());
        }
        long tileCount = PaletteTensor.tileCount(rows, cols);
        long tilesPerStrip = cols / TILE_COLS;
        MemorySegment tiles = arena.allocate(Math.multiplyExact(tileCount, (long) TILE_BYTES), 16);
        MemorySegment palettes = arena.allocate(tileCount * PALETTE_SIZE, 8);
        MemorySegment starts = arena.allocate((tileCount + 1) * 4, 4);
        byte[] tensorPalette = scope == Scope.TENSOR ? palette(histogram(bf16)) : null;

        // Pass 1: palettes and escape counts per tile (in starts[t + 1]); pass 2 writes tiles and escapes.
        boolean parallel = Parallelism.allowed(bf16, tiles);
        Parallelism.range(tileCount, parallel).forEach(t -> {
            byte[] palette = tensorPalette != null ? tensorPalette : palette(tileHistogram(bf16, cols, t / tilesPerStrip, t % tilesPerStrip));
            MemorySegment.copy(palette, 0, palettes, ValueLayout.JAVA_BYTE, t * PALETTE_SIZE, PALETTE_SIZE);
            int[] codeOf = codeMap(palette);
            int escapes = 0;
            long base = origin(cols, t / tilesPerStrip, t % tilesPerStrip);
            for (int r = 0; r < TILE_ROWS; r++) {
                for (int c = 0; c < TILE_COLS; c++) {
                    int v = bf16.getAtIndex(BF16, base + r * cols + c) & 0xFFFF;
                    if (codeOf[(v >>> 7) & 0xFF] == ESCAPE_CODE) escapes++;
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
        MemorySegment escapes = arena.allocate(Math.max(total, 0), 1);
        MemorySegment positions = arena.allocate(Math.multiplyExact(total, 2L), 2);
        Parallelism.range(tileCount, parallel).forEach(t -> writeTile(bf16, cols, t, tilesPerStrip, tiles, palettes, starts, escapes, positions));
        return new PaletteTensor(rows, cols, tiles, palettes, starts, escapes, positions);
    }

    private static void writeTile(MemorySegment bf16, long cols, long t, long tilesPerStrip, MemorySegment tiles, MemorySegment palettes, MemorySegment starts, MemorySegment escapes, MemorySegment positions) {
        byte[] palette = new byte[PALETTE_SIZE];
        MemorySegment.copy(palettes, ValueLayout.JAVA_BYTE, t * PALETTE_SIZE, palette, 0, PALETTE_SIZE);
        int[] codeOf = codeMap(palette);
        long base = origin(cols, t / tilesPerStrip, t % tilesPerStrip);
        MemorySegment tile = tiles.asSlice(t * TILE_BYTES, TILE_BYTES);
        long escape = starts.getAtIndex(INT, t);
        int[] words = new int[3];
        int[] values = new int[LANE_WEIGHTS];
        for (int lane = 0; lane < LANES; lane++) {
            for (int j = 0; j < LANE_WEIGHTS; j++) values[j] = bf16.getAtIndex(BF16, base + row(lane, j) * cols + col(lane, j)) & 0xFFFF;
            words[0] = words[1] = words[2] = 0;
            for (int j = 0; j < LANE_WEIGHTS; j++) {
                int v = values[j];
                int exponent = (v >>> 7) & 0xFF;
                int code = codeOf[exponent];
                if (code == ESCAPE_CODE) {
                    positions.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, escape, (short) escapePosition(lane, j));
                    escapes.set(ValueLayout.JAVA_BYTE, escape++, (byte) exponent);
                }
                for (int b = 0; b < 3; b++) {
                    int bit = codeBit(j, b);
                    words[bit >>> 5] |= ((code >>> b) & 1) << (bit & 31);
                }
                tile.set(ValueLayout.JAVA_BYTE, planeOffset(lane, j), (byte) planeByte(v, values[j ^ 1]));
            }
            for (int w = 0; w < 3; w++) tile.set(INT, codeWordOffset(lane, w), words[w]);
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

    /** Code of each exponent under {@code palette}: its slot, or {@link PaletteLayout#ESCAPE_CODE}. */
    static int[] codeMap(byte[] palette) {
        int[] codeOf = new int[256];
        java.util.Arrays.fill(codeOf, ESCAPE_CODE);
        for (int slot = ESCAPE_CODE - 1; slot >= 0; slot--) codeOf[palette[slot] & 0xFF] = slot;
        return codeOf;
    }
}
