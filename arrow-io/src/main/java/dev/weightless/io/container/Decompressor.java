package dev.weightless.io.container;

import dev.weightless.codec.CodecOptions;
import dev.weightless.codec.MalformedInputException;
import dev.weightless.io.arrow.ArrowMemory;
import dev.weightless.io.safetensors.SafetensorsWriter;
import dev.weightless.io.safetensors.ShardedIndex;
import dev.weightless.io.safetensors.TensorInfo;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Restores the original safetensors files from Weightless files, byte for byte: the kept original
 * header is written as it was, then each tensor decoded (and its CRC32C checked) in data order.
 */
public final class Decompressor {
    private final CodecOptions codec;
    private final boolean replace;
    private final Progress progress;
    private final TensorDecoder decoder;

    /** Decodes one tensor into {@code out} (its original byte size), checking its CRC32C, as {@link CompressedFile#decode} does. */
    @FunctionalInterface
    public interface TensorDecoder {
        void decode(CompressedFile file, TensorRecord r, MemorySegment out, CodecOptions options);
    }

    public Decompressor(CodecOptions codec, boolean replace, Progress progress) {
        this(codec, replace, progress, CompressedFile::decode);
    }

    /** With another decoder for the tensors (the GPU's); the file around them is written the same way. */
    public Decompressor(CodecOptions codec, boolean replace, Progress progress, TensorDecoder decoder) {
        this.codec = codec;
        this.replace = replace;
        this.progress = progress;
        this.decoder = decoder;
    }

    public void decompress(Path in, Path out) throws IOException {
        Sources src = Sources.of(in);
        AtomicOutput.requireNotInput(out, in, src.input());
        if (!src.sharded()) {
            AtomicOutput.writeFile(out, replace, dst -> decompressFile(src.file(), dst));
            return;
        }
        byte[] originalIndex = originalIndex(src.index());
        ShardedIndex original = ShardedIndex.parse(originalIndex);
        try (AtomicOutput dst = AtomicOutput.directory(out, replace)) {
            for (String shard : original.shards()) {
                AtomicOutput.writeFile(dst.path().resolve(shard), false, file -> decompressFile(ShardedIndex.shardPath(src.folder(), shard), file));
            }
            Files.write(dst.path().resolve(ShardedIndex.FILE_NAME), originalIndex);
            dst.commit();
        }
    }

    /** The original index text kept in a compressed index. */
    static byte[] originalIndex(Path index) throws IOException {
        ShardedIndex compressed = ShardedIndex.read(index);
        Map<String, Object> meta = compressed.metadata();
        Object version = meta.get(ContainerFormat.FORMAT_KEY);
        if (version == null) throw new MalformedInputException(index.toString(), 0, "not a Weightless index (no " + ContainerFormat.FORMAT_KEY + ")");
        ContainerFormat.checkVersion(index.toString(), 0, version);
        if (!(meta.get(ContainerFormat.ORIGINAL_INDEX_KEY) instanceof String text)) {
            throw new MalformedInputException(index.toString(), 0, "the original index is missing");
        }
        ContainerFormat.checkCrc(index.toString(), 0, meta.get(ContainerFormat.CRC_KEY), text);
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        try {
            ShardedIndex.parse(bytes);
        } catch (MalformedInputException e) {
            throw new MalformedInputException(index.toString(), 0, "kept original index is invalid: " + e.getMessage());
        }
        return bytes;
    }

    private Void decompressFile(Path in, AtomicOutput dst) throws IOException {
        try (CompressedFile file = CompressedFile.open(in); BufferAllocator job = ArrowMemory.job(); FileChannel channel = dst.openChannel()) {
            progress.begin("decompress " + in.getFileName(), file.originalFileSize());
            CodecOptions withProgress = codec.withProgress(progress::advance);
            SafetensorsWriter writer = SafetensorsWriter.withRawHeader(file.originalHeader(), channel);
            int done = 0;
            // Each decoded tensor is handed to the writer in one Arrow buffer of the job's allocator, as large
            // as the largest tensor and reused: its pages are faulted in once per file, not once per tensor.
            long largest = writer.tensors().stream().mapToLong(TensorInfo::byteSize).max().orElse(0);
            try (ArrowBuf stage = ArrowMemory.allocate(job, largest)) {
                for (TensorInfo t : writer.tensors()) {
                    MemorySegment out = ArrowMemory.segment(stage, 0, t.byteSize());
                    decoder.decode(file, file.tensor(t.name()), out, withProgress);
                    writer.write(t.name(), out);
                    TestHooks.afterTensor(++done);
                }
            }
            writer.finish();
            progress.end();
        }
        return null;
    }
}
