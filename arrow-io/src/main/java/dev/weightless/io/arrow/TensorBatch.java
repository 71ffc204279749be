package dev.weightless.io.arrow;

import java.lang.foreign.MemorySegment;

/**
 * One row of a tensor file ({@link TensorBatchSchema}): a tensor's description and its stored bytes.
 * The segments are views (never copies) of memory someone else owns: a mapped file when writing, the
 * reader's current record batch when reading. Parts that a codec does not use are null.
 */
public record TensorBatch(String name, String dtype, long[] shape, String codec, int crc32c, int chunkSymbols, int groupChunks,
                          MemorySegment code, MemorySegment index, MemorySegment exp, MemorySegment sm, MemorySegment data) {
    @Override
    public long[] shape() { return shape.clone(); }
}
