package dev.weightless.tensorcore.gemm;

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
import dev.weightless.tasks.ExecutionPlan;
import dev.weightless.tensorcore.layout.PaletteEncoder;
import dev.weightless.tensorcore.layout.PaletteLayout;
import dev.weightless.tensorcore.layout.PaletteTensor;
import dev.weightless.tensorcore.transcode.DevicePalette;
import dev.weightless.tensorcore.transcode.GpuTranscoder;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * On a GPU host, the load path that never brings BF16 back to the host: W on the device transcoded there
 * ({@link GpuTranscoder}, timed: device time per step, median of runs), compared byte for byte with the CPU
 * encoder (one palette per tensor), then the resident operator's product against the BF16 kernel's, bit for
 * bit with Y poisoned. {@code --file} also takes one shape through a Weightless file:
 * {@link FusedLinear#fromWeightless(CompressedFile, dev.weightless.io.container.TensorRecord, Device, boolean)}
 * (GPU decode, GPU transcode, CRC32C verified).
 * {@code ResidentCheck [--shapes NxK,...] [--w-dir DIR] [--runs N] [--file NxK]}: W from {@code DIR/w_NxK.bf16}
 * (FusedGemmCheck's) when there, otherwise made as FusedGemmCheck makes it.
 */
public final class ResidentCheck {
    private ResidentCheck() {}

    public static void main(String[] args) throws IOException {
        List<long[]> shapes = FusedGemmCheck.LLAMA_SHAPES;
        Path wDir = null;
        int runs = 3;
        long[] file = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--shapes" -> shapes = parseShapes(args[++i]);
                case "--w-dir" -> wDir = Path.of(args[++i]);
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--file" -> file = parseShapes(args[++i]).getFirst();
                default -> throw new IllegalArgumentException("unknown argument " + args[i] + "; usage: ResidentCheck [--shapes NxK,...] [--w-dir DIR] [--runs N] [--file NxK]");
            }
        }
        String why = Device.whyUnavailable().orElse(null);
        if (why != null) {
            System.err.println("ResidentCheck: no CUDA device: " + why);
            System.exit(2);
        }
        List<String> problems = new ArrayList<>();
        try (Device device = Device.open()) {
            System.out.println(device);
            for (long[] s : shapes) {
                try (Arena arena = Arena.ofShared()) {
                    MemorySegment w = weights(wDir, s[0], s[1], arena);
                    problems.addAll(transcodeAndMultiply(device, w, s[0], s[1], runs, true));
                }
            }
            if (file != null) {
                Path dir = Files.createTempDirectory("resident");
                try (Arena arena = Arena.ofShared()) {
                    problems.addAll(throughFile(device, weights(wDir, file[0], file[1], arena), file[0], file[1], dir));
                }
            }
        }
        System.out.println(problems.isEmpty() ? "PASS: GPU transcode == CPU encoder byte for byte, resident products == BF16 kernel bit for bit" : "FAIL: " + problems);
        System.exit(problems.isEmpty() ? 0 : 1);
    }

    private static List<long[]> parseShapes(String s) {
        return Arrays.stream(s.split(",")).map(p -> Arrays.stream(p.split("x")).mapToLong(Long::parseLong).toArray()).toList();
    }

    private static MemorySegment weights(Path wDir, long n, long k, Arena arena) throws IOException {
        MemorySegment w = arena.allocate(Math.multiplyExact(n * k, 2L), 16);
        Path f = wDir == null ? null : wDir.resolve("w_" + n + "x" + k + ".bf16");
        if (f != null && Files.size(f) == w.byteSize()) {
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
                var buffer = w.asByteBuffer();
                while (buffer.hasRemaining()) if (ch.read(buffer) < 0) throw new IOException(f + ": short file");
            }
        } else {
            FusedGemmCheck.fillNormal(w, 0.02, n * 31 + k);
        }
        return w;
    }

    /** Transcodes W (copied to the device) {@code runs} times, compares the last with the CPU encoder, and checks products at M = 1 and 16. */
    public static List<String> transcodeAndMultiply(Device device, MemorySegment w, long n, long k, int runs, boolean print) {
        return transcodeAndMultiply(device, w, n, k, FusedGemmCheck.CODING, runs, print);
    }

    /** As {@link #transcodeAndMultiply(Device, MemorySegment, long, long, int, boolean)}, W transcoded to {@code coding}. */
    public static List<String> transcodeAndMultiply(Device device, MemorySegment w, long n, long k, PaletteLayout.Coding coding, int runs, boolean print) {
        List<String> problems = new ArrayList<>();
        String name = n + "x" + k + " " + coding;
        try (Arena arena = Arena.ofShared(); DeviceBuffer values = device.allocate(w.byteSize())) {
            values.copyFrom(w, 0);
            DeviceArray bf16 = new DeviceArray(values, 0, n * k, ShortArray.class);
            GpuTranscoder transcoder = new GpuTranscoder(device);
            double[] deviceMs = new double[runs], wallMs = new double[runs];
            String steps = "";
            DevicePalette kept = null;
            try {
                for (int r = 0; r < runs; r++) {
                    long start = System.nanoTime();
                    GpuTranscoder.Result result = transcoder.transcode(bf16, n, k, coding);
                    wallMs[r] = (System.nanoTime() - start) / 1e6;
                    deviceMs[r] = result.deviceMillis();
                    steps = result.stepMillis().toString();
                    if (kept != null) kept.close();
                    kept = result.palette();
                }
                long cpuStart = System.nanoTime();
                PaletteTensor cpu = PaletteEncoder.encode(w, n, k, PaletteEncoder.Scope.TENSOR, coding, arena);
                double cpuMs = (System.nanoTime() - cpuStart) / 1e6;
                PaletteTensor back = kept.toHost(arena);
                long[] mismatches = {back.tiles().mismatch(cpu.tiles()), back.palettes().mismatch(cpu.palettes()), back.escapeStarts().mismatch(cpu.escapeStarts()),
                        back.escapes().mismatch(cpu.escapes()), back.escapePositions().mismatch(cpu.escapePositions())};
                if (Arrays.stream(mismatches).anyMatch(m -> m >= 0)) problems.add(name + ": GPU transcode differs from the CPU encoder (first mismatch per part: " + Arrays.toString(mismatches) + ")");
                double[] sorted = deviceMs.clone();
                Arrays.sort(sorted);
                double[] wall = wallMs.clone();
                Arrays.sort(wall);
                if (print) {
                    System.out.printf(Locale.ROOT, "transcode %-12s layout %.2f%% of BF16: device %.3f ms median [%.3f..%.3f] of %d (%.0f GB/s of BF16 read), wall %.1f ms median [%.1f..%.1f] (first run compiles), CPU encoder %.1f ms; steps of the last: %s; %s%n",
                            name, 100.0 * kept.byteSize() / w.byteSize(), sorted[runs / 2], sorted[0], sorted[runs - 1], runs, w.byteSize() / sorted[runs / 2] / 1e6,
                            wall[runs / 2], wall[0], wall[runs - 1], cpuMs, steps, problems.isEmpty() ? "bit-exact" : "DIFFERS");
                }
                for (int m : new int[] {1, 16}) problems.addAll(productMatches(device, FusedLinear.resident(kept), w, n, k, m, "resident " + name, print));
            } finally {
                if (kept != null) kept.close();
            }
        }
        return problems;
    }

    /** The resident operator's Y, with each palette kernel, against the BF16 kernel's for one M: every element written, bit for bit. */
    static List<String> productMatches(Device device, FusedLinear resident, MemorySegment w, long n, long k, int m, String name, boolean print) {
        List<String> problems = new ArrayList<>();
        try (Arena arena = Arena.ofShared()) {
            ShortArray x = new ShortArray(arena.allocate(m * k * 2, 16));
            FusedGemmCheck.fillNormal(x.segment(), 1.0, 5000 + m);
            FusedLinear bf16 = resident.twin(w);
            FusedLinear.Schedule schedule = resident.schedule(m, device);
            if (schedule.kernel().wgmma()) schedule = resident.mmaSchedule(m, device.multiprocessors());   // this compares the two mma.sync kernels
            // BF16 twin, patching kernel, and the ballot kernel where the coding has it (the palette coding only).
            boolean ballot = resident.variant().readBy(FusedLinear.Kernel.BALLOT);
            FusedLinear[] ops = ballot ? new FusedLinear[] {bf16, resident, resident} : new FusedLinear[] {bf16, resident};
            FusedLinear.Schedule[] schedules = {schedule, schedule.with(FusedLinear.Kernel.PATCH), schedule.with(FusedLinear.Kernel.BALLOT)};
            ShortArray[] ys = new ShortArray[ops.length];
            for (int v = 0; v < ops.length; v++) {
                ys[v] = new ShortArray(arena.allocate(m * n * 2, 16));
                ys[v].segment().fill((byte) 0xFF);
                List<DeviceBuffer> held = ops[v].upload(device);
                try (ExecutionPlan plan = ops[v].bind("resident" + v, x, ys[v], m, schedules[v], arena).plan(device)) {
                    plan.transferToDevice(x, ys[v]);
                    plan.execute();
                    plan.transferToHost(ys[v]);
                } finally {
                    held.forEach(DeviceBuffer::close);
                }
            }
            for (int v = 1; v < ops.length; v++) {
                long unwritten = 0;
                for (long i = 0; i < ys[v].size(); i++) if (ys[v].get(i) == (short) 0xFFFF) unwritten++;
                long mismatch = ys[v].segment().mismatch(ys[0].segment());
                String which = name + " m=" + m + " " + schedules[v].kernel().name().toLowerCase(Locale.ROOT) + " kernel";
                if (unwritten > 0) problems.add(which + ": " + unwritten + " elements of Y not written");
                if (mismatch >= 0) problems.add(which + ": differs from the BF16 kernel first at byte " + mismatch);
            }
            if (print) System.out.printf(Locale.ROOT, "  %s M=%d: resident products (patching and ballot kernels) %s%n", name, m, problems.isEmpty() ? "== BF16 kernel bit for bit, all written" : "FAILED " + problems);
        }
        return problems;
    }

    /** W written as a safetensors file, compressed, and loaded through {@link FusedLinear#fromWeightless(CompressedFile, dev.weightless.io.container.TensorRecord, Device, boolean)}. */
    public static List<String> throughFile(Device device, MemorySegment w, long n, long k, Path dir) throws IOException {
        List<String> problems = new ArrayList<>();
        Path original = dir.resolve("w.safetensors"), compressed = dir.resolve("w.wl.safetensors");
        try (FileChannel out = FileChannel.open(original, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            SafetensorsWriter writer = SafetensorsWriter.builder().tensor("w", Dtype.BF16, n, k).open(out);
            writer.write("w", w);
        }
        Files.deleteIfExists(compressed);
        new Compressor(CodecOptions.defaults(), false, Progress.NONE).compress(original, compressed);
        try (Arena arena = Arena.ofShared(); CompressedFile file = CompressedFile.open(compressed)) {
            long start = System.nanoTime();
            try (FusedLinear.OnDevice op = FusedLinear.fromWeightless(file, file.tensor("w"), device, true)) {
                double wall = (System.nanoTime() - start) / 1e6;
                PaletteTensor cpu = PaletteEncoder.encode(w, n, k, PaletteEncoder.Scope.TENSOR, PaletteLayout.Coding.WINDOW, arena);   // fromWeightless's coding
                PaletteTensor back = op.weights().palette().toHost(arena);
                boolean same = back.tiles().mismatch(cpu.tiles()) < 0 && back.palettes().mismatch(cpu.palettes()) < 0 && back.escapeStarts().mismatch(cpu.escapeStarts()) < 0
                        && back.escapes().mismatch(cpu.escapes()) < 0 && back.escapePositions().mismatch(cpu.escapePositions()) < 0;
                if (!op.weights().gpuDecoded()) problems.add(n + "x" + k + " from a file: not decoded on the GPU");
                if (!same) problems.add(n + "x" + k + " from a file: layout differs from the CPU encoder");
                System.out.printf(Locale.ROOT, "from a Weightless file %dx%d: GPU decoded %b, CRC32C verified, layout %s, device ms per step %s, wall %.1f ms (first use: compiles)%n",
                        n, k, op.weights().gpuDecoded(), same ? "== CPU encoder" : "DIFFERS", op.weights().stepMillis(), wall);
                problems.addAll(productMatches(device, op.linear(), w, n, k, 1, "file " + n + "x" + k, true));
            }
        }
        return problems;
    }
}
