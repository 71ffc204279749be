package dev.weightless.tasks.codec;

import dev.weightless.io.container.CompressedFile;
import dev.weightless.io.container.TensorRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The synthetic model ModelLoadCheck loads on a GPU host: Llama shapes, Huffman-coded, the original removed. */
class ModelLoadCheckTest {
    @TempDir Path dir;

    @Test
    void smallestSyntheticLlamaIsOneQProjection() throws IOException {
        Path file = ModelLoadCheck.syntheticLlama(0.03, dir);
        assertEquals(List.of(file), Files.list(dir).toList());
        try (CompressedFile f = CompressedFile.open(file)) {
            TensorRecord r = f.tensors().getFirst();
            assertEquals(1, f.tensors().size());
            assertEquals("model.layers.0.self_attn.q_proj.weight", r.name());
            assertArrayEquals(new long[] {4096, 4096}, r.shape());
            assertEquals(TensorRecord.Codec.HUFFMAN, r.codec());
        }
    }
}
