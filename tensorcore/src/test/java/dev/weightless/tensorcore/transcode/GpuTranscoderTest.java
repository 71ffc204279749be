package dev.weightless.tensorcore.transcode;

import dev.weightless.codec.CodecOptions;
import dev.weightless.io.container.CompressedFile;
import dev.weightless.io.container.Compressor;
import dev.weightless.io.container.Progress;
import dev.weightless.io.safetensors.Dtype;
import dev.weightless.io.safetensors.SafetensorsWriter;
import dev.weightless.jit.kernel.ShortArray;
import dev.weightless.tasks.Device;
import dev.weightless.tasks.DeviceArray;
import dev.weightless.tasks.DeviceBuffer;
import dev.weightless.tasks.FakeDevices;
import dev.weightless.tensorcore.gemm.FusedLinear;
import dev.weightless.tensorcore.layout.LayoutSurvey;
import dev.weightless.tensorcore.layout.PaletteEncoder;
import dev.weightless.tensorcore.layout.PaletteLayout.Coding;
import dev.weightless.tensorcore.layout.PaletteTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The device-side load path on a fake device (kernels on the JVM executor): device-resident BF16 into the
 * palette layout, equal byte for byte to the CPU encoder with one palette (or window) per tensor; and a
 * Weightless tensor through the GPU decoder and the transcoder into a resident operator (or, window-coded,
 * onto the device).
 */
class GpuTranscoderTest {
    @TempDir
    Path dir;

