package dev.weightless.io.container;

import dev.weightless.io.safetensors.ShardedIndex;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Where a model's files are: one safetensors file, or a sharded model's index and its folder. */
record Sources(Path file, Path index) {
    /** A file, a folder holding model.safetensors.index.json, or that index file itself. */
    static Sources of(Path in) {
        if (Files.isDirectory(in)) {
            Path index = in.resolve(ShardedIndex.FILE_NAME);
            if (!Files.isRegularFile(index)) {
                throw new IllegalArgumentException(in + ": a folder must hold " + ShardedIndex.FILE_NAME + " (for a single file, pass the file)");
            }
            return new Sources(null, index);
        }
        if (!Files.isRegularFile(in)) throw new IllegalArgumentException(in + ": no such file or folder");
        return in.getFileName().toString().endsWith(".index.json") ? new Sources(null, in) : new Sources(in, null);
    }

    boolean sharded() { return index != null; }

    /**
     * The model's safetensors files: the file, or each shard its index names (for a Weightless index,
     * the original index it keeps, which lists every shard once).
     */
    List<Path> files() throws IOException {
        if (!sharded()) return List.of(file);
        ShardedIndex index = ShardedIndex.read(this.index);
        if (index.metadata().containsKey(ContainerFormat.FORMAT_KEY)) index = ShardedIndex.parse(Decompressor.originalIndex(this.index));
        List<Path> files = new ArrayList<>();
        for (String shard : index.shards()) files.add(ShardedIndex.shardPath(folder(), shard));
        return List.copyOf(files);
    }

    /** What an output must never replace: the file, or the sharded model's folder. */
    Path input() { return sharded() ? folder() : file; }

    Path folder() { return index.toAbsolutePath().getParent(); }
}
