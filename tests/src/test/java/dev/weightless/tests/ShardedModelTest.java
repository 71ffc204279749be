package dev.weightless.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weightless.cli.Cli;
import dev.weightless.io.container.ContainerFormat;
import dev.weightless.io.json.Json;
import dev.weightless.io.safetensors.Dtype;
import dev.weightless.io.safetensors.SafetensorsFile;
import dev.weightless.io.safetensors.ShardedIndex;
import dev.weightless.io.safetensors.TensorInfo;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A sharded model with non-BF16, empty and incompressible tensors, given as a folder or as its index. */
class ShardedModelTest {
    @TempDir
    static Path dir;
    static Path model, fromFolder, fromIndex;

    @BeforeAll
    static void compressBothWays() throws Exception {
        model = Fixtures.shardedModel(dir.resolve("model"));
        fromFolder = dir.resolve("packed");
        fromIndex = dir.resolve("packed-from-index");
        Cli.Result a = Cli.run("compress", model.toString(), "-o", fromFolder.toString(), "-q");
        assertEquals(0, a.exit(), a::toString);
        Cli.Result b = Cli.run("compress", model.resolve(ShardedIndex.FILE_NAME).toString(), "-o", fromIndex.toString(), "-q");
        assertEquals(0, b.exit(), b::toString);
    }

    @Test
    void theFixtureLooksLikeAHuggingFaceModel() throws Exception {
        String index = Files.readString(model.resolve(ShardedIndex.FILE_NAME));
        assertTrue(index.startsWith("{\n  \"metadata\": {\n    \"total_size\": "), index);
        assertEquals(Fixtures.SHARDS, ShardedIndex.parse(index.getBytes(StandardCharsets.UTF_8)).shards().size());
    }

    @Test
    void bothOutputsHoldOneFilePerShardAndAnIndex() throws Exception {
        Set<String> expected = Fixtures.hashes(model).keySet();
        assertEquals(expected, Fixtures.hashes(fromFolder).keySet());
        assertEquals(expected, Fixtures.hashes(fromIndex).keySet());
        assertEquals(-1, Files.mismatch(fromFolder.resolve(ShardedIndex.FILE_NAME), fromIndex.resolve(ShardedIndex.FILE_NAME)));
    }

    @Test
    void decompressRestoresEveryFileByteForByte() throws Exception {
        Path a = dir.resolve("restored-a"), b = dir.resolve("restored-b");
        Cli.Result ra = Cli.run("decompress", fromFolder.toString(), "-o", a.toString(), "-q");
        assertEquals(0, ra.exit(), ra::toString);
        Cli.Result rb = Cli.run("decompress", fromIndex.resolve(ShardedIndex.FILE_NAME).toString(), "-o", b.toString(), "-q");
        assertEquals(0, rb.exit(), rb::toString);
        Fixtures.assertSameFiles(model, a);
        Fixtures.assertSameFiles(model, b);
        assertEquals(List.of(), Fixtures.leftovers(dir));
    }

    @Test
    void verifyIsBitExactForFolderAndIndex() {
        for (Path packed : List.of(fromFolder, fromIndex.resolve(ShardedIndex.FILE_NAME))) {
            Cli.Result r = Cli.run("verify", model.toString(), packed.toString(), "-q");
            assertEquals(0, r.exit(), r::toString);
            assertTrue(r.out().contains("bit-exact"), r::toString);
        }
        Cli.Result r = Cli.run("verify", model.resolve(ShardedIndex.FILE_NAME).toString(), fromFolder.toString(), "-q");
        assertEquals(0, r.exit(), r::toString);
    }

