package dev.weightless.tasks;

import dev.weightless.codec.CodecOptions;
import dev.weightless.codec.EncodedTensor;
import dev.weightless.codec.MalformedInputException;
import dev.weightless.io.container.CompressedFile;
import dev.weightless.io.container.CoderChoice;
import dev.weightless.io.container.Compressor;
import dev.weightless.io.container.Progress;
import dev.weightless.io.container.TensorRecord;
import dev.weightless.io.safetensors.Dtype;
import dev.weightless.io.safetensors.SafetensorsFile;
import dev.weightless.io.safetensors.SafetensorsWriter;
import dev.weightless.tasks.check.CheckData;
import dev.weightless.tasks.codec.DeviceModel;
import dev.weightless.tasks.codec.GpuDecoder;
import dev.weightless.tasks.codec.GpuEncoder;
import dev.weightless.tasks.codec.ResidentModelWriter;
import dev.weightless.tasks.codec.ResidentTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A compressed model loaded through the fake device (kernels on the JVM executor), each device buffer against the CPU decoder. */
class DeviceModelTest {
    @TempDir Path dir;

    /** Two BF16 weights (one with a partial last group), random bytes that stay raw, and an F32 tensor passed through. */
    private Path model() throws IOException {
        Path in = dir.resolve("model.safetensors");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(2 * 32 * 1024 * 2L, 8), b = arena.allocate((32 * 1024 + 1234) * 2L, 8);
            CheckData.fillSynthetic(a, 1);
            CheckData.fillSynthetic(b, 2);
            byte[] noise = new byte[4000];
            new SplittableRandom(3).nextBytes(noise);
            byte[] f32 = new byte[64];
            new SplittableRandom(4).nextBytes(f32);
            var builder = SafetensorsWriter.builder().metadata(Map.of())
                    .tensor("a", Dtype.BF16, new long[] {64, 1024}).tensor("b", Dtype.BF16, new long[] {32 * 1024 + 1234})
                    .tensor("noise", Dtype.BF16, new long[] {2000}).tensor("f", Dtype.F32, new long[] {16});
            try (FileChannel c = FileChannel.open(in, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                SafetensorsWriter w = builder.open(c);
                w.write("a", a);
                w.write("b", b);
                w.write("noise", MemorySegment.ofArray(noise));
                w.write("f", MemorySegment.ofArray(f32));
                w.finish();
            }
        }
        return in;
    }

    private Path compressed(CodecOptions options) throws IOException {
        Path out = dir.resolve("model-" + options.chunkSymbols() + ".weightless");
        new Compressor(options, false, Progress.NONE).compress(model(), out);
        return out;
    }

    /** Each tensor on the device must equal what the CPU decoder gives for it. */
    private static void assertSameAsCpu(FakeDriver driver, DeviceModel model, Path file) throws IOException {
        try (CompressedFile f = CompressedFile.open(file); Arena arena = Arena.ofConfined()) {
            assertEquals(f.tensors().size(), model.tensors().size());
            for (DeviceModel.Tensor t : model.tensors()) {
                TensorRecord r = f.tensor(t.name());
                MemorySegment expected = arena.allocate(r.byteSize());
                f.decode(r, expected, CodecOptions.defaults());
                assertEquals(r.byteSize(), t.bytes());
                assertEquals(-1, expected.mismatch(driver.memoryAt(t.address()).asSlice(0, t.bytes())), t.name());
            }
        }
    }

