package dev.weightless.bench;

import dev.weightless.codec.CodecOptions;
import dev.weightless.codec.EncodedTensor;
import dev.weightless.codec.HuffmanDecoder;
import dev.weightless.codec.HuffmanEncoder;
import dev.weightless.io.container.ArrowTransfer;
import dev.weightless.io.container.CompressedFile;
import dev.weightless.io.container.Compressor;
import dev.weightless.io.container.Decompressor;
import dev.weightless.io.container.Progress;
import dev.weightless.io.container.TensorRecord;
import dev.weightless.io.onnx.BundledModel;
import dev.weightless.io.safetensors.Dtype;
import dev.weightless.io.safetensors.SafetensorsFile;
import dev.weightless.io.safetensors.TensorInfo;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Bytes allocated on the Java heap (all threads, terminated worker threads included, as HotSpot's
 * {@code getTotalThreadAllocatedBytes} counts them) while the real MiniLM model is compressed and
 * decompressed once, whole and stage by stage. Heap allocation is what a copy of tensor data through
 * {@code byte[]} costs when it is not staged through a small reused buffer; the per-stage list in
 * arrow-io/NOTES.md says which stages stream tensor bytes through reused heap scratch arrays.
 * Each figure is the median of {@code --runs} runs after {@code --warmup} unmeasured ones.
 * Run: bench/bench.sh heap [--runs 7] [--warmup 5] [--threads 2]
 */
public final class HeapTraffic {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private HeapTraffic() {}

    @FunctionalInterface
    interface Step {
        void run() throws Exception;
    }

    public static void main(String[] args) throws Exception {
        int runs = 7, warmup = 5, threads = Runtime.getRuntime().availableProcessors();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (!THREADS.isThreadAllocatedMemorySupported() || !THREADS.isThreadAllocatedMemoryEnabled()) {
            throw new IllegalStateException("this JVM does not count allocated bytes per thread");
        }
        Path model = BundledModel.bf16(BenchData.WORK);
        Path dir = Files.createTempDirectory("weightless-heap");
        Path compressed = dir.resolve("model.wl"), restored = dir.resolve("model.restored");
        Path arrow = dir.resolve("model.arrow"), imported = dir.resolve("imported.wl");
        CodecOptions options = CodecOptions.defaults().withThreads(threads);
        long bf16Bytes;
        try (SafetensorsFile f = SafetensorsFile.open(model)) {
            bf16Bytes = f.tensors().stream().filter(t -> t.dtype() == Dtype.BF16).mapToLong(TensorInfo::byteSize).sum();
        }
        System.out.printf("model %s: %,d bytes of BF16 data; %d threads; median of %d runs after %d warm-up runs%n",
                model.getFileName(), bf16Bytes, threads, runs, warmup);

        Step compress = () -> {
            Files.deleteIfExists(compressed);
            new Compressor(options, true, Progress.NONE).compress(model, compressed);
        };
        Step decompress = () -> {
            Files.deleteIfExists(restored);
            new Decompressor(options, true, Progress.NONE).decompress(compressed, restored);
        };
        compress.run();
        decompress.run();
        if (Files.mismatch(model, restored) != -1) throw new IllegalStateException("round trip is not byte-identical");

        try (SafetensorsFile in = SafetensorsFile.open(model); CompressedFile wl = CompressedFile.open(compressed); Arena arena = Arena.ofShared()) {
            List<TensorInfo> bf16 = in.tensors().stream().filter(t -> t.dtype() == Dtype.BF16).toList();
            HuffmanEncoder.Plan[] plans = new HuffmanEncoder.Plan[bf16.size()];
            MemorySegment[][] parts = new MemorySegment[bf16.size()][];
            for (int i = 0; i < plans.length; i++) {
                plans[i] = HuffmanEncoder.plan(in.data(bf16.get(i)), options);
                parts[i] = new MemorySegment[] {arena.allocate(128), arena.allocate(plans[i].indexBytes()),
                        arena.allocate(plans[i].payloadBytes()), arena.allocate(plans[i].planeBytes())};
            }
            List<TensorRecord> coded = wl.tensors().stream().filter(r -> r.codec() == TensorRecord.Codec.HUFFMAN).toList();
            MemorySegment out = arena.allocate(coded.stream().mapToLong(TensorRecord::byteSize).max().orElse(1));
            Step plan = () -> { for (TensorInfo t : bf16) HuffmanEncoder.plan(in.data(t), options); };
            Step write = () -> {
                for (int i = 0; i < plans.length; i++) plans[i].write(parts[i][0], parts[i][1], parts[i][2], parts[i][3]);
            };
            Step decode = () -> {
                for (TensorRecord r : coded) {
                    EncodedTensor e = wl.encoded(r);
                    HuffmanDecoder.open(e).decode(out.asSlice(0, r.byteSize()), options);
                }
            };
            Step open = () -> { try (CompressedFile f = CompressedFile.open(compressed)) { f.tensors(); } };
            List<String[]> rows = new ArrayList<>();
            rows.add(measure("compress (whole file, Compressor)", compress, runs, warmup, bf16Bytes));
            rows.add(measure("  encoder plan: histogram, CRC32C, chunk lengths", plan, runs, warmup, bf16Bytes));
            rows.add(measure("  encoder write: pack exponents, split sign|mantissa", write, runs, warmup, bf16Bytes));
            rows.add(measure("decompress (whole file, Decompressor)", decompress, runs, warmup, bf16Bytes));
            rows.add(measure("  open + validate the container", open, runs, warmup, bf16Bytes));
            rows.add(measure("  decoder: decode + CRC32C, all Huffman tensors", decode, runs, warmup, bf16Bytes));
            rows.add(measure("export-arrow (Weightless file to Arrow IPC)", () -> ArrowTransfer.export(compressed, arrow, true, options, Progress.NONE),
                    runs, warmup, bf16Bytes));
            rows.add(measure("import-arrow (Arrow IPC to Weightless file)", () -> ArrowTransfer.importFile(arrow, imported, true),
                    runs, warmup, bf16Bytes));
            if (Files.mismatch(compressed, imported) != -1) throw new IllegalStateException("import-arrow did not rebuild the file");
            System.out.printf("%-56s %16s %12s %12s%n", "stage", "heap bytes", "per BF16 B", "wall ms");
            for (String[] r : rows) System.out.printf("%-56s %16s %12s %12s%n", (Object[]) r);
        } finally {
            for (Path p : new Path[] {compressed, restored, arrow, imported}) Files.deleteIfExists(p);
            Files.deleteIfExists(dir);
        }
    }

    /** Median heap bytes and wall time of {@code step}. */
    private static String[] measure(String name, Step step, int runs, int warmup, long bf16Bytes) throws Exception {
        for (int i = 0; i < warmup; i++) step.run();
        long[] bytes = new long[runs], nanos = new long[runs];
        for (int i = 0; i < runs; i++) {
            long b0 = THREADS.getTotalThreadAllocatedBytes(), t0 = System.nanoTime();
            step.run();
            nanos[i] = System.nanoTime() - t0;
            bytes[i] = THREADS.getTotalThreadAllocatedBytes() - b0;
        }
        Arrays.sort(bytes);
        Arrays.sort(nanos);
        long b = bytes[runs / 2];
        return new String[] {name, String.format("%,d", b), String.format("%.4f", (double) b / bf16Bytes),
                String.format("%.1f [%.1f..%.1f]", nanos[runs / 2] / 1e6, nanos[0] / 1e6, nanos[runs - 1] / 1e6)};
    }
}
