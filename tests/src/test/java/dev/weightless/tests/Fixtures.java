package dev.weightless.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.weightless.io.onnx.BundledModel;
import dev.weightless.io.safetensors.Dtype;
import dev.weightless.io.safetensors.SafetensorsFile;
import dev.weightless.io.safetensors.SafetensorsWriter;
import dev.weightless.io.safetensors.ShardedIndex;
import dev.weightless.io.safetensors.TensorInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Models and file helpers shared by the end-to-end tests. */
final class Fixtures {
    /** Tensors of the real model kept in the small sample: about 1 MB, huffman-coded, with tiny and skewed ones. */
    static final List<String> SAMPLE_TENSORS = List.of("embeddings.LayerNorm.bias", "embeddings.LayerNorm.weight",
            "embeddings.position_embeddings.weight", "embeddings.token_type_embeddings.weight", "onnx::MatMul_813", "onnx::MatMul_814");
    /** A BF16 tensor of uniformly random bits: it cannot shrink, so it is stored raw. */
    static final String RANDOM_BF16 = "extra.random_bf16";
    static final String F32 = "extra.f32";

    private static Path realModel;

    private Fixtures() {}

    /** One tensor held in memory. */
    record Tensor(String name, Dtype dtype, long[] shape, byte[] data) {}

    /** The real model as BF16 safetensors, converted once per build and checked against its SHA-256. */
    static synchronized Path realModel() throws IOException {
        if (realModel == null) realModel = BundledModel.bf16(Path.of(System.getProperty("basedir", "."), "target", "real-model"));
        return realModel;
    }

