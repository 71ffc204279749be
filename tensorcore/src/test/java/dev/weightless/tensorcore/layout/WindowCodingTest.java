package dev.weightless.tensorcore.layout;

import dev.weightless.codec.MalformedInputException;
import dev.weightless.tensorcore.layout.PaletteLayout.Coding;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The window coding (4-bit codes, LAYOUT.md "Window codes"): its code positions, the choice of the window,
 * bit-exact round trips, the kernels' word-wise decode, its escape rate against the 3-bit palette's, and
 * hostile inputs.
 */
class WindowCodingTest {
    private static final ValueLayout.OfShort BF16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;

    @Test
    void codingsDifferInTheCodePartOnly() {
        assertEquals(1408, Coding.PALETTE.tileBytes());
        assertEquals(384, Coding.PALETTE.codeBytes());
        assertEquals(7, Coding.PALETTE.escapeCode());
        assertEquals(1536, Coding.WINDOW.tileBytes());
        assertEquals(512, Coding.WINDOW.codeBytes());
        assertEquals(15, Coding.WINDOW.escapeCode());
        assertEquals(PaletteLayout.TILE_BYTES, Coding.PALETTE.tileBytes());
        assertEquals(PaletteLayout.WINDOW_TILE_BYTES, Coding.WINDOW.tileBytes());
        assertEquals(240, PaletteLayout.MAX_WINDOW_BASE);
        for (int lane = 0; lane < 32; lane++) {
            for (int j = 0; j < 32; j++) {
                assertEquals(PaletteLayout.planeOffset(lane, j), PaletteLayout.planeOffset(Coding.PALETTE, lane, j));
                assertEquals(512 + PaletteLayout.escapePosition(lane, j), PaletteLayout.planeOffset(Coding.WINDOW, lane, j));
                assertEquals(384 + PaletteLayout.escapePosition(lane, j), PaletteLayout.planeOffset(lane, j));
            }
        }
    }

    @Test
    void windowCodesCoverTheCodeBytesOnce() {
        boolean[] nibbles = new boolean[2 * PaletteLayout.WINDOW_CODE_BYTES];
        for (int lane = 0; lane < 32; lane++) {
            for (int j = 0; j < 32; j++) {
                int at = PaletteLayout.windowCodeOffset(lane, j), shift = PaletteLayout.windowCodeShift(j);
                assertTrue(at >= 16 * lane && at < 16 * lane + 16, "lane " + lane + "'s codes are its 16 bytes");
                assertTrue(shift == 0 || shift == 4);
                int nibble = 2 * at + shift / 4;
                assertFalse(nibbles[nibble], "nibble " + nibble + " twice");
                nibbles[nibble] = true;
            }
        }
        // LAYOUT.md: weight j = 8G + r is nibble r / 4 of byte 16 l + 4 G + r % 4.
        assertEquals(16 * 5 + 4 * 2 + 1, PaletteLayout.windowCodeOffset(5, 8 * 2 + 5));
        assertEquals(4, PaletteLayout.windowCodeShift(8 * 2 + 5));
        assertEquals(0, PaletteLayout.windowCodeShift(8 * 3 + 3));
    }

    @Test
    void windowColumnsAreTheMmaFragmentOrder() {
        boolean[] seen = new boolean[PaletteLayout.TILE_WEIGHTS];
        for (int lane = 0; lane < 32; lane++) {
            int g = lane / 4, t = lane % 4;
            for (int j = 0; j < 32; j++) {
                int row = PaletteLayout.row(lane, j), col = PaletteLayout.col(Coding.WINDOW, lane, j);
                assertEquals(8 * ((j % 16) / 2) + 2 * t + j % 2, col, "lane " + lane + " weight " + j);
                assertEquals(g + 8 * (j / 16), row);
                assertFalse(seen[row * 64 + col], "(" + row + ", " + col + ") twice");
                seen[row * 64 + col] = true;
                // The pair partner (whose sign the plane byte carries) is the other column of the same pair.
                assertEquals(row, PaletteLayout.row(lane, j ^ 1));
                assertEquals(col ^ 1, PaletteLayout.col(Coding.WINDOW, lane, j ^ 1));
                assertEquals(PaletteLayout.col(lane, j), PaletteLayout.col(Coding.PALETTE, lane, j), "col(lane, j) stays the palette coding's");
            }
            // Each k16 step s: lane t holds k = 2t, 2t+1, 2t+8, 2t+9 of rows g and g + 8, as weights 4s..4s+3 and 16+4s..16+4s+3.
            for (int step = 0; step < 4; step++) {
                for (int half = 0; half < 2; half++) {
                    int[] k = new int[4];
                    for (int i = 0; i < 4; i++) k[i] = PaletteLayout.col(Coding.WINDOW, lane, 16 * half + 4 * step + i) - 16 * step;
                    assertArrayEquals(new int[] {2 * t, 2 * t + 1, 2 * t + 8, 2 * t + 9}, k, "lane " + lane + " step " + step);
                }
            }
        }
    }

