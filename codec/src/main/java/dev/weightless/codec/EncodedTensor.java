package dev.weightless.codec;

import java.lang.foreign.MemorySegment;

/**
 * The four stored parts of a Huffman-coded BF16 tensor and the parameters needed to read them.
 * Each part remembers where it sits in its file, so that errors name absolute offsets.
 */
public record EncodedTensor(long elements, int chunkSymbols, int groupChunks, int crc32c,
                            Part table, Part index, Part payload, Part plane) {

    /** Bytes of one part and their offset in the file they came from (0 when in memory). */
    public record Part(MemorySegment bytes, long fileOffset) {
        public static Part of(MemorySegment bytes) { return new Part(bytes, 0); }

        long size() { return bytes.byteSize(); }
    }

    public ChunkLayout layout() { return new ChunkLayout(elements, chunkSymbols, groupChunks); }

    public long encodedBytes() {
        return table.size() + index.size() + payload.size() + plane.size();
    }
}