    @Test
    void huffmanTensorsAreDecodedOnTheDeviceAndRawOnesCopied() throws IOException {
        Path file = compressed(CodecOptions.defaults());
        for (boolean verify : List.of(false, true)) {
            FakeDriver driver = new FakeDriver();
            try (Device device = new Device(driver)) {
                try (DeviceModel model = DeviceModel.load(device, file, CodecOptions.defaults(), verify, FakeDriver::compile)) {
                    Map<String, DeviceModel.Source> sources = Map.of("a", DeviceModel.Source.GPU_DECODED, "b", DeviceModel.Source.GPU_DECODED,
                            "noise", DeviceModel.Source.RAW, "f", DeviceModel.Source.RAW);
                    for (DeviceModel.Tensor t : model.tensors()) {
                        assertEquals(sources.get(t.name()), t.source(), t.name());
                        assertEquals(t.source() != DeviceModel.Source.GPU_DECODED || verify, t.crcChecked(), t.name());
                    }
                    assertEquals(2, driver.launches);
                    assertEquals(1, driver.modulesLoaded);
                    // One input and one output allocation for both Huffman tensors (one batch), one per raw tensor.
                    assertEquals(4, driver.allocations);
                    assertSameAsCpu(driver, model, file);
                    assertTrue(model.timings().gpuDecodedBytes() == (64 + 32) * 1024 * 2L + 1234 * 2L);
                    assertTrue(model.timings().toDeviceBytes() > 0);
                }
                assertEquals(List.of(), device.liveBuffers());
            }
        }
    }

    @Test
    void aLoadedModelWrittenBackFromTheDeviceIsTheFileItCameFrom() throws IOException {
        Path file = compressed(CodecOptions.defaults());
        FakeDriver driver = new FakeDriver();
        try (Device device = new Device(driver)) {
            Path back = dir.resolve("back.weightless");
            try (DeviceModel model = DeviceModel.load(device, file, CodecOptions.defaults(), false, FakeDriver::compile)) {
                List<ResidentTensor> tensors = model.tensors().stream().map(DeviceModel.Tensor::resident).toList();
                ResidentModelWriter.Report report = new ResidentModelWriter(device, FakeDriver::compile)
                        .write(tensors, Map.of(), back, false, CodecOptions.defaults(), Progress.NONE);
                assertEquals(Files.size(file), report.fileBytes());
                assertEquals(model.tensors().stream().mapToLong(DeviceModel.Tensor::bytes).sum(), report.originalBytes());
            }
            assertEquals(-1, Files.mismatch(file, back), "byte for byte");
            assertEquals(List.of(), device.liveBuffers());
        }
    }

