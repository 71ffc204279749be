package dev.weightless.io.container;

import dev.weightless.codec.ChecksumMismatchException;
import dev.weightless.codec.CodecOptions;
import dev.weightless.codec.MalformedInputException;
import dev.weightless.io.safetensors.SafetensorsFile;
import dev.weightless.io.safetensors.ShardedIndex;
import dev.weightless.io.safetensors.TensorInfo;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Checks that a Weightless file or model decodes to exactly an original's bytes, tensor by tensor. */
public final class Verifier {
    /** What was compared and every difference found; {@code problems} is empty when all is bit-exact. */
    public record Report(int tensors, long bytes, List<String> problems) {
        public boolean exact() { return problems.isEmpty(); }
    }

    private final CodecOptions codec;
    private final Progress progress;
    private final List<String> problems = new ArrayList<>();
    private int tensors;
    private long bytes;

    public Verifier(CodecOptions codec, Progress progress) {
        this.codec = codec;
        this.progress = progress;
    }

    public Report verify(Path original, Path compressed) throws IOException {
        Sources a = Sources.of(original), b = Sources.of(compressed);
        if (a.sharded() != b.sharded()) {
            problems.add("one of " + original + " and " + compressed + " is sharded, the other is not");
        } else if (!a.sharded()) {
            verifyFile(a.file(), b.file());
        } else {
            byte[] index = Files.readAllBytes(a.index());
            if (!Arrays.equals(index, Decompressor.originalIndex(b.index()))) problems.add(b.index() + ": kept index differs from " + a.index());
            for (String shard : ShardedIndex.parse(index).shards()) {
                verifyFile(ShardedIndex.shardPath(a.folder(), shard), ShardedIndex.shardPath(b.folder(), shard));
            }
        }
        return new Report(tensors, bytes, List.copyOf(problems));
    }

    private void verifyFile(Path originalPath, Path compressedPath) throws IOException {
        try (SafetensorsFile original = SafetensorsFile.open(originalPath); CompressedFile compressed = CompressedFile.open(compressedPath)) {
            if (!Arrays.equals(original.header(), compressed.originalHeader())) {
                problems.add(compressedPath + ": kept header differs from the header of " + originalPath);
            }
            progress.begin("verify " + compressedPath.getFileName(), compressed.originalFileSize());
            CodecOptions withProgress = codec.withProgress(progress::advance);
            for (TensorRecord r : compressed.tensors()) {
                TensorInfo o = original.find(r.name()).orElse(null);
                if (o == null) {
                    problems.add(compressedPath + ": tensor \"" + r.name() + "\" is not in " + originalPath);
                    continue;
                }
                try (Arena arena = Arena.ofShared()) {
                    MemorySegment out = arena.allocate(Math.max(1, r.byteSize())).asSlice(0, r.byteSize());
                    compressed.decode(r, out, withProgress);
                    long at = out.mismatch(original.data(o));
                    if (at >= 0) problems.add(compressedPath + ": tensor \"" + r.name() + "\" differs from the original at byte " + at);
                } catch (MalformedInputException | ChecksumMismatchException e) {
                    problems.add(e.getMessage());
                }
                tensors++;
                bytes += r.byteSize();
            }
            if (original.tensors().size() != compressed.tensors().size()) {
                problems.add(compressedPath + " holds " + compressed.tensors().size() + " tensors, " + originalPath + " " + original.tensors().size());
            }
            progress.end();
        }
    }
}
