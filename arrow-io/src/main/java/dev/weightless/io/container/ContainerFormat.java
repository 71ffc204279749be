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
    public static final int VERSION = 1;
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