    @Test
    void aTensorWhoseDeviceRangeDoesNotMatchItsShapeIsRefused() {
        FakeDriver driver = new FakeDriver();
        try (Device device = new Device(driver); DeviceBuffer buffer = device.allocate(64)) {
            DeviceArray values = new DeviceArray(buffer, 0, 16, dev.weightless.jit.kernel.ShortArray.class);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ResidentTensor("w", Dtype.BF16, new long[] {4, 5}, values));
            assertEquals("w: BF16 [4, 5] takes 40 bytes, the device range holds 32", e.getMessage());
            DeviceArray bytes = new DeviceArray(buffer, 0, 32, dev.weightless.jit.kernel.ByteArray.class);
            assertThrows(IllegalArgumentException.class, () -> new ResidentTensor("w", Dtype.BF16, new long[] {16}, bytes));
        }
    }

    @Test
    void aDamagedIndexIsReportedWithItsFileAndNothingLeaks() throws IOException {
        Path file = compressed(CodecOptions.defaults());
        long at;
        try (CompressedFile f = CompressedFile.open(file)) {
            EncodedTensor b = f.encoded(f.tensor("b"));
            at = b.index().fileOffset() + b.index().bytes().byteSize() - 2; // a chunk's bit length
        }
        byte[] bytes = Files.readAllBytes(file);
        bytes[Math.toIntExact(at)] ^= 0x40;
        Files.write(file, bytes);
        try (Device device = new Device(new FakeDriver())) {
            MalformedInputException e = assertThrows(MalformedInputException.class,
                    () -> DeviceModel.load(device, file, CodecOptions.defaults(), false, FakeDriver::compile));
            assertTrue(e.getMessage().contains(file.getFileName().toString()), e.getMessage());
            assertEquals(List.of(), device.liveBuffers());
        }
    }

    @Test
    void layoutsTheKernelCannotTakeAreDecodedOnTheCpu() throws IOException {
        Path file = compressed(CodecOptions.defaults().withChunks(512, 16));
        FakeDriver driver = new FakeDriver();
        try (Device device = new Device(driver);
             DeviceModel model = DeviceModel.load(device, file, CodecOptions.defaults(), false, FakeDriver::compile)) {
            DeviceModel.Tensor a = model.tensors().getFirst();
            assertEquals(DeviceModel.Source.CPU_DECODED, a.source());
            assertTrue(a.note().contains("32-chunk groups"), a.note());
            assertTrue(a.crcChecked());
            assertEquals(0, driver.launches);
            assertSameAsCpu(driver, model, file);
        }
    }

    private Path coded(String coder) throws IOException {
        Path file = dir.resolve("model-" + coder + ".weightless");
        if (Files.exists(dir.resolve("model.safetensors"))) Files.delete(dir.resolve("model.safetensors")); // model() writes it afresh
        new Compressor(CodecOptions.defaults(), false, Progress.NONE).coding(CoderChoice.of(coder)).compress(model(), file);
        return file;
    }

    @Test
    void tensorsOfOtherCodersAreDecodedOnTheDevice() throws IOException {
        for (String coder : List.of("rans", "rans-ctx", "palette")) {
            Path file = coded(coder);
            boolean verify = !coder.equals("rans"); // both ways, without decoding the slowest twice on the JVM executor
            FakeDriver driver = new FakeDriver();
            try (Device device = new Device(driver)) {
                try (DeviceModel model = DeviceModel.load(device, file, CodecOptions.defaults(), verify, FakeDriver::compile)) {
                    Map<String, DeviceModel.Source> sources = Map.of("a", DeviceModel.Source.GPU_DECODED, "b", DeviceModel.Source.GPU_DECODED,
                            "noise", DeviceModel.Source.RAW, "f", DeviceModel.Source.RAW);
                    for (DeviceModel.Tensor t : model.tensors()) {
                        assertEquals(sources.get(t.name()), t.source(), coder + ": " + t.name());
                        assertEquals(t.source() != DeviceModel.Source.GPU_DECODED || verify, t.crcChecked(), coder + ": " + t.name());
                    }
                    assertTrue(model.tensors().getFirst().note().contains("coder " + coder), model.tensors().getFirst().note());
                    assertEquals(2, driver.launches, coder);
                    // One input and one output allocation for both coded tensors (one batch), one per raw tensor.
                    assertEquals(4, driver.allocations, coder);
                    assertEquals((64 + 32) * 1024 * 2L + 1234 * 2L, model.timings().gpuDecodedBytes(), coder);
                    // Each device buffer equals the CPU decode and the original bytes.
                    assertSameAsCpu(driver, model, file);
                    try (SafetensorsFile original = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
                        for (DeviceModel.Tensor t : model.tensors()) {
                            MemorySegment values = original.data(original.find(t.name()).orElseThrow());
                            assertEquals(-1, values.mismatch(driver.memoryAt(t.address()).asSlice(0, t.bytes())), coder + ": " + t.name());
                        }
                    }
                }
                assertEquals(List.of(), device.liveBuffers(), coder);
            }
        }
    }

    @Test
    void aDamagedCodedStreamIsFoundByTheKernelsStatusAndNothingLeaks() throws IOException {
        Path file = coded("palette");
        long at;
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            // Chunk 0's escape count in b's index, one up: the index stays monotone, so only decoding tells (the kernel's status).
            at = f.dataStart() + f.tensor("b.wl.index").begin() + 8;
        }
        byte[] bytes = Files.readAllBytes(file);
        bytes[Math.toIntExact(at)]++;
        Files.write(file, bytes);
        FakeDriver driver = new FakeDriver();
        try (Device device = new Device(driver)) {
            MalformedInputException e = assertThrows(MalformedInputException.class,
                    () -> DeviceModel.load(device, file, CodecOptions.defaults(), false, FakeDriver::compile));
            assertTrue(e.getMessage().contains(file.getFileName().toString()) && e.getMessage().contains("\"b\"") && e.getMessage().contains("GPU decoder"), e.getMessage());
            assertEquals(2, driver.launches, "validation passed, so the kernels ran");
            assertEquals(List.of(), device.liveBuffers());
        }
    }

    /** Decodes every tensor of {@code f} with a GPU decoder on {@code device} and the CPU decoder, and requires the same bytes. */
    private static GpuDecoder decodesAsTheCpu(Device device, CompressedFile f, Arena arena) throws IOException {
        GpuDecoder gpu = new GpuDecoder(device, FakeDriver::compile);
        for (TensorRecord r : f.tensors()) {
            MemorySegment expected = arena.allocate(r.byteSize()), actual = arena.allocate(r.byteSize());
            f.decode(r, expected, CodecOptions.defaults());
            gpu.decodeToHost(f, r, actual, CodecOptions.defaults());
            assertEquals(-1, expected.mismatch(actual), r.name());
        }
        return gpu;
    }

    @Test
    void gpuDecoderWritesTheSameBytesAsTheCpu() throws IOException {
        Path file = compressed(CodecOptions.defaults());
        try (Device device = new Device(new FakeDriver()); CompressedFile f = CompressedFile.open(file); Arena arena = Arena.ofConfined()) {
            GpuDecoder gpu = decodesAsTheCpu(device, f, arena);
            assertEquals(2, gpu.gpuTensors());
            assertEquals(2, gpu.cpuTensors());
            assertEquals(List.of(), device.liveBuffers());
        }
        assertTrue(Files.exists(file));
    }

    @Test
    void gpuDecoderDecodesPaletteTensorsOnTheDevice() throws IOException {
        // Format version 2 (palette: the fastest coder on the JVM executor; rans goes through the same path, GpuCoderDecoderTest).
        Path file = dir.resolve("model-palette.weightless");
        new Compressor(CodecOptions.defaults(), false, Progress.NONE).coding(CoderChoice.of("palette")).compress(model(), file);
        FakeDriver driver = new FakeDriver();
        try (Device device = new Device(driver); CompressedFile f = CompressedFile.open(file); Arena arena = Arena.ofConfined()) {
            GpuDecoder gpu = decodesAsTheCpu(device, f, arena);
            assertEquals(2, gpu.gpuTensors()); // a and b; noise and f are stored raw
            assertEquals(2, gpu.cpuTensors());
            assertEquals(2, driver.launches);
            assertEquals(List.of(), device.liveBuffers());
        }
    }

    @Test
    void gpuEncoderWritesTheSameFileAsTheCpu() throws IOException {
        for (CodecOptions options : List.of(CodecOptions.defaults(), CodecOptions.defaults().withChunks(512, 16))) {
            Path cpu = compressed(options), gpuFile = dir.resolve("gpu-" + options.chunkSymbols() + ".weightless");
            FakeDriver driver = new FakeDriver();
            try (Device device = new Device(driver)) {
                GpuEncoder gpu = new GpuEncoder(device, FakeDriver::compile);
                new Compressor(options, false, Progress.NONE, gpu::write).compress(dir.resolve("model.safetensors"), gpuFile);
                boolean kernels = options.groupChunks() == 32;
                assertEquals(kernels ? 2 : 0, gpu.gpuTensors());
                assertEquals(kernels ? 0 : 2, gpu.cpuTensors());
                assertEquals(kernels, driver.launches > 0);
                assertEquals(List.of(), device.liveBuffers());
            }
            assertEquals(-1, Files.mismatch(cpu, gpuFile), "chunks " + options.chunkSymbols());
            Files.delete(dir.resolve("model.safetensors")); // model() writes it afresh
        }
    }
}
