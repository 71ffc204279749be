package dev.weightless.tasks.codec;

import dev.weightless.codec.ChecksumMismatchException;
import dev.weightless.codec.MalformedInputException;
import dev.weightless.codec.coder.CodedTensor;
import dev.weightless.codec.coder.Coder;
import dev.weightless.codec.coder.Coders;
import dev.weightless.codec.palette.PaletteCoder;
import dev.weightless.codec.rans.RansCoder;
import dev.weightless.io.onnx.BundledModel;
import dev.weightless.io.safetensors.SafetensorsFile;
import dev.weightless.jit.kernel.JvmExecutor;
import dev.weightless.jit.kernel.KernelMethod;
import dev.weightless.jit.ptx.PtxCompiler;
import dev.weightless.jit.ptx.PtxKernel;
import dev.weightless.tasks.check.CheckData;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntUnaryOperator;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The rANS and palette decode kernels on the JVM executor against the CPU coders' decode, bit for bit; their PTX through ptxas. */
class CoderDecodeKernelsTest {
    private static final RansCoder RANS = (RansCoder) Coders.byName("rans"), RANS_CTX = (RansCoder) Coders.byName("rans-ctx");
    private static final PaletteCoder PALETTE = (PaletteCoder) Coders.byName("palette");

    /** MiniLM-like exponents: most weights within a few octaves of 2^-6. */
    private static int realistic(int x) {
        int e = 120 + (int) Math.round(new SplittableRandom(x).nextGaussian() * 1.6);
        return Math.clamp(e, 100, 127);
    }

