package dev.weightless.tensorcore.gemm;

import dev.weightless.codec.CodecOptions;
import dev.weightless.io.container.CompressedFile;
import dev.weightless.io.container.Compressor;
import dev.weightless.io.container.Progress;
import dev.weightless.io.safetensors.Dtype;
import dev.weightless.io.safetensors.SafetensorsWriter;
import dev.weightless.tensorcore.layout.LayoutSurvey;
import dev.weightless.tensorcore.layout.PaletteEncoder;
import dev.weightless.tensorcore.layout.PaletteLayout;
import dev.weightless.tensorcore.layout.PaletteTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static org.junit.jupiter.api.Assertions.*;

/** A tensor of a Weightless file becomes an operator over the same palette layout as the original weights give. */
class FusedLinearFromWeightlessTest {
    @TempDir
    Path dir;

    @Test
    void transcodesATensorOfACompressedFile() throws IOException {
        Path original = dir.resolve("m.safetensors"), compressed = dir.resolve("m.wl.safetensors");
        try (Arena arena = Arena.ofShared()) {
            MemorySegment w = arena.allocate(32L * 256 * 2, 2), bias = arena.allocate(32L * 2, 2);
            LayoutSurvey.fillLlamaLike(w, 11);
            LayoutSurvey.fillLlamaLike(bias, 12);
            try (FileChannel out = FileChannel.open(original, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                SafetensorsWriter writer = SafetensorsWriter.builder().tensor("proj.weight", Dtype.BF16, 32, 256).tensor("proj.bias", Dtype.BF16, 32).open(out);
                writer.write("proj.weight", w);
                writer.write("proj.bias", bias);
            }
            new Compressor(CodecOptions.defaults(), false, Progress.NONE).compress(original, compressed);
            try (CompressedFile file = CompressedFile.open(compressed)) {
                FusedLinear op = FusedLinear.fromWeightless(file, file.tensor("proj.weight"), arena);
                assertEquals(FusedLinear.Variant.WINDOW, op.variant(), "the CPU path encodes the window coding");
                assertEquals(32, op.n());
                assertEquals(256, op.k());
                PaletteTensor p = PaletteEncoder.encode(w, 32, 256, PaletteEncoder.Scope.TILE, PaletteLayout.Coding.WINDOW, arena);
                // Few weights escape the window coding; an empty position list goes up as 16 zero bytes (a device buffer is never empty).
                long expected = p.byteSize() + FusedLinear.ESCAPE_PADDING + (p.escapeCount() == 0 ? 16 : 0);
                assertEquals(expected, op.weightBytes());
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FusedLinear.fromWeightless(file, file.tensor("proj.bias"), arena));
                assertTrue(e.getMessage().contains("proj.bias") && e.getMessage().contains("2 dimensions"), e.getMessage());
            }
        }
    }
}
