package dev.weightless.tasks.codec;

import dev.weightless.io.container.CompressedFile;
import dev.weightless.io.container.TensorRecord;
import dev.weightless.io.safetensors.SafetensorsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The synthetic model ModelLoadCheck loads on a GPU host: Llama shapes, Huffman-coded (or by another coder), the original kept beside it for --plain. */
class ModelLoadCheckTest {
    @TempDir Path dir;

    @Test
    void smallestSyntheticLlamaIsOneQProjection() throws IOException {
        Path file = ModelLoadCheck.syntheticLlama(0.03, "huffman", dir);
        Path original = dir.resolve(file.getFileName().toString().replace(".weightless", ".safetensors"));
        try (var files = Files.list(dir)) {
            assertEquals(java.util.Set.of(file, original), java.util.Set.copyOf(files.toList()));
        }
        try (SafetensorsFile o = SafetensorsFile.open(original)) {
            assertEquals(4096L * 4096 * 2, o.tensors().getFirst().byteSize());
        }
        try (CompressedFile f = CompressedFile.open(file)) {
            TensorRecord r = f.tensors().getFirst();
            assertEquals(1, f.tensors().size());
            assertEquals("model.layers.0.self_attn.q_proj.weight", r.name());
            assertArrayEquals(new long[] {4096, 4096}, r.shape());
            assertEquals(TensorRecord.Codec.HUFFMAN, r.codec());
        }
    }

    @Test
    void aSyntheticLlamaOfAnotherCoderIsFormatVersion2() throws IOException {
        Path file = ModelLoadCheck.syntheticLlama(0.03, "palette", dir);
        assertEquals("weightless-synthetic-llama-0.03gib-palette.weightless", file.getFileName().toString());
        try (CompressedFile f = CompressedFile.open(file)) {
            TensorRecord r = f.tensors().getFirst();
            assertEquals(TensorRecord.Codec.CODED, r.codec());
            assertEquals("palette", r.coder());
        }
    }
}
