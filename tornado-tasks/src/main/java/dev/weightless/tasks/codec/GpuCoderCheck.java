package dev.weightless.tasks.codec;

import dev.weightless.codec.CodecOptions;
import dev.weightless.codec.EncodedTensor;
import dev.weightless.codec.HuffmanEncoder;
import dev.weightless.codec.coder.CodedTensor;
import dev.weightless.codec.coder.Coder;
import dev.weightless.codec.coder.Coders;
import dev.weightless.codec.rans.RansCoder;
import dev.weightless.jit.kernel.Grid;
import dev.weightless.jit.kernel.KernelMethod;
import dev.weightless.jit.kernel.LongArray;
import dev.weightless.jit.kernel.ShortArray;
import dev.weightless.jit.ptx.PtxCompiler;
import dev.weightless.jit.ptx.PtxKernel;
import dev.weightless.tasks.CheckFrame;
import dev.weightless.tasks.Device;
import dev.weightless.tasks.ExecutionPlan;
import dev.weightless.tasks.ImmutableTaskGraph;
import dev.weightless.tasks.check.CheckData;

import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The GPU decoders of the other coders (rans, rans-ctx, palette) on a GPU host, under the conditions of the
 * Huffman decoder's figure (GpuCodecCheck): 1 GiB of CheckData.fillSynthetic BF16 (or of a real BF16 file,
 * tiled) encoded on the CPU as one tensor per coder (the coders concurrently), then each decoded on the GPU:
 * a warm-up, the output checked byte for byte against the input and by CRC32C (and the kernel's per-chunk
 * status), the timed runs (CUDA events around each launch), the output checked again. The Huffman GPU
 * decoder on the same data, in the same run, is the yardstick. Exit code 0 when all matched, 1 on any
 * mismatch or failure, 2 without a CUDA device, 64 for bad arguments.
 */
public final class GpuCoderCheck {
    private static final String USAGE = """
            usage: GpuCoderCheck [--gib N] [--runs N] [--tiled FILE] [--coders a,b,...] [--kernel NAME[,NAME..]]
              --gib N          BF16 input in GiB, 1..4 (default 1)
              --runs N         timed runs after one warm-up, median reported, 5..10000 (default 25)
              --tiled FILE     fill the input with this raw little-endian BF16 file, repeated (default: CheckData.fillSynthetic, seed 42)
              --coders LIST    coders to decode, of rans, rans-ctx, palette (default all three)
              --kernel NAMES   also time RansDecodeKernels.NAME (same parameters and grid as decode) for the rANS coders, comma-separated""";
    private static final String RUN = CoderDecodeInput.GRAPH + "." + CoderDecodeInput.TASK;

    record Options(int gib, int runs, Path tiled, List<String> coders, List<String> kernels) {}

    private record Timing(String label, double ratio, double median, double min, double max) {}

    private final PrintStream out;
    private boolean passed = true;

    private GpuCoderCheck(PrintStream out) { this.out = out; }

    public static void main(String[] args) {
        CheckFrame.main("GpuCoderCheck", USAGE, args, GpuCoderCheck::parse, options -> {
            GpuCoderCheck check = new GpuCoderCheck(System.out);
            check.run(options);
            return check.passed;
        });
    }

