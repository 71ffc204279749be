package dev.weightless.tensorcore.layout;

/**
 * Where each weight of a 16 x 64 tile lives in the palette layout (LAYOUT.md). A warp decodes one tile
 * straight into the registers of {@code mma.sync.m16n8k16}: lane {@code l} (g = l / 4, t = l % 4) owns
 * 32 weights, rows g and g + 8, columns 8t..8t+7 of each 32-column half, so every lane reads its codes
 * and sign|mantissa bytes with plain coalesced word loads and needs no shared memory.
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

    private PaletteLayout() {}

    /** Row within the tile of lane {@code lane}'s weight {@code j}. */
    public static int row(int lane, int j) { return (lane >>> 2) + 8 * (j >>> 4); }

    /** Column within the tile of lane {@code lane}'s weight {@code j}. */
    public static int col(int lane, int j) { return 32 * ((j >>> 3) & 1) + 8 * (lane & 3) + (j & 7); }

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

    /** Byte offset in the tile of lane {@code lane}'s sign|mantissa byte {@code j}. */
    public static int planeOffset(int lane, int j) { return CODE_BYTES + 16 * (LANES * (j >>> 4) + lane) + (j & 15); }

    /**
     * Position of lane {@code lane}'s weight {@code j} in the escape-position list: its index in the tile's
     * sign|mantissa plane, which is also where the patching kernel keeps its exponent in shared memory.
     */
    public static int escapePosition(int lane, int j) { return planeOffset(lane, j) - CODE_BYTES; }

    /**
     * The stored sign|mantissa byte of weight {@code j}: its 7 mantissa bits shifted up by one, and in bit 0
     * the sign of its pair partner {@code j ^ 1}, so that one 32-bit rotate rebuilds both BF16 values.
     */
    public static int planeByte(int bf16, int partnerBf16) { return ((bf16 & 0x7F) << 1) | ((partnerBf16 >>> 15) & 1); }
}
