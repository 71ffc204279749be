package dev.weightless.io.container;

import dev.weightless.codec.ChecksumMismatchException;
import dev.weightless.codec.Crc32c;
import dev.weightless.codec.MalformedInputException;

import dev.weightless.io.json.Json;
import dev.weightless.io.safetensors.Dtype;
import dev.weightless.io.safetensors.SafetensorsWriter;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Names the container uses inside a safetensors file (FORMAT.md has the whole specification).
 * A Huffman-coded tensor NAME becomes four U8 tensors NAME + one of the part suffixes.
 */
public final class ContainerFormat {
    /** The version of files whose tensors are all huffman, raw or passthrough: what builds before coders wrote, byte for byte. */
    public static final int VERSION = 1;
    /** The version of files with at least one tensor of a registered coder ({@link TensorRecord.Codec#CODED}). */
    public static final int VERSION_CODED = 2;
    /** Metadata key holding the format version; its presence marks a Weightless file. */
    public static final String FORMAT_KEY = "weightless.format";
    /** The original file's header, byte for byte, so decompress restores the file exactly. */
    public static final String ORIGINAL_HEADER_KEY = "weightless.original_header";
    /** JSON list of {@link TensorRecord}s in original header order. */
    public static final String TENSORS_KEY = "weightless.tensors";
    /**
     * CRC32C of the other Weightless entries' UTF-8 bytes (in a file: the original header then the
     * tensor records; in an index: the original index), so a flipped bit there is an error too.
     */
    public static final String CRC_KEY = "weightless.crc32c";
    /** In a sharded index: the original index file's text. */
    public static final String ORIGINAL_INDEX_KEY = "weightless.original_index";

    public static final String TABLE = ".wl.code";
    public static final String INDEX = ".wl.index";
    public static final String PAYLOAD = ".wl.exp";
    public static final String PLANE = ".wl.sm";

    private ContainerFormat() {}

    /** The version to write for these records: 1 unless one is coded, so files older readers can read stay readable by them. */
    static int versionFor(Iterable<TensorRecord> records) {
        for (TensorRecord r : records) if (r.codec() == TensorRecord.Codec.CODED) return VERSION_CODED;
        return VERSION;
    }

    /**
     * The Weightless entries of a file's {@code __metadata__}: format version, the original header, the
     * tensor records and the CRC32C over both.
     */
    static Map<String, String> metadata(String originalHeader, List<TensorRecord> records) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(FORMAT_KEY, Integer.toString(versionFor(records)));
        String tensors = Json.write(records.stream().map(TensorRecord::toJson).toList());
        m.put(ORIGINAL_HEADER_KEY, originalHeader);
        m.put(TENSORS_KEY, tensors);
        m.put(CRC_KEY, crc(originalHeader, tensors));
        return m;
    }

    /**
     * Names of the stored tensors that hold {@code r} in a file, in data order: the four Huffman parts, a
     * coder's parts, or the tensor itself when stored as it is.
     */
    static List<String> partNames(TensorRecord r) {
        return switch (r.codec()) {
            case HUFFMAN -> List.of(r.name() + TABLE, r.name() + INDEX, r.name() + PAYLOAD, r.name() + PLANE);
            case CODED -> r.codedPartNames();
            case RAW, PASSTHROUGH -> List.of(r.name());
        };
    }

    /** Declares the stored tensors of {@code r} (sizes in {@link #partNames} order; raw and passthrough ones keep the record's dtype and shape). */
    static void declareParts(SafetensorsWriter.Builder builder, TensorRecord r, long[] partBytes) {
        List<String> names = partNames(r);
        if (names.size() != partBytes.length) throw new IllegalArgumentException(r.name() + ": " + names.size() + " parts, " + partBytes.length + " sizes");
        if (r.codec() == TensorRecord.Codec.RAW || r.codec() == TensorRecord.Codec.PASSTHROUGH) {
            builder.tensor(r.name(), r.dtype(), r.shape());
            return;
        }
        for (int i = 0; i < names.size(); i++) builder.tensor(names.get(i), Dtype.U8, partBytes[i]);
    }

    /** Checks a kept {@link #FORMAT_KEY} value (1 or 2) and returns it. */
    static int checkVersion(String source, long offset, Object version) {
        if (version == null) throw new MalformedInputException(source, offset, "not a Weightless file (no " + FORMAT_KEY + " in its metadata)");
        if (Integer.toString(VERSION).equals(version)) return VERSION;
        if (Integer.toString(VERSION_CODED).equals(version)) return VERSION_CODED;
        throw new MalformedInputException(source, offset, "format version " + version + " is not supported; this build reads versions "
                + VERSION + " and " + VERSION_CODED);
    }

    /** The {@link #CRC_KEY} value for {@code texts}, in order. */
    static String crc(String... texts) {
        int crc = 0;
        for (String t : texts) {
            byte[] b = t.getBytes(StandardCharsets.UTF_8);
            crc = Crc32c.combine(crc, Crc32c.of(MemorySegment.ofArray(b)), b.length);
        }
        return ChecksumMismatchException.hex(crc);
    }

    /** Checks a kept {@link #CRC_KEY} value against {@code texts}. */
    static void checkCrc(String source, long offset, Object kept, String... texts) {
        String actual = crc(texts);
        if (!(kept instanceof String k) || !k.matches("[0-9a-f]{8}")) {
            throw new MalformedInputException(source, offset, ContainerFormat.CRC_KEY + " is missing or not 8 hex digits");
        }
        if (!k.equals(actual)) {
            throw new ChecksumMismatchException(source + ": Weightless metadata", Integer.parseUnsignedInt(k, 16), Integer.parseUnsignedInt(actual, 16));
        }
    }
}
