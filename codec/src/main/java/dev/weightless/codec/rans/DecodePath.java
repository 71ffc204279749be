package dev.weightless.codec.rans;

/**
 * How 32-lane chunks are decoded: the scalar rows ({@code bits} 0) or the vector rows of 256 or 512 bits
 * ({@link RansVectorRows}, {@link RansWideRows}), over one chunk at a time or two side by side ({@code chunks}), and,
 * for the 256-bit rows, the refill by a permutation table or by {@code expand} (the 512-bit rows always expand).
 * All decode the same bits; they differ in speed only (codec/NOTES.md).
 */
record DecodePath(int bits, int chunks, boolean expand) {
    static final DecodePath SCALAR = new DecodePath(0, 1, false);

    DecodePath {
        if (bits != 0 && bits != 256 && bits != 512) throw new IllegalArgumentException("row bits: 0, 256 or 512, got " + bits);
        if (chunks != 1 && chunks != 2) throw new IllegalArgumentException("chunks side by side: 1 or 2, got " + chunks);
        if (bits == 0 && (chunks != 1 || expand)) throw new IllegalArgumentException("the scalar rows take one chunk at a time and no refill choice");
        if (bits == 512 && !expand) throw new IllegalArgumentException("the 512-bit rows refill by expand");
    }

    @Override
    public String toString() {
        if (bits == 0) return "scalar rows";
        return bits + "-bit vector rows, " + (chunks == 2 ? "two chunks side by side" : "one chunk at a time") + ", refill by " + (expand ? "expand" : "permutation table");
    }
}
