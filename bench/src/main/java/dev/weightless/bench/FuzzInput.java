package dev.weightless.bench;

import dev.weightless.codec.CodecOptions;
import dev.weightless.io.container.CoderChoice;
import dev.weightless.io.container.CompressedFile;
import dev.weightless.io.container.Compressor;
import dev.weightless.io.container.ContainerFormat;
import dev.weightless.io.container.Progress;
import dev.weightless.io.container.TensorRecord;
import dev.weightless.io.onnx.BundledModel;
import dev.weightless.io.safetensors.Dtype;
import dev.weightless.io.safetensors.SafetensorsFile;
import dev.weightless.io.safetensors.SafetensorsWriter;
import dev.weightless.io.safetensors.TensorInfo;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The file the fuzz run corrupts: a subset of the real MiniLM weights compressed to about 200 KB,
 * with the original tensors to compare against and a map of which bytes belong to which part.
 */
final class FuzzInput {
    /** Real tensors: one 384×384 matrix (most of the bytes, 144 chunks in 5 groups) and small vectors. */
    private static final List<String> REAL = List.of(
            "embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias", "embeddings.token_type_embeddings.weight",
            "encoder.layer.0.attention.self.query.bias", "encoder.layer.0.intermediate.dense.bias",
            "encoder.layer.0.output.LayerNorm.weight", "onnx::MatMul_787");
    /** Synthetic: uniform random bit patterns do not shrink, so the compressor must store them raw. */
    static final String RANDOM = "fuzz.uniform_random_bf16";
    /** Synthetic: the I64 position ids BERT checkpoints carry, the passthrough (non-BF16) case. */
    static final String POSITION_IDS = "embeddings.position_ids";

    /** Bytes [from, to) of the compressed file; kind is "prefix", "header", a part suffix, "raw" or "passthrough". */
    record Region(String kind, String name, int from, int to) {
        int size() { return to - from; }
    }

    /** The coder the BF16 tensors were compressed with ("huffman": a version-1 file; another: version 2). */
    final String coder;
    final byte[] compressed;
    final byte[] originalHeader;
    /** Original tensor bytes by name, in header order. */
    final Map<String, byte[]> originals;
    final List<Region> regions;

    private FuzzInput(String coder, byte[] compressed, byte[] originalHeader, Map<String, byte[]> originals, List<Region> regions) {
        this.coder = coder;
        this.compressed = compressed;
        this.originalHeader = originalHeader;
        this.originals = originals;
        this.regions = regions;
    }

    /** The input for {@code coder}: "huffman" (the default, a version-1 file) or a coder of the coder lab (version 2). */
    static FuzzInput build(Path dir, String coder) throws IOException {
        Files.createDirectories(dir);
        Path subset = dir.resolve("subset.safetensors"), packed = dir.resolve("subset-" + coder + ".wl.safetensors");
        writeSubset(BundledModel.bf16(BenchData.WORK), subset);
        Compressor compressor = new Compressor(CodecOptions.defaults().withThreads(1), true, Progress.NONE);
        if (!coder.equals("huffman")) compressor.coding(CoderChoice.of(coder));
        compressor.compress(subset, packed);

        byte[] header;
        Map<String, byte[]> originals = new LinkedHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(subset)) {
            header = f.header();
            for (TensorInfo t : f.tensors()) originals.put(t.name(), f.data(t).toArray(ValueLayout.JAVA_BYTE));
        }
        byte[] bytes = Files.readAllBytes(packed);
        return new FuzzInput(coder, bytes, header, originals, regions(bytes, coder));
    }

    private static void writeSubset(Path model, Path out) throws IOException {
        SplittableRandom random = new SplittableRandom(20240601);
        byte[] noise = new byte[2 * 512];
        random.nextBytes(noise);
        ByteBuffer ids = ByteBuffer.allocate(8 * 512).order(ByteOrder.LITTLE_ENDIAN);
        for (long i = 0; i < 512; i++) ids.putLong(i);
        try (SafetensorsFile f = SafetensorsFile.open(model);
             FileChannel channel = FileChannel.open(out, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            SafetensorsWriter.Builder b = SafetensorsWriter.builder().metadata(f.metadata());
            for (String name : REAL) b.tensor(name, Dtype.BF16, f.tensor(name).shape());
            b.tensor(RANDOM, Dtype.BF16, 512).tensor(POSITION_IDS, Dtype.I64, 1, 512);
            SafetensorsWriter w = b.open(channel);
            for (String name : REAL) w.write(name, f.data(f.tensor(name)));
            w.write(RANDOM, MemorySegment.ofArray(noise));
            w.write(POSITION_IDS, MemorySegment.ofArray(ids.array()));
            w.finish();
        }
    }

    /** Maps the compressed file; fails unless it has the mix of codecs the run is meant to cover. */
    private static List<Region> regions(byte[] bytes, String coder) {
        List<Region> out = new ArrayList<>();
        try (CompressedFile c = CompressedFile.of(MemorySegment.ofArray(bytes), "fuzz input");
             SafetensorsFile f = SafetensorsFile.of(MemorySegment.ofArray(bytes), "fuzz input")) {
            out.add(new Region("prefix", "", 0, 8));
            out.add(new Region("header", "", 8, (int) f.dataStart()));
            Map<TensorRecord.Codec, Integer> codecs = new LinkedHashMap<>();
            for (TensorRecord r : c.tensors()) codecs.merge(r.codec(), 1, Integer::sum);
            TensorRecord.Codec coded = coder.equals("huffman") ? TensorRecord.Codec.HUFFMAN : TensorRecord.Codec.CODED;
            if (codecs.getOrDefault(coded, 0) < 2 || !codecs.containsKey(TensorRecord.Codec.RAW)
                    || !codecs.containsKey(TensorRecord.Codec.PASSTHROUGH)) {
                throw new IllegalStateException("fuzz input lacks a codec: " + codecs);
            }
            for (TensorInfo t : f.tensors()) {
                String kind = partKind(t.name(), c);
                if (kind == null) kind = c.tensor(t.name()).codec() == TensorRecord.Codec.RAW ? "raw" : "passthrough";
                int from = Math.toIntExact(f.dataStart() + t.begin());
                out.add(new Region(kind, t.name(), from, from + Math.toIntExact(t.byteSize())));
            }
        }
        return List.copyOf(out);
    }

    /** A Huffman part's suffix, "coded" for a part of another coder, null for a tensor stored as it was. */
    private static String partKind(String name, CompressedFile file) {
        int cut = name.indexOf(".wl.");
        if (cut < 0) return null;
        if (file.tensor(name.substring(0, cut)).codec() == TensorRecord.Codec.CODED) return "coded"; // its part names are the coder's
        for (String s : List.of(ContainerFormat.TABLE, ContainerFormat.INDEX, ContainerFormat.PAYLOAD, ContainerFormat.PLANE)) {
            if (name.endsWith(s)) return s;
        }
        throw new IllegalStateException("unexpected stored tensor " + name);
    }

    /** Whether the file has a region of {@code kind} with at least one byte. */
    boolean has(String kind) { return regions.stream().anyMatch(r -> r.kind().equals(kind) && r.size() > 0); }

    /** The region holding byte {@code at}, for describing a mutation. */
    String locate(long at) {
        for (Region r : regions) {
            if (at < r.from() || at >= r.to()) continue;
            String label = r.name().isEmpty() ? r.kind() : r.name().endsWith(r.kind()) ? r.name() : r.name() + " (" + r.kind() + ")";
            return label + " +" + (at - r.from());
        }
        return "end of file";
    }
}
