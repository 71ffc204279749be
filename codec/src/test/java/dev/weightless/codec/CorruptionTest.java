package dev.weightless.codec;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Every kind of damage to a coded tensor ends in the dedicated exceptions, never in wrong output. */
class CorruptionTest {
    private static final CodecOptions O = CodecOptions.defaults().withThreads(2);

    private enum Outcome { MALFORMED, CHECKSUM, EXACT }

    private static Outcome decode(EncodedTensor t, byte[] original) {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment out = arena.allocate(t.elements() * 2);
            HuffmanDecoder.open(t).decode(out, O);
            if (!Arrays.equals(original, TestData.bytes(out))) fail("decoded to wrong data without an error");
            return Outcome.EXACT;
        } catch (MalformedInputException e) {
            return Outcome.MALFORMED;
        } catch (ChecksumMismatchException e) {
            return Outcome.CHECKSUM;
        }
    }

    private static EncodedTensor.Part copy(EncodedTensor.Part p) {
        return new EncodedTensor.Part(MemorySegment.ofArray(TestData.bytes(p.bytes())), p.fileOffset());
    }

    private static EncodedTensor with(EncodedTensor t, int which, EncodedTensor.Part p) {
        return new EncodedTensor(t.elements(), t.chunkSymbols(), t.groupChunks(), t.crc32c(),
                which == 0 ? p : t.table(), which == 1 ? p : t.index(), which == 2 ? p : t.payload(), which == 3 ? p : t.plane());
    }

    private static EncodedTensor.Part part(EncodedTensor t, int which) {
        return switch (which) { case 0 -> t.table(); case 1 -> t.index(); case 2 -> t.payload(); default -> t.plane(); };
    }

    @Test
    void bitFlipsInEveryPart() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment bf16 = TestData.gaussian(arena, 70_001, 0.03, 9);
            byte[] original = TestData.bytes(bf16);
            EncodedTensor t = HuffmanEncoder.plan(bf16, O).writeTo(arena);
            SplittableRandom r = new SplittableRandom(10);
            int[] counts = new int[3];
            for (int k = 0; k < 3000; k++) {
                int which = k % 4;
                EncodedTensor.Part p = copy(part(t, which));
                long at = r.nextLong(p.bytes().byteSize());
                byte b = p.bytes().get(ValueLayout.JAVA_BYTE, at);
                p.bytes().set(ValueLayout.JAVA_BYTE, at, (byte) (b ^ (1 << r.nextInt(8))));
                Outcome o = decode(with(t, which, p), original);
                counts[o.ordinal()]++;
                assertTrue(o != Outcome.EXACT, "a flipped bit went unnoticed in part " + which + " at " + at);
            }
            assertTrue(counts[0] > 0 && counts[1] > 0, Arrays.toString(counts));
        }
    }

    @Test
    void truncatedAndExtendedParts() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment bf16 = TestData.gaussian(arena, 40_000, 0.03, 9);
            byte[] original = TestData.bytes(bf16);
            EncodedTensor t = HuffmanEncoder.plan(bf16, O).writeTo(arena);
            for (int w = 0; w < 4; w++) {
                int which = w;
                MemorySegment b = part(t, which).bytes();
                for (long cut : new long[] {0, 1, b.byteSize() / 2, b.byteSize() - 1}) {
                    EncodedTensor.Part shorter = new EncodedTensor.Part(b.asSlice(0, cut), 100);
                    assertThrows(MalformedInputException.class, () -> HuffmanDecoder.open(with(t, which, shorter)));
                }
                byte[] longer = Arrays.copyOf(TestData.bytes(b), (int) b.byteSize() + 8);
                EncodedTensor.Part extended = new EncodedTensor.Part(MemorySegment.ofArray(longer), 100);
                assertThrows(MalformedInputException.class, () -> HuffmanDecoder.open(with(t, which, extended)));
            }
            assertEquals(Outcome.EXACT, decode(t, original));
        }
    }

    @Test
    void wrongElementCountOrChecksumInTheMetadata() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment bf16 = TestData.gaussian(arena, 50_000, 0.03, 9);
            byte[] original = TestData.bytes(bf16);
            EncodedTensor t = HuffmanEncoder.plan(bf16, O).writeTo(arena);
            for (long n : new long[] {0, 1, 49_999, 50_001, 1L << 40, Long.MAX_VALUE / 2}) {
                EncodedTensor bad = new EncodedTensor(n, t.chunkSymbols(), t.groupChunks(), t.crc32c(), t.table(), t.index(), t.payload(), t.plane());
                assertThrows(MalformedInputException.class, () -> HuffmanDecoder.open(bad));
            }
            EncodedTensor badChunks = new EncodedTensor(t.elements(), 1000, t.groupChunks(), t.crc32c(), t.table(), t.index(), t.payload(), t.plane());
            assertThrows(MalformedInputException.class, () -> HuffmanDecoder.open(badChunks));
            EncodedTensor badCrc = new EncodedTensor(t.elements(), t.chunkSymbols(), t.groupChunks(), t.crc32c() ^ 1, t.table(), t.index(), t.payload(), t.plane());
            assertEquals(Outcome.CHECKSUM, decode(badCrc, original));
        }
    }

    @Test
    void errorsNameAbsoluteOffsets() {
        try (Arena arena = Arena.ofShared()) {
            EncodedTensor t = HuffmanEncoder.plan(TestData.gaussian(arena, 5000, 0.03, 9), O).writeTo(arena);
            MalformedInputException e = assertThrows(MalformedInputException.class, () -> HuffmanDecoder.open(with(t, 2, copyAt(t.payload(), 1_000_000, true))));
            assertEquals(1_000_000 + t.payload().bytes().byteSize() - 1, e.offset());
            assertTrue(e.getMessage().contains("nonzero bits after the exponent stream"), e.getMessage());
        }
    }

    private static EncodedTensor.Part copyAt(EncodedTensor.Part p, long fileOffset, boolean dirtyGuard) {
        byte[] b = TestData.bytes(p.bytes());
        if (dirtyGuard) b[b.length - 1] = 1;
        return new EncodedTensor.Part(MemorySegment.ofArray(b), fileOffset);
    }

    @Test
    void emptyTensor() {
        try (Arena arena = Arena.ofShared()) {
            EncodedTensor t = HuffmanEncoder.plan(arena.allocate(0), O).writeTo(arena);
            assertEquals(Outcome.EXACT, decode(t, new byte[0]));
            assertArrayEquals(new long[256], HuffmanDecoder.open(t).exponentHistogram(O));
        }
    }
}
