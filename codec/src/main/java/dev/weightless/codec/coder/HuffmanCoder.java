package dev.weightless.codec.coder;

import dev.weightless.codec.ChunkLayout;
import dev.weightless.codec.CodecOptions;
import dev.weightless.codec.EncodedTensor;
import dev.weightless.codec.HuffmanDecoder;
import dev.weightless.codec.HuffmanEncoder;
import dev.weightless.codec.MalformedInputException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;

/**
 * The format's Huffman codec (exponent Huffman-coded in 1024-symbol chunks, sign|mantissa raw) behind
 * the coder interface, on one thread. Its parts are the codec's four plus a 12-byte header with what the
 * container otherwise keeps in its metadata: chunk symbols, group chunks and the CRC32C.
 */
public final class HuffmanCoder implements Coder {
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final int HEADER_BYTES = 12;
    private static final CodecOptions ONE_THREAD = CodecOptions.defaults().withThreads(1);

    @Override
    public String name() { return "huffman"; }

    @Override
    public List<String> partNames() { return List.of("header", "code", "index", "exp", "sm"); }

    @Override
    public CodedTensor encode(MemorySegment bf16, Arena arena) {
        EncodedTensor t = HuffmanEncoder.plan(bf16, ONE_THREAD).writeTo(arena);
        MemorySegment header = arena.allocate(HEADER_BYTES);
        header.set(U32, 0, t.chunkSymbols());
        header.set(U32, 4, t.groupChunks());
        header.set(U32, 8, t.crc32c());
        return new CodedTensor(name(), t.elements(), List.of(header, t.table().bytes(), t.index().bytes(), t.payload().bytes(), t.plane().bytes()));
    }

    @Override
    public void decode(CodedTensor coded, MemorySegment out) {
        MalformedInputException.verify(coded.parts().size() == 5, 0, "huffman: expected 5 parts, got " + coded.parts().size());
        MemorySegment header = coded.part(0);
        MalformedInputException.verify(header.byteSize() == HEADER_BYTES, 0, "huffman header: " + header.byteSize() + " bytes, expected " + HEADER_BYTES);
        int chunkSymbols = header.get(U32, 0), groupChunks = header.get(U32, 4);
        try {
            new ChunkLayout(coded.elements(), chunkSymbols, groupChunks);
        } catch (IllegalArgumentException e) {
            throw new MalformedInputException(0, "huffman header: " + e.getMessage());
        }
        EncodedTensor t = new EncodedTensor(coded.elements(), chunkSymbols, groupChunks, header.get(U32, 8),
                EncodedTensor.Part.of(coded.part(1)), EncodedTensor.Part.of(coded.part(2)),
                EncodedTensor.Part.of(coded.part(3)), EncodedTensor.Part.of(coded.part(4)));
        HuffmanDecoder.open(t).decode(out, ONE_THREAD);
    }
}