    /** {lane, j, row, window column, palette column}, worked out by hand from LAYOUT.md. */
    private static final int[][] PINNED = {
            {0, 0, 0, 0, 0}, {0, 1, 0, 1, 1}, {1, 0, 0, 2, 8}, {9, 4, 2, 18, 12}, {6, 9, 1, 37, 49},
            {2, 14, 0, 60, 54}, {31, 17, 15, 7, 25}, {31, 31, 15, 63, 63}};

    @ParameterizedTest
    @EnumSource(Coding.class)
    void planeBytesHoldTheWeightsOfTheirCodingsColumns(Coding coding) {
        // Every weight describes its place in its tile: mantissa col << 1 | row bit 0, sign row bit 1, exponent
        // 120 + row (a window holds 15 of the 16: row 15 escapes per tile; the palette's 7 of them, the rest escape).
        try (Arena arena = Arena.ofShared()) {
            int n = 32, k = 128;
            MemorySegment w = arena.allocate((long) n * k * 2, 2);
            for (int r = 0; r < n; r++) {
                for (int c = 0; c < k; c++) {
                    int row = r % 16, col = c % 64;
                    w.setAtIndex(BF16, (long) r * k + c, (short) ((row >>> 1 & 1) << 15 | (120 + row) << 7 | col << 1 | (row & 1)));
                }
            }
            PaletteTensor p = PaletteEncoder.encode(w, n, k, PaletteEncoder.Scope.TILE, coding, arena);
            assertTrue(p.escapeCount() > 0);
            for (long t = 0; t < p.tileCount(); t++) {
                for (int[] pin : PINNED) {
                    int lane = pin[0], j = pin[1], row = pin[2], col = coding == Coding.WINDOW ? pin[3] : pin[4];
                    assertEquals(row, PaletteLayout.row(lane, j));
                    assertEquals(col, PaletteLayout.col(coding, lane, j), coding + " lane " + lane + " weight " + j);
                    int plane = p.tiles().get(ValueLayout.JAVA_BYTE, t * coding.tileBytes() + coding.codeBytes() + PaletteLayout.escapePosition(lane, j)) & 0xFF;
                    assertEquals(col, plane >>> 2, coding + " tile " + t + " lane " + lane + " weight " + j + ": column");
                    assertEquals(row & 1, plane >>> 1 & 1, "row bit 0");
                    assertEquals(row >>> 1 & 1, plane & 1, "the partner's sign: same row");
                }
                for (int lane = 0; lane < 32; lane++) {
                    for (int j = 0; j < 32; j++) {
                        int plane = p.tiles().get(ValueLayout.JAVA_BYTE, t * coding.tileBytes() + PaletteLayout.planeOffset(coding, lane, j)) & 0xFF;
                        int row = PaletteLayout.row(lane, j);
                        assertEquals((PaletteLayout.col(coding, lane, j) << 1 | (row & 1)) << 1 | (row >>> 1 & 1), plane, coding + " lane " + lane + " weight " + j);
                    }
                }
            }
            assertRoundTrip(w, p, arena);
            if (coding == Coding.WINDOW) assertPatchedEqualsOriginal(w, p);
        }
    }

