package dev.weightless.codec.rans;

/**
 * How 32-lane chunks are decoded: the scalar rows ({@code bits} 0), the 256-bit vector rows ({@link RansVectorRows}),
 * or the 512-bit rows ({@link RansWideRows}) over one chunk at a time or two side by side ({@code chunks} 2); whether
 * the rows write the values straight into an off-heap output ({@code direct}) or into a small buffer that each block
 * is then copied out of (always so for an output on the heap); and how many rows of 32 lanes a block holds (the rows
 * run over a block, then its raw fields are joined and it is summed while in cache). All decode the same bits; they
 * differ in speed only (codec/NOTES.md: on an AVX-512 server core the 512-bit rows over two chunks measured fastest).
 */
record DecodePath(int bits, int chunks, boolean direct, int blockRows) {
    /** Rows per block unless chosen otherwise (8 Ki values, 16 KiB, per chunk). */
    static final int BLOCK_ROWS = 256;
    static final DecodePath SCALAR = new DecodePath(0, 1);

    DecodePath {
        if (bits != 0 && bits != 256 && bits != 512) throw new IllegalArgumentException("row bits: 0, 256 or 512, got " + bits);
        if (chunks != 1 && chunks != 2) throw new IllegalArgumentException("chunks side by side: 1 or 2, got " + chunks);
        if (chunks == 2 && bits != 512) throw new IllegalArgumentException("only the 512-bit rows decode two chunks side by side");
        // A power of two from 8: a block then starts on a whole byte of raw fields whatever the lanes (RansChunk.joinRaw).
        if (Integer.bitCount(blockRows) != 1 || blockRows < 8 || blockRows > 4096) throw new IllegalArgumentException("block rows: a power of two in 8..4096, got " + blockRows);
    }

    /** Values straight into an off-heap output, blocks of {@link #BLOCK_ROWS}. */
    DecodePath(int bits, int chunks) { this(bits, chunks, true, BLOCK_ROWS); }

    /** The same rows, the values through a buffer and a copy per block instead. */
    DecodePath buffered() { return new DecodePath(bits, chunks, false, blockRows); }

    /** The same rows over blocks of {@code rows} rows. */
    DecodePath withBlockRows(int rows) { return new DecodePath(bits, chunks, direct, rows); }

    @Override
    public String toString() {
        String values = (direct ? "" : ", values through a buffer") + (blockRows == BLOCK_ROWS ? "" : ", blocks of " + blockRows + " rows");
        if (bits == 0) return "scalar rows" + values;
        return bits + "-bit vector rows, " + (chunks == 2 ? "two chunks side by side" : "one chunk at a time") + values;
    }
}
