package dev.weightless.io.safetensors;

import dev.weightless.codec.MalformedInputException;
import dev.weightless.io.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * {@code model.safetensors.index.json}: which shard file holds each tensor of a sharded model.
 * Shard names must be plain file names, so a hostile index cannot point outside its folder.
 *
 * @param metadata  the optional {@code "metadata"} object (such as {@code total_size}), in file order
 * @param weightMap tensor name to shard file name, in file order
 */
public record ShardedIndex(Map<String, Object> metadata, Map<String, String> weightMap) {
    public static final String FILE_NAME = "model.safetensors.index.json";

    public ShardedIndex {
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        weightMap = Collections.unmodifiableMap(new LinkedHashMap<>(weightMap));
        weightMap.forEach((tensor, shard) -> {
            if (!isPlainFileName(shard)) throw new IllegalArgumentException("shard of " + tensor + " is not a plain file name: " + shard);
        });
    }

    /** Reads and validates an index file; errors name it. */
    public static ShardedIndex read(Path file) throws IOException {
        byte[] json = Files.readAllBytes(file);
        try {
            return parse(json);
        } catch (MalformedInputException e) {
            throw e.in(file.toString(), 0);
        }
    }

    /**
     * Parses index JSON. Problems in the JSON text carry their offset; problems with its content
     * carry offset 0, the start of the document.
     */
    public static ShardedIndex parse(byte[] json) {
        Object root = Json.parse(json);
        check(root instanceof Map, "index is not a JSON object");
        Map<?, ?> fields = (Map<?, ?>) root;
        for (Object key : fields.keySet()) {
            check(key.equals("metadata") || key.equals("weight_map"), "unknown field \"" + key + "\" in index");
        }
        Object metadata = fields.containsKey("metadata") ? fields.get("metadata") : Map.of();
        check(metadata instanceof Map, "metadata is not an object");
        check(fields.get("weight_map") instanceof Map, "weight_map is missing or not an object");
        Map<String, String> weightMap = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : ((Map<?, ?>) fields.get("weight_map")).entrySet()) {
            check(e.getValue() instanceof String shard && isPlainFileName(shard),
                    "shard of tensor \"" + e.getKey() + "\" is not a plain file name");
            weightMap.put((String) e.getKey(), (String) e.getValue());
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> metadataMap = (Map<String, Object>) metadata;
        return new ShardedIndex(metadataMap, weightMap);
    }

    private static void check(boolean condition, String reason) {
        MalformedInputException.verify(condition, 0, reason);
    }

    /**
     * True for a name that stays in the folder on every platform: not empty, not {@code .} or
     * {@code ..}, and free of path separators, drive colons and NUL.
     */
    public static boolean isPlainFileName(String name) {
        return !name.isEmpty() && !name.equals(".") && !name.equals("..")
                && name.chars().noneMatch(c -> c == '/' || c == '\\' || c == ':' || c == 0);
    }

    /** Shard file names, each once, in order of first use. */
    public List<String> shards() {
        return List.copyOf(new LinkedHashSet<>(weightMap.values()));
    }

    /** The path of {@code shard} in {@code folder}. */
    public static Path shardPath(Path folder, String shard) {
        if (!isPlainFileName(shard)) throw new IllegalArgumentException("not a plain file name: " + shard);
        return folder.resolve(shard);
    }

    /** Compact JSON of this index. */
    public byte[] toJson() {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("metadata", metadata);
        root.put("weight_map", weightMap);
        return Json.writeUtf8(root);
    }
}