    @Test
    void deviceResidentWeightsMatchTheCpuEncoder() {
        try (Arena arena = Arena.ofShared(); Device device = FakeDevices.open()) {
            MemorySegment normal = arena.allocate(32L * 256 * 2, 2);
            LayoutSurvey.fillLlamaLike(normal, 31);
            assertSameAsCpu(device, normal, 32, 256, arena);
            MemorySegment random = arena.allocate(16L * 128 * 2, 2);
            SplittableRandom r = new SplittableRandom(3);
            for (long i = 0; i < 16 * 128; i++) random.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, (short) r.nextInt());
            assertSameAsCpu(device, random, 16, 128, arena);
            assertEquals(0, device.liveBuffers().size(), "every buffer freed");
        }
    }

    @Test
    void deviceResidentWeightsMatchTheCpuEncoderInTheWindowCoding() {
        try (Arena arena = Arena.ofShared(); Device device = FakeDevices.open()) {
            MemorySegment normal = arena.allocate(32L * 256 * 2, 2);
            LayoutSurvey.fillLlamaLike(normal, 31);
            normal.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, 77, (short) 0x7F80); // +infinity: exponent 255 always escapes
            normal.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, 5000, (short) 0);
            assertSameAsCpu(device, normal, 32, 256, Coding.WINDOW, arena);
            MemorySegment random = arena.allocate(16L * 128 * 2, 2);
            SplittableRandom r = new SplittableRandom(3);
            for (long i = 0; i < 16 * 128; i++) random.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, (short) r.nextInt());
            assertSameAsCpu(device, random, 16, 128, Coding.WINDOW, arena);
            assertEquals(0, device.liveBuffers().size(), "every buffer freed");
        }
    }

    private static void assertSameAsCpu(Device device, MemorySegment w, int n, int k, Arena arena) {
        assertSameAsCpu(device, w, n, k, Coding.PALETTE, arena);
    }

    private static void assertSameAsCpu(Device device, MemorySegment w, int n, int k, Coding coding, Arena arena) {
        PaletteTensor cpu = PaletteEncoder.encode(w, n, k, PaletteEncoder.Scope.TENSOR, coding, arena);
        assertTrue(cpu.escapeCount() > 0, "the case must exercise escapes");
        try (DeviceBuffer values = device.allocate(w.byteSize())) {
            values.copyFrom(w, 0);
            GpuTranscoder transcoder = new GpuTranscoder(device, FakeDevices.compiler());
            DeviceArray bf16 = new DeviceArray(values, 0, (long) n * k, ShortArray.class);
            GpuTranscoder.Result r = coding == Coding.PALETTE ? transcoder.transcode(bf16, n, k) : transcoder.transcode(bf16, n, k, coding);
            try (DevicePalette p = r.palette()) {
                assertEquals(coding, p.coding());
                PaletteTensor back = p.toHost(arena);
                assertEquals(coding, back.coding());
                assertSameLayout(cpu, back);
                assertEquals(cpu.byteSize(), p.byteSize());
            }
            assertTrue(r.stepMillis().keySet().containsAll(java.util.List.of("histogram.count", "code.tiles", "code.scan", "escapes.write")), r.stepMillis().toString());
        }
    }

    static void assertSameLayout(PaletteTensor expected, PaletteTensor got) {
        assertEquals(-1, got.tiles().mismatch(expected.tiles()), "tiles");
        assertEquals(-1, got.palettes().mismatch(expected.palettes()), "palettes");
        assertEquals(-1, got.escapeStarts().mismatch(expected.escapeStarts()), "escape starts");
        assertEquals(-1, got.escapes().mismatch(expected.escapes()), "escapes");
        assertEquals(-1, got.escapePositions().mismatch(expected.escapePositions()), "escape positions");
    }

    @Test
    void weightlessTensorsLoadOntoTheDevice() throws IOException {
        Path original = dir.resolve("m.safetensors"), compressed = dir.resolve("m.wl.safetensors"), cpuOnly = dir.resolve("g16.wl.safetensors");
        try (Arena arena = Arena.ofShared()) {
            MemorySegment w = arena.allocate(32L * 256 * 2, 2);
            LayoutSurvey.fillLlamaLike(w, 41);
            try (FileChannel out = FileChannel.open(original, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                SafetensorsWriter writer = SafetensorsWriter.builder().tensor("proj.weight", Dtype.BF16, 32, 256).open(out);
                writer.write("proj.weight", w);
            }
            new Compressor(CodecOptions.defaults(), false, Progress.NONE).compress(original, compressed);
            PaletteTensor cpu = PaletteEncoder.encode(w, 32, 256, PaletteEncoder.Scope.TENSOR, arena);
            PaletteTensor window = PaletteEncoder.encode(w, 32, 256, PaletteEncoder.Scope.TENSOR, Coding.WINDOW, arena);
            try (Device device = FakeDevices.open(); CompressedFile file = CompressedFile.open(compressed)) {
                for (Coding coding : Coding.values()) {
                    for (boolean verify : new boolean[] {false, true}) {
                        try (FusedLinear.OnDevice op = FusedLinear.fromWeightless(file, file.tensor("proj.weight"), new DeviceLoader(device, FakeDevices.compiler()), verify, coding)) {
                            assertTrue(op.weights().gpuDecoded(), "a Huffman tensor with 12-bit codes is decoded on the device");
                            assertTrue(op.linear().isResident());
                            assertEquals(coding == Coding.PALETTE ? FusedLinear.Variant.PALETTE : FusedLinear.Variant.WINDOW, op.linear().variant());
                            assertEquals(0, op.linear().weightArrays().length, "nothing to upload");
                            assertSameLayout(coding == Coding.PALETTE ? cpu : window, op.weights().palette().toHost(arena));
                            assertTrue(op.weights().stepMillis().containsKey("decode"), op.weights().stepMillis().toString());
                        }
                    }
                }
                assertEquals(0, device.liveBuffers().size(), "every buffer freed");
            }
            // Groups of 16 chunks: the GPU decoder takes only 32, so this one is decoded on the CPU, transcoded on the device.
            new Compressor(CodecOptions.defaults().withChunks(64, 16), false, Progress.NONE).compress(original, cpuOnly);
            try (Device device = FakeDevices.open(); CompressedFile file = CompressedFile.open(cpuOnly);
                 DeviceLoader.Loaded loaded = new DeviceLoader(device, FakeDevices.compiler()).load(file, file.tensor("proj.weight"), false)) {
                assertFalse(loaded.gpuDecoded());
                assertSameLayout(cpu, loaded.palette().toHost(arena));
            }
            // The loader alone, window-coded: through the GPU decoder (CRC checked), and through the CPU decode.
            for (Path source : new Path[] {compressed, cpuOnly}) {
                try (Device device = FakeDevices.open(); CompressedFile file = CompressedFile.open(source);
                     DeviceLoader.Loaded loaded = new DeviceLoader(device, FakeDevices.compiler()).load(file, file.tensor("proj.weight"), true, Coding.WINDOW)) {
                    assertEquals(source == compressed, loaded.gpuDecoded());
                    assertEquals(Coding.WINDOW, loaded.palette().coding());
                    assertEquals(window.byteSize(), loaded.palette().byteSize());
                    assertSameLayout(window, loaded.palette().toHost(arena));
                }
            }
        }
    }
}
