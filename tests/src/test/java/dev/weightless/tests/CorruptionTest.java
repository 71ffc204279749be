package dev.weightless.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import dev.weightless.cli.Cli;
import dev.weightless.codec.ChecksumMismatchException;
import dev.weightless.codec.CodecOptions;
import dev.weightless.codec.MalformedInputException;
import dev.weightless.io.container.CompressedFile;
import dev.weightless.io.container.ContainerFormat;
import dev.weightless.io.container.TensorRecord;
import dev.weightless.io.json.Json;
import dev.weightless.io.safetensors.SafetensorsFile;
import dev.weightless.io.safetensors.TensorInfo;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * A compressed sample of the real model, truncated, bit-flipped and edited. Every damaged file must be
 * refused: exit 3 from decompress (3 or 4 from verify) with one line on stderr naming the file, and
 * MalformedInputException or ChecksumMismatchException from the API, never a different file passed as good.
 */
class CorruptionTest {
    private static final CodecOptions CODEC = CodecOptions.defaults().withThreads(2);
    private static final String[] PARTS = {ContainerFormat.TABLE, ContainerFormat.INDEX, ContainerFormat.PAYLOAD, ContainerFormat.PLANE};

    @TempDir
    static Path dir;
    static Path original;
    static byte[] good;
    static long dataStart;
    static List<TensorInfo> stored;
    static String header;
    static Map<String, String> metadata;
    static Map<String, byte[]> originalTensors;
    static byte[] originalHeader;
    private static int cases;

    @BeforeAll
    static void compressSample() throws Exception {
        original = Fixtures.sample(dir);
        Path compressed = dir.resolve("sample.wl");
        Cli.Result r = Cli.run("compress", original.toString(), "-o", compressed.toString(), "-q");
        assertEquals(0, r.exit(), r::toString);
        good = Files.readAllBytes(compressed);
        try (SafetensorsFile f = SafetensorsFile.open(compressed)) {
            dataStart = f.dataStart();
            stored = f.tensors();
            metadata = f.metadata();
            header = new String(f.header(), StandardCharsets.UTF_8);
        }
        originalTensors = Fixtures.tensors(original).stream().collect(Collectors.toMap(Fixtures.Tensor::name, Fixtures.Tensor::data));
        try (SafetensorsFile f = SafetensorsFile.open(original)) {
            originalHeader = f.header();
        }
        // The sample covers every way a tensor is stored.
        Set<String> codecs = recordsJson().stream().map(m -> (String) m.get("codec")).collect(Collectors.toSet());
        assertEquals(Set.of("huffman", "raw", "passthrough"), codecs);
        assertTrue(good.length > 500_000 && good.length < 1_500_000, "sample of " + good.length + " bytes");
    }

    @TestFactory
    Stream<DynamicTest> truncationAtEveryRegionBoundary() {
        Set<Long> cuts = new TreeSet<>(List.of(0L, 1L, 4L, 7L, 8L, 9L, 8 + (dataStart - 8) / 2, dataStart - 1, dataStart, good.length - 1L));
        for (TensorInfo t : stored) {
            cuts.add(dataStart + t.begin());
            cuts.add(dataStart + t.begin() + t.byteSize() / 2);
            cuts.add(dataStart + t.end());
        }
        cuts.remove((long) good.length);
        return cuts.stream().map(n -> dynamicTest("truncated to " + n + " bytes", () -> assertRejected(Arrays.copyOf(good, (int) (long) n))));
    }

