package dev.weightless.tasks.codec;

import dev.weightless.codec.CodeTable;
import dev.weightless.codec.CodecOptions;
import dev.weightless.codec.EncodedTensor;
import dev.weightless.codec.HuffmanDecoder;
import dev.weightless.codec.HuffmanEncoder;
import dev.weightless.jit.kernel.JvmExecutor;
import dev.weightless.jit.kernel.KernelMethod;
import dev.weightless.jit.ptx.PtxCompiler;
import dev.weightless.jit.ptx.PtxKernel;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.function.IntUnaryOperator;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The decode kernel on the JVM executor against the CPU decoder, bit for bit; and its PTX through ptxas. */
class DecodeKernelsTest {

    /** MiniLM-like exponents: most weights within a few octaves of 2^-6. */
    private static int realistic(SplittableRandom r) {
        int e = 120 + (int) Math.round(r.nextGaussian() * 1.6);
        return Math.clamp(e, 100, 127);
    }

    private static CodeTable roundTrip(long n, CodecOptions options, IntUnaryOperator exponentOf, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment bf16 = arena.allocate(n * 2, 8);
            for (long i = 0; i < n; i++) {
                int e = exponentOf.applyAsInt(random.nextInt(1 << 20)) & 0xFF, s = random.nextInt(256);
                bf16.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, (short) ((s & 0x80) << 8 | e << 7 | (s & 0x7F)));
            }
            EncodedTensor tensor = HuffmanEncoder.plan(bf16, options).writeTo(arena);
            MemorySegment expected = arena.allocate(n * 2);
            HuffmanDecoder.open(tensor).decode(expected, options);
            DecodeInput input = DecodeInput.of(tensor, arena);
            input.out().segment().fill((byte) 0x5A); // so that a value the kernel leaves unwritten shows
            input.decodeOnJvm();
            assertEquals(-1, expected.mismatch(input.decoded()), "first differing byte");
            assertEquals(-1, bf16.mismatch(input.decoded()));
            assertTrue(input.checksumMatches());
            // One block looping over all groups, WARPS at a time, as a capped grid (DecodeInput.grid(int)) has it.
            input.out().segment().fill((byte) 0x5A);
            JvmExecutor.run(DecodeInput.kernel(), input.grid(1, 1), input.arguments());
            assertEquals(-1, expected.mismatch(input.decoded()), "first differing byte, one looping block");
            return HuffmanDecoder.open(tensor).code();
        }
    }

    @Test
    void partialLastChunkAndGroup() {
        // 40 full chunks and a 300-symbol one: the second group has 9 of its 32 chunks.
        roundTrip(40 * 1024 + 300, CodecOptions.defaults(), x -> realistic(new SplittableRandom(x)), 1);
    }

    @Test
    void moreGroupsThanOneBlockHas() {
        // 10 groups, the last partial: one looping block decodes 8 groups, then 2 with 6 warps idle.
        roundTrip(9 * 32 * 1024 + 5000, CodecOptions.defaults(), x -> realistic(new SplittableRandom(x)), 4);
    }

    @Test
    void gridCap() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment bf16 = arena.allocate(20 * 32 * 1024 * 2L, 8);
            EncodedTensor tensor = HuffmanEncoder.plan(bf16, CodecOptions.defaults()).writeTo(arena);
            DecodeInput input = DecodeInput.of(tensor, arena);
            assertEquals(3, input.grid().groups());
            assertEquals(2, input.grid(1, 2).groups());
            assertEquals(3, input.grid(132).groups());
            assertEquals(3, input.grid(0).groups());
        }
    }

    @Test
    void wholeGroupsOnly() {
        // Every round of every group takes the write-out's fast path (full groups of 1024-symbol chunks).
        roundTrip(2 * 32 * 1024, CodecOptions.defaults(), x -> realistic(new SplittableRandom(x)), 11);
    }

    @Test
    void elementCountNotAMultipleOfFour() {
        roundTrip(3 * 1024 + 7, CodecOptions.defaults(), x -> realistic(new SplittableRandom(x)), 2);
    }

    @Test
    void fewerElementsThanOneRound() {
        roundTrip(5, CodecOptions.defaults(), x -> 118 + (x & 3), 3);
    }

    @Test
    void singleSymbolTensor() {
        assertTrue(roundTrip(2 * 1024 + 77, CodecOptions.defaults(), x -> 121, 4).isSingleSymbol());
    }

    @Test
    void twoSymbols() {
        roundTrip(33 * 1024, CodecOptions.defaults(), x -> (x & 1) == 0 ? 0 : 255, 5);
    }

    @Test
    void allTwoHundredFiftySixExponentsWithTwelveBitCodes() {
        // Skewed so that the rare exponents get the longest (12-bit) codes.
        CodeTable code = roundTrip(200 * 1024 + 1, CodecOptions.defaults(), x -> (x & 63) != 0 ? 120 + (x >>> 6) % 3 : (x >>> 6) & 0xFF, 6);
        assertEquals(256, code.symbolCount());
        assertEquals(12, code.maxLength());
    }

    @Test
    void otherChunkSizes() {
        roundTrip(5 * 4096 + 999, CodecOptions.defaults().withChunks(4096, 32), x -> realistic(new SplittableRandom(x)), 8);
        roundTrip(70 * 64 + 3, CodecOptions.defaults().withChunks(64, 32), x -> realistic(new SplittableRandom(x)), 9);
    }

    @Test
    void refusesLayoutsTheKernelDoesNotHandle() {
        try (Arena arena = Arena.ofShared()) {
            int n = 1 << 18;
            MemorySegment bf16 = arena.allocate(n * 2L);
            SplittableRandom random = new SplittableRandom(10);
            // Geometric exponents: the rarest need codes longer than the kernel's 12-bit table.
            for (long i = 0; i < n; i++) bf16.setAtIndex(ValueLayout.JAVA_SHORT, i, (short) (Integer.numberOfTrailingZeros(random.nextInt() | 1 << 30) << 7));
            EncodedTensor longCodes = HuffmanEncoder.plan(bf16, CodecOptions.defaults().withMaxCodeLength(14)).writeTo(arena);
            assertTrue(HuffmanDecoder.open(longCodes).code().maxLength() > DecodeKernels.TABLE_BITS);
            assertThrows(IllegalArgumentException.class, () -> DecodeInput.of(longCodes, arena));
            EncodedTensor groups = HuffmanEncoder.plan(bf16, CodecOptions.defaults().withChunks(1024, 16)).writeTo(arena);
            assertThrows(IllegalArgumentException.class, () -> DecodeInput.of(groups, arena));
        }
    }

    @Test
    void joinBuildsTheFourValues() {
        SplittableRandom random = new SplittableRandom(12);
        for (int i = 0; i < 100_000; i++) {
            int e = i < 256 ? i * 0x01010101 : random.nextInt(), s = i < 256 ? ~i * 0x01010101 : random.nextInt();
            long expected = 0;
            for (int k = 0; k < 4; k++) {
                int ek = e >>> 8 * k & 0xFF, sk = s >>> 8 * k & 0xFF;
                expected |= (long) ((sk & 0x80) << 8 | ek << 7 | (sk & 0x7F)) << 16 * k;
            }
            assertEquals(expected, DecodeKernels.join(e, s));
        }
    }

    @Test
    void ptxAssembles() throws IOException, InterruptedException {
        Optional<Path> ptxas = ptxas();
        Assumptions.assumeTrue(ptxas.isPresent(), "no ptxas on PATH or under /usr/local/cuda*: PTX not assembled");
        for (KernelMethod method : List.of(DecodeInput.kernel())) {
            PtxKernel kernel = PtxCompiler.compile(method);
            Path file = Files.createTempFile("decode", ".ptx");
            try {
                Files.writeString(file, kernel.ptx());
                Process p = new ProcessBuilder(ptxas.get().toString(), "-arch=sm_90a", "-v", file.toString(), "-o", "/dev/null").redirectErrorStream(true).start();
                String output = new String(p.getInputStream().readAllBytes());
                assertEquals(0, p.waitFor(), output);
                System.out.println("ptxas " + method.name() + ": " + output.strip());
            } finally {
                Files.delete(file);
            }
        }
    }

    static Optional<Path> ptxas() throws IOException {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path p = Path.of(dir, "ptxas");
            if (Files.isExecutable(p)) return Optional.of(p);
        }
        try (Stream<Path> installs = Files.list(Path.of("/usr/local"))) {
            return installs.filter(d -> d.getFileName().toString().startsWith("cuda")).sorted(Comparator.reverseOrder())
                    .map(d -> d.resolve("bin/ptxas")).filter(Files::isExecutable).findFirst();
        } catch (java.nio.file.NoSuchFileException e) {
            return Optional.empty();
        }
    }
}