    /** Every tensor of {@code file}, in data order, copied to the heap. */
    static List<Tensor> tensors(Path file) throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            List<Tensor> out = new ArrayList<>();
            for (TensorInfo t : f.tensors()) out.add(new Tensor(t.name(), t.dtype(), t.shape(), f.data(t).toArray(ValueLayout.JAVA_BYTE)));
            return out;
        }
    }

    /** Writes a safetensors file as Hugging Face lays it out (header padded to 8 bytes, data in the given order). */
    static Path write(Path file, Map<String, String> metadata, List<Tensor> tensors) throws IOException {
        SafetensorsWriter.Builder b = SafetensorsWriter.builder().metadata(metadata);
        for (Tensor t : tensors) b.tensor(t.name(), t.dtype(), t.shape());
        try (FileChannel c = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            SafetensorsWriter w = b.open(c);
            for (Tensor t : tensors) w.write(t.name(), MemorySegment.ofArray(t.data()));
            w.finish();
        }
        return file;
    }

    static byte[] random(long seed, int bytes) {
        byte[] b = new byte[bytes];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** ~1 MB of real tensors plus a raw (random) BF16 tensor and a passthrough F32 one. */
    static Path sample(Path folder) throws IOException {
        List<Tensor> kept = new ArrayList<>(tensors(realModel()).stream().filter(t -> SAMPLE_TENSORS.contains(t.name())).toList());
        assertEquals(SAMPLE_TENSORS.size(), kept.size());
        kept.add(new Tensor(RANDOM_BF16, Dtype.BF16, new long[] {512}, random(1, 1024)));
        kept.add(new Tensor(F32, Dtype.F32, new long[] {16, 16}, random(2, 1024)));
        return write(folder.resolve("sample.safetensors"), Map.of("format", "pt"), kept);
    }

    static final String ZERO_BF16 = "extra.empty_bf16";
    static final int SHARDS = 3;

    /**
     * The real model cut into three shards written by SafetensorsWriter, with extra tensors (F32, F16,
     * I64, U8, an empty BF16 and a random BF16) in the last shard, and an index as Hugging Face writes
     * it: indented, keys sorted, with metadata.total_size.
     */
    static Path shardedModel(Path folder) throws IOException {
        Files.createDirectories(folder);
        List<Tensor> all = tensors(realModel());
        List<List<Tensor>> shards = new ArrayList<>();
        for (int s = 0; s < SHARDS; s++) shards.add(new ArrayList<>());
        for (int i = 0; i < all.size(); i++) shards.get(i * SHARDS / all.size()).add(all.get(i));
        List<Tensor> last = shards.get(SHARDS - 1);
        last.add(new Tensor("extra.f32", Dtype.F32, new long[] {3, 5}, random(3, 60)));
        last.add(new Tensor("extra.f16", Dtype.F16, new long[] {7}, random(4, 14)));
        last.add(new Tensor("extra.i64", Dtype.I64, new long[] {2, 2}, random(5, 32)));
        last.add(new Tensor("extra.u8", Dtype.U8, new long[] {9}, random(6, 9)));
        last.add(new Tensor(ZERO_BF16, Dtype.BF16, new long[] {4, 0}, new byte[0]));
        last.add(new Tensor(RANDOM_BF16, Dtype.BF16, new long[] {64, 64}, random(7, 8192)));
        return writeSharded(folder, shards);
    }

    /** A small sharded model: the sample's real tensors, one shard each, with its index. */
    static Path smallShardedModel(Path folder) throws IOException {
        Files.createDirectories(folder);
        List<List<Tensor>> shards = tensors(realModel()).stream().filter(t -> SAMPLE_TENSORS.contains(t.name())).map(List::of).toList();
        return writeSharded(folder, shards);
    }

    /** Writes each list of tensors as a shard, and an index as Hugging Face writes it (indented, sorted, with total_size). */
    private static Path writeSharded(Path folder, List<List<Tensor>> shards) throws IOException {
        Map<String, String> weightMap = new TreeMap<>();
        long totalSize = 0;
        for (int s = 0; s < shards.size(); s++) {
            String name = String.format("model-%05d-of-%05d.safetensors", s + 1, shards.size());
            write(folder.resolve(name), Map.of("format", "pt"), shards.get(s));
            for (Tensor t : shards.get(s)) {
                weightMap.put(t.name(), name);
                totalSize += t.data().length;
            }
        }
        StringBuilder json = new StringBuilder("{\n  \"metadata\": {\n    \"total_size\": " + totalSize + "\n  },\n  \"weight_map\": {\n");
        int i = 0;
        for (var e : weightMap.entrySet()) {
            json.append("    \"").append(e.getKey()).append("\": \"").append(e.getValue()).append('"')
                    .append(++i < weightMap.size() ? ",\n" : "\n");
        }
        json.append("  }\n}\n");
        Files.writeString(folder.resolve(ShardedIndex.FILE_NAME), json, StandardCharsets.UTF_8);
        return folder;
    }

    /** SHA-256 of every regular file under {@code root} (or of {@code root} itself), by relative path. */
    static Map<String, String> hashes(Path root) throws IOException {
        Map<String, String> out = new TreeMap<>();
        if (Files.isRegularFile(root)) {
            out.put("", sha256(root));
            return out;
        }
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : (Iterable<Path>) all.filter(Files::isRegularFile)::iterator) out.put(root.relativize(p).toString(), sha256(p));
        }
        return out;
    }

    static String sha256(Path file) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Asserts both trees hold the same file names with byte-identical contents. */
    static void assertSameFiles(Path expected, Path actual) throws IOException {
        Set<String> names = hashes(expected).keySet();
        assertEquals(names, hashes(actual).keySet(), "files of " + actual);
        for (String name : names) {
            Path a = name.isEmpty() ? expected : expected.resolve(name), b = name.isEmpty() ? actual : actual.resolve(name);
            assertEquals(-1, Files.mismatch(a, b), b + " differs from " + a);
        }
    }

    /** Temporaries a write may leave beside its target: {@code .NAME.weightless-tmp-*}. */
    static List<Path> leftovers(Path folder) throws IOException {
        try (Stream<Path> all = Files.walk(folder)) {
            return all.filter(p -> p.getFileName().toString().contains(".weightless-tmp-")).toList();
        }
    }
}
