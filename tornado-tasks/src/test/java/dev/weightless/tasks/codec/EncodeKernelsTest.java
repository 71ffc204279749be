package dev.weightless.tasks.codec;

import dev.weightless.codec.CodecOptions;
import dev.weightless.codec.EncodedTensor;
import dev.weightless.codec.HuffmanEncoder;
import dev.weightless.jit.ptx.PtxCompiler;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.function.IntUnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The encode kernels on the JVM executor against the CPU encoder's index, payload and plane, byte for byte. */
class EncodeKernelsTest {
    private static void matches(long n, CodecOptions options, IntUnaryOperator exponentOf, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment bf16 = arena.allocate(n * 2, 8);
            for (long i = 0; i < n; i++) {
                int e = exponentOf.applyAsInt(random.nextInt(1 << 20)) & 0xFF, s = random.nextInt(256);
                bf16.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, (short) ((s & 0x80) << 8 | e << 7 | (s & 0x7F)));
            }
            HuffmanEncoder.Plan plan = HuffmanEncoder.plan(bf16, options);
            EncodedTensor cpu = plan.writeTo(arena);
            EncodeInput gpu = EncodeInput.of(bf16, plan, arena);
            gpu.encodeOnJvm();
            assertEquals(-1, cpu.index().bytes().mismatch(gpu.index(arena)), "index");
            assertEquals(-1, cpu.payload().bytes().mismatch(gpu.payloadBytes()), "payload");
            assertEquals(-1, cpu.plane().bytes().mismatch(gpu.planeBytes()), "plane");
        }
    }

    private static int realistic(int x) {
        return Math.clamp(120 + (int) Math.round(new SplittableRandom(x).nextGaussian() * 1.6), 100, 127);
    }

    @Test
    void partialLastChunkAndGroup() { matches(40 * 1024 + 301, CodecOptions.defaults(), EncodeKernelsTest::realistic, 1); }

    @Test
    void fewElements() { matches(5, CodecOptions.defaults(), x -> 118 + (x & 3), 2); }

    @Test
    void singleSymbol() { matches(2 * 1024 + 77, CodecOptions.defaults(), x -> 121, 3); }

    @Test
    void allExponentsAndLongCodes() {
        matches(100 * 1024 + 3, CodecOptions.defaults().withMaxCodeLength(14), x -> (x & 63) != 0 ? 120 + (x >>> 6) % 3 : (x >>> 6) & 0xFF, 4);
    }

    @Test
    void otherChunkSizes() {
        matches(3 * 4096 + 999, CodecOptions.defaults().withChunks(4096, 32), EncodeKernelsTest::realistic, 5);
        matches(70 * 64 + 3, CodecOptions.defaults().withChunks(64, 32), EncodeKernelsTest::realistic, 6);
    }

    @Test
    void kernelsCompile() {
        PtxCompiler.compile(EncodeInput.measure());
        PtxCompiler.compile(EncodeInput.groupOffsets());
        PtxCompiler.compile(EncodeInput.pack());
        PtxCompiler.compile(EncodeInput.plane());
    }
}
