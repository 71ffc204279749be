package dev.weightless.tensorcore.layout;

import dev.weightless.codec.MalformedInputException;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static dev.weightless.tensorcore.layout.PaletteLayout.*;

/**
 * The CPU reference decoder of the palette layout, and its validator: the escape offsets must start at 0,
 * never decrease, end at the escape list's length and match each tile's count of escape codes; a palette
 * must keep entry 7 zero; each escape's position must be that of its weight (the decoder checks it; the
 * validator checks the bound the patching kernel relies on). Anything else is a {@link MalformedInputException} naming the part and byte offset.
 */
public final class PaletteDecoder {
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;

    private PaletteDecoder() {}

    /** Checks what the GPU kernel trusts: the escape offsets. Cheap (one pass over the offsets). */
    public static void validate(PaletteTensor p) {
        long tiles = p.tileCount();
        MalformedInputException.verify(p.escapeStarts().getAtIndex(INT, 0) == 0, 0, "escapeStarts[0] is not 0");
        for (long t = 0; t < tiles; t++) {
            long a = p.escapeStarts().getAtIndex(INT, t) & 0xFFFFFFFFL, b = p.escapeStarts().getAtIndex(INT, t + 1) & 0xFFFFFFFFL;
            MalformedInputException.verify(b >= a && b - a <= TILE_WEIGHTS, (t + 1) * 4, "escapeStarts: tile " + t + " has " + (b - a) + " escapes (from " + a + " to " + b + ")");
            MalformedInputException.verify(p.palettes().get(ValueLayout.JAVA_BYTE, t * PALETTE_SIZE + ESCAPE_CODE) == 0, t * PALETTE_SIZE + ESCAPE_CODE, "palettes: tile " + t + " uses entry 7, reserved for escapes");
        }
        long last = p.escapeStarts().getAtIndex(INT, tiles) & 0xFFFFFFFFL;
        MalformedInputException.verify(last == p.escapes().byteSize(), tiles * 4, "escapeStarts ends at " + last + " but the escape list has " + p.escapes().byteSize() + " bytes");
        for (long i = 0; i < p.escapeCount(); i++) {
            int at = p.escapePositions().getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i) & 0xFFFF;
            MalformedInputException.verify(at < TILE_WEIGHTS, i * 2, "escapePositions: escape " + i + " at position " + at + ", past the tile's " + TILE_WEIGHTS + " weights");
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
        MemorySegment tile = p.tiles().asSlice(t * TILE_BYTES, TILE_BYTES);
        int[] palette = new int[PALETTE_SIZE];
        for (int i = 0; i < PALETTE_SIZE; i++) palette[i] = p.palettes().get(ValueLayout.JAVA_BYTE, t * PALETTE_SIZE + i) & 0xFF;
        long escape = p.escapeStarts().getAtIndex(INT, t) & 0xFFFFFFFFL, end = p.escapeStarts().getAtIndex(INT, t + 1) & 0xFFFFFFFFL;
        long base = PaletteEncoder.origin(p.cols(), t / tilesPerStrip, t % tilesPerStrip);
        int[] words = new int[3];
        int[] bytes = new int[LANE_WEIGHTS];
        for (int lane = 0; lane < LANES; lane++) {
            for (int w = 0; w < 3; w++) words[w] = tile.get(INT, codeWordOffset(lane, w));
            for (int j = 0; j < LANE_WEIGHTS; j++) bytes[j] = tile.get(ValueLayout.JAVA_BYTE, planeOffset(lane, j)) & 0xFF;
            for (int j = 0; j < LANE_WEIGHTS; j++) {
                int code = 0;
                for (int b = 0; b < 3; b++) {
                    int bit = codeBit(j, b);
                    code |= ((words[bit >>> 5] >>> (bit & 31)) & 1) << b;
                }
                int exponent;
                if (code == ESCAPE_CODE) {
                    if (escape >= end) throw new MalformedInputException(t * TILE_BYTES + codeWordOffset(lane, 0), "tiles: tile " + t + " has more escape codes than its " + (end - (p.escapeStarts().getAtIndex(INT, t) & 0xFFFFFFFFL)) + " listed escapes");
                    int at = p.escapePositions().getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, escape) & 0xFFFF;
                    if (at != escapePosition(lane, j)) throw new MalformedInputException(escape * 2, "escapePositions: escape " + escape + " (tile " + t + ") says position " + at + ", its weight is at " + escapePosition(lane, j));
                    exponent = p.escapes().get(ValueLayout.JAVA_BYTE, escape++) & 0xFF;
                } else {
                    exponent = palette[code];
                }
                int sign = bytes[j ^ 1] & 1, mantissa = bytes[j] >>> 1;
                long index = base + row(lane, j) * p.cols() + col(lane, j);
                out.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, index, (short) (sign << 15 | exponent << 7 | mantissa));
            }
        }
        if (escape != end) throw new MalformedInputException(t * TILE_BYTES, "tiles: tile " + t + " has " + (end - escape) + " fewer escape codes than listed escapes");
    }
}
