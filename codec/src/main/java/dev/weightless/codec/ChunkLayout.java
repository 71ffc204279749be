package dev.weightless.codec;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * How a tensor's exponent stream is cut for parallel decoding. The stream is a run of bit-contiguous
 * chunks of {@code chunkSymbols} symbols (the last may be shorter). The index is, in little-endian:
 * one u64 per group of {@code groupChunks} chunks, the bit offset where the group starts, followed
 * by one u16 per chunk, its length in bits. A GPU warp finds its 32 chunk starts with one load of
 * the group offset and a prefix sum over the 16-bit lengths. With 1024-symbol chunks and 32-chunk
 * groups the index costs 16/1024 + 64/32768 = 0.0176 bits per weight.
 */
public record ChunkLayout(long elements, int chunkSymbols, int groupChunks) {
    public static final int DEFAULT_CHUNK_SYMBOLS = 1024;
    public static final int DEFAULT_GROUP_CHUNKS = 32;
    static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public ChunkLayout {
        if (elements < 0) throw new IllegalArgumentException("negative element count " + elements);
        // A chunk's bit length must fit 16 bits even with 15-bit codes.
        if (Integer.bitCount(chunkSymbols) != 1 || chunkSymbols < 64 || chunkSymbols > 4096) {
            throw new IllegalArgumentException("chunk size must be a power of two in 64..4096, got " + chunkSymbols);
        }
        if (Integer.bitCount(groupChunks) != 1 || groupChunks > 1024) {
            throw new IllegalArgumentException("group size must be a power of two in 1..1024, got " + groupChunks);
        }
    }

    public static ChunkLayout of(long elements) {
        return new ChunkLayout(elements, DEFAULT_CHUNK_SYMBOLS, DEFAULT_GROUP_CHUNKS);
    }

    public long chunks() { return ceilDiv(elements, chunkSymbols); }

    public long groups() { return ceilDiv(chunks(), groupChunks); }

    public long indexBytes() { return Math.addExact(Math.multiplyExact(groups(), 8), Math.multiplyExact(chunks(), 2)); }

    public int symbolsIn(long chunk) {
        return (int) Math.min(chunkSymbols, elements - chunk * chunkSymbols);
    }

    /** Payload bytes for a stream of {@code bits}: whole 64-bit words plus one zero guard word. */
    public static long payloadBytes(long bits) {
        return Math.multiplyExact(ceilDiv(bits, 64) + 1, 8);
    }

    long groupOffset(MemorySegment index, long group) { return index.get(U64, group * 8); }

    void groupOffset(MemorySegment index, long group, long bits) { index.set(U64, group * 8, bits); }

    int chunkBits(MemorySegment index, long chunk) { return Short.toUnsignedInt(index.get(U16, groups() * 8 + chunk * 2)); }

    void chunkBits(MemorySegment index, long chunk, int bits) { index.set(U16, groups() * 8 + chunk * 2, (short) bits); }

    long chunkBitsOffset(long chunk) { return groups() * 8 + chunk * 2; }

    static long ceilDiv(long a, long b) { return Math.ceilDiv(a, b); }
}