    @Test
    void windowBaseHoldsTheMostExponentsTiesToTheSmallerBase() {
        long[] counts = new long[256];
        assertEquals(0, PaletteEncoder.windowBase(counts), "nothing anywhere: the smallest base");
        counts[100] = 9;
        assertEquals(86, PaletteEncoder.windowBase(counts), "every window 86..100 holds it: the smallest");
        counts[10] = 5;
        counts[30] = 6;
        assertEquals(86, PaletteEncoder.windowBase(counts));
        counts[30] = 10;
        assertEquals(16, PaletteEncoder.windowBase(counts), "10 and 30 cannot share a window; 30 is the larger count");
        counts[20] = 5;
        assertEquals(16, PaletteEncoder.windowBase(counts), "16..30 holds 30 and 20 (15), 10..24 only 10 and 20 (10)");
        long[] high = new long[256];
        high[255] = 100;
        high[254] = 1;
        assertEquals(240, PaletteEncoder.windowBase(high), "255 is never in a window; 254 only in base 240's");
        long[] gaussian;
        try (Arena arena = Arena.ofConfined()) {
            gaussian = PaletteEncoder.histogram(llamaLike(64, 256, 1, arena));
        }
        int b = PaletteEncoder.windowBase(gaussian);
        assertEquals(bruteForceBase(gaussian), b);
        // Sparse and dense random counts (small values: many ties) against the definition.
        SplittableRandom random = new SplittableRandom(4);
        for (int round = 0; round < 2000; round++) {
            long[] c = new long[256];
            int filled = 1 + random.nextInt(round % 2 == 0 ? 6 : 256);
            for (int i = 0; i < filled; i++) c[random.nextInt(256)] += random.nextInt(4);
            assertEquals(bruteForceBase(c), PaletteEncoder.windowBase(c), "round " + round);
        }
        assertArrayEquals(new byte[] {(byte) b, 0, 0, 0, 0, 0, 0, 0}, PaletteEncoder.paletteEntry(Coding.WINDOW, gaussian));
        assertArrayEquals(PaletteEncoder.palette(gaussian), PaletteEncoder.paletteEntry(Coding.PALETTE, gaussian));
    }

    @ParameterizedTest
    @EnumSource(PaletteEncoder.Scope.class)
    void llamaLikeWeightsRoundTripWithFarFewerEscapes(PaletteEncoder.Scope scope) {
        try (Arena arena = Arena.ofShared()) {
            int n = 512, k = 2048;
            MemorySegment w = llamaLike(n, k, 17, arena);
            PaletteTensor window = PaletteEncoder.encode(w, n, k, scope, Coding.WINDOW, arena);
            PaletteTensor palette = PaletteEncoder.encode(w, n, k, scope, Coding.PALETTE, arena);
            assertEquals(Coding.WINDOW, window.coding());
            assertEquals(window.tileCount() * 1536, window.tiles().byteSize());
            double windowRate = (double) window.escapeCount() / window.elements(), paletteRate = (double) palette.escapeCount() / palette.elements();
            System.out.printf("Llama-like %d x %d, %s scope: escapes window %.4f%%, palette %.4f%%; bytes window %.2f%%, palette %.2f%% of BF16 (window / palette %.4f)%n",
                    n, k, scope, 100 * windowRate, 100 * paletteRate, 100.0 * window.byteSize() / w.byteSize(), 100.0 * palette.byteSize() / w.byteSize(),
                    (double) window.byteSize() / palette.byteSize());
            assertTrue(windowRate < 0.002, "window escapes " + windowRate);
            assertTrue(paletteRate > 0.005, "palette escapes " + paletteRate);
            assertTrue(windowRate < paletteRate / 20, windowRate + " vs " + paletteRate);
            assertTrue(window.escapeCount() > 0, "the case must exercise escapes");
            double ratio = (double) window.byteSize() / w.byteSize();
            assertTrue(ratio > 0.755 && ratio < 0.758, "1548 of 2048 bytes per tile plus a few escapes: " + ratio);
            assertRoundTrip(w, window, arena);
            assertPatchedEqualsOriginal(w, window);
        }
    }

