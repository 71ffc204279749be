package dev.weightless.io.container;

import dev.weightless.codec.CodeTable;
import dev.weightless.codec.CodecOptions;
import dev.weightless.codec.Crc32c;
import dev.weightless.codec.HuffmanEncoder;
import dev.weightless.codec.coder.CodedTensor;
import dev.weightless.codec.coder.Coders;
import dev.weightless.io.arrow.ArrowMemory;
import dev.weightless.io.safetensors.Dtype;
import dev.weightless.io.safetensors.SafetensorsFile;
import dev.weightless.io.safetensors.SafetensorsWriter;
import dev.weightless.io.safetensors.ShardedIndex;
import dev.weightless.io.safetensors.TensorInfo;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Compresses a safetensors model, single file or sharded, into Weightless files. Every BF16 tensor
 * that shrinks is coded (Huffman unless {@link #coding} says otherwise); other tensors are kept as they are. The input is only read (mapped
 * read-only); the output appears under its name only once complete.
 */
public final class Compressor {
    private final CodecOptions codec;
    private final boolean replace;
    private final Progress progress;
    private final TensorWriter writer;
    private boolean verify;
    private CoderChoice coders = CoderChoice.huffman();

    /**
     * Writes one Huffman tensor's four parts as {@link HuffmanEncoder.Plan#write} does, into segments of exactly
     * the planned sizes; {@code bf16} is the tensor's values, {@code options} reports progress (2 bytes per value).
     */
    @FunctionalInterface
    public interface TensorWriter {
        void write(HuffmanEncoder.Plan plan, MemorySegment bf16, MemorySegment table, MemorySegment index,
                   MemorySegment payload, MemorySegment plane, CodecOptions options);
    }

    public Compressor(CodecOptions codec, boolean replace, Progress progress) {
        this(codec, replace, progress, (plan, bf16, table, index, payload, plane, options) -> plan.write(table, index, payload, plane));
    }

    /** With another writer for the Huffman tensors (the GPU's); the file around them is written the same way. */
    public Compressor(CodecOptions codec, boolean replace, Progress progress, TensorWriter writer) {
        this.codec = codec;
        this.replace = replace;
        this.progress = progress;
        this.writer = writer;
    }

    /** Also decode every written file before it takes its name, and fail unless it restores the input exactly. */
    public Compressor verifying(boolean verify) {
        this.verify = verify;
        return this;
    }

    /** Which coder each BF16 tensor gets (default: the container's Huffman codec, format version 1). */
    public Compressor coding(CoderChoice coders) {
        this.coders = coders;
        return this;
    }

    /** Compresses {@code in} (a file, a sharded model's folder or its index) to {@code out}. */
    public void compress(Path in, Path out) throws IOException {
        Sources src = Sources.of(in);
        AtomicOutput.requireNotInput(out, in, src.input());
        if (!src.sharded()) {
            AtomicOutput.writeFile(out, replace, dst -> compressFile(src.file(), dst));
            return;
        }
        byte[] indexText = Files.readAllBytes(src.index());
        ShardedIndex index = ShardedIndex.read(src.index());
        try (AtomicOutput dst = AtomicOutput.directory(out, replace)) {
            Map<String, String> weightMap = new LinkedHashMap<>();
            int version = ContainerFormat.VERSION;
            for (String shard : index.shards()) {
                Written w = AtomicOutput.writeFile(dst.path().resolve(shard), false,
                        file -> compressFile(ShardedIndex.shardPath(src.folder(), shard), file));
                for (String name : w.names()) weightMap.put(name, shard);
                version = Math.max(version, w.version());
            }
            Map<String, Object> metadata = new LinkedHashMap<>();
            // The index says the highest version among its shards: 1 when none has a coded tensor, as before coders.
            metadata.put(ContainerFormat.FORMAT_KEY, Integer.toString(version));
            String text = new String(indexText, StandardCharsets.UTF_8);
            metadata.put(ContainerFormat.ORIGINAL_INDEX_KEY, text);
            metadata.put(ContainerFormat.CRC_KEY, ContainerFormat.crc(text));
            Files.write(dst.path().resolve(ShardedIndex.FILE_NAME), new ShardedIndex(metadata, weightMap).toJson());
            dst.commit();
        }
    }

    /** What one written file stores: its tensors' names and its format version. */
    private record Written(List<String> names, int version) {}

    /** Writes one compressed file into {@code dst}. */
    private Written compressFile(Path in, AtomicOutput dst) throws IOException {
        try (SafetensorsFile file = SafetensorsFile.open(in)) {
            List<Planned> planned = plan(file);
            SafetensorsWriter.Builder builder = SafetensorsWriter.builder().metadata(
                    ContainerFormat.metadata(new String(file.header(), StandardCharsets.UTF_8), planned.stream().map(Planned::record).toList()));
            for (Planned p : planned) ContainerFormat.declareParts(builder, p.record, p.partBytes());
            progress.begin("compress " + in.getFileName(), planned.stream().mapToLong(p -> p.tensor.byteSize()).sum());
            List<String> names = new ArrayList<>();
            // The coded parts of each tensor go to the writer in one Arrow buffer of the job's allocator, as large
            // as the largest tensor's parts (each 8-aligned) and reused: its pages are faulted in once per file.
            long largest = planned.stream().filter(p -> p.plan != null).mapToLong(p -> EncodedModelWriter.stageBytes(p.partBytes())).max().orElse(0);
            try (BufferAllocator job = ArrowMemory.job(); ArrowBuf stage = ArrowMemory.allocate(job, largest);
                 FileChannel channel = dst.openChannel()) {
                SafetensorsWriter out = builder.open(channel);
                CodecOptions withProgress = codec.withProgress(progress::advance);
                int done = 0;
                for (Planned p : planned) {
                    if (p.record.codec() == TensorRecord.Codec.HUFFMAN) {
                        // Stage hand-off in Arrow buffers: the mapped input wrapped (not copied), the parts in the stage buffer.
                        try (ArrowBuf input = ArrowMemory.wrap(file.data(p.tensor), job)) {
                            MemorySegment bf16 = ArrowMemory.segment(input);
                            EncodedModelWriter.writeParts(out, stage, EncodedModelWriter.huffman(p.tensor.name(), p.tensor.shape(), p.plan.layout(),
                                    p.plan.crc32c(), p.plan.payloadBytes(),
                                    (table, index, payload, plane) -> writer.write(p.plan, bf16, table, index, payload, plane, withProgress)));
                        }
                    } else if (p.record.codec() == TensorRecord.Codec.CODED) {
                        writeCoded(p, file.data(p.tensor), out);
                        progress.advance(p.tensor.byteSize());
                    } else {
                        out.write(p.tensor.name(), file.data(p.tensor));
                        progress.advance(p.tensor.byteSize());
                    }
                    TestHooks.afterTensor(++done);
                }
                out.finish();
                out.tensors().forEach(t -> names.add(t.name()));
            }
            progress.end();
            if (verify) {
                Verifier.Report check = new Verifier(codec, progress).verify(in, dst.path());
                if (!check.exact()) throw new IOException(in + ": round-trip check failed: " + String.join("; ", check.problems()));
            }
            return new Written(names, ContainerFormat.versionFor(planned.stream().map(Planned::record).toList()));
        }
    }

    /**
     * Codes a tensor again (planning kept only its part sizes, so memory stays one tensor's worth) and
     * writes its parts; a coder that gives other sizes the second time is a bug, reported as such.
     */
    private static void writeCoded(Planned p, MemorySegment bf16, SafetensorsWriter out) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            CodedTensor coded = Coders.byName(p.record.coder()).encode(bf16, arena);
            List<String> names = p.record.codedPartNames();
            if (coded.parts().size() != names.size()) throw new IllegalStateException("coder " + p.record.coder() + " gave " + coded.parts().size() + " parts for " + names.size() + " names");
            for (int i = 0; i < names.size(); i++) {
                if (coded.part(i).byteSize() != p.codedParts[i]) {
                    throw new IllegalStateException("coder " + p.record.coder() + " is not deterministic: part " + names.get(i) + " was "
                            + p.codedParts[i] + " bytes when planned, " + coded.part(i).byteSize() + " now");
                }
                out.write(names.get(i), coded.part(i));
            }
        }
    }

    /** One tensor as planned: its Huffman plan when Huffman-coded, its part sizes when coded by another coder. */
    private record Planned(TensorInfo tensor, TensorRecord record, HuffmanEncoder.Plan plan, long[] codedParts) {
        Planned(TensorInfo tensor, TensorRecord record, HuffmanEncoder.Plan plan) { this(tensor, record, plan, null); }

        /** Sizes of the stored tensors, in {@link ContainerFormat#partNames} order. */
        long[] partBytes() {
            return switch (record.codec()) {
                case HUFFMAN -> new long[] {CodeTable.SERIALIZED_BYTES, plan.indexBytes(), plan.payloadBytes(), plan.planeBytes()};
                case CODED -> codedParts;
                case RAW, PASSTHROUGH -> new long[] {tensor.byteSize()};
            };
        }
    }

    /** First two passes over every BF16 tensor: sizes, checksums and codes, so the header can be written first. */
    private List<Planned> plan(SafetensorsFile file) {
        long bf16Bytes = file.tensors().stream().filter(t -> t.dtype() == Dtype.BF16).mapToLong(TensorInfo::byteSize).sum();
        progress.begin("analyse " + file.path().getFileName(), 2 * bf16Bytes);
        CodecOptions withProgress = codec.withProgress(progress::advance);
        List<Planned> out = new ArrayList<>();
        for (TensorInfo t : file.tensors()) {
            if (t.dtype() != Dtype.BF16) {
                out.add(new Planned(t, record(t, TensorRecord.Codec.PASSTHROUGH, Crc32c.of(file.data(t)), null), null));
                continue;
            }
            HuffmanEncoder.Plan plan = HuffmanEncoder.plan(file.data(t), withProgress);
            CoderChoice.Decision d = coders.choose(file.data(t), plan.encodedBytes());
            if (d.coder() == null) {
                out.add(new Planned(t, record(t, TensorRecord.Codec.RAW, plan.crc32c(), null), null));
            } else if (d.coder().equals("huffman")) {
                out.add(new Planned(t, record(t, TensorRecord.Codec.HUFFMAN, plan.crc32c(), plan), plan));
            } else {
                TensorRecord r = new TensorRecord(t.name(), t.dtype(), t.shape(), TensorRecord.Codec.CODED, plan.crc32c(), 0, 0, d.coder());
                out.add(new Planned(t, r, null, d.partBytes()));
            }
        }
        progress.end();
        return out;
    }

    private static TensorRecord record(TensorInfo t, TensorRecord.Codec codec, int crc, HuffmanEncoder.Plan plan) {
        int chunk = codec == TensorRecord.Codec.HUFFMAN ? plan.layout().chunkSymbols() : 0;
        int group = codec == TensorRecord.Codec.HUFFMAN ? plan.layout().groupChunks() : 0;
        return new TensorRecord(t.name(), t.dtype(), t.shape(), codec, crc, chunk, group);
    }
}