    /** n values with exponents from {@code exponentOf} (given a random int) and random sign|mantissa bytes. */
    private static MemorySegment values(long n, IntUnaryOperator exponentOf, long seed, Arena arena) {
        SplittableRandom random = new SplittableRandom(seed);
        MemorySegment bf16 = arena.allocate(Math.max(1, n * 2), 8).asSlice(0, n * 2);
        for (long i = 0; i < n; i++) {
            int e = exponentOf.applyAsInt(random.nextInt(1 << 20)) & 0xFF, s = random.nextInt(256);
            bf16.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, (short) ((s & 0x80) << 8 | e << 7 | (s & 0x7F)));
        }
        return bf16;
    }

    /** Encodes with {@code coder}, decodes on the CPU (registered coder of the same name) and on the JVM executor: all three equal. */
    private static CoderDecodeInput roundTrip(Coder coder, MemorySegment bf16, Arena arena) { return roundTrip(coder, bf16, arena, false); }

    /** As above; {@code looping}: also with one block looping over all chunks, as a capped grid has it (the JVM executor is slow: sparingly). */
    private static CoderDecodeInput roundTrip(Coder coder, MemorySegment bf16, Arena arena, boolean looping) {
        CodedTensor coded = coder.encode(bf16, arena);
        MemorySegment cpu = arena.allocate(Math.max(1, bf16.byteSize())).asSlice(0, bf16.byteSize());
        Coders.byName(coded.coder()).decode(coded, cpu);
        assertEquals(-1, bf16.mismatch(cpu), "CPU decode");
        CoderDecodeInput input = CoderDecodeInput.of(coded, arena);
        input.decoded().fill((byte) 0x5A); // a value the kernel leaves unwritten shows
        input.decodeOnJvm(input.grid(0, 0));
        assertEquals(-1, cpu.mismatch(input.decoded()), coder.name() + ": first differing byte");
        if (!looping) return input;
        input.decoded().fill((byte) 0x5A);
        input.decodeOnJvm(input.grid(1, 1));
        assertEquals(-1, cpu.mismatch(input.decoded()), coder.name() + ": first differing byte, one looping block");
        return input;
    }

    private static RansCoder rans(int k, int chunk) { return new RansCoder(k == 0 ? "rans" : "rans-ctx", k, 14, chunk); }

    // The JVM executor takes milliseconds per row of 32 symbols on this 2-core machine (each warp vote or
    // shuffle is two rounds of a phaser over 32 virtual threads), and a 32-lane tensor has at least 16384
    // symbols: the default set is a few chosen cases; more run with -Dweightless.excludedGroups=none -Dgroups=large.

    @Test
    void ransChunksPartialRowAndFieldsCarriedInStates() {
        try (Arena arena = Arena.ofShared()) {
            // 32 lanes; chunks of 256 (5 rows of fields carried in the states for k = 2); a last chunk of 231: a partial row.
            roundTrip(rans(2, 256), values(64 * 256 + 231, CoderDecodeKernelsTest::realistic, 1, arena), arena);
        }
    }

    @Test
    void ransBlocksOfRowsAndIdleWarps() {
        try (Arena arena = Arena.ofShared()) {
            // 32 lanes, k = 2 (6-bit fields straddle ints), 65 chunks: 17 blocks of 4 warps, the last with 3 idle warps;
            // chunks of 256 are 8 rows: each a part of one staged block of 32 rows.
            roundTrip(rans(2, 256), values(64 * 256 + 231, CoderDecodeKernelsTest::realistic, 12, arena), arena);
            // 1 lane: 700 rows, 22 blocks of rows, a raw part that is not whole ints (a padded copy).
            roundTrip(RANS_CTX, values(700, CoderDecodeKernelsTest::realistic, 13, arena), arena);
            // k = 0 with the registered coder: one chunk of 16,400 (513 rows: 17 blocks, fields carried in the states).
            roundTrip(RANS, values(16_400, CoderDecodeKernelsTest::realistic, 14, arena), arena);
        }
    }

    /** Many short chunks, one lane, and a long chunk of 516 rows (the prefetch runs past its stream) decode as on the CPU; a flipped bit is caught. */
    @Test
    void ransShapesMatchTheCpu() {
        try (Arena arena = Arena.ofShared()) {
            List<MemorySegment> inputs = List.of(values(64 * 256 + 231, CoderDecodeKernelsTest::realistic, 16, arena), // 65 short chunks
                    values(700, CoderDecodeKernelsTest::realistic, 17, arena), // 1 lane
                    values(16_500, CoderDecodeKernelsTest::realistic, 18, arena)); // one chunk of 516 rows
            List<RansCoder> coders = List.of(rans(2, 256), RANS_CTX, RANS);
            for (String kernel : List.of("decode")) {
                for (int i = 0; i < inputs.size(); i++) {
                    RansDecodeInput input = RansDecodeInput.of(coders.get(i), coders.get(i).encode(inputs.get(i), arena), arena);
                    input.decoded().fill((byte) 0x5A);
                    JvmExecutor.run(KernelMethod.of(RansDecodeKernels.class, kernel), input.grid(0, 0), input.arguments());
                    String what = kernel + ", input " + i;
                    assertDoesNotThrow(input::check, what);
                    assertEquals(-1, inputs.get(i).mismatch(input.decoded()), what);
                }
                // A flipped bit in the stream: reported by the status or the CRC32C.
                CodedTensor coded = RANS.encode(inputs.get(2), arena);
                long at = coded.part(2).byteSize() / 2;
                coded.part(2).set(ValueLayout.JAVA_BYTE, at, (byte) (coded.part(2).get(ValueLayout.JAVA_BYTE, at) ^ 0x10));
                RansDecodeInput corrupt = RansDecodeInput.of(RANS, coded, arena);
                JvmExecutor.run(KernelMethod.of(RansDecodeKernels.class, kernel), corrupt.grid(0, 0), corrupt.arguments());
                RuntimeException e = assertThrows(RuntimeException.class, corrupt::check);
                assertTrue(e instanceof MalformedInputException || e instanceof ChecksumMismatchException, e.toString());
            }
        }
    }

    @Test
    void ransMoreMantissaBitsThanTheKernelTakesAreNamed() {
        try (Arena arena = Arena.ofShared()) {
            RansCoder k3 = new RansCoder("rans-k3", 3, 14, 256);
            RansCoder.Layout layout = k3.open(k3.encode(values(1000, CoderDecodeKernelsTest::realistic, 15, arena), arena));
            String why = RansDecodeInput.whyNot(layout);
            assertTrue(why != null && why.contains("3 mantissa bits"), why);
        }
    }

    @Test
    void ransUniformAndSingleSymbol() {
        try (Arena arena = Arena.ofShared()) {
            roundTrip(rans(0, 256), values(16_400, x -> x, 5, arena), arena); // all 256 exponents, about uniform
            CodedTensor single = rans(0, 256).encode(values(16_400, x -> 77, 7, arena), arena);
            assertEquals(1 << 14, RANS.open(single).freq()[77]); // the whole scale on one symbol
            roundTrip(rans(0, 256), values(16_400, x -> 77, 7, arena), arena);
        }
    }

    @Test
    void ransTinyTensorsWithFewerLanes() {
        try (Arena arena = Arena.ofShared()) {
            for (int n : new int[] {1, 5, 100}) {
                CoderDecodeInput input = roundTrip(RANS_CTX, values(n, CoderDecodeKernelsTest::realistic, n, arena), arena);
                assertEquals(1, input.arguments()[9], "lanes for " + n);
            }
        }
    }

    @Test
    @Tag("large")
    void ransMoreCases() {
        try (Arena arena = Arena.ofShared()) {
            // One block looping over all chunks, as a capped grid has it.
            roundTrip(rans(0, 256), values(64 * 256 + 231, CoderDecodeKernelsTest::realistic, 2, arena), arena, true);
            // k = 0 (3 rows carried), a last chunk of 40 symbols, fewer than 3 rows: it carries none.
            roundTrip(rans(0, 256), values(64 * 256 + 40, CoderDecodeKernelsTest::realistic, 3, arena), arena);
            roundTrip(rans(2, 256), values(16_400, x -> (x & 255) != 0 ? 121 : x >>> 8, 6, arena), arena); // one dominant exponent, rare others
            roundTrip(new RansCoder("rans", 0, 10, 256), values(3000, CoderDecodeKernelsTest::realistic, 8, arena), arena); // 4 lanes, scale 10
            roundTrip(RANS_CTX, values(16_500, CoderDecodeKernelsTest::realistic, 10, arena), arena); // the registered coder's chunks of 2^18
        }
    }

    @Test
    void ransCorruptStreamIsReportedNotDecoded() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment bf16 = values(64 * 256, CoderDecodeKernelsTest::realistic, 11, arena);
            CodedTensor coded = rans(0, 256).encode(bf16, arena);
            MemorySegment stream = coded.part(2);
            // A flipped bit in chunk 3's first renormalisation words: the status or, failing that, the CRC32C catches it.
            long chunk3 = 2 * RANS.open(coded).chunkStarts()[3] + 2 * 64;
            stream.set(ValueLayout.JAVA_BYTE, chunk3, (byte) (stream.get(ValueLayout.JAVA_BYTE, chunk3) ^ 0x10));
            CoderDecodeInput input = CoderDecodeInput.of(coded, arena);
            RuntimeException e = assertThrows(RuntimeException.class, () -> input.decodeOnJvm(input.grid(0, 0)));
            assertTrue(e instanceof MalformedInputException || e instanceof ChecksumMismatchException, e.toString());
            // Host validation comes first: a wrong index is refused before any launch.
            CodedTensor badIndex = new CodedTensor(coded.coder(), coded.elements(), List.of(coded.part(0), coded.part(1).asSlice(4), coded.part(2), coded.part(3)));
            assertThrows(MalformedInputException.class, () -> CoderDecodeInput.of(badIndex, arena));
        }
    }

    @Test
    void paletteAllWidthsAndEscapes() {
        try (Arena arena = Arena.ofShared()) {
            int[] widths = new int[5];
            // b = 0 (one exponent), 1, 2, 3, 4 from 1, 2-ish, 4-ish, 8-ish and 16-ish distinct exponents; odd sizes, several chunks.
            List<IntUnaryOperator> sources = List.of(x -> 99, x -> (x & 15) != 0 ? 120 : 100 + (x >>> 4) % 40, x -> 118 + x % 3,
                    CoderDecodeKernelsTest::realistic, x -> 110 + (x & 15));
            for (int i = 0; i < sources.size(); i++) {
                CoderDecodeInput input = roundTrip(PALETTE, values(16384 + 1001 + i, sources.get(i), 20 + i, arena), arena, i == 3); // one looping block once
                widths[((Integer) input.arguments()[8])]++;
            }
            for (int b = 0; b <= 4; b++) assertTrue(widths[b] > 0, "no tensor of width " + b + ": " + java.util.Arrays.toString(widths));
        }
    }

    @Test
    void paletteEscapeHeavyAndTiny() {
        try (Arena arena = Arena.ofShared()) {
            roundTrip(PALETTE, values(16384 + 5, x -> x, 30, arena), arena); // all 256 exponents: escapes everywhere
            for (int n : new int[] {1, 3, 4, 129, 1000}) roundTrip(PALETTE, values(n, x -> x % 40, n, arena), arena);
        }
    }

    @Test
    void paletteWrongEscapeCountIsReported() {
        try (Arena arena = Arena.ofShared()) {
            CodedTensor coded = PALETTE.encode(values(16384 + 100, x -> x % 20, 31, arena), arena);
            // Move one escape from chunk 1 to chunk 0 in the index: still monotone, so only decoding can tell.
            coded.part(1).set(ValueLayout.JAVA_LONG_UNALIGNED, 8, coded.part(1).get(ValueLayout.JAVA_LONG_UNALIGNED, 8) + 1);
            CoderDecodeInput input = CoderDecodeInput.of(coded, arena);
            MalformedInputException e = assertThrows(MalformedInputException.class, () -> input.decodeOnJvm(input.grid(0, 0)));
            assertTrue(e.getMessage().contains("chunk 0"), e.getMessage());
        }
    }

    @Test
    void syntheticWeightsAllCoders() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment bf16 = arena.allocate(2L * (16_384 + 3), 8);
            CheckData.fillSynthetic(bf16, 12);
            for (String name : List.of("rans-ctx", "palette")) roundTrip(Coders.byName(name), bf16, arena);
        }
    }

    @Test
    void realMiniLmTensors() throws IOException {
        Path file = BundledModel.bf16(Path.of(System.getProperty("basedir", "."), "target", "real-model"));
        try (SafetensorsFile f = SafetensorsFile.open(file); Arena arena = Arena.ofShared()) {
            MemorySegment projection = f.data(f.find("onnx::MatMul_787").orElseThrow()); // 384 × 384
            MemorySegment norm = f.data(f.find("encoder.layer.0.output.LayerNorm.weight").orElseThrow()); // 384
            // Slices: the JVM executor takes about a millisecond per row.
            roundTrip(PALETTE, projection.asSlice(0, 2 * 40_000), arena); // two chunks and a partial one
            roundTrip(RANS_CTX, projection.asSlice(0, 2 * 16_400), arena); // 32 lanes, fields carried in the states
            roundTrip(RANS, norm, arena); // one lane
        }
    }

    @Test
    void kernelsAssemble() throws IOException, InterruptedException {
        Path ptxas = DecodeKernelsTest.ptxas().orElse(null);
        for (String kernel : List.of("decode", "palette")) {
            PtxKernel compiled = PtxCompiler.compile(kernel.equals("palette") ? dev.weightless.jit.kernel.KernelMethod.of(PaletteDecodeKernels.class, "decode")
                    : dev.weightless.jit.kernel.KernelMethod.of(RansDecodeKernels.class, kernel));
            assertTrue(compiled.ptx().contains(".entry"));
            Assumptions.assumeTrue(ptxas != null, "no ptxas on PATH or under /usr/local/cuda*: PTX not assembled");
            Path file = Files.createTempFile("coder", ".ptx");
            try {
                Files.writeString(file, compiled.ptx());
                Process p = new ProcessBuilder(ptxas.toString(), "-arch=sm_90a", "-v", file.toString(), "-o", "/dev/null").redirectErrorStream(true).start();
                String output = new String(p.getInputStream().readAllBytes());
                assertEquals(0, p.waitFor(), output);
                System.out.println("ptxas " + kernel + ": " + output.strip());
            } finally {
                Files.delete(file);
            }
        }
    }
}
