package dev.weightless.tensorcore.layout;

import dev.weightless.codec.MalformedInputException;
import dev.weightless.tensorcore.layout.PaletteLayout.Coding;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static dev.weightless.tensorcore.layout.PaletteLayout.*;

/**
 * The CPU reference decoder of the palette layout (both codings), and its validator: the escape offsets
 * must start at 0, never decrease, grow by at most 1024 per tile, end at the escape list's length and
 * match each tile's count of escape codes (7, or 15 in the window coding); a palette must keep entry 7 zero,
 * a window entry must hold a base of at most 240 and zeros in bytes 1..7; each escape's position must be
 * that of its weight (the decoder checks it; the validator checks the bound the patching kernel relies on).
 * Anything else is a {@link MalformedInputException} naming the part and byte offset.
 */
public final class PaletteDecoder {
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;

    private PaletteDecoder() {}

    /** Checks what the GPU kernels trust: escape offsets, palette entries and position bounds. Cheap (no pass over the tiles). */
    public static void validate(PaletteTensor p) {
        long tiles = p.tileCount();
        MalformedInputException.verify(p.escapeStarts().getAtIndex(INT, 0) == 0, 0, "escapeStarts[0] is not 0");
        for (long t = 0; t < tiles; t++) {
            long a = p.escapeStarts().getAtIndex(INT, t) & 0xFFFFFFFFL, b = p.escapeStarts().getAtIndex(INT, t + 1) & 0xFFFFFFFFL;
            MalformedInputException.verify(b >= a && b - a <= TILE_WEIGHTS, (t + 1) * 4, "escapeStarts: tile " + t + " has " + (b - a) + " escapes (from " + a + " to " + b + ")");
            validatePalette(p, t);
        }
        long last = p.escapeStarts().getAtIndex(INT, tiles) & 0xFFFFFFFFL;
        MalformedInputException.verify(last == p.escapes().byteSize(), tiles * 4, "escapeStarts ends at " + last + " but the escape list has " + p.escapes().byteSize() + " bytes");
        for (long i = 0; i < p.escapeCount(); i++) {
            int at = p.escapePositions().getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i) & 0xFFFF;
            MalformedInputException.verify(at < TILE_WEIGHTS, i * 2, "escapePositions: escape " + i + " at position " + at + ", past the tile's " + TILE_WEIGHTS + " weights");
        }
    }

    private static void validatePalette(PaletteTensor p, long t) {
        long at = t * PALETTE_SIZE;
        if (p.coding() == Coding.PALETTE) {
            MalformedInputException.verify(p.palettes().get(ValueLayout.JAVA_BYTE, at + ESCAPE_CODE) == 0, at + ESCAPE_CODE, "palettes: tile " + t + " uses entry 7, reserved for escapes");
            return;
        }
        // A base above 240 would carry out of a byte when the kernels add it to four codes at once.
        int base = p.palettes().get(ValueLayout.JAVA_BYTE, at) & 0xFF;
        MalformedInputException.verify(base <= MAX_WINDOW_BASE, at, "palettes: tile " + t + " has window base " + base + ", above " + MAX_WINDOW_BASE);
        for (int i = 1; i < PALETTE_SIZE; i++) {
            int v = p.palettes().get(ValueLayout.JAVA_BYTE, at + i) & 0xFF;
            MalformedInputException.verify(v == 0, at + i, "palettes: tile " + t + " has " + v + " in byte " + i + ", which the window coding keeps 0");
        }
    }

    /** Restores the row-major BF16 matrix into {@code out} ({@code rows * cols * 2} bytes). */
    public static void decode(PaletteTensor p, MemorySegment out) {
        validate(p);
        if (out.byteSize() != Math.multiplyExact(p.elements(), 2L)) throw new IllegalArgumentException("output has " + out.byteSize() + " bytes, the matrix " + p.elements() * 2);
        long tilesPerStrip = p.cols() / TILE_COLS;
        Parallelism.range(p.tileCount(), Parallelism.allowed(p.tiles(), out)).forEach(t -> decodeTile(p, t, tilesPerStrip, out));
    }

    private static void decodeTile(PaletteTensor p, long t, long tilesPerStrip, MemorySegment out) {
        Coding coding = p.coding();
        long tileAt = t * coding.tileBytes();
        MemorySegment tile = p.tile(t);
        int[] palette = new int[PALETTE_SIZE];
        for (int i = 0; i < PALETTE_SIZE; i++) palette[i] = p.palettes().get(ValueLayout.JAVA_BYTE, t * PALETTE_SIZE + i) & 0xFF;
        long first = p.escapeStarts().getAtIndex(INT, t) & 0xFFFFFFFFL, end = p.escapeStarts().getAtIndex(INT, t + 1) & 0xFFFFFFFFL;
        long escape = first;
        long base = PaletteEncoder.origin(p.cols(), t / tilesPerStrip, t % tilesPerStrip);
        int[] codes = new int[LANE_WEIGHTS];
        int[] bytes = new int[LANE_WEIGHTS];
        for (int lane = 0; lane < LANES; lane++) {
            laneCodes(coding, tile, lane, codes);
            for (int j = 0; j < LANE_WEIGHTS; j++) bytes[j] = tile.get(ValueLayout.JAVA_BYTE, planeOffset(coding, lane, j)) & 0xFF;
            for (int j = 0; j < LANE_WEIGHTS; j++) {
                int code = codes[j];
                int exponent;
                if (code == coding.escapeCode()) {
                    if (escape >= end) {
                        throw new MalformedInputException(tileAt + codeOffset(coding, lane, j), "tiles: tile " + t + " has more escape codes (" + code + ") than its " + (end - first) + " listed escapes");
                    }
                    int at = p.escapePositions().getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, escape) & 0xFFFF;
                    if (at != escapePosition(lane, j)) throw new MalformedInputException(escape * 2, "escapePositions: escape " + escape + " (tile " + t + ") says position " + at + ", its weight is at " + escapePosition(lane, j));
                    exponent = p.escapes().get(ValueLayout.JAVA_BYTE, escape++) & 0xFF;
                } else {
                    exponent = coding == Coding.PALETTE ? palette[code] : palette[0] + code;
                }
                int sign = bytes[j ^ 1] & 1, mantissa = bytes[j] >>> 1;
                long index = base + row(lane, j) * p.cols() + col(coding, lane, j);
                out.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, index, (short) (sign << 15 | exponent << 7 | mantissa));
            }
        }
        if (escape != end) throw new MalformedInputException(tileAt, "tiles: tile " + t + " has " + (end - escape) + " fewer escape codes (" + coding.escapeCode() + ") than listed escapes");
    }

    /** Lane {@code lane}'s 32 codes in {@code tile}. */
    private static void laneCodes(Coding coding, MemorySegment tile, int lane, int[] codes) {
        if (coding == Coding.WINDOW) {
            for (int j = 0; j < LANE_WEIGHTS; j++) codes[j] = (tile.get(ValueLayout.JAVA_BYTE, windowCodeOffset(lane, j)) >>> windowCodeShift(j)) & 15;
            return;
        }
        int[] words = new int[3];
        for (int w = 0; w < 3; w++) words[w] = tile.get(INT, codeWordOffset(lane, w));
        for (int j = 0; j < LANE_WEIGHTS; j++) {
            int code = 0;
            for (int b = 0; b < 3; b++) {
                int bit = codeBit(j, b);
                code |= ((words[bit >>> 5] >>> (bit & 31)) & 1) << b;
            }
            codes[j] = code;
        }
    }

    /** Byte offset in the tile of (the first byte holding) weight {@code j}'s code. */
    private static int codeOffset(Coding coding, int lane, int j) {
        return coding == Coding.WINDOW ? windowCodeOffset(lane, j) : codeWordOffset(lane, codeBit(j, 0) >>> 5);
    }
}