    @ParameterizedTest
    @EnumSource(PaletteEncoder.Scope.class)
    void randomBitsRoundTrip(PaletteEncoder.Scope scope) {
        // Every 16-bit pattern is possible: NaNs, infinities, subnormals, all 256 exponents; a window holds 15.
        try (Arena arena = Arena.ofShared()) {
            MemorySegment w = arena.allocate(48L * 192 * 2, 2);
            SplittableRandom random = new SplittableRandom(7);
            for (long i = 0; i < 48 * 192; i++) w.setAtIndex(BF16, i, (short) random.nextInt());
            PaletteTensor p = PaletteEncoder.encode(w, 48, 192, scope, Coding.WINDOW, arena);
            assertTrue(p.escapeCount() > 48 * 192 * 3 / 4, "uniform exponents must escape mostly: " + p.escapeCount());
            assertRoundTrip(w, p, arena);
            assertPatchedEqualsOriginal(w, p);
        }
    }

    @ParameterizedTest
    @EnumSource(PaletteEncoder.Scope.class)
    void wideExponentRangesRoundTrip(PaletteEncoder.Scope scope) {
        // Tiles along K: exponents 240..254 (the highest window), 0..14 (the lowest: zeros, subnormals), a
        // random 0..255, only 255 (infinities and NaNs: every weight escapes), and a crowd at 127 with outliers.
        try (Arena arena = Arena.ofShared()) {
            int n = 32, k = 320;
            MemorySegment w = arena.allocate((long) n * k * 2, 2);
            SplittableRandom random = new SplittableRandom(13);
            for (int r = 0; r < n; r++) {
                for (int c = 0; c < k; c++) {
                    int exponent = switch (c / 64) {
                        case 0 -> 240 + random.nextInt(15);
                        case 1 -> random.nextInt(15);
                        case 2 -> random.nextInt(256);
                        case 3 -> 255;
                        default -> random.nextInt(50) == 0 ? random.nextInt(256) : 127;
                    };
                    w.setAtIndex(BF16, (long) r * k + c, (short) (random.nextInt(2) << 15 | exponent << 7 | random.nextInt(128)));
                }
            }
            PaletteTensor p = PaletteEncoder.encode(w, n, k, scope, Coding.WINDOW, arena);
            if (scope == PaletteEncoder.Scope.TILE) {
                int[] expected = {240, 0, -1, 0, -1}; // -1: the outliers decide
                for (int t = 0; t < p.tileCount(); t++) {
                    int base = p.palettes().get(ValueLayout.JAVA_BYTE, t * 8L) & 0xFF;
                    if (expected[t % 5] >= 0) assertEquals(expected[t % 5], base, "tile " + t);
                    int escapes = p.escapeStarts().getAtIndex(INT, t + 1) - p.escapeStarts().getAtIndex(INT, t);
                    if (t % 5 < 2) assertEquals(0, escapes, "tile " + t + " fits its window");
                    if (t % 5 == 3) assertEquals(1024, escapes, "tile " + t + ": exponent 255 always escapes");
                }
            }
            assertRoundTrip(w, p, arena);
            assertPatchedEqualsOriginal(w, p);
        }
    }

    @Test
    void roundTripOnOneThreadToo() {
        try (Arena arena = Arena.ofConfined()) { // confined: the coder must stay on this thread
            MemorySegment w = llamaLike(64, 128, 3, arena);
            PaletteTensor p = PaletteEncoder.encode(w, 64, 128, PaletteEncoder.Scope.TENSOR, Coding.WINDOW, arena);
            assertRoundTrip(w, p, arena);
        }
    }

    // The hostile cases run on confined arenas: tiles are then decoded in order, so the first bad tile is the one reported.

    @Test
    void hostileWindowEntriesAreRejected() {
        try (Arena arena = Arena.ofConfined()) {
            PaletteTensor p = planted(arena);
            MemorySegment out = arena.allocate(p.elements() * 2, 2);
            PaletteDecoder.decode(p, out);
            byte base = p.palettes().get(ValueLayout.JAVA_BYTE, 8);
            p.palettes().set(ValueLayout.JAVA_BYTE, 8, (byte) 241);
            assertMalformed(() -> PaletteDecoder.validate(p), 8, "palettes: tile 1 has window base 241, above 240");
            p.palettes().set(ValueLayout.JAVA_BYTE, 8, (byte) 255);
            assertMalformed(() -> PaletteDecoder.decode(p, out), 8, "palettes: tile 1 has window base 255");
            p.palettes().set(ValueLayout.JAVA_BYTE, 8, base);
            p.palettes().set(ValueLayout.JAVA_BYTE, 2 * 8 + 3, (byte) 1);
            assertMalformed(() -> PaletteDecoder.validate(p), 19, "palettes: tile 2 has 1 in byte 3");
            p.palettes().set(ValueLayout.JAVA_BYTE, 2 * 8 + 3, (byte) 0);
            p.palettes().set(ValueLayout.JAVA_BYTE, 7, (byte) 0x80); // the palette coding's reserved entry: zero here too
            assertMalformed(() -> PaletteDecoder.validate(p), 7, "palettes: tile 0 has 128 in byte 7");
            p.palettes().set(ValueLayout.JAVA_BYTE, 7, (byte) 0);
            p.palettes().set(ValueLayout.JAVA_BYTE, 8, (byte) 240);
            PaletteDecoder.validate(p); // base 240 is allowed (the data no longer decodes to W, but that is not the validator's to know)
        }
    }

