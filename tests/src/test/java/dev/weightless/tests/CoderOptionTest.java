package dev.weightless.tests;

import dev.weightless.cli.Cli;
import dev.weightless.codec.ChecksumMismatchException;
import dev.weightless.codec.CodecOptions;
import dev.weightless.codec.MalformedInputException;
import dev.weightless.io.container.CompressedFile;
import dev.weightless.io.container.ContainerFormat;
import dev.weightless.io.container.TensorRecord;
import dev.weightless.io.json.Json;
import dev.weightless.io.safetensors.SafetensorsFile;
import dev.weightless.io.safetensors.ShardedIndex;
import dev.weightless.io.safetensors.TensorInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code compress --coder}: every registered coder in the container (format version 2 only when used),
 * auto's choice, and the errors a damaged or unknown coded file gives.
 */
class CoderOptionTest {
    @TempDir
    Path dir;

    private Path compress(Path in, String name, String... coder) {
        Path out = dir.resolve(name);
        String[] args = new String[6 + coder.length];
        System.arraycopy(new String[] {"compress", in.toString(), "-o", out.toString(), "--device", "cpu"}, 0, args, 0, 6);
        System.arraycopy(coder, 0, args, 6, coder.length);
        Cli.Result r = Cli.run(withQuiet(args));
        assertEquals(0, r.exit(), r::toString);
        return out;
    }

    private static String[] withQuiet(String[] args) {
        String[] a = java.util.Arrays.copyOf(args, args.length + 1);
        a[args.length] = "-q";
        return a;
    }

    private void assertRestores(Path original, Path compressed) throws IOException {
        Path restored = dir.resolve(compressed.getFileName() + ".restored");
        Cli.Result r = Cli.run("decompress", compressed.toString(), "-o", restored.toString(), "--device", "cpu", "-q");
        assertEquals(0, r.exit(), r::toString);
        Fixtures.assertSameFiles(original, restored);
        Cli.Result v = Cli.run("verify", original.toString(), compressed.toString(), "-q");
        assertEquals(0, v.exit(), v::toString);
    }