    private void run(Options options) throws java.io.IOException {
        long bytes = (long) options.gib() << 30;
        try (Arena arena = Arena.ofShared(); Device device = Device.open()) {
            out.printf("device: %s, compute capability %s, %d SMs; host: %d threads%n", device.name(), device.computeCapability(),
                    device.multiprocessors(), Runtime.getRuntime().availableProcessors());
            MemorySegment bf16 = arena.allocate(bytes, 4096);
            if (options.tiled() == null) CheckData.fillSynthetic(bf16, 42);
            else CheckData.fillTiled(bf16, options.tiled());
            long[] histogram = CheckData.exponentHistogram(bf16);
            out.printf("input: %d GiB of %s, exponent entropy %.3f bits%n", options.gib(),
                    options.tiled() == null ? "CheckData.fillSynthetic(seed 42) BF16" : options.tiled() + " tiled", CheckData.entropyBits(histogram));

            smallTensors(device, options.coders(), options.kernels(), arena);
            // Each coder encodes the whole input as one tensor on its own thread; Huffman (the yardstick) on the default threads.
            List<Coder> coders = options.coders().stream().map(Coders::byName).toList();
            List<CodedTensor> coded = new ArrayList<>();
            long start = System.nanoTime();
            try (ExecutorService pool = Executors.newFixedThreadPool(coders.size())) {
                List<Future<CodedTensor>> futures = new ArrayList<>();
                for (Coder c : coders) futures.add(pool.submit(() -> c.encode(bf16, arena)));
                EncodedTensor huffman = HuffmanEncoder.plan(bf16, CodecOptions.defaults()).writeTo(arena);
                for (Future<CodedTensor> f : futures) coded.add(result(f));
                out.printf("CPU encode, all coders concurrently: %.1f s%n", (System.nanoTime() - start) / 1e9);

                List<Timing> timings = new ArrayList<>();
                DecodeInput yardstick = DecodeInput.of(huffman, arena);
                timings.add(time(device, "huffman (GpuDecoder kernel)", huffman.encodedBytes() / (double) bytes, null, yardstick.graph(), yardstick.out(),
                        yardstick.grid(device.multiprocessors()), options.runs(), () -> check(yardstick.decoded(), bf16, yardstick.checksumMatches())));
                for (CodedTensor t : coded) {
                    double ratio = t.encodedBytes() / (double) bytes;
                    cpuDecode(t, bf16, arena);
                    if (Coders.byName(t.coder()) instanceof RansCoder rans) {
                        RansDecodeInput input = RansDecodeInput.of(rans, t, arena);
                        timings.add(time(device, t.coder() + " (decode)", ratio, null, input.graph(), input.out(),
                                input.grid(0, 0), options.runs(), () -> checkCoded(input, bf16)));
                        for (String name : options.kernels()) {
                            PtxKernel variant = PtxCompiler.compile(KernelMethod.of(RansDecodeKernels.class, name));
                            timings.add(time(device, t.coder() + " (" + name + ")", ratio, method -> variant, input.graph(), input.out(),
                                    input.grid(0, 0), options.runs(), () -> checkCoded(input, bf16)));
                        }
                    } else {
                        CoderDecodeInput input = CoderDecodeInput.of(t, arena);
                        for (int perSm : new int[] {0, 8}) {
                            timings.add(time(device, t.coder() + (perSm == 0 ? " (one warp per chunk)" : " (≤ " + perSm + " blocks/SM)"), ratio, null, input.graph(),
                                    input.out(), input.grid(device.multiprocessors(), perSm), options.runs(), () -> checkCoded(input, bf16)));
                        }
                    }
                }
                out.printf("%n%d timed runs after a warm-up, CUDA events around each launch; GB/s of BF16 output%n", options.runs());
                out.printf("%-44s %8s %10s %10s %10s %12s%n", "decoder", "ratio", "median ms", "min ms", "max ms", "GB/s (median)");
                for (Timing t : timings) {
                    out.printf("%-44s %7.2f%% %10.3f %10.3f %10.3f %12.1f%n", t.label(), 100 * t.ratio(), t.median(), t.min(), t.max(), bytes / (t.median() * 1e6));
                }
            }
        }
    }

    private static CodedTensor result(Future<CodedTensor> f) {
        try {
            return f.get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("CPU encode failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while encoding", e);
        }
    }

    /**
     * Odd sizes through {@link GpuCoderDecoder} (one plan per tensor, as decompress would use it): partial
     * chunks and rows, tiny tensors with fewer rANS lanes; each must give back its input. The rANS variants
     * of {@code --kernel} go through the same sizes in place of the rANS kernel.
     */
    private void smallTensors(Device device, List<String> coders, List<String> kernels, Arena arena) {
        KernelMethod rans = KernelMethod.of(RansDecodeKernels.class, "decode");
        List<String> variants = new ArrayList<>();
        variants.add("decode");
        variants.addAll(kernels);
        for (String variant : variants) {
            PtxKernel compiled = PtxCompiler.compileCached(KernelMethod.of(RansDecodeKernels.class, variant));
            GpuCoderDecoder gpu = new GpuCoderDecoder(device, method -> method.equals(rans) ? compiled : PtxCompiler.compileCached(method));
            List<String> names = variant.equals("decode") ? coders : coders.stream().filter(c -> !c.equals("palette")).toList();
            boolean ok = true;
            for (long n : new long[] {3 * (1L << 18) + 12_345, 16_384 + 77, 1000, 5}) {
                MemorySegment bf16 = arena.allocate(2 * n, 8);
                CheckData.fillSynthetic(bf16, n);
                for (String name : names) {
                    try {
                        MemorySegment decoded = arena.allocate(2 * n, 8);
                        gpu.decode(Coders.byName(name).encode(bf16, arena), decoded);
                        if (decoded.mismatch(bf16) >= 0) {
                            fail(name + " (" + variant + "), " + n + " values through GpuCoderDecoder: output differs at byte " + decoded.mismatch(bf16));
                            ok = false;
                        }
                    } catch (RuntimeException e) {
                        fail(name + " (" + variant + "), " + n + " values through GpuCoderDecoder: " + e);
                        ok = false;
                    }
                }
            }
            if (ok) out.println("GpuCoderDecoder (" + variant + "): " + names + " at 3·2^18 + 12345, 16384 + 77, 1000 and 5 values: byte-identical to the input");
        }
    }

