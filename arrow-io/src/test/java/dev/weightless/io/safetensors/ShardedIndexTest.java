package dev.weightless.io.safetensors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weightless.codec.MalformedInputException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShardedIndexTest {
    private static final String INDEX = """
            {
              "metadata": {"total_size": 1234, "format": "pt"},
              "weight_map": {
                "lm_head.weight": "model-00002-of-00002.safetensors",
                "embed.weight": "model-00001-of-00002.safetensors",
                "layer.0.weight": "model-00002-of-00002.safetensors"
              }
            }
            """;

    private static ShardedIndex parse(String json) {
        return ShardedIndex.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void readsTheHuggingFaceLayout() {
        ShardedIndex index = parse(INDEX);
        assertEquals(1234L, index.metadata().get("total_size"));
        assertEquals(List.of("lm_head.weight", "embed.weight", "layer.0.weight"), List.copyOf(index.weightMap().keySet()));
        assertEquals(List.of("model-00002-of-00002.safetensors", "model-00001-of-00002.safetensors"), index.shards());
        assertEquals(Map.of(), parse("{\"weight_map\":{}}").metadata());
    }

    @Test
    void roundTripsThroughJson() {
        ShardedIndex index = parse(INDEX);
        assertEquals(index, ShardedIndex.parse(index.toJson()));
        assertTrue(new String(index.toJson(), StandardCharsets.UTF_8).startsWith("{\"metadata\":{\"total_size\":1234,"));
    }

    @Test
    void readNamesTheFile(@TempDir Path dir) throws IOException {
        Path file = dir.resolve(ShardedIndex.FILE_NAME);
        Files.writeString(file, INDEX);
        assertEquals(parse(INDEX), ShardedIndex.read(file));
        Files.writeString(file, "{\"weight_map\":{\"a\":\"../x.safetensors\"}}");
        MalformedInputException e = assertThrows(MalformedInputException.class, () -> ShardedIndex.read(file));
        assertEquals(file.toString(), e.source());
        Files.writeString(file, "{\"weight_map\":{\"a\":1,}}");
        assertEquals(21, assertThrows(MalformedInputException.class, () -> ShardedIndex.read(file)).offset());
    }

    @Test
    void refusesShardsOutsideTheFolder() {
        for (String shard : List.of("../model.safetensors", "..", ".", "", "/etc/passwd", "sub/model.safetensors",
                "sub\\\\model.safetensors", "C:model.safetensors", "a\\u0000b")) {
            String json = "{\"weight_map\":{\"t\":\"" + shard + "\"}}";
            MalformedInputException e = assertThrows(MalformedInputException.class, () -> parse(json), shard);
            assertEquals(0, e.offset());
        }
        assertThrows(IllegalArgumentException.class, () -> new ShardedIndex(Map.of(), Map.of("t", "../x")));
        assertThrows(IllegalArgumentException.class, () -> ShardedIndex.shardPath(Path.of("models"), "../x"));
        assertEquals(Path.of("models", "a.safetensors"), ShardedIndex.shardPath(Path.of("models"), "a.safetensors"));
        assertTrue(ShardedIndex.isPlainFileName("..model.safetensors"));
        assertFalse(ShardedIndex.isPlainFileName("a/"));
    }

    @Test
    void rejectsMalformedIndexes() {
        for (String json : List.of("[]", "{}", "{\"weight_map\":[]}", "{\"weight_map\":{\"t\":1}}",
                "{\"weight_map\":{\"t\":null}}", "{\"weight_map\":{},\"metadata\":[]}", "{\"weight_map\":{},\"extra\":1}")) {
            assertThrows(MalformedInputException.class, () -> parse(json), json);
        }
    }
}