    @Test
    void escapeCountsThatDisagreeWithTheCodesAreRejected() {
        try (Arena arena = Arena.ofConfined()) {
            PaletteTensor p = planted(arena);
            MemorySegment out = arena.allocate(p.elements() * 2, 2);
            // Tile 2 has no escapes: a code 15 there has none to take.
            int lane = 9, j = 20;
            long byteAt = 2L * 1536 + PaletteLayout.windowCodeOffset(lane, j);
            byte before = p.tiles().get(ValueLayout.JAVA_BYTE, byteAt);
            p.tiles().set(ValueLayout.JAVA_BYTE, byteAt, (byte) (before | 0xF << PaletteLayout.windowCodeShift(j)));
            assertMalformed(() -> PaletteDecoder.decode(p, out), byteAt, "tiles: tile 2 has more escape codes (15) than its 0 listed escapes");
            p.tiles().set(ValueLayout.JAVA_BYTE, byteAt, before);
            // Tile 0's one escape (lane 3, weight 7: the high nibble of byte 51) coded 0: one listed escape left over.
            long escapeAt = PaletteLayout.windowCodeOffset(3, 7);
            assertEquals(51, escapeAt);
            before = p.tiles().get(ValueLayout.JAVA_BYTE, escapeAt);
            assertEquals(0xF0, before & 0xF0, "weight 7 is the high nibble, coded 15");
            p.tiles().set(ValueLayout.JAVA_BYTE, escapeAt, (byte) (before & 0x0F));
            assertMalformed(() -> PaletteDecoder.decode(p, out), 0, "tiles: tile 0 has 1 fewer escape codes (15) than listed escapes");
            p.tiles().set(ValueLayout.JAVA_BYTE, escapeAt, before);
            PaletteDecoder.decode(p, out);
            // Escape starts that give tile 0 two escapes, or none.
            p.escapeStarts().setAtIndex(INT, 1, 2);
            assertMalformed(() -> PaletteDecoder.decode(p, out), 0, "tiles: tile 0 has 1 fewer escape codes (15) than listed escapes");
            p.escapeStarts().setAtIndex(INT, 1, 0);
            assertMalformed(() -> PaletteDecoder.decode(p, out), 51, "tiles: tile 0 has more escape codes (15) than its 0 listed escapes");
            // Starts that decrease, or do not begin at 0.
            p.escapeStarts().setAtIndex(INT, 1, 1);
            p.escapeStarts().setAtIndex(INT, 2, 0);
            assertMalformed(() -> PaletteDecoder.validate(p), 8, "escapeStarts: tile 1 has -1 escapes");
            p.escapeStarts().setAtIndex(INT, 2, 3);
            p.escapeStarts().setAtIndex(INT, 0, 1);
            assertMalformed(() -> PaletteDecoder.validate(p), 0, "escapeStarts[0] is not 0");
            p.escapeStarts().setAtIndex(INT, 0, 0);
            PaletteDecoder.decode(p, out);
        }
    }

