package dev.weightless.tensorcore.transcode;

import dev.weightless.codec.ChecksumMismatchException;
import dev.weightless.codec.CodecOptions;
import dev.weightless.codec.Crc32c;
import dev.weightless.codec.EncodedTensor;
import dev.weightless.codec.HuffmanDecoder;
import dev.weightless.codec.MalformedInputException;
import dev.weightless.io.container.CompressedFile;
import dev.weightless.io.container.TensorRecord;
import dev.weightless.jit.kernel.KernelMethod;
import dev.weightless.jit.kernel.ShortArray;
import dev.weightless.jit.ptx.PtxCompiler;
import dev.weightless.jit.ptx.PtxKernel;
import dev.weightless.tasks.Device;
import dev.weightless.tasks.DeviceArray;
import dev.weightless.tasks.DeviceBuffer;
import dev.weightless.tasks.codec.DecodeInput;
import dev.weightless.tasks.codec.GpuDecoder;
import dev.weightless.tensorcore.layout.PaletteLayout.Coding;
import dev.weightless.tensorcore.layout.PaletteTensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * A BF16 matrix of a Weightless file into the palette layout on the device: Huffman tensors the GPU
 * decoder takes are decoded there ({@link GpuDecoder#decodeOnDevice}) and transcoded there
 * ({@link GpuTranscoder}); the BF16 never comes back to the host. Other tensors (raw, other coders, codes
 * the kernel cannot take) are decoded on the CPU, CRC-checked, copied up once and transcoded on the device.
 * A GPU-decoded tensor's CRC32C is checked only with {@code verify} (one copy back), as in DeviceModel.
 * The layout is palette-coded unless a {@link Coding} is given.
 */
public final class DeviceLoader {
    /** The layout on the device, whether the decode ran there, and the device time of each step (ms). */
    public record Loaded(DevicePalette palette, boolean gpuDecoded, Map<String, Double> stepMillis) implements AutoCloseable {
        @Override public void close() { palette.close(); }
    }

    private final Device device;
    private final Function<KernelMethod, PtxKernel> compiler;

    public DeviceLoader(Device device) { this(device, PtxCompiler::compileCached); }

    /** With another compiler: tests run the kernels on a fake device. */
    public DeviceLoader(Device device, Function<KernelMethod, PtxKernel> compiler) {
        this.device = device;
        this.compiler = compiler;
    }

    /** The tensor in the 3-bit palette coding. */
    public Loaded load(CompressedFile file, TensorRecord tensor, boolean verify) { return load(file, tensor, verify, Coding.PALETTE); }

    /** The tensor in {@code coding} (per-tensor palette or window). */
    public Loaded load(CompressedFile file, TensorRecord tensor, boolean verify, Coding coding) {
        Objects.requireNonNull(coding, "coding");
        long[] shape = tensor.shape();
        if (shape.length != 2 || tensor.dtype() != dev.weightless.io.safetensors.Dtype.BF16) {
            throw new IllegalArgumentException(file.source() + ": tensor " + tensor.name() + " is " + tensor.dtype() + " " + java.util.Arrays.toString(shape) + ", the palette layout takes 2-D BF16");
        }
        PaletteTensor.checkShape(shape[0], shape[1]);
        Map<String, Double> millis = new LinkedHashMap<>();
        try (Arena arena = Arena.ofShared()) {
            DeviceBuffer decoded = null;
            boolean gpu = false;
            try {
                if (tensor.codec() == TensorRecord.Codec.HUFFMAN) {
                    EncodedTensor encoded = file.encoded(tensor);
                    DecodeInput input;
                    try {
                        input = DecodeInput.whyNot(encoded, HuffmanDecoder.open(encoded).code()) == null
                                ? DecodeInput.of(encoded, arena, arena.allocate(DecodeInput.outputBytes(tensor.elements()), 8)) : null;
                    } catch (MalformedInputException e) {
                        throw e.source() == null ? e.in(file.source(), 0) : e;
                    }
                    if (input != null) {
                        GpuDecoder.Decoded d = new GpuDecoder(device, compiler).decodeOnDevice(input);
                        decoded = d.out();
                        gpu = true;
                        d.result().tasks().forEach(t -> millis.merge("decode", t.millis(), Double::sum));
                        if (verify) {
                            decoded.copyToHost();
                            int crc = Crc32c.of(input.decoded());
                            if (crc != tensor.crc32c()) throw new ChecksumMismatchException(file.source() + ": tensor \"" + tensor.name() + "\" decoded on the device", tensor.crc32c(), crc);
                        }
                    }
                }
                if (decoded == null) {
                    ShortArray host = ShortArray.allocate(arena, tensor.elements());
                    file.decode(tensor, host.segment(), CodecOptions.defaults()); // checks the CRC32C
                    decoded = device.buffer(host);
                    decoded.copyFromHost();
                }
                GpuTranscoder.Result r = new GpuTranscoder(device, compiler).transcode(new DeviceArray(decoded, 0, tensor.elements(), ShortArray.class), shape[0], shape[1], coding);
                r.stepMillis().forEach((step, ms) -> millis.merge(step, ms, Double::sum));
                return new Loaded(r.palette(), gpu, millis);
            } finally {
                if (decoded != null) decoded.close();
            }
        }
    }
}
