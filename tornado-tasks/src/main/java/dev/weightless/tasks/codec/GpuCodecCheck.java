package dev.weightless.tasks.codec;

import dev.weightless.codec.CodecOptions;
import dev.weightless.codec.EncodedTensor;
import dev.weightless.codec.HuffmanDecoder;
import dev.weightless.codec.HuffmanEncoder;
import dev.weightless.jit.kernel.Grid;
import dev.weightless.jit.kernel.IntArray;
import dev.weightless.jit.kernel.KernelMethod;
import dev.weightless.jit.kernel.LongArray;
import dev.weightless.jit.kernel.ShortArray;
import dev.weightless.jit.ptx.PtxCompiler;
import dev.weightless.jit.ptx.PtxKernel;
import dev.weightless.jit.ptx.PtxKernel.Kind;
import dev.weightless.jit.ptx.PtxKernel.Param;
import dev.weightless.tasks.DataTransferMode;
import dev.weightless.tasks.CheckFrame;
import dev.weightless.tasks.Device;
import dev.weightless.tasks.DeviceArray;
import dev.weightless.tasks.DeviceBuffer;
import dev.weightless.tasks.ExecutionPlan;
import dev.weightless.tasks.ImmutableTaskGraph;
import dev.weightless.tasks.check.CheckData;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * Checks the GPU decoder on a GPU host: synthetic BF16 weights (≥ 1 GiB, exponent entropy near a real
 * model's) encoded by the CPU codec, decoded on the GPU by the Java kernel and by its CUDA-C yardstick,
 * each output compared byte for byte with the input and its CRC32C with the tensor's; then the median
 * device time of each. Then the GPU encoder, the Java kernels and their CUDA-C yardstick
 * (src/main/cuda/huffman_encode.cu), each checked byte for byte against the CPU encoder's parts and timed. Exit code 0 when all matched, 1 on any mismatch or failure, 2 without a CUDA
 * device, 64 for bad arguments.
 */
public final class GpuCodecCheck {
    private static final String USAGE = """
            usage: GpuCodecCheck [--gib N] [--runs N] [--yardstick FILE.ptx[,FILE.ptx..] | --no-yardstick] [--kernel NAME[,NAME..]] [--no-encoder]
              --gib N          BF16 input in GiB, 1..8 (default 1)
              --runs N         timed runs after one warm-up, median reported, 20..10000 (default 25)
              --yardstick FILES  other builds of huffman_decode.cu (entry huffmanDecode) to time, comma-separated
              --no-yardstick   time the Java kernels alone (decoder and encoder)
              --blocks-per-sm N  grid of at most N blocks per SM, 0 for one block per 8 groups (default 4)
              --kernel NAMES   also time DecodeKernels.NAME (same parameters as decode) through jit, comma-separated
              --no-encoder     time the decoders alone""";
    private static final String GRAPH = "decode", TASK = "run";

    record Options(int gib, int runs, boolean yardstick, List<Path> yardstickPtx, List<String> kernels, int blocksPerSm, boolean encoder) {}

    private record Timing(String label, double median, double min, double max) {}

    private final PrintStream out;
    private boolean passed = true;

    private GpuCodecCheck(PrintStream out) { this.out = out; }

    public static void main(String[] args) {
        CheckFrame.main("GpuCodecCheck", USAGE, args, GpuCodecCheck::parse, options -> {
            GpuCodecCheck check = new GpuCodecCheck(System.out);
            check.run(options);
            return check.passed;
        });
    }

    private void run(Options options) throws IOException {
        long bytes = (long) options.gib() << 30;
        try (Arena arena = Arena.ofShared(); Device device = Device.open()) {
            out.printf("device: %s, compute capability %s, %d SMs, %.1f GiB%n", device.name(), device.computeCapability(), device.multiprocessors(), device.totalMemory() / (double) (1L << 30));
            MemorySegment bf16 = arena.allocate(bytes, 4096);
            long start = System.nanoTime();
            CheckData.fillSynthetic(bf16, 42);
            double fillMs = millisSince(start);
            long[] histogram = CheckData.exponentHistogram(bf16);
            start = System.nanoTime();
            CodecOptions codec = CodecOptions.defaults();
            EncodedTensor tensor = HuffmanEncoder.plan(bf16, codec).writeTo(arena);
            double encodeMs = millisSince(start);
            out.printf("%d GiB of synthetic BF16 (%,d values, %d distinct exponents, exponent entropy %.3f bits), made in %.0f ms; "
                            + "CPU encode %.0f ms (%d threads) to %,d bytes (%.2f%% of the input)%n",
                    options.gib(), bytes / 2, Arrays.stream(histogram).filter(c -> c > 0).count(), CheckData.entropyBits(histogram), fillMs,
                    encodeMs, codec.threads(), tensor.encodedBytes(), 100.0 * tensor.encodedBytes() / bytes);
            start = System.nanoTime();
            HuffmanDecoder decoder = HuffmanDecoder.open(tensor);
            double validateMs = millisSince(start);
            MemorySegment cpuOut = arena.allocate(bytes, 4096);
            start = System.nanoTime();
            decoder.decode(cpuOut, codec);
            double cpuMs = millisSince(start);
            if (cpuOut.mismatch(bf16) >= 0) fail("the CPU decoder's output differs from the input");
            out.printf("CPU: index validation %.0f ms, HuffmanDecoder.decode %.0f ms (%.1f GB/s, %d threads)%n", validateMs, cpuMs, bytes / (cpuMs * 1e6), codec.threads());

            DecodeInput input = DecodeInput.of(tensor, arena);
            Grid grid = input.grid(device.multiprocessors(), options.blocksPerSm());
            List<Timing> timings = new ArrayList<>();
            timings.add(time(device, "Java kernel (jit)", null, input, grid, bf16, options.runs()));
            for (String name : options.kernels()) {
                PtxKernel variant = PtxCompiler.compile(KernelMethod.of(DecodeKernels.class, name));
                timings.add(time(device, "Java " + name + " (jit)", method -> variant, input, grid, bf16, options.runs()));
            }
            if (options.yardstick()) {
                List<Path> files = new ArrayList<>(options.yardstickPtx());
                if (files.isEmpty()) files.add(null);
                for (Path file : files) {
                    PtxKernel yardstick = yardstick(file);
                    timings.add(time(device, "CUDA C (nvcc) " + (file == null ? yardstick.entry() : file.getFileName()), method -> yardstick, input, grid, bf16, options.runs()));
                }
            }
            out.printf("%ngrid %d x %d (%d groups of 32 chunks, one warp each; %s), %d timed runs after a warm-up, CUDA events around each launch%n",
                    grid.groups(), grid.localSize(), input.grid().groups() * DecodeKernels.WARPS,
                    options.blocksPerSm() > 0 ? "at most " + options.blocksPerSm() + " blocks per SM" : "one block per " + DecodeKernels.WARPS + " groups", options.runs());
            out.printf("%-40s %10s %10s %10s %16s%n", "decoder", "median ms", "min ms", "max ms", "GB/s BF16 out");
            for (Timing t : timings) {
                out.printf("%-40s %10.3f %10.3f %10.3f %16.1f%n", t.label(), t.median(), t.min(), t.max(), bytes / (t.median() * 1e6));
            }
            if (options.yardstick() && !Double.isNaN(timings.getLast().median())) {
                out.printf("Java / CUDA C (medians): %.3fx%n", timings.get(0).median() / timings.getLast().median());
            }
            if (!options.encoder()) return;
            residentEncode(device, bf16, tensor, arena);
            double java = encode(device, "Java kernels (jit)", null, bf16, tensor, arena, options.runs());
            if (options.yardstick()) {
                String ptx = CheckFrame.bundledPtx("/yardstick/huffman_encode.ptx");
                double cuda = encode(device, "CUDA C (nvcc), same algorithm", method -> encodeYardstick(method, ptx), bf16, tensor, arena, options.runs());
                out.printf("%nencoder total, Java / CUDA C (medians): %.3fx%n", java / cuda);
            }
        }
    }

    /**
     * Times one decoder ({@code compiler} null: the Java kernel through jit). The output buffer is filled
     * with a pattern first, then checked after the warm-up and again after the timed runs.
     */
    private Timing time(Device device, String label, Function<KernelMethod, PtxKernel> compiler, DecodeInput input, Grid grid, MemorySegment expected, int runs) {
        LongArray output = input.out();
        ImmutableTaskGraph graph = input.graph();
        try (ExecutionPlan plan = compiler == null ? new ExecutionPlan(device, graph) : new ExecutionPlan(device, compiler, List.of(graph))) {
            plan.withGrid(GRAPH + "." + TASK, grid);
            output.segment().fill((byte) 0x5A);
            plan.transferToDevice(output);
            plan.execute(); // warm-up, and the copies of the encoded tensor
            verify(label + ", first run", plan, input, expected);
            double[] millis = new double[runs];
            for (int run = 0; run < runs; run++) millis[run] = plan.execute().taskMillis(GRAPH + "." + TASK);
            verify(label + ", after " + runs + " more runs", plan, input, expected);
            Arrays.sort(millis);
            return new Timing(label, millis[runs / 2], millis[0], millis[runs - 1]);
        } catch (RuntimeException e) {
            fail(label + ": " + e);
            return new Timing(label, Double.NaN, Double.NaN, Double.NaN);
        }
    }

    /**
     * Times the GPU encoder's steps ({@code compiler} null: the Java kernels through jit) and checks its index,
     * payload and plane against the CPU encoder's; returns the median of the steps' summed device time.
     */
    private double encode(Device device, String label, Function<KernelMethod, PtxKernel> compiler, MemorySegment bf16, EncodedTensor cpu, Arena arena, int runs) {
        try {
            EncodeInput input = EncodeInput.of(bf16, HuffmanEncoder.plan(bf16, CodecOptions.defaults()), arena);
            List<String> steps = EncodeInput.STEPS;
            double[][] millis = new double[steps.size() + 1][runs];
            ImmutableTaskGraph graph = input.graph();
            try (ExecutionPlan plan = compiler == null ? new ExecutionPlan(device, graph) : new ExecutionPlan(device, compiler, List.of(graph))) {
                input.withGrids(plan);
                plan.execute(); // warm-up
                for (int run = 0; run < runs; run++) {
                    var result = plan.execute();
                    for (int t = 0; t < steps.size(); t++) {
                        millis[t][run] = result.taskMillis("encode." + steps.get(t));
                        millis[steps.size()][run] += millis[t][run];
                    }
                }
                input.payload().segment().fill((byte) 0x5A); // so that stale host bytes cannot pass for the device's
                plan.transferToHost(input.outputs());
            }
            boolean index = cpu.index().bytes().mismatch(input.index(arena)) < 0;
            boolean payload = cpu.payload().bytes().mismatch(input.payloadBytes()) < 0;
            boolean plane = cpu.plane().bytes().mismatch(input.planeBytes()) < 0;
            if (index && payload && plane) out.println("\nGPU encoder, " + label + ": index, payload and plane byte-identical to the CPU encoder's");
            else fail("GPU encoder, " + label + ", differs from the CPU encoder: index " + (index ? "equal" : "DIFFERS") + ", payload " + (payload ? "equal" : "DIFFERS") + ", plane " + (plane ? "equal" : "DIFFERS"));
            out.printf("%-28s %10s %10s %10s %16s%n", "encoder step", "median ms", "min ms", "max ms", "GB/s BF16 in");
            for (int t = 0; t <= steps.size(); t++) {
                double[] m = millis[t];
                Arrays.sort(m);
                out.printf("%-28s %10.3f %10.3f %10.3f %16.1f%n", t < steps.size() ? steps.get(t) : "total (sum of the steps)", m[runs / 2], m[0], m[runs - 1], bf16.byteSize() / (m[runs / 2] * 1e6));
            }
            return millis[steps.size()][runs / 2];
        } catch (RuntimeException e) {
            fail("GPU encoder, " + label + ": " + e);
            return Double.NaN;
        }
    }

    /**
     * The values put on the device once, then encoded there by {@link ResidentEncoder} (histogram and CRC32C on
     * the device too): its parts and CRC must equal the CPU encoder's. Three runs; the last one's times are printed.
     */
    private void residentEncode(Device device, MemorySegment bf16, EncodedTensor cpu, Arena arena) {
        try (DeviceBuffer values = device.allocate(bf16.byteSize())) {
            values.copyFrom(bf16, 0);
            ResidentEncoder encoder = new ResidentEncoder(device);
            ResidentEncoder.Result result = null;
            double wallMillis = 0;
            for (int run = 0; run < 3; run++) {
                try (Arena parts = Arena.ofConfined()) {
                    long start = System.nanoTime();
                    result = encoder.encode(new DeviceArray(values, 0, bf16.byteSize() / 2, ShortArray.class), CodecOptions.defaults(), parts);
                    wallMillis = millisSince(start);
                    EncodedTensor t = result.tensor();
                    boolean same = t.crc32c() == cpu.crc32c() && cpu.table().bytes().mismatch(t.table().bytes()) < 0
                            && cpu.index().bytes().mismatch(t.index().bytes()) < 0 && cpu.payload().bytes().mismatch(t.payload().bytes()) < 0
                            && cpu.plane().bytes().mismatch(t.plane().bytes()) < 0;
                    if (!same) fail("encoding device-resident values, run " + (run + 1) + ": parts or CRC32C differ from the CPU encoder's");
                }
            }
            out.printf("%nencoding device-resident values (ResidentEncoder: histogram and CRC32C on the device too), parts and CRC32C equal to the CPU encoder's in 3 runs; last run:%n");
            result.stepMillis().forEach((step, ms) -> out.printf("  %-14s %8.3f ms%n", step, ms));
            out.printf("  device time %.3f ms (%.1f GB/s of BF16), wall time with plans, copies back and host steps %.1f ms (%.1f GB/s)%n",
                    result.deviceMillis(), bf16.byteSize() / (result.deviceMillis() * 1e6), wallMillis, bf16.byteSize() / (wallMillis * 1e6));
        } catch (RuntimeException e) {
            fail("encoding device-resident values: " + e);
        }
    }

    /** The entry of src/main/cuda/huffman_encode.cu that does what {@code method} does, with the Java kernel's parameters. */
    private static PtxKernel encodeYardstick(KernelMethod method, String ptx) {
        String step = method.method().getName();
        String entry = "encode" + Character.toUpperCase(step.charAt(0)) + step.substring(1);
        return new PtxKernel(entry, ptx, PtxCompiler.compile(method).params());
    }

    private void verify(String what, ExecutionPlan plan, DecodeInput input, MemorySegment expected) {
        input.out().segment().fill((byte) 0);
        plan.transferToHost(input.out());
        long at = expected.mismatch(input.decoded());
        boolean crc = input.checksumMatches();
        if (at >= 0) fail(what + ": output differs from the input at byte " + at);
        else if (!crc) fail(what + ": CRC32C mismatch");
        else out.println(what + ": byte-identical to the input, CRC32C matches");
    }

    /** The bundled nvcc build of src/main/cuda/huffman_decode.cu, with the Java kernel's parameters. */
    static PtxKernel yardstick(Path file) throws IOException {
        String ptx = file != null ? Files.readString(file) : CheckFrame.bundledPtx("/yardstick/huffman_decode.ptx");
        return new PtxKernel("huffmanDecode", ptx, List.of(
                new Param("payload", Kind.ARRAY, IntArray.class),
                new Param("groupOffsets", Kind.ARRAY, LongArray.class),
                new Param("chunkBits", Kind.ARRAY, ShortArray.class),
                new Param("table", Kind.ARRAY, IntArray.class),
                new Param("plane", Kind.ARRAY, IntArray.class),
                new Param("out", Kind.ARRAY, LongArray.class),
                new Param("elements", Kind.LONG, long.class),
                new Param("chunkSymbols", Kind.INT, int.class),
                new Param("tableBits", Kind.INT, int.class)));
    }

    private static double millisSince(long start) { return (System.nanoTime() - start) / 1e6; }

    private void fail(String message) {
        out.println("FAIL: " + message);
        passed = false;
    }

    static Options parse(String[] args) { // package-private for CheckParsingTest
        int gib = 1, runs = 25;
        boolean yardstick = true;
        List<Path> yardstickPtx = new ArrayList<>();
        List<String> kernels = new ArrayList<>();
        boolean encoder = true;
        int blocksPerSm = DecodeInput.BLOCKS_PER_SM;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--gib" -> gib = CheckFrame.intArgument(args, ++i, 1, 8);
                case "--runs" -> runs = CheckFrame.intArgument(args, ++i, 20, 10_000);
                case "--no-yardstick" -> yardstick = false;
                case "--yardstick" -> {
                    for (String f : CheckFrame.argument(args, ++i, "a file").split(",")) yardstickPtx.add(Path.of(f));
                }
                case "--blocks-per-sm" -> blocksPerSm = CheckFrame.intArgument(args, ++i, 0, 64);
                case "--kernel" -> kernels.addAll(List.of(CheckFrame.argument(args, ++i, "a method name").split(",")));
                case "--no-encoder" -> encoder = false;
                case "-h", "--help" -> throw new IllegalArgumentException("help");
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        return new Options(gib, runs, yardstick, yardstickPtx, kernels, blocksPerSm, encoder);
    }
}