    @Test
    void escapePositionsOutOfRangeOrElsewhereAreRejected() {
        try (Arena arena = Arena.ofConfined()) {
            PaletteTensor p = planted(arena);
            MemorySegment out = arena.allocate(p.elements() * 2, 2);
            short second = p.escapePositions().getAtIndex(BF16, 1);
            p.escapePositions().setAtIndex(BF16, 1, (short) 1024);
            assertMalformed(() -> PaletteDecoder.validate(p), 2, "escapePositions: escape 1 at position 1024, past the tile's 1024 weights");
            p.escapePositions().setAtIndex(BF16, 1, (short) 0xFFFF);
            assertMalformed(() -> PaletteDecoder.decode(p, out), 2, "escapePositions: escape 1 at position 65535");
            p.escapePositions().setAtIndex(BF16, 1, (short) ((second + 1) & 1023));
            assertMalformed(() -> PaletteDecoder.decode(p, out), 2, "escapePositions: escape 1 (tile 1) says position " + ((second + 1) & 1023));
        }
    }

    @Test
    void truncatedPartsAreRejected() {
        try (Arena arena = Arena.ofConfined()) {
            PaletteTensor p = planted(arena);
            long r = p.rows(), c = p.cols(), tiles = p.tiles().byteSize();
            assertMalformed(() -> new PaletteTensor(r, c, p.tiles().asSlice(0, tiles - 1), p.palettes(), p.escapeStarts(), p.escapes(), p.escapePositions(), Coding.WINDOW),
                    tiles - 1, "tiles: " + (tiles - 1) + " bytes, 4 tiles of the WINDOW coding take " + tiles);
            assertMalformed(() -> new PaletteTensor(r, c, p.tiles(), p.palettes(), p.escapeStarts(), p.escapes(), p.escapePositions()),
                    4 * 1408, "tiles: " + tiles + " bytes, 4 tiles of the PALETTE coding take " + 4 * 1408);
            assertMalformed(() -> new PaletteTensor(r, c, p.tiles(), p.palettes().asSlice(0, 31), p.escapeStarts(), p.escapes(), p.escapePositions(), Coding.WINDOW),
                    31, "palettes: 31 bytes");
            assertMalformed(() -> new PaletteTensor(r, c, p.tiles(), p.palettes(), p.escapeStarts().asSlice(0, 16), p.escapes(), p.escapePositions(), Coding.WINDOW),
                    16, "escapeStarts: 16 bytes");
            assertMalformed(() -> new PaletteTensor(r, c, p.tiles(), p.palettes(), p.escapeStarts(), p.escapes(), p.escapePositions().asSlice(0, 5), Coding.WINDOW),
                    5, "escapePositions: 5 bytes, 3 escapes take 6");
            PaletteTensor shortList = new PaletteTensor(r, c, p.tiles(), p.palettes(), p.escapeStarts(), p.escapes().asSlice(0, 2), p.escapePositions().asSlice(0, 4), Coding.WINDOW);
            assertMalformed(() -> PaletteDecoder.validate(shortList), 16, "escapeStarts ends at 3 but the escape list has 2 bytes");
        }
    }

    /** The definition: the first base in 0..240 whose window b..b+14 holds the most. */
    private static int bruteForceBase(long[] counts) {
        int best = 0;
        long most = -1;
        for (int base = 0; base <= 240; base++) {
            long sum = 0;
            for (int e = base; e < base + 15; e++) sum += counts[e];
            if (sum > most) {
                most = sum;
                best = base;
            }
        }
        return best;
    }

    /** Normal weights, std 0.02. */
    private static MemorySegment llamaLike(int n, int k, long seed, Arena arena) {
        MemorySegment w = arena.allocate((long) n * k * 2, 2);
        LayoutSurvey.fillLlamaLike(w, seed);
        return w;
    }

    /**
     * Four tiles (16 x 256), every exponent 120 (per-tile base 106) but three planted outliers of exponent 200:
     * one in tile 0 at lane 3's weight 7, two in tile 1; tiles 2 and 3 have none.
     */
    private static PaletteTensor planted(Arena arena) {
        int n = 16, k = 256;
        MemorySegment w = arena.allocate((long) n * k * 2, 2);
        SplittableRandom random = new SplittableRandom(2);
        for (long i = 0; i < (long) n * k; i++) w.setAtIndex(BF16, i, (short) (random.nextInt(2) << 15 | 120 << 7 | random.nextInt(128)));
        plant(w, k, 0, PaletteLayout.row(3, 7), PaletteLayout.col(Coding.WINDOW, 3, 7));
        plant(w, k, 1, 4, 9);
        plant(w, k, 1, 12, 40);
        PaletteTensor p = PaletteEncoder.encode(w, n, k, PaletteEncoder.Scope.TILE, Coding.WINDOW, arena);
        assertEquals(3, p.escapeCount());
        for (int t = 0; t < 4; t++) assertEquals(106, p.palettes().get(ValueLayout.JAVA_BYTE, t * 8L));
        assertArrayEquals(new int[] {0, 1, 3, 3, 3}, p.escapeStarts().toArray(ValueLayout.JAVA_INT));
        return p;
    }

