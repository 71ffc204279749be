package dev.weightless.tasks.codec;

import dev.weightless.codec.CodecOptions;
import dev.weightless.codec.Crc32c;
import dev.weightless.io.container.EncodedModelWriter;
import dev.weightless.io.container.Progress;
import dev.weightless.io.safetensors.Dtype;
import dev.weightless.jit.kernel.KernelMethod;
import dev.weightless.jit.ptx.PtxCompiler;
import dev.weightless.jit.ptx.PtxKernel;
import dev.weightless.tasks.Device;
import dev.weightless.tasks.DeviceArray;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Writes tensors that live on a device to a Weightless file without bringing their values to the host:
 * every BF16 tensor is planned on the device first ({@link ResidentEncoder#plan}: counts, CRC32C, bits per
 * chunk), which sizes the whole file, so the header goes out before any tensor is packed; then each is packed
 * there and only its coded parts come down. A BF16 tensor that coding would not shrink is copied down and
 * stored raw, other dtypes as they are. The file equals what {@code weightless compress} writes for a
 * safetensors file of the same tensors, in the same order, with the same metadata; it appears under its name
 * only once complete.
 */
public final class ResidentModelWriter {
    private final ResidentEncoder encoder;

    /** What a write did: original and file bytes, device time of the encoder's kernels, and wall time of the two passes. */
    public record Report(long originalBytes, long fileBytes, double deviceMillis, long planNanos, long writeNanos) {}

    public ResidentModelWriter(Device device) { this(device, PtxCompiler::compileCached); }

    /** With another compiler: tests run the kernels on a fake device. */
    public ResidentModelWriter(Device device, Function<KernelMethod, PtxKernel> compiler) {
        this.encoder = new ResidentEncoder(device, compiler);
    }

    /** Writes {@code tensors} in this order to {@code out} ({@code metadata}: the original file's {@code __metadata__}). */
    public Report write(List<ResidentTensor> tensors, Map<String, String> metadata, Path out, boolean replace, CodecOptions options,
                        Progress progress) throws IOException {
        long start = System.nanoTime();
        Map<String, Double> millis = new LinkedHashMap<>();
        double[] deviceMillis = {0};
        List<EncodedModelWriter.Entry> entries = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            for (ResidentTensor t : tensors) {
                DeviceArray values = t.values();
                if (t.dtype() != Dtype.BF16 || values == null) {
                    entries.add(EncodedModelWriter.stored(t.name(), t.dtype(), t.shape(), crcOf(values), bytes -> copyDown(values, bytes)));
                    continue;
                }
                ResidentEncoder.Plan plan = encoder.plan(values, options, arena, millis);
                deviceMillis[0] += sum(millis);
                if (plan.encodedBytes() < values.bytes()) {
                    entries.add(EncodedModelWriter.huffman(t.name(), t.shape(), plan.layout(), plan.crc32c(), plan.payloadBytes(),
                            (table, index, payload, plane) -> {
                                encoder.write(plan, values, table, index, payload, plane, millis);
                                deviceMillis[0] += sum(millis);
                            }));
                } else {
                    entries.add(EncodedModelWriter.stored(t.name(), t.dtype(), t.shape(), plan.crc32c(), bytes -> copyDown(values, bytes)));
                }
            }
            long planned = System.nanoTime();
            EncodedModelWriter.write(out, replace, metadata, entries, progress);
            long original = tensors.stream().mapToLong(t -> t.dtype().sizeOf(t.shape())).sum();
            return new Report(original, Files.size(out), deviceMillis[0], planned - start, System.nanoTime() - planned);
        }
    }

    /** Sums and clears the step times the encoder recorded. */
    private static double sum(Map<String, Double> millis) {
        double total = millis.values().stream().mapToDouble(Double::doubleValue).sum();
        millis.clear();
        return total;
    }

    private static void copyDown(DeviceArray values, MemorySegment target) {
        if (target.byteSize() > 0) values.buffer().copyTo(target, values.byteOffset());
    }

    /** The CRC32C of a stored tensor, copied down once for it (stored tensors are the small ones: norms, biases, odd dtypes). */
    private static int crcOf(DeviceArray values) {
        if (values == null) return Crc32c.of(MemorySegment.NULL);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(values.bytes(), 8);
            copyDown(values, host);
            return Crc32c.of(host);
        }
    }
}
