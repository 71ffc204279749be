package dev.weightless.codec.coder;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * A lossless coder of BF16 tensors. A coder turns {@code n} little-endian BF16 values into a few byte
 * parts that hold everything its decoder needs (tables, indices, headers and a checksum included, so
 * the sum of their sizes is the honest coded size), and back. Encode and decode run on the calling
 * thread. Implementations are stateless and thread-safe; {@link Coders} finds them by name.
 */
public interface Coder {
    /** The name the registry, the command line and the container use. */
    String name();

    /** Names of the parts, in the order {@link #encode} returns them (for the container and messages). */
    List<String> partNames();

    /** Codes {@code bf16} (an even number of bytes); the parts are allocated in {@code arena}. */
    CodedTensor encode(MemorySegment bf16, Arena arena);

    /**
     * Restores the values into {@code out} ({@code 2 × coded.elements()} bytes). Parts that do not
     * follow the coder's format raise {@link dev.weightless.codec.MalformedInputException} (offset within
     * the named part), a wrong result {@link dev.weightless.codec.ChecksumMismatchException}; decoding
     * never reads outside the parts and always terminates.
     */
    void decode(CodedTensor coded, MemorySegment out);

    /** As {@link #decode(CodedTensor, MemorySegment)}, on up to {@code threads} threads where the coder can split the work (by default it does not). */
    default void decode(CodedTensor coded, MemorySegment out, int threads) { decode(coded, out); }
}
