package dev.weightless.io.container;

import dev.weightless.codec.ChecksumMismatchException;
import dev.weightless.codec.Crc32c;
import dev.weightless.codec.MalformedInputException;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

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
