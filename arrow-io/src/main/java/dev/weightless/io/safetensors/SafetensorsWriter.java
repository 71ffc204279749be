package dev.weightless.io.safetensors;

import dev.weightless.codec.MalformedInputException;
import dev.weightless.io.json.Json;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Streams a safetensors file to a channel: the header goes out when the writer is created, then
 * the caller supplies each tensor's bytes in data order, checked against the declared sizes.
 * Temporary files and renaming are the caller's business.
 *
 * <pre>{@code
 * SafetensorsWriter w = SafetensorsWriter.builder().tensor("w", Dtype.BF16, 2, 3).open(channel);
 * w.write("w", bytes);
 * w.finish();
 * }</pre>
 */
public final class SafetensorsWriter {
    /** Channels take a ByteBuffer, which holds at most 2 GiB; larger tensors go in pieces. */
    private static final long MAX_PIECE = 1L << 30;

    private final WritableByteChannel out;
    private final byte[] header;
    private final List<TensorInfo> tensors;
    private int next;
    private TensorInfo current;
    private long written;

    private SafetensorsWriter(WritableByteChannel out, byte[] header, List<TensorInfo> tensors) throws IOException {
        this.out = out;
        this.header = header;
        this.tensors = tensors;
        ByteBuffer prefix = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN);
        prefix.putLong(header.length).put(header).flip();
        writeFully(prefix);
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * A writer that reproduces a kept header byte for byte, padding included.
     *
     * @throws MalformedInputException when the header is not a valid safetensors header
     */
    public static SafetensorsWriter withRawHeader(byte[] header, WritableByteChannel out) throws IOException {
        byte[] copy = header.clone();
        List<TensorInfo> byOffset = new ArrayList<>(SafetensorsFile.parseHeader(copy, "raw safetensors header").tensors());
        byOffset.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        return new SafetensorsWriter(out, copy, List.copyOf(byOffset));
    }

    /** The header as written, without the 8-byte length before it. */
    public byte[] header() {
        return header.clone();
    }

    /** Tensors in the order their data must be written. */
    public List<TensorInfo> tensors() {
        return tensors;
    }

    /** Size of the complete file. */
    public long fileSize() {
        long data = tensors.isEmpty() ? 0 : tensors.getLast().end();
        return 8 + header.length + data;
    }

    /** Writes one whole tensor, which must be the next in data order. */
    public void write(String name, MemorySegment data) throws IOException {
        begin(name);
        append(data);
        requireComplete();
    }

    /** Starts the next tensor, to be filled by {@link #append}; the previous one must be complete. */
    public void begin(String name) {
        requireComplete();
        if (next == tensors.size()) throw new IllegalStateException("all tensors are written; no room for \"" + name + "\"");
        TensorInfo expected = tensors.get(next);
        if (!expected.name().equals(name)) {
            throw new IllegalStateException("tensor \"" + expected.name() + "\" comes next, not \"" + name + "\"");
        }
        current = expected;
        written = 0;
        next++;
    }

    /** Appends bytes to the tensor started by {@link #begin}; it may not grow past its declared size. */
    public void append(MemorySegment bytes) throws IOException {
        if (current == null) throw new IllegalStateException("no tensor begun");
        if (bytes.byteSize() > current.byteSize() - written) {
            throw new IllegalStateException("tensor \"" + current.name() + "\" holds " + current.byteSize()
                    + " bytes; " + written + " written, " + bytes.byteSize() + " more offered");
        }
        for (long at = 0; at < bytes.byteSize(); at += MAX_PIECE) {
            writeFully(bytes.asSlice(at, Math.min(MAX_PIECE, bytes.byteSize() - at)).asByteBuffer());
        }
        written += bytes.byteSize();
    }

    /** Checks that every tensor was written in full. */
    public void finish() {
        requireComplete();
        if (next < tensors.size()) throw new IllegalStateException("tensor \"" + tensors.get(next).name() + "\" was not written");
    }

    private void requireComplete() {
        if (current != null && written != current.byteSize()) {
            throw new IllegalStateException("tensor \"" + current.name() + "\" got " + written + " of its "
                    + current.byteSize() + " bytes");
        }
    }

    private void writeFully(ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) out.write(buffer);
    }

    /** Lays out tensors contiguously in the given order, with a header as Hugging Face writes it. */
    public static final class Builder {
        private final Map<String, String> metadata = new LinkedHashMap<>();
        private final List<TensorInfo> tensors = new ArrayList<>();
        private final Set<String> names = new HashSet<>();
        private long end;

        private Builder() {}

        /** Adds {@code __metadata__} entries, which come first in the header. */
        public Builder metadata(Map<String, String> entries) {
            entries.forEach((key, value) -> metadata.put(key, Objects.requireNonNull(value, key)));
            return this;
        }

        /** Adds a tensor after the previous ones. */
        public Builder tensor(String name, Dtype dtype, long... shape) {
            if (name.equals(SafetensorsHeader.METADATA_KEY) || !names.add(name)) {
                throw new IllegalArgumentException("tensor name \"" + name + "\" is reserved or already used");
            }
            long begin = end;
            end = Math.addExact(begin, dtype.sizeOf(shape));
            tensors.add(new TensorInfo(name, dtype, shape, begin, end));
            return this;
        }

        /** Writes the header to {@code out} and returns the writer for the tensor data. */
        public SafetensorsWriter open(WritableByteChannel out) throws IOException {
            Map<String, Object> root = new LinkedHashMap<>();
            if (!metadata.isEmpty()) root.put(SafetensorsHeader.METADATA_KEY, metadata);
            for (TensorInfo t : tensors) {
                Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("dtype", t.dtype().name());
                entry.put("shape", Arrays.stream(t.shape()).boxed().toList());
                entry.put("data_offsets", List.of(t.begin(), t.end()));
                root.put(t.name(), entry);
            }
            byte[] json = Json.writeUtf8(root);
            // Spaces pad the header to a multiple of 8 so the data that follows is aligned.
            byte[] header = Arrays.copyOf(json, (json.length + 7) & ~7);
            Arrays.fill(header, json.length, header.length, (byte) ' ');
            if (header.length > SafetensorsHeader.MAX_LENGTH) {
                throw new IllegalArgumentException("header of " + header.length + " bytes exceeds " + SafetensorsHeader.MAX_LENGTH);
            }
            return new SafetensorsWriter(out, header, List.copyOf(tensors));
        }
    }
}
