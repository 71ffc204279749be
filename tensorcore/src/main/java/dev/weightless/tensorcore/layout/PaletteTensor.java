package dev.weightless.tensorcore.layout;

import dev.weightless.codec.MalformedInputException;
import dev.weightless.tensorcore.layout.PaletteLayout.Coding;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * A BF16 matrix [rows x cols] in the palette layout (LAYOUT.md): fixed-size tiles, one 8-byte palette
 * entry per tile, per-tile start offsets into one escape list (tiles + 1 entries), the escape list's
 * exponent bytes, and each escape's position in its tile (u16, the patching kernel's; the ballot kernel
 * does without). Tiles run along the columns first: tile (strip, kt) is number strip * cols/64 + kt.
 * {@code coding} says how tiles code their exponents: 3-bit palette codes (1408-byte tiles) or 4-bit window
 * codes (1536-byte tiles, the palette entry holding the window base).
 * <p>
 * Parts whose sizes do not fit the shape (a truncated or overlong part) are a {@link MalformedInputException}
 * naming the part, at the byte offset where it departs from its size; the contents are checked by
 * {@link PaletteDecoder#validate}.
 */
public record PaletteTensor(long rows, long cols, MemorySegment tiles, MemorySegment palettes, MemorySegment escapeStarts, MemorySegment escapes,
                            MemorySegment escapePositions, Coding coding) {
    public PaletteTensor {
        Objects.requireNonNull(coding, "coding");
        checkShape(rows, cols);
        long tileCount = tileCount(rows, cols);
        checkSize("tiles", tiles, Math.multiplyExact(tileCount, (long) coding.tileBytes()), tileCount + " tiles of the " + coding + " coding");
        checkSize("palettes", palettes, Math.multiplyExact(tileCount, (long) PaletteLayout.PALETTE_SIZE), tileCount + " tiles");
        checkSize("escapeStarts", escapeStarts, Math.multiplyExact(tileCount + 1, 4L), tileCount + " tiles");
        checkSize("escapePositions", escapePositions, Math.multiplyExact(escapes.byteSize(), 2L), escapes.byteSize() + " escapes");
    }

    /** A palette-coded (3-bit) tensor: the layout's first coding, which callers from before the window coding mean. */
    public PaletteTensor(long rows, long cols, MemorySegment tiles, MemorySegment palettes, MemorySegment escapeStarts, MemorySegment escapes, MemorySegment escapePositions) {
        this(rows, cols, tiles, palettes, escapeStarts, escapes, escapePositions, Coding.PALETTE);
    }

    private static void checkSize(String part, MemorySegment s, long expected, String what) {
        long got = s.byteSize();
        MalformedInputException.verify(got == expected, Math.min(got, expected), part + ": " + got + " bytes, " + what + " take " + expected);
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

    /** Tile {@code t}'s bytes (codes, then plane). */
    public MemorySegment tile(long t) { return tiles.asSlice(Math.multiplyExact(t, (long) coding.tileBytes()), coding.tileBytes()); }

    /** Bytes the layout occupies on the device, all five parts (what the patching kernel reads). */
    public long byteSize() { return byteSizeWithoutPositions() + escapePositions.byteSize(); }

    /** Bytes of the four parts the ballot kernel (variant 4) reads: no escape positions. */
    public long byteSizeWithoutPositions() { return tiles.byteSize() + palettes.byteSize() + escapeStarts.byteSize() + escapes.byteSize(); }
}
