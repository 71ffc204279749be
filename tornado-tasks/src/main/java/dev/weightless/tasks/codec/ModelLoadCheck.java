package dev.weightless.tasks.codec;

import dev.weightless.codec.CodecOptions;
import dev.weightless.codec.coder.Coders;
import dev.weightless.io.container.CoderChoice;
import dev.weightless.io.container.CompressedFile;
import dev.weightless.io.container.Compressor;
import dev.weightless.io.container.Progress;
import dev.weightless.io.safetensors.Dtype;
import dev.weightless.io.safetensors.SafetensorsFile;
import dev.weightless.io.safetensors.SafetensorsWriter;
import dev.weightless.jit.kernel.ByteArray;
import dev.weightless.tasks.CheckFrame;
import dev.weightless.tasks.Device;
import dev.weightless.tasks.DeviceBuffer;
import dev.weightless.tasks.check.CheckData;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * End to end on a GPU host: a Weightless model loaded onto the device with {@link DeviceModel} (file read,
 * host-to-device copy, GPU decode), against a plain host-to-device copy of as many bytes as the decoded
 * model has, in the same run. The page cache is not controlled: the file read is reported as measured
 * (cold only on a first run after the file was written elsewhere or the cache dropped). Exit 0 when every
 * tensor loaded (and, with --verify, matched its CRC32C), 1 on a failure, 2 without a CUDA device, 64 for bad arguments.
 */
public final class ModelLoadCheck {
    private static final String USAGE = """
            usage: ModelLoadCheck (FILE.weightless | SHARDED_MODEL_FOLDER | --synthetic-llama GIB [--coder NAME]) [--verify] [--no-read] [--write-back]
                   ModelLoadCheck --plain FILE     the yardstick: a file's bytes copied as they are into device memory
              --synthetic-llama GIB  build a model of Llama-3.1-8B projection shapes, about GIB GiB of BF16 (0.03..64),
                                     compress it with the CPU codec on all cores into /tmp, and load that (the
                                     uncompressed file stays beside it, for --plain)
              --coder NAME           with --synthetic-llama: code its tensors with this coder (huffman, the default;
                                     rans, rans-ctx, palette: format version 2, their GPU decoders)
              --verify               copy every GPU-decoded tensor back once and check its CRC32C
              --no-read              skip the read of every page before the load (for a load from a cold page cache:
                                     evict the file's pages first, e.g. with posix_fadvise DONTNEED)
              --write-back           then compress the loaded tensors on the device (ResidentModelWriter) into a new
                                     file beside the input and compare it with the input byte for byte (one file only)""";
    /** Llama-3.1-8B's per-layer projections (out × in): q, k, v, o, gate, up, down. */
    static final long[][] LLAMA_8B_LAYER = {{4096, 4096}, {1024, 4096}, {1024, 4096}, {4096, 4096}, {14336, 4096}, {14336, 4096}, {4096, 14336}};
    private static final String[] LLAMA_NAMES = {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
            "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"};

    private static volatile long sink;

    private ModelLoadCheck() {}

    record Options(Path file, double gib, String coder, boolean verify, boolean read, boolean writeBack, boolean plain) {}

    public static void main(String[] args) {
        CheckFrame.main("ModelLoadCheck", USAGE, args, ModelLoadCheck::parse,
                o -> o.plain() ? plain(o.file()) : run(o.file() != null ? o.file() : syntheticLlama(o.gib(), o.coder(), Path.of("/tmp")), o));
    }

