package dev.weightless.tensorcore.layout;

/**
 * Where each weight of a 16 x 64 tile lives in the palette layout (LAYOUT.md). A warp decodes one tile
 * straight into the registers of {@code mma.sync.m16n8k16}: lane {@code l} (g = l / 4, t = l % 4) owns
 * 32 weights, rows g and g + 8, columns 8t..8t+7 of each 32-column half in the palette coding, or columns
 * 2t, 2t+1 of each 8-column group in the window coding ({@link #col(Coding, int, int)}), so every lane reads
 * its codes and sign|mantissa bytes with plain coalesced word loads and needs no shared memory.
 * <p>
 * Two codings of the exponents share everything but the code part and the palette entry's meaning
 * ({@link Coding}): 3-bit palette codes (the constants without a prefix) and 4-bit window codes
 * ({@code WINDOW_*}).
 */
public final class PaletteLayout {
    public static final int TILE_ROWS = 16;
    public static final int TILE_COLS = 64;
    public static final int TILE_WEIGHTS = TILE_ROWS * TILE_COLS;
    public static final int LANES = 32;
    public static final int LANE_WEIGHTS = TILE_WEIGHTS / LANES;
    /** Three code words per lane: 32 codes of 3 bits. */
    public static final int CODE_BYTES = 3 * 4 * LANES;
    /** One sign|mantissa byte per weight. */
    public static final int PLANE_BYTES = TILE_WEIGHTS;
    /** Fixed part of a tile (codes, then plane); a multiple of 16 so that 16-byte loads stay aligned. */
    public static final int TILE_BYTES = CODE_BYTES + PLANE_BYTES;
    /** Palette entries per tile; the last code means "exponent in the escape list". */
    public static final int PALETTE_SIZE = 8;
    public static final int ESCAPE_CODE = 7;

    /** Window coding: 16 bytes of 4-bit codes per lane. */
    public static final int WINDOW_CODE_BYTES = 16 * LANES;
    public static final int WINDOW_TILE_BYTES = WINDOW_CODE_BYTES + PLANE_BYTES;
    /** Window coding: codes 0..14 are exponents base + code, 15 means "exponent in the escape list". */
    public static final int WINDOW_ESCAPE_CODE = 15;
    /** Exponents a window holds (codes 0..14). */
    public static final int WINDOW_EXPONENTS = WINDOW_ESCAPE_CODE;
    /** Largest window base: base + 15 still fits a byte, so adding the base to four codes at once never carries. */
    public static final int MAX_WINDOW_BASE = 255 - WINDOW_ESCAPE_CODE;

    /** How a tile codes its exponents: what {@link #PALETTE} and {@link #WINDOW} tiles differ in. */
    public enum Coding {
        /** 3-bit codes: slot 0..6 of the tile's 8-byte palette, 7 escapes (entry 7 stays 0). */
        PALETTE(CODE_BYTES, ESCAPE_CODE),
        /** 4-bit codes: exponent b + code for the window base b in palette byte 0 (bytes 1..7 zero), 15 escapes. */
        WINDOW(WINDOW_CODE_BYTES, WINDOW_ESCAPE_CODE);

        private final int codeBytes, escapeCode;

        Coding(int codeBytes, int escapeCode) {
            this.codeBytes = codeBytes;
            this.escapeCode = escapeCode;
        }

        /** Bytes of codes at the start of each tile; the sign|mantissa plane follows them. */
        public int codeBytes() { return codeBytes; }

        /** Bytes per tile: codes, then the plane. */
        public int tileBytes() { return codeBytes + PLANE_BYTES; }

        /** The code meaning "the next exponent of the tile's escape list". */
        public int escapeCode() { return escapeCode; }
    }

    private PaletteLayout() {}

    /** Row within the tile of lane {@code lane}'s weight {@code j}. */
    public static int row(int lane, int j) { return (lane >>> 2) + 8 * (j >>> 4); }

