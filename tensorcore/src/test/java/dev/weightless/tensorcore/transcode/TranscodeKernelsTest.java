package dev.weightless.tensorcore.transcode;

import dev.weightless.jit.kernel.ByteArray;
import dev.weightless.jit.kernel.Grid;
import dev.weightless.jit.kernel.IntArray;
import dev.weightless.jit.kernel.JvmExecutor;
import dev.weightless.jit.kernel.KernelMethod;
import dev.weightless.jit.kernel.ShortArray;
import dev.weightless.jit.ptx.PtxCompiler;
import dev.weightless.jit.ptx.PtxKernel;
import dev.weightless.tensorcore.layout.LayoutSurvey;
import dev.weightless.tensorcore.layout.PaletteEncoder;
import dev.weightless.tensorcore.layout.PaletteLayout.Coding;
import dev.weightless.tensorcore.layout.PaletteTensor;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The GPU transcoder's kernels on the JVM executor against the CPU encoder (per-tensor palette or window),
 * byte for byte; and their PTX through ptxas.
 */
class TranscodeKernelsTest {
    @Test
    void normalWeightsMatchTheCpuEncoder() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment w = arena.allocate(48L * 192 * 2, 2);
            LayoutSurvey.fillLlamaLike(w, 21);
            assertSameAsCpu(w, 48, 192, arena);
        }
    }

    @Test
    void randomBitsWithManyEscapesMatchTheCpuEncoder() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment w = arena.allocate(32L * 128 * 2, 2);
            SplittableRandom random = new SplittableRandom(5);
            for (long i = 0; i < 32 * 128; i++) w.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, (short) random.nextInt());
            assertSameAsCpu(w, 32, 128, arena);
        }
    }

    @Test
    void normalWeightsMatchTheCpuEncoderInTheWindowCoding() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment w = arena.allocate(48L * 192 * 2, 2); // 9 tiles: the second block has 7 idle warps
            LayoutSurvey.fillLlamaLike(w, 21);
            // One outlier past the window's top and one zero per row keep escapes in this small case.
            for (long r = 0; r < 48; r++) {
                w.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, r * 192 + (r * 37) % 192, (short) 0x4120);
                w.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, r * 192 + (r * 53 + 7) % 192, (short) 0x8000);
            }
            PaletteTensor cpu = assertSameAsCpuWindow(w, 48, 192, arena);
            assertTrue(cpu.escapeCount() >= 96 && cpu.escapeCount() < 96 + 48 * 192 / 200, "the planted escapes and a few more: " + cpu.escapeCount());
        }
    }

    @Test
    void randomBitsMatchTheCpuEncoderInTheWindowCoding() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment w = arena.allocate(32L * 128 * 2, 2);
            SplittableRandom random = new SplittableRandom(5);
            for (long i = 0; i < 32 * 128; i++) w.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, (short) random.nextInt());
            PaletteTensor cpu = assertSameAsCpuWindow(w, 32, 128, arena);
            assertTrue(cpu.escapeCount() > 32 * 128 * 3 / 4, "uniform exponents escape mostly: " + cpu.escapeCount());
        }
    }

    @Test
    void theHighestWindowMatchesTheCpuEncoder() {
        // Exponents 236..255: the tensor's window is base 240 (240..254); 236..239 and 255 escape.
        try (Arena arena = Arena.ofShared()) {
            MemorySegment w = arena.allocate(16L * 320 * 2, 2);
            SplittableRandom random = new SplittableRandom(6);
            for (long i = 0; i < 16 * 320; i++) {
                int exponent = random.nextInt(8) == 0 ? 236 + random.nextInt(4) : random.nextInt(16) == 0 ? 255 : 240 + random.nextInt(15);
                w.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, (short) (random.nextInt(2) << 15 | exponent << 7 | random.nextInt(128)));
            }
            assertEquals(240, PaletteEncoder.windowBase(PaletteEncoder.histogram(w)));
            assertSameAsCpuWindow(w, 16, 320, arena);
        }
    }

    private static PaletteTensor assertSameAsCpuWindow(MemorySegment w, int n, int k, Arena arena) {
        PaletteTensor cpu = PaletteEncoder.encode(w, n, k, PaletteEncoder.Scope.TENSOR, Coding.WINDOW, arena);
        long tiles = cpu.tileCount();
        int base = PaletteEncoder.windowBase(PaletteEncoder.histogram(w));
        assertEquals(base, cpu.palettes().get(ValueLayout.JAVA_BYTE, 0) & 0xFF);
        ShortArray weights = new ShortArray(w);
        ByteArray tileBytes = ByteArray.allocate(arena, cpu.tiles().byteSize()), palettes = ByteArray.allocate(arena, tiles * 8);
        tileBytes.segment().fill((byte) 0xA5); // every byte must be written
        palettes.segment().fill((byte) 0xA5);
        IntArray starts = IntArray.allocate(arena, tiles + 1);
        Grid grid = new Grid(Math.ceilDiv(tiles, TranscodeKernels.WARPS), TranscodeKernels.LOCAL_SIZE);
        JvmExecutor.run(KernelMethod.of(TranscodeKernels.class, "windowCodeTiles"), grid, weights, base, tileBytes, palettes, starts, n, k);
        JvmExecutor.run(KernelMethod.of(TranscodeKernels.class, "scanStarts"), new Grid(1, TranscodeKernels.SCAN_SIZE), starts);
        ByteArray escapes = ByteArray.allocate(arena, Math.max(1, starts.get(tiles)));
        ShortArray positions = ShortArray.allocate(arena, Math.max(1, starts.get(tiles)));
        JvmExecutor.run(KernelMethod.of(TranscodeKernels.class, "windowWriteEscapes"), grid, weights, base, starts, escapes, positions, n, k);
        assertEquals(cpu.tiles().byteSize(), tiles * 1536);
        assertEquals(-1, tileBytes.segment().mismatch(cpu.tiles()), "tiles");
        assertEquals(-1, palettes.segment().mismatch(cpu.palettes()), "palettes");
        assertEquals(-1, starts.segment().mismatch(cpu.escapeStarts()), "escape starts");
        assertEquals(cpu.escapeCount(), starts.get(tiles));
        assertEquals(-1, escapes.segment().asSlice(0, cpu.escapeCount()).mismatch(cpu.escapes()), "escapes");
        assertEquals(-1, positions.segment().asSlice(0, 2 * cpu.escapeCount()).mismatch(cpu.escapePositions()), "escape positions");
        assertTrue(cpu.escapeCount() > 0, "the case must exercise escapes");
        return cpu;
    }

    private static void assertSameAsCpu(MemorySegment w, int n, int k, Arena arena) {
        PaletteTensor cpu = PaletteEncoder.encode(w, n, k, PaletteEncoder.Scope.TENSOR, arena);
        long tiles = cpu.tileCount();
        ByteArray palette = ByteArray.allocate(arena, 8);
        MemorySegment.copy(PaletteEncoder.palette(PaletteEncoder.histogram(w)), 0, palette.segment(), ValueLayout.JAVA_BYTE, 0, 8);
        ShortArray weights = new ShortArray(w);
        ByteArray tileBytes = ByteArray.allocate(arena, cpu.tiles().byteSize()), palettes = ByteArray.allocate(arena, tiles * 8);
        IntArray starts = IntArray.allocate(arena, tiles + 1);
        Grid grid = new Grid(Math.ceilDiv(tiles, TranscodeKernels.WARPS), TranscodeKernels.LOCAL_SIZE);
        JvmExecutor.run(KernelMethod.of(TranscodeKernels.class, "codeTiles"), grid, weights, palette, tileBytes, palettes, starts, n, k);
        JvmExecutor.run(KernelMethod.of(TranscodeKernels.class, "scanStarts"), new Grid(1, TranscodeKernels.SCAN_SIZE), starts);
        ByteArray escapes = ByteArray.allocate(arena, Math.max(1, starts.get(tiles)));
        ShortArray positions = ShortArray.allocate(arena, Math.max(1, starts.get(tiles)));
        JvmExecutor.run(KernelMethod.of(TranscodeKernels.class, "writeEscapes"), grid, weights, palette, starts, escapes, positions, n, k);
        assertEquals(-1, tileBytes.segment().mismatch(cpu.tiles()), "tiles");
        assertEquals(-1, palettes.segment().mismatch(cpu.palettes()), "palettes");
        assertEquals(-1, starts.segment().mismatch(cpu.escapeStarts()), "escape starts");
        assertEquals(cpu.escapeCount(), starts.get(tiles));
        assertEquals(-1, escapes.segment().asSlice(0, cpu.escapeCount()).mismatch(cpu.escapes()), "escapes");
        assertEquals(-1, positions.segment().asSlice(0, 2 * cpu.escapeCount()).mismatch(cpu.escapePositions()), "escape positions");
        assertTrue(cpu.escapeCount() > 0, "the case must exercise escapes");
    }

    @Test
    void kernelsCompileAndAssemble() throws IOException, InterruptedException {
        Optional<Path> ptxas = ptxas();
        if (ptxas.isEmpty()) System.err.println("SKIPPING TranscodeKernelsTest.kernelsCompileAndAssemble's ptxas step: no ptxas on PATH or under /usr/local/cuda*/bin");
        for (String name : List.of("codeTiles", "scanStarts", "writeEscapes", "windowCodeTiles", "windowWriteEscapes")) {
            PtxKernel kernel = PtxCompiler.compile(KernelMethod.of(TranscodeKernels.class, name));
            assertTrue(kernel.ptx().contains(".entry"), name);
            if (ptxas.isEmpty()) continue;
            Path file = Files.createTempFile(name, ".ptx");
            try {
                Files.writeString(file, kernel.ptx());
                Process p = new ProcessBuilder(ptxas.get().toString(), "-arch=sm_90a", file.toString(), "-o", "/dev/null").redirectErrorStream(true).start();
                String log = new String(p.getInputStream().readAllBytes());
                assertEquals(0, p.waitFor(), name + ": ptxas failed:\n" + log);
            } finally {
                Files.deleteIfExists(file);
            }
        }
        Assumptions.assumeTrue(ptxas.isPresent(), "no ptxas: compiled, not assembled");
    }

    private static Optional<Path> ptxas() throws IOException {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, "ptxas");
            if (Files.isExecutable(p)) return Optional.of(p);
        }
        Path local = Path.of("/usr/local");
        if (!Files.isDirectory(local)) return Optional.empty();
        try (Stream<Path> s = Files.list(local)) {
            return s.filter(d -> d.getFileName().toString().startsWith("cuda")).map(d -> d.resolve("bin/ptxas")).filter(Files::isExecutable).sorted().findFirst();
        }
    }
}
