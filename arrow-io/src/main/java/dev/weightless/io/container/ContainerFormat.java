package dev.weightless.io.container;

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
    /** In a sharded index: the original index file's text. */
    public static final String ORIGINAL_INDEX_KEY = "weightless.original_index";

    public static final String TABLE = ".wl.code";
    public static final String INDEX = ".wl.index";
    public static final String PAYLOAD = ".wl.exp";
    public static final String PLANE = ".wl.sm";

    private ContainerFormat() {}
}
