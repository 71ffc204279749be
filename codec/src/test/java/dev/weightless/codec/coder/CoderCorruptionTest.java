package dev.weightless.codec.coder;

import dev.weightless.codec.ChecksumMismatchException;
import dev.weightless.codec.MalformedInputException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Seeded damage to every part of a coded tensor (bit flips, byte overwrites, truncation, extension, a
 * missing part) ends in MalformedInputException or ChecksumMismatchException, or in the exact original
 * when the damage changed nothing; never in wrong output, another exception, or a hang.
 */
class CoderCorruptionTest {
    private enum Outcome { MALFORMED, CHECKSUM, EXACT }

    static List<String> coders() { return CoderRoundTripTest.coders(); }

    private static Outcome decode(Coder coder, CodedTensor t, MemorySegment original) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(original.byteSize());
            coder.decode(t, out);
            if (out.mismatch(original) != -1) fail(coder.name() + ": decoded to wrong data without an error");
            return Outcome.EXACT;
        } catch (MalformedInputException e) {
            return Outcome.MALFORMED;
        } catch (ChecksumMismatchException e) {
            return Outcome.CHECKSUM;
        }
    }

    private static CodedTensor withPart(CodedTensor t, int which, MemorySegment part) {
        List<MemorySegment> parts = new ArrayList<>(t.parts());
        parts.set(which, part);
        return new CodedTensor(t.coder(), t.elements(), parts);
    }

    private static MemorySegment copy(MemorySegment s, long size) {
        MemorySegment c = MemorySegment.ofArray(new byte[(int) size]);
        MemorySegment.copy(s, 0, c, 0, Math.min(size, s.byteSize()));
        return c;
    }

    @ParameterizedTest
    @MethodSource("coders")
    void damageIsAlwaysReported(String name) {
        Coder coder = Coders.byName(name);
        SplittableRandom random = new SplittableRandom(name.hashCode());
        Map<Outcome, Integer> seen = new EnumMap<>(Outcome.class);
        try (Arena arena = Arena.ofConfined()) {
            // Two chunks of rANS, several of palette and Huffman; a mixed histogram with escapes.
            MemorySegment original = arena.allocate(2L * 150_000);
            MemorySegment.copy(Samples.gaussian(arena, 140_000, 0.02, 1), 0, original, 0, 280_000);
            MemorySegment.copy(Samples.uniform(arena, 10_000, 2), 0, original, 280_000, 20_000);
            CodedTensor good = coder.encode(original, arena);
            assertEquals(Outcome.EXACT, decode(coder, good, original));
            for (int which = 0; which < good.parts().size(); which++) {
                MemorySegment part = good.part(which);
                long size = part.byteSize();
                for (int trial = 0; trial < 60 && size > 0; trial++) {
                    MemorySegment damaged = copy(part, size);
                    long at = random.nextLong(size);
                    if (trial % 2 == 0) {
                        damaged.set(ValueLayout.JAVA_BYTE, at, (byte) (damaged.get(ValueLayout.JAVA_BYTE, at) ^ (1 << random.nextInt(8))));
                    } else {
                        damaged.set(ValueLayout.JAVA_BYTE, at, (byte) random.nextInt(256));
                    }
                    seen.merge(decode(coder, withPart(good, which, damaged), original), 1, Integer::sum);
                }
                // Truncated and extended parts.
                seen.merge(decode(coder, withPart(good, which, copy(part, size / 2)), original), 1, Integer::sum);
                if (size > 0) seen.merge(decode(coder, withPart(good, which, copy(part, size - 1)), original), 1, Integer::sum);
                seen.merge(decode(coder, withPart(good, which, copy(part, size + 3)), original), 1, Integer::sum);
            }
            // A missing part, and the wrong element count.
            List<MemorySegment> fewer = new ArrayList<>(good.parts());
            fewer.removeLast();
            seen.merge(decode(coder, new CodedTensor(name, good.elements(), fewer), original), 1, Integer::sum);
            MemorySegment shorter = original.asSlice(0, original.byteSize() - 2);
            try {
                MemorySegment out = arena.allocate(shorter.byteSize());
                coder.decode(new CodedTensor(name, good.elements() - 1, good.parts()), out);
                fail(name + ": decoded with the wrong element count");
            } catch (MalformedInputException | ChecksumMismatchException expected) {
                seen.merge(Outcome.MALFORMED, 1, Integer::sum);
            }
        }
        assertTrue(seen.getOrDefault(Outcome.MALFORMED, 0) > 0, name + ": " + seen);
        assertTrue(seen.getOrDefault(Outcome.CHECKSUM, 0) > 0, name + ": " + seen);
    }
}