    /** The CPU decode of {@code t} on all host threads (wall time of one run), for reference. */
    private void cpuDecode(CodedTensor t, MemorySegment expected, Arena arena) {
        MemorySegment values = arena.allocate(expected.byteSize(), 4096);
        int threads = Runtime.getRuntime().availableProcessors();
        long start = System.nanoTime();
        Coders.byName(t.coder()).decode(t, values, threads);
        double ms = (System.nanoTime() - start) / 1e6;
        if (values.mismatch(expected) >= 0) fail(t.coder() + ": the CPU decode differs from the input");
        out.printf("%s: %,d coded bytes (%.2f%%); CPU decode on %d threads %.0f ms (%.1f GB/s, one run)%n", t.coder(), t.encodedBytes(),
                100.0 * t.encodedBytes() / expected.byteSize(), threads, ms, expected.byteSize() / (ms * 1e6));
    }

    /** The kernel's status and CRC32C (CoderDecodeInput.check), then the values byte for byte. */
    private static String checkCoded(CoderDecodeInput input, MemorySegment expected) {
        try {
            input.check();
        } catch (RuntimeException e) {
            return e.toString();
        }
        return check(input.decoded(), expected, true);
    }

    private static String check(MemorySegment decoded, MemorySegment expected, boolean crc) {
        long at = expected.mismatch(decoded);
        if (at >= 0) return "output differs from the input at byte " + at;
        return crc ? null : "CRC32C mismatch";
    }

    /**
     * Times one decoder's graph ({@code compiler} null: its kernel through jit; else the variant it returns);
     * the output is filled with a pattern first and checked after the warm-up and after the timed runs.
     */
    private Timing time(Device device, String label, double ratio, Function<KernelMethod, PtxKernel> compiler, ImmutableTaskGraph graph,
                        Object output, Grid grid, int runs, Supplier<String> checker) {
        try (ExecutionPlan plan = compiler == null ? new ExecutionPlan(device, graph) : new ExecutionPlan(device, compiler, List.of(graph))) {
            plan.withGrid(RUN, grid);
            fill(output, (byte) 0x5A);
            plan.transferToDevice(output);
            plan.execute(); // warm-up, and the copies of the coded tensor
            verify(label + ", first run", plan, output, checker);
            double[] millis = new double[runs];
            for (int run = 0; run < runs; run++) millis[run] = plan.execute().taskMillis(RUN);
            verify(label + ", after " + runs + " more runs", plan, output, checker);
            Arrays.sort(millis);
            return new Timing(label, ratio, millis[runs / 2], millis[0], millis[runs - 1]);
        } catch (RuntimeException e) {
            fail(label + ": " + e);
            return new Timing(label, ratio, Double.NaN, Double.NaN, Double.NaN);
        }
    }

    private void verify(String what, ExecutionPlan plan, Object output, Supplier<String> checker) {
        fill(output, (byte) 0);
        plan.transferToHost(output);
        String problem = checker.get();
        if (problem != null) fail(what + ": " + problem);
        else out.println(what + ": byte-identical to the input, CRC32C matches");
    }

    private static void fill(Object array, byte value) {
        MemorySegment segment = switch (array) {
            case ShortArray a -> a.segment();
            case LongArray a -> a.segment();
            default -> throw new IllegalArgumentException("unexpected output array " + array.getClass());
        };
        segment.fill(value);
    }

    private void fail(String message) {
        out.println("FAIL: " + message);
        passed = false;
    }

    static Options parse(String[] args) { // package-private for CheckParsingTest
        int gib = 1, runs = 25;
        Path tiled = null;
        List<String> coders = List.of("rans", "rans-ctx", "palette");
        List<String> kernels = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--gib" -> gib = CheckFrame.intArgument(args, ++i, 1, 4);
                case "--runs" -> runs = CheckFrame.intArgument(args, ++i, 5, 10_000);
                case "--tiled" -> tiled = Path.of(CheckFrame.argument(args, ++i, "a file"));
                case "--coders" -> {
                    coders = List.of(CheckFrame.argument(args, ++i, "a list").split(","));
                    for (String c : coders) {
                        if (!List.of("rans", "rans-ctx", "palette").contains(c)) throw new IllegalArgumentException("no GPU decoder for coder " + c);
                    }
                }
                case "--kernel" -> {
                    for (String name : CheckFrame.argument(args, ++i, "a method name").split(",")) {
                        KernelMethod.of(RansDecodeKernels.class, name); // an unknown name fails here, before the GPU work
                        kernels.add(name);
                    }
                }
                case "-h", "--help" -> throw new IllegalArgumentException("help");
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        return new Options(gib, runs, tiled, coders, List.copyOf(kernels));
    }
}