    @TestFactory
    Stream<DynamicTest> bitFlipsInTheHeaderJson() {
        List<DynamicTest> tests = new ArrayList<>();
        tests.add(flip("opening brace", 8, 0x01));
        tests.add(flip("__metadata__ key", at("\"__metadata__\"", 0) + 3, 0x01));
        if (header.endsWith(" ")) tests.add(flip("padding", 8 + header.length() - 1, 0x01));
        for (TensorInfo t : stored) {
            int entry = at("\"" + t.name() + "\":{", 0);
            tests.add(flip(t.name() + ": name", entry + t.name().length(), 0x01));
            tests.add(flip(t.name() + ": dtype", at("\"dtype\":\"", entry) + 9, 0x01));
            tests.add(flip(t.name() + ": shape", at("\"shape\":[", entry) + 9, 0x02));
            tests.add(flip(t.name() + ": data_offsets", at("\"data_offsets\":[", entry) + 16, 0x01));
        }
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> bitFlipsInTheMetadataValues() {
        List<DynamicTest> tests = new ArrayList<>();
        tests.add(flip("format version", at("\"weightless.format\":\"", 0) + 21, 0x01));
        int kept = at("\"weightless.original_header\":\"", 0);
        tests.add(flip("kept header: first name", at("\\\"embeddings.", kept) + 3, 0x02));
        tests.add(flip("kept header: dtype", at("\\\"dtype\\\":\\\"", kept) + 12, 0x01));
        tests.add(flip("kept header: shape", at("\\\"shape\\\":[", kept) + 11, 0x01));
        tests.add(flip("kept header: data_offsets", at("\\\"data_offsets\\\":[", kept) + 20, 0x01));
        tests.add(flip("kept header: escaped quote", at("\\\"", kept + 40), 0x01));
        int records = at("\"weightless.tensors\":\"", 0);
        for (Map<String, Object> r : recordsJson()) {
            String name = (String) r.get("name");
            int record = at("\\\"name\\\":\\\"" + name + "\\\"", records);
            tests.add(flip(name + ": record name", record + 11 + name.length() - 1, 0x01));
            tests.add(flip(name + ": record dtype", at("\\\"dtype\\\":\\\"", record) + 12, 0x04));
            tests.add(flip(name + ": record shape", at("\\\"shape\\\":[", record) + 11, 0x01));
            tests.add(flip(name + ": record codec", at("\\\"codec\\\":\\\"", record) + 12, 0x01));
            int crc = at("\\\"crc32c\\\":\\\"", record) + 13;
            tests.add(flip(name + ": record crc32c first digit", crc, 0x01));
            tests.add(flip(name + ": record crc32c last digit", crc + 7, 0x02));
            if ("huffman".equals(r.get("codec"))) {
                tests.add(flip(name + ": chunk_symbols", at("\\\"chunk_symbols\\\":", record) + 18, 0x01));
                tests.add(flip(name + ": group_chunks", at("\\\"group_chunks\\\":", record) + 17, 0x01));
            }
        }
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> bitFlipsInEveryKindOfPart() {
        List<DynamicTest> tests = new ArrayList<>();
        for (TensorInfo t : stored) {
            if (t.byteSize() == 0) continue;
            String kind = List.of(PARTS).stream().filter(t.name()::endsWith).findFirst().orElse("stored as is");
            long[] at = {0, t.byteSize() / 2, t.byteSize() - 1};
            for (int i = 0; i < at.length; i++) {
                tests.add(flip(t.name() + " (" + kind + ") byte " + at[i], dataStart + t.begin() + at[i], 1 << (3 * i + 1) % 8));
            }
        }
        assertTrue(tests.size() >= 3 * 4 * Fixtures.SAMPLE_TENSORS.size());
        return tests.stream();
    }

    /**
     * Each edit twice: as is, which the metadata checksum must catch, and resealed with a matching
     * checksum (as a buggy or hostile writer would), which the deeper checks must catch.
     */
    @TestFactory
    Stream<DynamicTest> editedMetadataWrittenAsValidSafetensors() {
        String big = "onnx::MatMul_813", small = "embeddings.LayerNorm.weight";
        Stream<DynamicTest> checksumOnly = Stream.of(
                edit("container crc32c changed", m -> put(m, ContainerFormat.CRC_KEY, otherCrc(m.get(ContainerFormat.CRC_KEY)))),
                edit("container crc32c not hex", m -> put(m, ContainerFormat.CRC_KEY, "xyz")),
                edit("container crc32c removed", m -> {
                    m.remove(ContainerFormat.CRC_KEY);
                    return m;
                }),
                // Resealed, this would be a valid file of another original: only the checksum can tell.
                edit("kept header: its own metadata", m -> put(m, ContainerFormat.ORIGINAL_HEADER_KEY,
                        m.get(ContainerFormat.ORIGINAL_HEADER_KEY).replace("\"pt\"", "\"tf\""))));
        return Stream.concat(checksumOnly, Stream.of(
                editBoth("record shape", editRecord(big, r -> r.put("shape", List.of(147_456L)))),
                editBoth("record shape with the same size", editRecord(big, r -> r.put("shape", List.of(192L, 768L)))),
                editBoth("record crc32c (huffman)", editRecord(big, r -> r.put("crc32c", otherCrc(r)))),
                editBoth("record crc32c (huffman, tiny)", editRecord(small, r -> r.put("crc32c", otherCrc(r)))),
                editBoth("record crc32c (raw)", editRecord(Fixtures.RANDOM_BF16, r -> r.put("crc32c", otherCrc(r)))),
                editBoth("record crc32c (passthrough)", editRecord(Fixtures.F32, r -> r.put("crc32c", otherCrc(r)))),
                editBoth("chunk_symbols 512", editRecord(big, r -> r.put("chunk_symbols", 512L))),
                editBoth("chunk_symbols 2048", editRecord(big, r -> r.put("chunk_symbols", 2048L))),
                editBoth("chunk_symbols 1000", editRecord(big, r -> r.put("chunk_symbols", 1000L))),
                editBoth("chunk_symbols 65536", editRecord(big, r -> r.put("chunk_symbols", 65536L))),
                editBoth("group_chunks 64", editRecord(big, r -> r.put("group_chunks", 64L))),
                editBoth("group_chunks 3", editRecord(big, r -> r.put("group_chunks", 3L))),
                editBoth("codec huffman to raw", editRecord(big, r -> r.put("codec", "raw"))),
                editBoth("codec raw to huffman", editRecord(Fixtures.RANDOM_BF16, r -> {
                    r.put("codec", "huffman");
                    r.put("chunk_symbols", 1024L);
                    r.put("group_chunks", 32L);
                })),
                editBoth("record dropped", m -> {
                    List<Map<String, Object>> records = recordsJson();
                    records.removeLast();
                    m.put(ContainerFormat.TENSORS_KEY, Json.write(records));
                    return m;
                }),
                editBoth("records not a list", m -> put(m, ContainerFormat.TENSORS_KEY, "{}")),
                editBoth("format version 2", m -> put(m, ContainerFormat.FORMAT_KEY, "2")),
                editBoth("format key removed", m -> {
                    m.remove(ContainerFormat.FORMAT_KEY);
                    return m;
                }),
                editBoth("kept header: a shape", m -> put(m, ContainerFormat.ORIGINAL_HEADER_KEY,
                        m.get(ContainerFormat.ORIGINAL_HEADER_KEY).replaceFirst("\\[384]", "[383]"))),
                editBoth("kept header: a dtype", m -> put(m, ContainerFormat.ORIGINAL_HEADER_KEY,
                        m.get(ContainerFormat.ORIGINAL_HEADER_KEY).replaceFirst("\"BF16\"", "\"F16\""))),
                editBoth("kept header: not JSON", m -> put(m, ContainerFormat.ORIGINAL_HEADER_KEY,
                        m.get(ContainerFormat.ORIGINAL_HEADER_KEY).substring(0, 100))),
                editBoth("kept header: removed", m -> {
                    m.remove(ContainerFormat.ORIGINAL_HEADER_KEY);
                    return m;
                })).flatMap(t -> t));
    }

    /**
     * One bit flipped in every other byte of the header, through the API only: each must be refused the
     * documented way (the metadata checksum covers what the structure checks cannot).
     */
    @Test
    void bitFlipsAcrossTheWholeHeader() throws IOException {
        Path file = dir.resolve("swept.wl");
        for (int pos = 0; pos < dataStart; pos += 2) {
            byte[] bad = good.clone();
            bad[pos] ^= (byte) (1 << (pos / 2 % 8));
            Files.write(file, bad);
            int at = pos;
            assertFalse(assertDoesNotThrow(() -> decodesToTheOriginal(file, bad.length), () -> "bit " + (at / 2 % 8) + " of byte " + at),
                    () -> "bit " + (at / 2 % 8) + " of byte " + at + " went unnoticed");
        }
        Files.delete(file);
    }

    // ---- damaging the file

    private DynamicTest flip(String what, long position, int mask) {
        return dynamicTest("flip " + Integer.toHexString(mask) + " at " + position + ": " + what, () -> {
            byte[] bad = good.clone();
            bad[(int) position] ^= (byte) mask;
            assertRejected(bad);
        });
    }

    private DynamicTest edit(String what, UnaryOperator<Map<String, String>> change) {
        return dynamicTest("edited: " + what, () -> assertRejected(rewrite(change.apply(new LinkedHashMap<>(metadata)))));
    }

    /** The edit with a stale container checksum, and resealed. */
    private Stream<DynamicTest> editBoth(String what, UnaryOperator<Map<String, String>> change) {
        return Stream.of(edit(what, change), edit(what + " (resealed)", m -> reseal(change.apply(m))));
    }

    /** Recomputes weightless.crc32c: CRC32C of the kept header's UTF-8 bytes followed by the records'. */
    private static Map<String, String> reseal(Map<String, String> m) {
        CRC32C crc = new CRC32C();
        for (String key : List.of(ContainerFormat.ORIGINAL_HEADER_KEY, ContainerFormat.TENSORS_KEY)) {
            if (m.containsKey(key)) crc.update(m.get(key).getBytes(StandardCharsets.UTF_8));
        }
        m.put(ContainerFormat.CRC_KEY, String.format("%08x", crc.getValue()));
        return m;
    }

    /** The compressed file with other metadata, written by SafetensorsWriter, so only the container is wrong. */
    private static byte[] rewrite(Map<String, String> newMetadata) throws IOException {
        Path from = dir.resolve("sample.wl"), to = dir.resolve("rewritten-" + (++cases));
        List<Fixtures.Tensor> tensors = Fixtures.tensors(from);
        Fixtures.write(to, newMetadata, tensors);
        byte[] bytes = Files.readAllBytes(to);
        Files.delete(to);
        return bytes;
    }

    private static Map<String, String> put(Map<String, String> m, String key, String value) {
        m.put(key, value);
        return m;
    }

    /** A metadata change that edits the record of {@code name}. */
    private static UnaryOperator<Map<String, String>> editRecord(String name, Consumer<Map<String, Object>> change) {
        return m -> {
            List<Map<String, Object>> records = recordsJson();
            Map<String, Object> r = records.stream().filter(x -> x.get("name").equals(name)).findFirst().orElseThrow();
            change.accept(r);
            m.put(ContainerFormat.TENSORS_KEY, Json.write(records));
            return m;
        };
    }

    private static String otherCrc(Map<String, Object> record) {
        return otherCrc((String) record.get("crc32c"));
    }

    private static String otherCrc(String hex) {
        return String.format("%08x", Integer.parseUnsignedInt(hex, 16) ^ 0x10);
    }

    /** The tensor records as mutable maps. */
    private static List<Map<String, Object>> recordsJson() {
        List<?> list = (List<?>) Json.parse(metadata.get(ContainerFormat.TENSORS_KEY).getBytes(StandardCharsets.UTF_8));
        List<Map<String, Object>> out = new ArrayList<>();
        for (Object o : list) {
            Map<String, Object> m = new LinkedHashMap<>();
            ((Map<?, ?>) o).forEach((k, v) -> m.put((String) k, v));
            out.add(m);
        }
        return out;
    }

    /** Position of {@code needle} in the file (the header starts at byte 8), searching from file position {@code from}. */
    private static int at(String needle, int from) {
        int i = header.indexOf(needle, Math.max(0, from - 8));
        assertTrue(i >= 0, () -> "no " + needle + " in the header");
        return 8 + i;
    }

    // ---- what a damaged file must give

    private static void assertRejected(byte[] bad) throws IOException {
        assertFalse(Arrays.equals(bad, good), "the case must damage the file");
        Path folder = Files.createDirectory(dir.resolve("case-" + (++cases)));
        Path file = folder.resolve("damaged.wl"), out = folder.resolve("restored");
        Files.write(file, bad);

        Cli.Result d = Cli.run("decompress", file.toString(), "-o", out.toString(), "-q");
        assertEquals(3, d.exit(), d::toString);
        assertOneLineNaming(d, file);
        assertFalse(Files.exists(out), "no output after a failed decompress");
        assertEquals(List.of(), Fixtures.leftovers(folder));

        Cli.Result v = Cli.run("verify", original.toString(), file.toString(), "-q");
        assertTrue(v.exit() == 3 || v.exit() == 4, v::toString);
        assertOneLineNaming(v, file);
        assertEquals("", v.out(), "verify must not claim success");

        assertApiRejects(file, bad.length);
        Files.delete(file);
        Files.delete(folder);
    }

    private static void assertOneLineNaming(Cli.Result r, Path file) {
        List<String> lines = r.errLines();
        assertEquals(1, lines.size(), r::toString);
        assertTrue(lines.getFirst().startsWith("weightless: ") && lines.getFirst().contains(file.toString()), r::toString);
        assertFalse(r.err().contains("\tat "), "no stack trace without --verbose");
    }

    /** Open and decode every tensor: a rejection must be one of the two documented exceptions. */
    private static void assertApiRejects(Path file, long size) throws IOException {
        assertFalse(decodesToTheOriginal(file, size), "the damaged file decodes to the original: the damage was not detected");
    }

    /**
     * True when {@code file} opens and decodes to exactly the original (header and tensors), false when it is
     * refused with MalformedInputException (naming the file, at an offset inside it) or ChecksumMismatchException.
     * Anything else fails: another exception, or a different file passed as good.
     */
    private static boolean decodesToTheOriginal(Path file, long size) throws IOException {
        try (CompressedFile f = CompressedFile.open(file); Arena arena = Arena.ofShared()) {
            for (TensorRecord r : f.tensors()) {
                MemorySegment out = arena.allocate(Math.max(1, r.byteSize())).asSlice(0, r.byteSize());
                f.decode(r, out, CODEC);
                assertArrayEquals(originalTensors.get(r.name()), out.toArray(ValueLayout.JAVA_BYTE), "decoded without error but differs: " + r.name());
            }
            assertArrayEquals(originalHeader, f.originalHeader(), "kept header accepted but differs from the original");
            return true;
        } catch (MalformedInputException e) {
            assertEquals(file.toString(), e.source(), e::toString);
            assertTrue(e.offset() >= 0 && e.offset() <= size, () -> "offset " + e.offset() + " outside the " + size + "-byte file: " + e);
        } catch (ChecksumMismatchException e) {
            assertTrue(e.getMessage().contains(file.toString()), e::toString);
        }
        return false;
    }
}
