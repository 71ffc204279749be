package dev.weightless.tensorcore.layout;

import dev.weightless.codec.CodecOptions;
import dev.weightless.codec.HuffmanEncoder;
import dev.weightless.io.onnx.BundledModel;
import dev.weightless.io.safetensors.Dtype;
import dev.weightless.io.safetensors.SafetensorsFile;
import dev.weightless.io.safetensors.TensorInfo;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Sizes of candidate inference layouts on real and synthetic weights, for choosing the layout by
 * measurement (NOTES.md): the palette layout with per-tile and per-tensor palettes, and its window coding
 * (4-bit codes) with per-tile and per-tensor windows (all encoded and decoded here, so the figures are of
 * real, round-tripped encodings), a 4-bit palette (escape rate counted, size computed) and the distribution
 * format's Huffman coding (planned by the codec).
 * {@code java ... LayoutSurvey [MINILM_BF16.safetensors | --bundled DIR] [--synthetic ROWS COLS]}
 */
public final class LayoutSurvey {
    private LayoutSurvey() {}

    /** Totals over the matrices surveyed. */
    static final class Totals {
        long weights, bf16Bytes, tileScope, tensorScope, escapesTile, escapesTensor, escapes4bit, huffman;
        long windowTile, windowTensor, windowEscapesTile, windowEscapesTensor;

        void add(MemorySegment bf16, long rows, long cols) {
            try (Arena arena = Arena.ofShared()) {
                PaletteTensor tile = PaletteEncoder.encode(bf16, rows, cols, PaletteEncoder.Scope.TILE, arena);
                PaletteTensor tensor = PaletteEncoder.encode(bf16, rows, cols, PaletteEncoder.Scope.TENSOR, arena);
                MemorySegment back = arena.allocate(bf16.byteSize(), 2);
                PaletteDecoder.decode(tile, back);
                if (back.mismatch(bf16) >= 0) throw new IllegalStateException("per-tile palette round trip differs");
                PaletteDecoder.decode(tensor, back);
                if (back.mismatch(bf16) >= 0) throw new IllegalStateException("per-tensor palette round trip differs");
                weights += rows * cols;
                bf16Bytes += bf16.byteSize();
                tileScope += tile.byteSize();
                tensorScope += tensor.byteSize();
                escapesTile += tile.escapeCount();
                escapesTensor += tensor.escapeCount();
                for (PaletteEncoder.Scope scope : PaletteEncoder.Scope.values()) {
                    PaletteTensor window = PaletteEncoder.encode(bf16, rows, cols, scope, PaletteLayout.Coding.WINDOW, arena);
                    PaletteDecoder.decode(window, back);
                    if (back.mismatch(bf16) >= 0) throw new IllegalStateException("window (" + scope + ") round trip differs");
                    if (scope == PaletteEncoder.Scope.TILE) {
                        windowTile += window.byteSize();
                        windowEscapesTile += window.escapeCount();
                    } else {
                        windowTensor += window.byteSize();
                        windowEscapesTensor += window.escapeCount();
                    }
                }
                long[] h = PaletteEncoder.histogram(bf16);
                long[] sorted = h.clone();
                Arrays.sort(sorted);
                long top15 = 0;
                for (int i = 0; i < 15; i++) top15 += sorted[255 - i];
                escapes4bit += rows * cols - top15;
                huffman += HuffmanEncoder.plan(bf16, CodecOptions.defaults()).encodedBytes();
            }
        }

        void print(String what) {
            double w = weights;
            long fourBit = weights * 12 / 8 + escapes4bit; // 4-bit codes + plane + one byte per escape
            System.out.printf("%s: %,d weights, %,d bytes of BF16%n", what, weights, bf16Bytes);
            System.out.printf("  palette 3-bit, per-tile palette : %,d bytes = %.2f%% of BF16, escapes %.3f%% of weights (%.3f bits/weight)%n", tileScope, 100.0 * tileScope / bf16Bytes, 100 * escapesTile / w, 8.0 * tileScope / w);
            System.out.printf("  palette 3-bit, per-tensor palette: %,d bytes = %.2f%% of BF16, escapes %.3f%% of weights (%.3f bits/weight)%n", tensorScope, 100.0 * tensorScope / bf16Bytes, 100 * escapesTensor / w, 8.0 * tensorScope / w);
            System.out.printf("  window 4-bit, per-tile window    : %,d bytes = %.2f%% of BF16, escapes %.4f%% of weights (%.3f bits/weight)%n", windowTile, 100.0 * windowTile / bf16Bytes, 100 * windowEscapesTile / w, 8.0 * windowTile / w);
            System.out.printf("  window 4-bit, per-tensor window  : %,d bytes = %.2f%% of BF16, escapes %.4f%% of weights (%.3f bits/weight)%n", windowTensor, 100.0 * windowTensor / bf16Bytes, 100 * windowEscapesTensor / w, 8.0 * windowTensor / w);
            System.out.printf("  palette 4-bit, per-tensor (computed, offsets not counted): >= %,d bytes = %.2f%%, escapes %.4f%%%n", fourBit, 100.0 * fourBit / bf16Bytes, 100 * escapes4bit / w);
            System.out.printf("  distribution format (Huffman, 1024-symbol chunks): %,d bytes = %.2f%% of BF16%n", huffman, 100.0 * huffman / bf16Bytes);
        }
    }

    public static void main(String[] args) throws IOException {
        Path model = null;
        long synRows = 0, synCols = 0;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--bundled" -> model = BundledModel.bf16(Path.of(args[++i]));
                case "--synthetic" -> { synRows = Long.parseLong(args[++i]); synCols = Long.parseLong(args[++i]); }
                default -> model = Path.of(args[i]);
            }
        }
        if (model != null) {
            Totals totals = new Totals();
            long skipped = 0;
            try (SafetensorsFile f = SafetensorsFile.open(model)) {
                for (TensorInfo t : f.tensors()) {
                    long[] s = t.shape();
                    if (t.dtype() != Dtype.BF16 || s.length != 2 || s[0] % 16 != 0 || s[1] % 64 != 0) {
                        skipped += t.elementCount();
                        continue;
                    }
                    totals.add(f.data(t), s[0], s[1]);
                }
            }
            totals.print(model.getFileName() + " (2-D BF16 tensors with rows % 16 == 0 and columns % 64 == 0; " + skipped + " other weights left out)");
        }
        if (synRows > 0) {
            try (Arena arena = Arena.ofShared()) {
                MemorySegment w = arena.allocate(synRows * synCols * 2, 2);
                fillLlamaLike(w, 1);
                Totals totals = new Totals();
                totals.add(w, synRows, synCols);
                totals.print("synthetic Llama-like " + synRows + " x " + synCols + " (normal, std 0.02, rounded to BF16)");
            }
        }
    }

    /** Normal weights with std 0.02 (a Llama-like projection's scale), rounded from float to BF16 to nearest even. */
    public static void fillLlamaLike(MemorySegment bf16, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        long n = bf16.byteSize() / 2;
        for (long i = 0; i < n; i++) bf16.setAtIndex(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, i, toBf16((float) (random.nextGaussian() * 0.02)));
    }

    static short toBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }
}
