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
                int at = PaletteLayout.row(lane, j) * 64 + PaletteLayout.col(lane, j);
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
    void shapesOutsideTheTileGridAreRefused() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment w = arena.allocate(24L * 64 * 2, 2);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PaletteEncoder.encode(w, 24, 64, PaletteEncoder.Scope.TILE, arena));
            assertTrue(e.getMessage().contains("multiple of 16"), e.getMessage());
        }
    }

    private static void assertRoundTrip(MemorySegment w, PaletteTensor p, Arena arena) {
        MemorySegment back = arena.allocate(w.byteSize(), 2);
        back.fill((byte) 0x5A);
        PaletteDecoder.decode(p, back);
        assertEquals(-1, back.mismatch(w), "first differing byte");
    }
}