    /** Column within a palette-coded tile of lane {@code lane}'s weight {@code j}: {@code col(Coding.PALETTE, lane, j)}. */
    public static int col(int lane, int j) { return col(Coding.PALETTE, lane, j); }

    /**
     * Column within a tile of {@code coding} of lane {@code lane}'s weight {@code j} (t = lane % 4). The palette
     * coding gives lane t eight consecutive columns 8t..8t+7 of each 32-column half; the window coding gives it
     * the column pair (2t, 2t+1) of each of the eight 8-column groups, the MMA fragment order (k = 2t, 2t+1,
     * 2t+8, 2t+9 of each k16 step), so {@code wgmma} and {@code mma.sync} take the decoded registers without a
     * transpose. Either way weights j and j ^ 1 are adjacent columns of one row.
     */
    public static int col(Coding coding, int lane, int j) {
        return coding == Coding.WINDOW
                ? 8 * ((j & 15) >>> 1) + 2 * (lane & 3) + (j & 1)
                : 32 * ((j >>> 3) & 1) + 8 * (lane & 3) + (j & 7);
    }

    /** Byte offset in the tile of the code word {@code word} (0..2) of {@code lane}. */
    public static int codeWordOffset(int lane, int word) { return 4 * (LANES * word + lane); }

    /**
     * Bit {@code b} (0..2) of weight {@code j}'s code, as 32 * word + bit. Weights 0..23 have a nibble each in
     * words 0..2 (weight 8w + e in bits 4e..4e+2 of word w), so three of the four groups of eight codes are
     * prmt selectors after one AND; the codes of weights 24..31 fill the nibbles' spare top bits (bit b of
     * weight 24 + e is bit 4e + 3 of word b).
     */
    public static int codeBit(int j, int b) {
        int e = j & 7;
        return j < 24 ? (j >>> 3) * 32 + 4 * e + b : b * 32 + 4 * e + 3;
    }

    /**
     * Window coding: byte offset in the tile of the byte holding lane {@code lane}'s code of weight {@code j}
     * (in the nibble {@link #windowCodeShift}). Lane l's 16 bytes are four little-endian words; word G holds
     * weights 8G..8G+3 in its low nibbles and 8G+4..8G+7 in its high ones, so a mask and one add of the base
     * give four exponents in the byte order the palette coding's lookups give them.
     */
    public static int windowCodeOffset(int lane, int j) { return 16 * lane + 4 * (j >>> 3) + (j & 3); }

    /** Window coding: the shift (0 or 4) of weight {@code j}'s nibble in its byte. */
    public static int windowCodeShift(int j) { return 4 * ((j >>> 2) & 1); }

    /** Byte offset in a palette-coded tile of lane {@code lane}'s sign|mantissa byte {@code j}. */
    public static int planeOffset(int lane, int j) { return planeOffset(Coding.PALETTE, lane, j); }

    /** Byte offset in a tile of {@code coding} of lane {@code lane}'s sign|mantissa byte {@code j}: the plane follows the codes. */
    public static int planeOffset(Coding coding, int lane, int j) { return coding.codeBytes() + escapePosition(lane, j); }

    /**
     * Position of lane {@code lane}'s weight {@code j} in the escape-position list: its index (0..1023) in the
     * tile's sign|mantissa plane, which is also where the patching kernel keeps its exponent in shared memory.
     * Both codings store the plane alike, so the position does not depend on the coding.
     */
    public static int escapePosition(int lane, int j) { return 16 * (LANES * (j >>> 4) + lane) + (j & 15); }

    /**
     * The stored sign|mantissa byte of weight {@code j}: its 7 mantissa bits shifted up by one, and in bit 0
     * the sign of its pair partner {@code j ^ 1}, so that one 32-bit rotate rebuilds both BF16 values.
     */
    public static int planeByte(int bf16, int partnerBf16) { return ((bf16 & 0x7F) << 1) | ((partnerBf16 >>> 15) & 1); }
}