    private static String version(Path file) throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            return f.metadata().get(ContainerFormat.FORMAT_KEY);
        }
    }

    /** The inspect JSON's tensors: name to coder (null for raw and passthrough). */
    private static Map<String, String> codersOf(Path file) {
        Cli.Result r = Cli.run("inspect", file.toString(), "--json", "-q");
        assertEquals(0, r.exit(), r::toString);
        Map<?, ?> root = (Map<?, ?>) Json.parse(r.out().getBytes(StandardCharsets.UTF_8));
        Map<String, String> out = new HashMap<>();
        for (Object o : (List<?>) root.get("tensors")) {
            Map<?, ?> t = (Map<?, ?>) o;
            out.put((String) t.get("name"), (String) t.get("coder"));
        }
        return out;
    }

    @Test
    void realModelWithRansCtxRestoresExactlyAndIsSmallerThanHuffman() throws IOException {
        Path model = Fixtures.realModel();
        Path huffman = compress(model, "huffman.wl");
        Path ctx = compress(model, "rans-ctx.wl", "--coder", "rans-ctx");
        assertEquals("1", version(huffman), "a Huffman-only file stays format version 1");
        assertEquals("2", version(ctx));
        assertTrue(Files.size(ctx) < Files.size(huffman), Files.size(ctx) + " bytes with rans-ctx, " + Files.size(huffman) + " with huffman");
        assertRestores(model, ctx);
        Map<String, String> coders = codersOf(ctx);
        assertEquals(101, coders.size());
        assertTrue(coders.values().stream().allMatch(c -> c == null || c.equals("rans-ctx")), coders::toString);
        assertTrue(coders.values().stream().filter("rans-ctx"::equals).count() > 90, coders::toString);
        // The explicit default writes the very same bytes as no option.
        assertArrayEquals(Files.readAllBytes(huffman), Files.readAllBytes(compress(model, "huffman2.wl", "--coder", "huffman")));
    }

    @Test
    void autoPicksTheSmallestCoderPerTensorOrRawWhenNoneIsFastEnough() throws IOException {
        Path model = Fixtures.realModel();
        // With no speed floor auto takes, per tensor, the smallest of all coders: no larger than any one coder for the whole model.
        Path auto = compress(model, "auto.wl", "--coder", "auto", "--min-decode-gbps", "0");
        Path ctx = compress(model, "rans-ctx.wl", "--coder", "rans-ctx");
        assertTrue(Files.size(auto) <= Files.size(ctx), Files.size(auto) + " bytes with auto, " + Files.size(ctx) + " with rans-ctx");
        assertRestores(model, auto);
        Map<String, String> coders = codersOf(auto);
        Set<String> used = new HashSet<>(coders.values());
        assertTrue(used.contains("rans-ctx"), used::toString);
        // No coder decodes a petabyte a second: every BF16 tensor is kept raw, and the file is version 1.
        Path sample = Fixtures.sample(dir);
        Path none = compress(sample, "none.wl", "--coder", "auto", "--min-decode-gbps", "1e6");
        assertEquals("1", version(none));
        try (CompressedFile f = CompressedFile.open(none)) {
            for (TensorRecord r : f.tensors()) assertTrue(r.codec() == TensorRecord.Codec.RAW || r.codec() == TensorRecord.Codec.PASSTHROUGH, r.name());
        }
        assertRestores(sample, none);
    }

    @Test
    void shardedModelWithACoderRestoresExactly() throws IOException {
        Path model = Fixtures.smallShardedModel(dir.resolve("sharded"));
        Path out = compress(model, "sharded.wl", "--coder", "palette");
        assertEquals("2", ShardedIndex.read(out.resolve(ShardedIndex.FILE_NAME)).metadata().get(ContainerFormat.FORMAT_KEY));
        assertRestores(model, out);
        Path huffman = compress(model, "sharded-huffman.wl");
        assertEquals("1", ShardedIndex.read(huffman.resolve(ShardedIndex.FILE_NAME)).metadata().get(ContainerFormat.FORMAT_KEY));
    }

    @Test
    void unknownCoderNamesAreRefusedWithTheKnownOnes() throws IOException {
        Path sample = Fixtures.sample(dir);
        Cli.Result r = Cli.run("compress", sample.toString(), "-o", dir.resolve("x.wl").toString(), "--coder", "lzma", "-q");
        assertEquals(2, r.exit(), r::toString);
        assertTrue(r.err().contains("unknown coder 'lzma'") && r.err().contains("rans-ctx"), r::toString);
        Cli.Result gpu = Cli.run("compress", sample.toString(), "-o", dir.resolve("y.wl").toString(), "--coder", "rans", "--device", "gpu", "-q");
        assertEquals(2, gpu.exit(), gpu::toString);
        assertTrue(gpu.err().contains("Huffman codes only"), gpu::toString);
        assertFalse(Files.exists(dir.resolve("x.wl")) || Files.exists(dir.resolve("y.wl")));
    }

    /** Rewrites {@code file}'s Weightless metadata through {@code edit} (on the tensors JSON), with a matching CRC. */
    private Path edited(Path file, String name, String version, String from, String to) throws IOException {
        Map<String, String> meta;
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            meta = new java.util.LinkedHashMap<>(f.metadata());
        }
        String tensors = meta.get(ContainerFormat.TENSORS_KEY);
        assertTrue(tensors.contains(from), from);
        tensors = tensors.replace(from, to);
        CRC32C crc = new CRC32C();
        crc.update(meta.get(ContainerFormat.ORIGINAL_HEADER_KEY).getBytes(StandardCharsets.UTF_8));
        crc.update(tensors.getBytes(StandardCharsets.UTF_8));
        meta.put(ContainerFormat.TENSORS_KEY, tensors);
        meta.put(ContainerFormat.CRC_KEY, String.format("%08x", crc.getValue()));
        meta.put(ContainerFormat.FORMAT_KEY, version);
        return Fixtures.write(dir.resolve(name), meta, Fixtures.tensors(file));
    }

    /**
     * {@code file} with its first coded tensor claiming 2^33 weights (16 GiB) in both the kept original header and
     * its record, every later tensor's offsets moved to match, the metadata CRC recomputed: its parts stay small.
     */
    private Path hugeClaim(Path file) throws IOException {
        Map<String, String> meta;
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            meta = new java.util.LinkedHashMap<>(f.metadata());
        }
        long weights = 1L << 33;
        List<Object> records = new java.util.ArrayList<>((List<?>) Json.parse(meta.get(ContainerFormat.TENSORS_KEY).getBytes(StandardCharsets.UTF_8)));
        String target = null;
        for (int i = 0; i < records.size() && target == null; i++) {
            Map<String, Object> r = new java.util.LinkedHashMap<>(castMap(records.get(i)));
            if (!"coded".equals(r.get("codec"))) continue;
            target = (String) r.get("name");
            r.put("shape", List.of(weights));
            records.set(i, r);
        }
        assertTrue(target != null, "no coded tensor");
        Map<String, Object> header = new java.util.LinkedHashMap<>(castMap(Json.parse(meta.get(ContainerFormat.ORIGINAL_HEADER_KEY).getBytes(StandardCharsets.UTF_8))));
        List<?> old = (List<?>) castMap(header.get(target)).get("data_offsets");
        long begin = (Long) old.get(0), end = (Long) old.get(1), delta = 2 * weights - (end - begin);
        for (Map.Entry<String, Object> e : header.entrySet()) {
            if (e.getKey().equals("__metadata__")) continue;
            Map<String, Object> t = new java.util.LinkedHashMap<>(castMap(e.getValue()));
            List<?> at = (List<?>) t.get("data_offsets");
            if (e.getKey().equals(target)) {
                t.put("shape", List.of(weights));
                t.put("data_offsets", List.of(begin, begin + 2 * weights));
            } else if ((Long) at.get(0) >= end) {
                t.put("data_offsets", List.of((Long) at.get(0) + delta, (Long) at.get(1) + delta));
            }
            e.setValue(t);
        }
        String headerText = Json.write(header), tensors = Json.write(records);
        CRC32C crc = new CRC32C();
        crc.update(headerText.getBytes(StandardCharsets.UTF_8));
        crc.update(tensors.getBytes(StandardCharsets.UTF_8));
        meta.put(ContainerFormat.ORIGINAL_HEADER_KEY, headerText);
        meta.put(ContainerFormat.TENSORS_KEY, tensors);
        meta.put(ContainerFormat.CRC_KEY, String.format("%08x", crc.getValue()));
        return Fixtures.write(dir.resolve("huge.wl"), meta, Fixtures.tensors(file));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castMap(Object o) { return (Map<String, Object>) o; }

    private static void assertRefused(Path file, String... words) {
        Cli.Result r = Cli.run("decompress", file.toString(), "-o", file + ".out", "--device", "cpu", "-q");
        assertEquals(3, r.exit(), r::toString);
        assertEquals(1, r.errLines().size(), r::toString);
        assertTrue(r.err().contains(file.toString()), r::toString);
        for (String w : words) assertTrue(r.err().contains(w), r::toString);
    }

    @Test
    void unknownVersionsAndCodersInAFileAreClearErrors() throws IOException {
        Path coded = compress(Fixtures.sample(dir), "sample.wl", "--coder", "rans-ctx");
        assertRefused(edited(coded, "v3.wl", "3", "rans-ctx", "rans-ctx"), "format version 3 is not supported", "versions 1 and 2");
        assertRefused(edited(coded, "zzz.wl", "2", "\"coder\":\"rans-ctx\"", "\"coder\":\"zzz\""), "unknown coder 'zzz'");
        assertRefused(edited(coded, "v1.wl", "1", "rans-ctx", "rans-ctx"), "format version 1 does not match");
        assertRefused(hugeClaim(coded), "claims 8589934592 weights from");
        // Another registered coder's name over rans-ctx's parts: their names differ, so the file does not open.
        assertRefused(edited(coded, "other.wl", "2", "\"coder\":\"rans-ctx\"", "\"coder\":\"palette\""), "missing");
    }

    @Test
    void aVersion2FileTravelsThroughArrowByteForByte() throws IOException {
        Path coded = compress(Fixtures.sample(dir), "sample.wl", "--coder", "palette");
        Path arrow = dir.resolve("sample.arrow"), back = dir.resolve("back.wl");
        Cli.Result r = Cli.run("export-arrow", coded.toString(), "-o", arrow.toString(), "-q");
        assertEquals(0, r.exit(), r::toString);
        Cli.Result i = Cli.run("import-arrow", arrow.toString(), "-o", back.toString(), "-q");
        assertEquals(0, i.exit(), i::toString);
        assertArrayEquals(Files.readAllBytes(coded), Files.readAllBytes(back));
        // Beside it, a Huffman-only file of the same tensors: version 1, layout 1, also the same bytes after the trip.
        Path huffman = compress(dir.resolve("sample.safetensors"), "sample-huffman.wl");
        Path arrow1 = dir.resolve("sample1.arrow"), back1 = dir.resolve("back1.wl");
        assertEquals(0, Cli.run("export-arrow", huffman.toString(), "-o", arrow1.toString(), "-q").exit());
        assertEquals(0, Cli.run("import-arrow", arrow1.toString(), "-o", back1.toString(), "-q").exit());
        assertArrayEquals(Files.readAllBytes(huffman), Files.readAllBytes(back1), "a version-1 file still exports in layout 1 and comes back the same");
    }

    @Test
    void damagedCodedPartsGiveCleanErrorsNamingTheFile() throws IOException {
        Path original = Fixtures.sample(dir);
        for (String coder : List.of("rans", "rans-ctx", "palette")) {
            Path good = compress(original, coder + ".wl", "--coder", coder);
            byte[] bytes = Files.readAllBytes(good);
            List<long[]> ranges = new java.util.ArrayList<>(); // [begin, end) of every coded part in the file
            try (SafetensorsFile f = SafetensorsFile.open(good)) {
                for (TensorInfo t : f.tensors()) {
                    if (t.name().contains(".wl.")) ranges.add(new long[] {f.dataStart() + t.begin(), f.dataStart() + t.end()});
                }
            }
            assertFalse(ranges.isEmpty(), coder);
            SplittableRandom random = new SplittableRandom(coder.hashCode());
            Path bad = dir.resolve(coder + "-bad.wl");
            int tried = 0;
            for (long[] range : ranges) {
                for (int k = 0; k < 4; k++) {
                    long at = k == 0 ? range[0] : k == 1 ? range[1] - 1 : random.nextLong(range[0], range[1]);
                    byte[] damaged = bytes.clone();
                    damaged[Math.toIntExact(at)] ^= (byte) (1 << random.nextInt(8));
                    Files.write(bad, damaged);
                    if (!decodesToOriginalOrIsRefused(bad, original)) fail(coder + ": flipped byte " + at + " decoded to other bytes without an error");
                    tried++;
                }
            }
            assertEquals(4 * ranges.size(), tried);
        }
    }

    private static void fail(String message) { throw new AssertionError(message); }

    /** True when every tensor of {@code bad} either decodes to the original's bytes or raises one of the two input errors, naming the file. */
    private static boolean decodesToOriginalOrIsRefused(Path bad, Path original) throws IOException {
        try (CompressedFile f = CompressedFile.open(bad); SafetensorsFile o = SafetensorsFile.open(original); Arena arena = Arena.ofConfined()) {
            for (TensorRecord r : f.tensors()) {
                MemorySegment out = arena.allocate(Math.max(1, r.byteSize())).asSlice(0, r.byteSize());
                try {
                    f.decode(r, out, CodecOptions.defaults().withThreads(1));
                } catch (MalformedInputException | ChecksumMismatchException e) {
                    assertTrue(e.getMessage().contains(bad.toString()), e.getMessage());
                    continue;
                }
                if (out.mismatch(o.data(o.find(r.name()).orElseThrow())) >= 0) return false;
            }
        } catch (MalformedInputException e) {
            assertTrue(e.getMessage().contains(bad.toString()), e.getMessage());
        }
        return true;
    }
}