    private static void plant(MemorySegment w, int k, int tile, int row, int col) {
        long i = (long) row * k + 64L * tile + col;
        w.setAtIndex(BF16, i, (short) (w.getAtIndex(BF16, i) & 0x807F | 200 << 7));
    }

    private static void assertMalformed(Executable e, long offset, String reason) {
        MalformedInputException x = assertThrows(MalformedInputException.class, e);
        assertTrue(x.reason().startsWith(reason), x.getMessage());
        assertEquals(offset, x.offset(), x.getMessage());
    }

    private static void assertRoundTrip(MemorySegment w, PaletteTensor p, Arena arena) {
        MemorySegment back = arena.allocate(w.byteSize(), 2);
        back.fill((byte) 0x5A);
        PaletteDecoder.decode(p, back);
        assertEquals(-1, back.mismatch(w), "first differing byte");
    }

    /**
     * The kernels' decode (LAYOUT.md), on the CPU: lane l's four code words, masked and added to the base four
     * bytes at a time, give weights 8G..8G+3 and 8G+4..8G+7; then each escape's exponent is written at its
     * position, in plane order as the patching kernels' exponent buffer holds it.
     */
    private static void assertPatchedEqualsOriginal(MemorySegment w, PaletteTensor p) {
        PaletteDecoder.validate(p);
        long tilesPerStrip = p.cols() / PaletteLayout.TILE_COLS;
        for (long t = 0; t < p.tileCount(); t++) {
            MemorySegment tile = p.tile(t);
            int spread = (p.palettes().get(ValueLayout.JAVA_BYTE, t * 8) & 0xFF) * 0x01010101;
            int[] exponents = new int[PaletteLayout.TILE_WEIGHTS];
            for (int lane = 0; lane < 32; lane++) {
                for (int g = 0; g < 4; g++) {
                    int word = tile.get(INT, 16 * lane + 4 * g);
                    int low = (word & 0x0F0F0F0F) + spread, high = ((word >>> 4) & 0x0F0F0F0F) + spread;
                    for (int i = 0; i < 4; i++) {
                        exponents[PaletteLayout.escapePosition(lane, 8 * g + i)] = (low >>> (8 * i)) & 0xFF;
                        exponents[PaletteLayout.escapePosition(lane, 8 * g + 4 + i)] = (high >>> (8 * i)) & 0xFF;
                    }
                }
            }
            int from = p.escapeStarts().getAtIndex(INT, t), to = p.escapeStarts().getAtIndex(INT, t + 1);
            for (int i = from; i < to; i++) exponents[p.escapePositions().getAtIndex(BF16, i) & 0xFFFF] = p.escapes().get(ValueLayout.JAVA_BYTE, i) & 0xFF;
            for (int lane = 0; lane < 32; lane++) {
                for (int j = 0; j < 32; j++) {
                    int plane = tile.get(ValueLayout.JAVA_BYTE, PaletteLayout.planeOffset(Coding.WINDOW, lane, j)) & 0xFF;
                    int partner = tile.get(ValueLayout.JAVA_BYTE, PaletteLayout.planeOffset(Coding.WINDOW, lane, j ^ 1)) & 0xFF;
                    int value = (partner & 1) << 15 | exponents[PaletteLayout.escapePosition(lane, j)] << 7 | plane >>> 1;
                    long index = ((t / tilesPerStrip) * 16 + PaletteLayout.row(lane, j)) * p.cols() + (t % tilesPerStrip) * 64 + PaletteLayout.col(Coding.WINDOW, lane, j);
                    int expected = w.getAtIndex(BF16, index) & 0xFFFF;
                    if (expected != value) fail("tile " + t + " lane " + lane + " weight " + j + ": " + Integer.toHexString(value) + ", expected " + Integer.toHexString(expected));
                }
            }
        }
    }
}
