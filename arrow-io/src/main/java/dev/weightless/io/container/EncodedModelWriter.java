package dev.weightless.io.container;

import dev.weightless.codec.ChunkLayout;
import dev.weightless.codec.CodeTable;
import dev.weightless.io.arrow.ArrowMemory;
import dev.weightless.io.safetensors.Dtype;
import dev.weightless.io.safetensors.SafetensorsWriter;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Writes one Weightless file (format version 1) from tensors planned elsewhere, such as on a GPU whose memory
 * holds the values: each entry knows its record and part sizes before a byte of it is produced, so the
 * header goes out first; then each entry fills its parts into one reused stage buffer and they are written,
 * one tensor at a time. The original header kept in the file is the one a safetensors writer gives for the
 * same tensors in entry order with the given metadata, so decompressing the file writes exactly that
 * safetensors file. The output appears under its name only once complete.
 */
public final class EncodedModelWriter {
    private EncodedModelWriter() {}

    /** Fills a Huffman tensor's four parts; each segment is exactly its planned size. */
    @FunctionalInterface
    public interface HuffmanParts {
        void fill(MemorySegment table, MemorySegment index, MemorySegment payload, MemorySegment plane) throws IOException;
    }

    /** Fills a stored tensor's bytes; the segment is exactly the tensor's size. */
    @FunctionalInterface
    public interface StoredBytes {
        void fill(MemorySegment bytes) throws IOException;
    }

    /** One tensor: its record, the sizes of its parts, and what fills them. Make them with {@link #huffman} and {@link #stored}. */
    public record Entry(TensorRecord record, long[] partBytes, HuffmanParts huffman, StoredBytes stored) {
        public Entry {
            partBytes = partBytes.clone();
        }

        @Override
        public long[] partBytes() { return partBytes.clone(); }

        long totalBytes() { return stageBytes(partBytes); }
    }

    /** A BF16 tensor coded by the container's Huffman codec: {@code layout} and {@code payloadBytes} as its encoder planned them. */
    public static Entry huffman(String name, long[] shape, ChunkLayout layout, int crc32c, long payloadBytes, HuffmanParts parts) {
        TensorRecord r = new TensorRecord(name, Dtype.BF16, shape, TensorRecord.Codec.HUFFMAN, crc32c, layout.chunkSymbols(), layout.groupChunks());
        if (r.elements() != layout.elements()) throw new IllegalArgumentException(name + ": shape holds " + r.elements() + " values, the layout " + layout.elements());
        return new Entry(r, new long[] {CodeTable.SERIALIZED_BYTES, layout.indexBytes(), payloadBytes, layout.elements()}, parts, null);
    }

    /** A tensor stored as it is: a BF16 one that coding would not shrink (raw), any other dtype (passthrough). */
    public static Entry stored(String name, Dtype dtype, long[] shape, int crc32c, StoredBytes bytes) {
        TensorRecord.Codec codec = dtype == Dtype.BF16 ? TensorRecord.Codec.RAW : TensorRecord.Codec.PASSTHROUGH;
        TensorRecord r = new TensorRecord(name, dtype, shape, codec, crc32c, 0, 0);
        return new Entry(r, new long[] {r.byteSize()}, null, bytes);
    }

    /**
     * Writes {@code entries} to {@code out} (replacing an existing file only when {@code replace}), with
     * {@code metadata} as the original file's {@code __metadata__}. Progress counts the original bytes.
     */
    public static void write(Path out, boolean replace, Map<String, String> metadata, List<Entry> entries, Progress progress) throws IOException {
        SafetensorsWriter.Builder original = SafetensorsWriter.builder().metadata(metadata);
        for (Entry e : entries) original.tensor(e.record().name(), e.record().dtype(), e.record().shape());
        String header = new String(original.open(Channels.newChannel(OutputStream.nullOutputStream())).header(), StandardCharsets.UTF_8);
        List<TensorRecord> records = entries.stream().map(Entry::record).toList();
        SafetensorsWriter.Builder builder = SafetensorsWriter.builder().metadata(ContainerFormat.metadata(header, records));
        for (Entry e : entries) ContainerFormat.declareParts(builder, e.record(), e.partBytes());
        long largest = entries.stream().mapToLong(Entry::totalBytes).max().orElse(0);
        progress.begin("write " + out.getFileName(), entries.stream().mapToLong(e -> e.record().byteSize()).sum());
        AtomicOutput.writeFile(out, replace, dst -> {
            try (BufferAllocator job = ArrowMemory.job(); ArrowBuf stage = ArrowMemory.allocate(job, Math.max(8, largest));
                 FileChannel channel = dst.openChannel()) {
                SafetensorsWriter file = builder.open(channel);
                for (Entry e : entries) {
                    writeParts(file, stage, e);
                    progress.advance(e.record().byteSize());
                }
                file.finish();
            }
            return null;
        });
        progress.end();
    }

    /** Fills {@code e}'s parts in {@code stage} (each 8-aligned, {@link #stageBytes} in all) and writes them, in order, to {@code file}. */
    static void writeParts(SafetensorsWriter file, ArrowBuf stage, Entry e) throws IOException {
        List<String> names = ContainerFormat.partNames(e.record());
        long[] sizes = e.partBytes;
        MemorySegment[] parts = new MemorySegment[sizes.length];
        long at = 0;
        for (int i = 0; i < sizes.length; i++) {
            parts[i] = ArrowMemory.segment(stage, at, sizes[i]);
            at += align8(sizes[i]);
        }
        if (e.huffman() != null) e.huffman().fill(parts[0], parts[1], parts[2], parts[3]);
        else e.stored().fill(parts[0]);
        for (int i = 0; i < parts.length; i++) file.write(names.get(i), parts[i]);
    }

    /** Stage bytes for parts of these sizes, each starting 8-aligned. */
    static long stageBytes(long[] partBytes) {
        long sum = 0;
        for (long b : partBytes) sum = Math.addExact(sum, align8(b));
        return sum;
    }

    private static long align8(long n) { return Math.addExact(n, 7) & ~7L; }
}
