package dev.weightless.tensorcore.layout;

import dev.weightless.codec.MalformedInputException;
import dev.weightless.io.onnx.BundledModel;
import dev.weightless.io.safetensors.Dtype;
import dev.weightless.io.safetensors.SafetensorsFile;
import dev.weightless.io.safetensors.TensorInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** The palette layout's CPU encoder and decoder: bit-exact round trips, the lane mapping, and rejected corruptions. */
class PaletteRoundTripTest {
    @ParameterizedTest
    @EnumSource(PaletteEncoder.Scope.class)
    void randomBitsRoundTrip(PaletteEncoder.Scope scope) {
        // Every 16-bit pattern is possible: NaNs, infinities, subnormals, all 256 exponents.
        try (Arena arena = Arena.ofShared()) {
            MemorySegment w = arena.allocate(48L * 192 * 2, 2);
            SplittableRandom random = new SplittableRandom(7);
            for (long i = 0; i < 48 * 192; i++) w.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, (short) random.nextInt());
            PaletteTensor p = PaletteEncoder.encode(w, 48, 192, scope, arena);
            assertTrue(p.escapeCount() > 48 * 192 / 2, "uniform exponents must escape mostly: " + p.escapeCount());
            assertRoundTrip(w, p, arena);
        }
    }

    @Test
    void gaussianRoundTripOnOneThreadToo() {
        try (Arena arena = Arena.ofConfined()) { // confined: the coder must stay on this thread
            MemorySegment w = arena.allocate(64L * 128 * 2, 2);
            LayoutSurvey.fillLlamaLike(w, 3);
            PaletteTensor p = PaletteEncoder.encode(w, 64, 128, PaletteEncoder.Scope.TILE, arena);
            double rate = (double) p.escapeCount() / p.elements();
            assertTrue(rate > 0.005 && rate < 0.05, "escape rate of normal weights: " + rate);
            assertRoundTrip(w, p, arena);
        }
    }

    @Test
    void realModelRoundTrip() throws IOException {
        Path file = BundledModel.bf16(Path.of(System.getProperty("basedir", "."), "target", "real-model"));
        int checked = 0;
        try (SafetensorsFile f = SafetensorsFile.open(file); Arena arena = Arena.ofShared()) {
            for (TensorInfo t : f.tensors()) {
                long[] s = t.shape();
                if (t.dtype() != Dtype.BF16 || s.length != 2 || s[0] % 16 != 0 || s[1] % 64 != 0) continue;
                try (Arena local = Arena.ofShared()) {
                    assertRoundTrip(f.data(t), PaletteEncoder.encode(f.data(t), s[0], s[1], PaletteEncoder.Scope.TILE, local), local);
                }
                checked++;
            }
        }
        assertEquals(37, checked, "2-D MiniLM tensors the layout takes: 6 layers x 6 projections and the position embeddings");
    }

    @Test
    void laneMappingCoversTheTileOnce() {
        boolean[] seen = new boolean[PaletteLayout.TILE_WEIGHTS];
        boolean[] bits = new boolean[3 * 32];
        for (int lane = 0; lane < 32; lane++) {
            for (int j = 0; j < 32; j++) {
                int at = PaletteLayout.row(lane, j) * 64 + PaletteLayout.col(PaletteLayout.Coding.PALETTE, lane, j);
                assertFalse(seen[at], "weight at " + at + " twice");
                seen[at] = true;
            }
        }
        for (int j = 0; j < 32; j++) for (int b = 0; b < 3; b++) {
            int bit = PaletteLayout.codeBit(j, b);
            assertFalse(bits[bit], "code bit " + bit + " twice");
            bits[bit] = true;
        }
    }

    @Test
    void corruptEscapeOffsetsAreRejected() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment w = arena.allocate(32L * 128 * 2, 2);
            LayoutSurvey.fillLlamaLike(w, 5);
            PaletteTensor p = PaletteEncoder.encode(w, 32, 128, PaletteEncoder.Scope.TENSOR, arena);
            MemorySegment out = arena.allocate(w.byteSize(), 2);
            int second = p.escapeStarts().getAtIndex(ValueLayout.JAVA_INT_UNALIGNED, 2);
            p.escapeStarts().setAtIndex(ValueLayout.JAVA_INT_UNALIGNED, 2, second + 1);
            MalformedInputException e = assertThrows(MalformedInputException.class, () -> PaletteDecoder.decode(p, out));
            assertTrue(e.getMessage().contains("escape"), e.getMessage());
            p.escapeStarts().setAtIndex(ValueLayout.JAVA_INT_UNALIGNED, 2, second);
            p.tiles().set(ValueLayout.JAVA_INT_UNALIGNED, 0, 0xFFFFFFFF); // lane 0's first code word: all escapes
            e = assertThrows(MalformedInputException.class, () -> PaletteDecoder.decode(p, out));
            assertTrue(e.getMessage().contains("tile 0"), e.getMessage());
        }
    }

    @Test
    void skewedWeightsWithCrowdedTilesRoundTripAndPatch() {
        // Mostly a narrow normal, but every third tile (of 8 along K) also holds a band of wide values:
        // tiles with 0, about 20 and well over 64 escapes (the patching kernel's slow path), signs mixed.
        try (Arena arena = Arena.ofShared()) {
            int n = 32, k = 512;
            MemorySegment w = arena.allocate((long) n * k * 2, 2);
            SplittableRandom random = new SplittableRandom(11);
            int[] escapes = new int[(n / 16) * (k / 64)];
            for (int r = 0; r < n; r++) {
                for (int c = 0; c < k; c++) {
                    double std = (c / 64) % 3 == 0 ? 1e-3 * Math.pow(10, random.nextInt(6)) : (c / 64) % 3 == 1 ? 0.02 : 0.0;
                    float v = std == 0 ? 0.001f * (1 + (c & 3)) : (float) (random.nextGaussian() * std);
                    int bits = Float.floatToRawIntBits(v);
                    w.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, (long) r * k + c, (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16));
                }
            }
            PaletteTensor p = PaletteEncoder.encode(w, n, k, PaletteEncoder.Scope.TILE, arena);
            int most = 0, fewest = Integer.MAX_VALUE;
            for (int t = 0; t < escapes.length; t++) {
                int count = p.escapeStarts().getAtIndex(ValueLayout.JAVA_INT_UNALIGNED, t + 1) - p.escapeStarts().getAtIndex(ValueLayout.JAVA_INT_UNALIGNED, t);
                most = Math.max(most, count);
                fewest = Math.min(fewest, count);
            }
            assertTrue(most > 64 && fewest == 0, "the case needs tiles with no escapes and with over 64: " + fewest + ".." + most);
            assertRoundTrip(w, p, arena);
            assertPatchedEqualsOriginal(w, p, arena);
        }
    }

    @Test
    void patchingByPositionRestoresRealAndRandomWeights() throws IOException {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment w = arena.allocate(48L * 192 * 2, 2);
            SplittableRandom random = new SplittableRandom(8);
            for (long i = 0; i < 48 * 192; i++) w.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, (short) random.nextInt());
            assertPatchedEqualsOriginal(w, PaletteEncoder.encode(w, 48, 192, PaletteEncoder.Scope.TILE, arena), arena);
        }
        Path file = BundledModel.bf16(Path.of(System.getProperty("basedir", "."), "target", "real-model"));
        try (SafetensorsFile f = SafetensorsFile.open(file); Arena arena = Arena.ofShared()) {
            TensorInfo t = f.tensors().stream().filter(i -> i.dtype() == Dtype.BF16 && i.shape().length == 2 && i.shape()[0] == 1536).findFirst().orElseThrow();
            assertPatchedEqualsOriginal(f.data(t), PaletteEncoder.encode(f.data(t), t.shape()[0], t.shape()[1], PaletteEncoder.Scope.TILE, arena), arena);
        }
    }

    @Test
    void corruptEscapePositionsAreRejected() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment w = arena.allocate(32L * 128 * 2, 2);
            LayoutSurvey.fillLlamaLike(w, 6);
            PaletteTensor p = PaletteEncoder.encode(w, 32, 128, PaletteEncoder.Scope.TILE, arena);
            MemorySegment out = arena.allocate(w.byteSize(), 2);
            assertTrue(p.escapeCount() > 2);
            short first = p.escapePositions().getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, 1);
            p.escapePositions().setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, 1, (short) 1024);
            MalformedInputException e = assertThrows(MalformedInputException.class, () -> PaletteDecoder.validate(p));
            assertTrue(e.getMessage().contains("escapePositions: escape 1 at position 1024") && e.offset() == 2, e.getMessage());
            p.escapePositions().setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, 1, (short) ((first + 1) & 1023));
            e = assertThrows(MalformedInputException.class, () -> PaletteDecoder.decode(p, out));
            assertTrue(e.getMessage().contains("escapePositions: escape 1"), e.getMessage());
        }
    }

    @Test
    void entryPointsWithoutACodingMeanThePaletteCoding() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment w = arena.allocate(32L * 128 * 2, 2);
            LayoutSurvey.fillLlamaLike(w, 9);
            PaletteTensor old = PaletteEncoder.encode(w, 32, 128, PaletteEncoder.Scope.TILE, arena);
            PaletteTensor explicit = PaletteEncoder.encode(w, 32, 128, PaletteEncoder.Scope.TILE, PaletteLayout.Coding.PALETTE, arena);
            assertEquals(PaletteLayout.Coding.PALETTE, old.coding());
            assertEquals(old.tileCount() * 1408, old.tiles().byteSize());
            assertEquals(-1, old.tiles().mismatch(explicit.tiles()));
            assertEquals(-1, old.palettes().mismatch(explicit.palettes()));
            assertEquals(-1, old.escapes().mismatch(explicit.escapes()));
            assertEquals(-1, old.escapePositions().mismatch(explicit.escapePositions()));
            PaletteTensor rebuilt = new PaletteTensor(32, 128, old.tiles(), old.palettes(), old.escapeStarts(), old.escapes(), old.escapePositions());
            assertEquals(old, rebuilt, "the 7-argument constructor is the palette coding");
        }
    }

    @Test
    void shapesOutsideTheTileGridAreRefused() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment w = arena.allocate(24L * 64 * 2, 2);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PaletteEncoder.encode(w, 24, 64, PaletteEncoder.Scope.TILE, arena));
            assertTrue(e.getMessage().contains("multiple of 16"), e.getMessage());
        }
    }

    /**
     * The patching kernel's decode, on the CPU: every weight takes its palette entry (code 7 reads entry 7,
     * 0), then each escape's exponent is written at its position, in plane order as the kernel's shared
     * memory holds it; the exponents, joined with the plane, must give W back.
     */
    private static void assertPatchedEqualsOriginal(MemorySegment w, PaletteTensor p, Arena arena) {
        PaletteDecoder.validate(p);
        long tilesPerStrip = p.cols() / PaletteLayout.TILE_COLS;
        for (long t = 0; t < p.tileCount(); t++) {
            MemorySegment tile = p.tiles().asSlice(t * PaletteLayout.TILE_BYTES, PaletteLayout.TILE_BYTES);
            int[] exponents = new int[PaletteLayout.TILE_WEIGHTS];
            for (int lane = 0; lane < 32; lane++) {
                for (int j = 0; j < 32; j++) {
                    int code = 0;
                    for (int b = 0; b < 3; b++) {
                        int bit = PaletteLayout.codeBit(j, b);
                        code |= ((tile.get(ValueLayout.JAVA_INT_UNALIGNED, PaletteLayout.codeWordOffset(lane, bit >>> 5)) >>> (bit & 31)) & 1) << b;
                    }
                    exponents[PaletteLayout.escapePosition(lane, j)] = p.palettes().get(ValueLayout.JAVA_BYTE, t * 8 + code) & 0xFF;
                }
            }
            int from = p.escapeStarts().getAtIndex(ValueLayout.JAVA_INT_UNALIGNED, t), to = p.escapeStarts().getAtIndex(ValueLayout.JAVA_INT_UNALIGNED, t + 1);
            for (int i = from; i < to; i++) exponents[p.escapePositions().getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i) & 0xFFFF] = p.escapes().get(ValueLayout.JAVA_BYTE, i) & 0xFF;
            for (int lane = 0; lane < 32; lane++) {
                for (int j = 0; j < 32; j++) {
                    int plane = tile.get(ValueLayout.JAVA_BYTE, PaletteLayout.planeOffset(lane, j)) & 0xFF, partner = tile.get(ValueLayout.JAVA_BYTE, PaletteLayout.planeOffset(lane, j ^ 1)) & 0xFF;
                    int value = (partner & 1) << 15 | exponents[PaletteLayout.escapePosition(lane, j)] << 7 | plane >>> 1;
                    long index = ((t / tilesPerStrip) * 16 + PaletteLayout.row(lane, j)) * p.cols() + (t % tilesPerStrip) * 64 + PaletteLayout.col(PaletteLayout.Coding.PALETTE, lane, j);
                    int expected = w.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, index) & 0xFFFF;
                    if (expected != value) fail("tile " + t + " lane " + lane + " weight " + j + ": " + Integer.toHexString(value) + ", expected " + Integer.toHexString(expected));
                }
            }
        }
    }

    private static void assertRoundTrip(MemorySegment w, PaletteTensor p, Arena arena) {
        MemorySegment back = arena.allocate(w.byteSize(), 2);
        back.fill((byte) 0x5A);
        PaletteDecoder.decode(p, back);
        assertEquals(-1, back.mismatch(w), "first differing byte");
    }
}
