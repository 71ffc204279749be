package dev.weightless.codec;

import java.util.function.LongConsumer;

/**
 * Knobs of the codec. {@code progress} receives increments of BF16 bytes processed, from any thread.
 */
public record CodecOptions(int threads, int maxCodeLength, int chunkSymbols, int groupChunks, LongConsumer progress) {
    public CodecOptions {
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        // The encoder packs four codes per flush, which needs codes of at most 14 bits; the format and
        // the decoder take 15.
        if (maxCodeLength < 8 || maxCodeLength > CodeTable.MAX_LENGTH_LIMIT - 1) {
            throw new IllegalArgumentException("code length limit must be 8..14, got " + maxCodeLength);
        }
        new ChunkLayout(0, chunkSymbols, groupChunks); // validates the sizes
        if (progress == null) progress = bytes -> {};
    }

    public static CodecOptions defaults() {
        return new CodecOptions(Parallel.defaultThreads(), CodeTable.DEFAULT_MAX_LENGTH,
                ChunkLayout.DEFAULT_CHUNK_SYMBOLS, ChunkLayout.DEFAULT_GROUP_CHUNKS, null);
    }

    public CodecOptions withThreads(int n) { return new CodecOptions(n, maxCodeLength, chunkSymbols, groupChunks, progress); }

    public CodecOptions withMaxCodeLength(int n) { return new CodecOptions(threads, n, chunkSymbols, groupChunks, progress); }

    public CodecOptions withChunks(int symbols, int perGroup) { return new CodecOptions(threads, maxCodeLength, symbols, perGroup, progress); }

    public CodecOptions withProgress(LongConsumer p) { return new CodecOptions(threads, maxCodeLength, chunkSymbols, groupChunks, p); }
}