    static Options parse(String[] args) {
        Path file = null;
        double gib = 0;
        boolean verify = false, read = true, writeBack = false, plain = false;
        String coder = "huffman";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--verify" -> verify = true;
                case "--no-read" -> read = false;
                case "--write-back" -> writeBack = true;
                case "--plain" -> plain = true;
                case "--coder" -> coder = Coders.byName(CheckFrame.argument(args, ++i, "a coder name")).name(); // an unknown name fails here
                case "--synthetic-llama" -> {
                    String text = CheckFrame.argument(args, ++i, "GIB");
                    try {
                        gib = Double.parseDouble(text);
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("--synthetic-llama needs a number of GiB, got " + text);
                    }
                    if (!(gib >= 0.03 && gib <= 64)) throw new IllegalArgumentException("--synthetic-llama GIB must be 0.03..64, got " + text);
                }
                default -> {
                    if (args[i].startsWith("-") || file != null) throw new IllegalArgumentException("unexpected argument " + args[i]);
                    file = Path.of(args[i]);
                }
            }
        }
        if ((file == null) == (gib == 0)) throw new IllegalArgumentException("name a file or --synthetic-llama GIB, not both");
        if (plain && file == null) throw new IllegalArgumentException("--plain needs a FILE");
        if (!coder.equals("huffman") && gib == 0) throw new IllegalArgumentException("--coder goes with --synthetic-llama");
        return new Options(file, gib, coder, verify, read, writeBack, plain);
    }

    private static boolean run(Path in, Options o) throws IOException {
        CodecOptions cpu = CodecOptions.defaults();
        boolean verify = o.verify();
        List<Path> files = CompressedFile.modelFiles(in);
        long fileBytes = 0;
        for (Path f : files) fileBytes += Files.size(f);
        long start = System.nanoTime();
        if (o.read()) {
            for (Path f : files) touch(f);
            double readS = (System.nanoTime() - start) / 1e9;
            System.out.printf("model: %s, %d file(s), %,d bytes; read (every page of the mapped files) %.3f s, %.2f GB/s (page cache as found)%n",
                    in, files.size(), fileBytes, readS, fileBytes / readS / 1e9);
        } else {
            System.out.printf("model: %s, %d file(s), %,d bytes; not read before the load (page cache as the caller left it)%n", in, files.size(), fileBytes);
        }
        boolean same = true;
        try (Device device = Device.open()) {
            System.out.printf("device: %s, %.1f GiB%n", device, device.totalMemory() / (double) (1L << 30));
            long decodedBytes;
            start = System.nanoTime();
            try (DeviceModel model = DeviceModel.load(device, in, cpu, verify)) {
                double totalS = (System.nanoTime() - start) / 1e9;
                DeviceModel.Timings t = model.timings();
                decodedBytes = model.tensors().stream().mapToLong(DeviceModel.Tensor::bytes).sum();
                long gpu = model.tensors().stream().filter(x -> x.source() == DeviceModel.Source.GPU_DECODED).count();
                long cpuDecoded = model.tensors().stream().filter(x -> x.source() == DeviceModel.Source.CPU_DECODED).count();
                System.out.printf("DeviceModel.load: %d tensors (%d GPU-decoded, %d CPU-decoded, %d raw), %,d bytes on the device, %.3f s total, %.2f GB/s of model%n",
                        model.tensors().size(), gpu, cpuDecoded, model.tensors().size() - gpu - cpuDecoded, decodedBytes, totalS, decodedBytes / totalS / 1e9);
                System.out.printf("  open + raw CRCs %.3f s; validate indexes + build tables %.3f s; host->device %,d bytes in %.3f s, %.2f GB/s; GPU decode %,d bytes in %.3f s (device time), %.1f GB/s;"
                                + " CPU decode %.3f s; verify %.3f s%s%n",
                        t.readNanos() / 1e9, t.validateNanos() / 1e9, t.toDeviceBytes(), t.toDeviceNanos() / 1e9, t.toDeviceGBps(), t.gpuDecodedBytes(), t.gpuDecodeNanos() / 1e9,
                        t.gpuDecodeGBps(), t.cpuDecodeNanos() / 1e9, t.verifyNanos() / 1e9, verify ? "" : " (not asked: GPU-decoded CRCs unchecked)");
                for (DeviceModel.Tensor x : model.tensors()) {
                    if (x.source() == DeviceModel.Source.CPU_DECODED) System.out.println("  " + x.name() + ": " + x.note());
                }
                if (o.writeBack()) same = writeBack(device, model, in, files);
            }
            // The yardstick: the same number of bytes, uncompressed, copied up from host memory (1 GiB reused).
            try (Arena arena = Arena.ofShared()) {
                long block = Math.min(decodedBytes, 1L << 30);
                MemorySegment host = arena.allocate(Math.max(block, 8), 4096);
                CheckData.fillSynthetic(host.asSlice(0, host.byteSize() & ~1L), 7);
                long nanos = 0;
                try (DeviceBuffer b = device.buffer(new ByteArray(host))) {
                    b.copyFromHost(); // warm-up: first touch of the pages and of the copy path
                    for (long done = 0; done < decodedBytes; done += block) nanos += b.copyFromHost();
                }
                long copied = Math.ceilDiv(decodedBytes, block) * block;
                System.out.printf("plain copy: %,d bytes host->device in %.3f s, %.2f GB/s (one 1 GiB host block copied again and again, the same path as the model's copies, the same run)%n", copied, nanos / 1e9, copied / (nanos / 1e9) / 1e9);
            }
            return same;
        }
    }

    /**
     * Compresses the loaded tensors on the device into a file beside {@code in} and compares it with {@code in}:
     * the same tensors in the same order with the same metadata must give the same bytes.
     */
    private static boolean writeBack(Device device, DeviceModel model, Path in, List<Path> files) throws IOException {
        if (files.size() != 1) {
            System.out.println("write-back: skipped, a sharded model has " + files.size() + " files (the check takes one)");
            return true;
        }
        Map<String, String> metadata;
        try (CompressedFile f = CompressedFile.open(in)) {
            metadata = SafetensorsFile.parseHeader(f.originalHeader(), "original header of " + in).metadata();
        }
        Path out = in.resolveSibling(in.getFileName() + ".written-back");
        List<ResidentTensor> tensors = model.tensors().stream().map(DeviceModel.Tensor::resident).toList();
        ResidentModelWriter.Report r = new ResidentModelWriter(device).write(tensors, metadata, out, false, CodecOptions.defaults(), Progress.NONE); // never replaces a file
        long mismatch = Files.mismatch(in, out);
        System.out.printf("write-back: %,d bytes of device-resident BF16 compressed on the device to %s (%,d bytes): plan %.3f s, pack + write %.3f s,"
                        + " %.2f GB/s of model in all; encoder kernels %.3f s (device time), %.1f GB/s; %s%n",
                r.originalBytes(), out, r.fileBytes(), r.planNanos() / 1e9, r.writeNanos() / 1e9,
                r.originalBytes() / ((r.planNanos() + r.writeNanos()) / 1e9) / 1e9, r.deviceMillis() / 1e3,
                r.originalBytes() / (r.deviceMillis() / 1e3) / 1e9,
                mismatch == -1 ? "byte-identical to the input" : "DIFFERS from the input at byte " + mismatch);
        Files.delete(out);
        return mismatch == -1;
    }

    /**
     * The yardstick for a load: {@code file}'s bytes (an uncompressed model, say) copied as they are from
     * its mapping into one device allocation, the same path the model's copies take, timed from the open.
     */
    private static boolean plain(Path file) throws IOException {
        try (Device device = Device.open(); FileChannel c = FileChannel.open(file, StandardOpenOption.READ); Arena arena = Arena.ofShared()) {
            long start = System.nanoTime();
            MemorySegment m = c.map(FileChannel.MapMode.READ_ONLY, 0, c.size(), arena);
            try (DeviceBuffer b = device.allocate(Math.max(8, m.byteSize()))) {
                List<Device.Copy> copies = new ArrayList<>();
                for (long at = 0; at < m.byteSize(); at += 1L << 30) copies.add(new Device.Copy(b, at, m.asSlice(at, Math.min(1L << 30, m.byteSize() - at))));
                long copyNanos = device.copyToDevice(copies);
                double s = (System.nanoTime() - start) / 1e9;
                System.out.printf("plain file load: %s, %,d bytes into device memory in %.3f s, %.2f GB/s (copies %.3f s; page cache as the caller left it)%n",
                        file, m.byteSize(), s, m.byteSize() / s / 1e9, copyNanos / 1e9);
            }
        }
        return true;
    }

    /** Reads every page of {@code file} through a mapping, the way {@link CompressedFile} reads it. */
    private static void touch(Path file) throws IOException {
        try (FileChannel c = FileChannel.open(file, StandardOpenOption.READ); Arena arena = Arena.ofShared()) {
            MemorySegment m = c.map(FileChannel.MapMode.READ_ONLY, 0, c.size(), arena);
            long sum = 0;
            for (long at = 0; at < m.byteSize(); at += 4096) sum += m.get(ValueLayout.JAVA_BYTE, at);
            sink = sum; // so the reads cannot be dropped
        }
    }

    /**
     * Writes about {@code gib} GiB of BF16 weights in Llama-3.1-8B projection shapes (whole tensors, at least
     * one) to {@code dir}, compresses it on the CPU with {@code coder} ("huffman": the codec on all cores) and
     * returns the Weightless file; the original stays beside it ({@code .safetensors}), the yardstick for {@code --plain}.
     */
    static Path syntheticLlama(double gib, String coder, Path dir) throws IOException {
        long target = (long) (gib * (1L << 30));
        List<String> names = new ArrayList<>();
        List<long[]> shapes = new ArrayList<>();
        long total = 0;
        for (int layer = 0; total < target; layer++) {
            for (int p = 0; p < LLAMA_8B_LAYER.length && total < target; p++) {
                names.add("model.layers." + layer + "." + LLAMA_NAMES[p] + ".weight");
                shapes.add(LLAMA_8B_LAYER[p].clone());
                total += LLAMA_8B_LAYER[p][0] * LLAMA_8B_LAYER[p][1] * 2;
            }
        }
        String stem = String.format("weightless-synthetic-llama-%.2fgib", gib) + (coder.equals("huffman") ? "" : "-" + coder);
        Path original = dir.resolve(stem + ".safetensors"), compressed = dir.resolve(stem + ".weightless");
        Files.deleteIfExists(original);
        long start = System.nanoTime();
        SafetensorsWriter.Builder builder = SafetensorsWriter.builder().metadata(Map.of("format", "pt"));
        for (int i = 0; i < names.size(); i++) builder.tensor(names.get(i), Dtype.BF16, shapes.get(i));
        try (FileChannel c = FileChannel.open(original, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE); Arena arena = Arena.ofShared()) {
            SafetensorsWriter w = builder.open(c);
            long largest = shapes.stream().mapToLong(s -> s[0] * s[1] * 2).max().orElseThrow();
            MemorySegment values = arena.allocate(largest, 4096);
            for (int i = 0; i < names.size(); i++) {
                MemorySegment t = values.asSlice(0, shapes.get(i)[0] * shapes.get(i)[1] * 2);
                CheckData.fillSynthetic(t, 1000 + i);
                w.write(names.get(i), t);
            }
            w.finish();
        }
        double writeS = (System.nanoTime() - start) / 1e9;
        start = System.nanoTime();
        CodecOptions codec = CodecOptions.defaults();
        new Compressor(codec, true, Progress.NONE).coding(CoderChoice.of(coder)).compress(original, compressed);
        double compressS = (System.nanoTime() - start) / 1e9;
        System.out.printf("synthetic Llama-3.1-8B-shaped model: %d tensors, %,d bytes of BF16, written in %.1f s; compressed (%s, %d threads) in %.1f s to %s, %,d bytes (%.2f%%)%n",
                names.size(), total, writeS, coder, codec.threads(), compressS, compressed, Files.size(compressed), 100.0 * Files.size(compressed) / total);
        return compressed;
    }
}
