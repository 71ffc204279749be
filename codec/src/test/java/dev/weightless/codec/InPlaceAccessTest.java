package dev.weightless.codec;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The codec reads and writes callers' segments in place: lifetimes and access modes must still hold. */
class InPlaceAccessTest {
    private static final CodecOptions TWO = CodecOptions.defaults().withThreads(2);

    @Test
    void aPlanKeepsItsMemoryAcrossGarbageCollections() {
        // Input and plan in automatic arenas: nothing but the plan holds them between plan and write.
        MemorySegment input = TestData.gaussian(Arena.ofAuto(), 3_000_000, 0.02, 11);
        byte[] expected = TestData.bytes(input);
        HuffmanEncoder.Plan plan = HuffmanEncoder.plan(input, TWO);
        input = null;
        for (int i = 0; i < 3; i++) {
            System.gc();
            Arena.ofAuto().allocate(1 << 20).fill((byte) 0x5A); // reuse what a premature free released
        }
        try (Arena arena = Arena.ofShared()) { // shared: the codec's worker threads use it
            EncodedTensor t = plan.writeTo(arena);
            MemorySegment out = arena.allocate(expected.length);
            HuffmanDecoder.open(t).decode(out, TWO);
            assertArrayEquals(expected, TestData.bytes(out));
        }
    }

    @Test
    void aReadOnlyOutputIsRefusedNotWrittenThrough() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment input = TestData.gaussian(arena, 10_000, 0.02, 3);
            EncodedTensor t = HuffmanEncoder.plan(input, TWO).writeTo(arena);
            MemorySegment out = arena.allocate(input.byteSize()).asReadOnly();
            assertThrows(IllegalArgumentException.class, () -> HuffmanDecoder.open(t).decode(out, TWO));
        }
    }

    @Test
    void aClosedInputFailsCleanly() {
        Arena arena = Arena.ofShared();
        MemorySegment input = TestData.gaussian(arena, 10_000, 0.02, 5);
        arena.close();
        assertThrows(IllegalStateException.class, () -> HuffmanEncoder.plan(input, TWO));
    }
}