    @Test
    void aDamagedCompressedIndexIsRefused() throws Exception {
        Path damaged = Files.createDirectory(dir.resolve("damaged"));
        try (var files = Files.list(fromFolder)) {
            for (Path f : files.toList()) Files.createSymbolicLink(damaged.resolve(f.getFileName()), f);
        }
        Path index = damaged.resolve(ShardedIndex.FILE_NAME);
        Files.delete(index);
        // One digit of total_size, inside the kept original index text.
        String text = Files.readString(fromFolder.resolve(ShardedIndex.FILE_NAME));
        int at = text.indexOf("total_size") + 15;
        assertTrue(Character.isDigit(text.charAt(at)), text.substring(at - 20, at + 5));
        Files.writeString(index, text.substring(0, at) + (char) (text.charAt(at) ^ 1) + text.substring(at + 1));

        Path out = dir.resolve("from-damaged");
        Cli.Result r = Cli.run("decompress", damaged.toString(), "-o", out.toString(), "-q");
        assertEquals(3, r.exit(), r::toString);
        assertEquals(1, r.errLines().size(), r::toString);
        assertTrue(r.err().contains(index.toString()), r::toString);
        assertFalse(Files.exists(out));
        Cli.Result v = Cli.run("verify", model.toString(), damaged.toString(), "-q");
        assertTrue(v.exit() == 3 || v.exit() == 4, v::toString);
    }

    @Test
    void aStockReaderListsTheTensorsOfACompressedShard() throws Exception {
        String shard = String.format("model-%05d-of-%05d.safetensors", Fixtures.SHARDS, Fixtures.SHARDS);
        try (SafetensorsFile f = SafetensorsFile.open(fromFolder.resolve(shard))) {
            Map<String, TensorInfo> byName = f.tensors().stream().collect(Collectors.toMap(TensorInfo::name, t -> t));
            assertEquals("1", f.metadata().get(ContainerFormat.FORMAT_KEY));
            // Passthrough and raw tensors keep their name, dtype and shape; coded ones become four U8 parts.
            assertEquals(Dtype.F32, byName.get("extra.f32").dtype());
            assertEquals(Dtype.I64, byName.get("extra.i64").dtype());
            assertEquals(Dtype.BF16, byName.get(Fixtures.RANDOM_BF16).dtype());
            assertEquals(Dtype.BF16, byName.get(Fixtures.ZERO_BF16).dtype());
            String coded = f.tensors().stream().map(TensorInfo::name).filter(n -> n.endsWith(ContainerFormat.TABLE)).findFirst().orElseThrow();
            String base = coded.substring(0, coded.length() - ContainerFormat.TABLE.length());
            for (String part : List.of(ContainerFormat.TABLE, ContainerFormat.INDEX, ContainerFormat.PAYLOAD, ContainerFormat.PLANE)) {
                assertEquals(Dtype.U8, byName.get(base + part).dtype(), base + part);
            }
        }
    }

    @Test
    void inspectShowsTheCodecOfEveryTensor() {
        Cli.Result r = Cli.run("inspect", "--json", fromFolder.toString(), "-q");
        assertEquals(0, r.exit(), r::toString);
        Map<?, ?> root = (Map<?, ?>) Json.parse(r.out().strip().getBytes(StandardCharsets.UTF_8));
        Map<String, String> codecs = ((List<?>) root.get("tensors")).stream().map(t -> (Map<?, ?>) t)
                .collect(Collectors.toMap(t -> (String) t.get("name"), t -> (String) t.get("codec")));
        assertEquals(101 + 6, codecs.size());
        assertEquals("raw", codecs.get(Fixtures.RANDOM_BF16));
        assertEquals("raw", codecs.get(Fixtures.ZERO_BF16), "an empty tensor cannot shrink");
        for (String other : List.of("extra.f32", "extra.f16", "extra.i64", "extra.u8")) assertEquals("passthrough", codecs.get(other), other);
        assertEquals("huffman", codecs.get("embeddings.word_embeddings.weight"));
        assertEquals(true, root.get("compressed"));

        Cli.Result table = Cli.run("inspect", fromIndex.resolve(ShardedIndex.FILE_NAME).toString(), "-q");
        assertEquals(0, table.exit(), table::toString);
        String row = table.out().lines().filter(l -> l.startsWith(Fixtures.RANDOM_BF16 + " ")).findFirst().orElseThrow();
        assertTrue(row.contains("raw"), row);
    }
}
