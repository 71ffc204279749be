package dev.weightless.tensorcore.layout;

import java.lang.foreign.MemorySegment;

/**
 * A BF16 matrix [rows x cols] in the palette layout (LAYOUT.md): fixed-size tiles, one 8-entry exponent
 * palette per tile, per-tile start offsets into one escape list (tiles + 1 entries), the escape list's
 * exponent bytes, and each escape's position in its tile (u16, the patching kernel's; the ballot kernel
 * does without). Tiles run along the columns first: tile (strip, kt) is number strip * cols/64 + kt.
 */
public record PaletteTensor(long rows, long cols, MemorySegment tiles, MemorySegment palettes, MemorySegment escapeStarts, MemorySegment escapes, MemorySegment escapePositions) {
    public PaletteTensor {
        checkShape(rows, cols);
        long tileCount = tileCount(rows, cols);
        if (tiles.byteSize() != Math.multiplyExact(tileCount, (long) PaletteLayout.TILE_BYTES)) throw new IllegalArgumentException("tiles: " + tiles.byteSize() + " bytes for " + tileCount + " tiles");
        if (palettes.byteSize() != Math.multiplyExact(tileCount, (long) PaletteLayout.PALETTE_SIZE)) throw new IllegalArgumentException("palettes: " + palettes.byteSize() + " bytes for " + tileCount + " tiles");
        if (escapeStarts.byteSize() != Math.multiplyExact(tileCount + 1, 4L)) throw new IllegalArgumentException("escapeStarts: " + escapeStarts.byteSize() + " bytes for " + tileCount + " tiles");
        if (escapePositions.byteSize() != Math.multiplyExact(escapes.byteSize(), 2L)) throw new IllegalArgumentException("escapePositions: " + escapePositions.byteSize() + " bytes for " + escapes.byteSize() + " escapes");
    }

    /** Fails unless rows is a positive multiple of 16 and cols of 64. */
    public static void checkShape(long rows, long cols) {
        if (rows <= 0 || cols <= 0 || rows % PaletteLayout.TILE_ROWS != 0 || cols % PaletteLayout.TILE_COLS != 0) {
            throw new IllegalArgumentException("the palette layout takes rows a multiple of 16 and columns a multiple of 64, got " + rows + " x " + cols);
        }
    }

    public static long tileCount(long rows, long cols) { return Math.multiplyExact(rows / PaletteLayout.TILE_ROWS, cols / PaletteLayout.TILE_COLS); }

    public long tileCount() { return tileCount(rows, cols); }

    public long elements() { return Math.multiplyExact(rows, cols); }

    public long escapeCount() { return escapes.byteSize(); }

    /** Bytes the layout occupies on the device, all five parts (what the patching kernel reads). */
    public long byteSize() { return byteSizeWithoutPositions() + escapePositions.byteSize(); }

    /** Bytes of the four parts the ballot kernel (variant 4) reads: no escape positions. */
    public long byteSizeWithoutPositions() { return tiles.byteSize() + palettes.byteSize() + escapeStarts.byteSize() + escapes.byteSize(); }
}
