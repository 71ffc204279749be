package dev.weightless.io.container;

import dev.weightless.io.safetensors.ShardedIndex;

import java.nio.file.Files;
import java.nio.file.Path;

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

    /** What an output must never replace: the file, or the sharded model's folder. */
    Path input() { return sharded() ? folder() : file; }

    Path folder() { return index.toAbsolutePath().getParent(); }
}
