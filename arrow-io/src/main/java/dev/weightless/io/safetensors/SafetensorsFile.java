package dev.weightless.io.safetensors;

import dev.weightless.codec.MalformedInputException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * A safetensors file, memory-mapped read-only (or wrapping bytes already in memory) and validated on
 * open. Segments from {@link #data} stay valid until {@link #close}; they may be read from any thread.
 */
public final class SafetensorsFile implements AutoCloseable {
    /**
     * What a header declares.
     *
     * @param metadata the {@code __metadata__} entries in header order, empty when absent
     * @param tensors  tensors in header order
     * @param dataSize bytes of the data section: where the last tensor ends
     */
    public record Header(Map<String, String> metadata, List<TensorInfo> tensors, long dataSize) {}

    private static final ValueLayout.OfLong U64_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path path;
    private final String source;
    private final Arena arena; // null when the bytes belong to the caller
    private final MemorySegment file;
    private final long dataStart;
    private final Map<String, String> metadata;
    private final List<TensorInfo> tensors;
    private final Map<String, TensorInfo> byName;

    private SafetensorsFile(Path path, String source, Arena arena, MemorySegment file, long dataStart, Header header) {
        this.path = path;
        this.source = source;
        this.arena = arena;
        this.file = file;
        this.dataStart = dataStart;
        this.metadata = header.metadata();
        this.tensors = header.tensors();
        this.byName = new HashMap<>();
        for (TensorInfo t : tensors) byName.put(t.name(), t);
    }

    /**
     * Maps and validates {@code path}.
     *
     * @throws MalformedInputException naming the file and the absolute offset of the problem
     */
    public static SafetensorsFile open(Path path) throws IOException {
        String source = path.toString();
        // Shared, so tensors can be decoded in parallel.
        Arena arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = channel.size();
            check(size >= 8, source, 0, "file of " + size + " bytes is too short for the 8-byte header length");
            MemorySegment file = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            return validate(path, source, arena, file);
        } catch (Throwable t) {
            arena.close();
            throw t;
        }
    }

    /**
     * Validates a whole file already in memory, as {@link #open} would, without copying it. The caller
     * keeps {@code bytes} alive while this is in use; {@link #close} leaves them alone, and {@link #path}
     * is null.
     *
     * @param source names the bytes in errors
     * @throws MalformedInputException naming {@code source} and the offset of the problem
     */
    public static SafetensorsFile of(MemorySegment bytes, String source) {
        long size = bytes.byteSize();
        check(size >= 8, source, 0, "file of " + size + " bytes is too short for the 8-byte header length");
        return validate(null, source, null, bytes.asReadOnly());
    }

    private static SafetensorsFile validate(Path path, String source, Arena arena, MemorySegment file) {
        long size = file.byteSize();
        long length = file.get(U64_LE, 0);
        check(length >= 0 && length <= SafetensorsHeader.MAX_LENGTH, source, 0,
                "header length " + Long.toUnsignedString(length) + " exceeds " + SafetensorsHeader.MAX_LENGTH);
        long dataStart = SafetensorsHeader.START + length;
        check(dataStart <= size, source, 0,
                "header length " + length + " runs past the end of the " + size + "-byte file");
        var header = SafetensorsHeader.parse(file.asSlice(SafetensorsHeader.START, length), size - dataStart, source);
        return new SafetensorsFile(path, source, arena, file, dataStart, header);
    }

    /**
     * Validates header bytes kept apart from their file, as {@link #open} would, except that
     * the data size is taken from the tensors. Offsets in errors are those the header would have
     * in a file, starting at 8.
     *
     * @param source names the header in errors
     */
    public static Header parseHeader(byte[] header, String source) {
        return SafetensorsHeader.parse(MemorySegment.ofArray(header), -1, source);
    }

    private static void check(boolean condition, String source, long offset, String reason) {
        if (!condition) throw new MalformedInputException(source, offset, reason);
    }

    /** The mapped file, or null for bytes given to {@link #of}. */
    public Path path() {
        return path;
    }

    /** What errors call this file: its path, or the name given to {@link #of}. */
    public String source() {
        return source;
    }

    /** The header bytes exactly as stored, padding included, so a file can be restored byte for byte. */
    public byte[] header() {
        return file.asSlice(SafetensorsHeader.START, dataStart - SafetensorsHeader.START).toArray(ValueLayout.JAVA_BYTE);
    }

    /** Offset of the data section in the file: 8 plus the header length. */
    public long dataStart() {
        return dataStart;
    }

    /** The {@code __metadata__} entries in file order; empty when absent. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Tensors in header order. */
    public List<TensorInfo> tensors() {
        return tensors;
    }

    /** The tensor called {@code name}, if there is one. */
    public java.util.Optional<TensorInfo> find(String name) {
        return java.util.Optional.ofNullable(byName.get(name));
    }

    public TensorInfo tensor(String name) {
        TensorInfo t = byName.get(name);
        if (t == null) throw new NoSuchElementException(source + " has no tensor \"" + name + "\"");
        return t;
    }

    /** The tensor's bytes, little-endian as stored, as a read-only view of the mapped file. */
    public MemorySegment data(TensorInfo tensor) {
        if (!tensor.equals(byName.get(tensor.name()))) {
            throw new IllegalArgumentException(tensor + " is not a tensor of " + source);
        }
        return file.asSlice(dataStart + tensor.begin(), tensor.byteSize());
    }

    /** Unmaps a mapped file, making segments from {@link #data} inaccessible; bytes given to {@link #of} stay the caller's. */
    @Override
    public void close() {
        if (arena != null) arena.close();
    }
}
