package dev.weightless.io.arrow;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * One row of a tensor file ({@link TensorBatchSchema}): a tensor's description and its stored bytes.
 * The segments are views (never copies) of memory someone else owns: a mapped file when writing, the
 * reader's current record batch when reading. Parts that a codec does not use are null; {@code coder}
 * and {@code parts} (layout 2) are a coded tensor's coder name and parts in the coder's order, else null and empty.
 */
public record TensorBatch(String name, String dtype, long[] shape, String codec, int crc32c, int chunkSymbols, int groupChunks,
                          MemorySegment code, MemorySegment index, MemorySegment exp, MemorySegment sm, MemorySegment data,
                          String coder, List<MemorySegment> parts) {
    public TensorBatch {
        parts = List.copyOf(parts);
    }

    /** A batch without coder parts (all of layout 1). */
    public TensorBatch(String name, String dtype, long[] shape, String codec, int crc32c, int chunkSymbols, int groupChunks,
                       MemorySegment code, MemorySegment index, MemorySegment exp, MemorySegment sm, MemorySegment data) {
        this(name, dtype, shape, codec, crc32c, chunkSymbols, groupChunks, code, index, exp, sm, data, null, List.of());
    }

    @Override
    public long[] shape() { return shape.clone(); }
}
