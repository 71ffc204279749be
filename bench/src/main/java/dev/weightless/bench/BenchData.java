package dev.weightless.bench;

import dev.weightless.io.onnx.BundledModel;
import dev.weightless.io.safetensors.SafetensorsFile;
import dev.weightless.io.safetensors.TensorInfo;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.SplittableRandom;

/** The data sets benchmarks run on. */
final class BenchData {
    /** Where the real model is converted once. */
    static final Path WORK = Path.of(System.getProperty("weightless.bench.dir", "bench/target/real-model"));

    private BenchData() {}

    /** "minilm": all BF16 tensors of the real model, concatenated (45 MB); "gaussian": 64 Mi synthetic weights, σ = 0.02. */
    static MemorySegment load(String name, Arena arena) throws IOException {
        return switch (name) {
            case "minilm" -> minilm(arena);
            case "gaussian" -> gaussian(arena, 64L << 20, 0.02, 1);
            default -> throw new IllegalArgumentException("unknown data set " + name);
        };
    }

    static MemorySegment minilm(Arena arena) throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(BundledModel.bf16(WORK))) {
            long total = f.tensors().stream().mapToLong(TensorInfo::byteSize).sum();
            MemorySegment all = arena.allocate(total);
            long at = 0;
            for (TensorInfo t : f.tensors()) {
                MemorySegment.copy(f.data(t), 0, all, at, t.byteSize());
                at += t.byteSize();
            }
            return all;
        }
    }

    /** The real model's BF16 tensors, each in its own segment. */
    static java.util.List<MemorySegment> minilmTensors(Arena arena) throws IOException {
        java.util.List<MemorySegment> list = new java.util.ArrayList<>();
        try (SafetensorsFile f = SafetensorsFile.open(BundledModel.bf16(WORK))) {
            for (TensorInfo t : f.tensors()) {
                if (t.dtype() != dev.weightless.io.safetensors.Dtype.BF16) continue;
                MemorySegment s = arena.allocate(t.byteSize());
                MemorySegment.copy(f.data(t), 0, s, 0, t.byteSize());
                list.add(s);
            }
        }
        return list;
    }

    static MemorySegment gaussian(Arena arena, long n, double sigma, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        MemorySegment s = arena.allocate(n * 2);
        for (long i = 0; i < n; i++) {
            double u = r.nextDouble(), v = r.nextDouble();
            float f = (float) (Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v) * sigma);
            s.set(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, i * 2, (short) (Float.floatToRawIntBits(f) >>> 16));
        }
        return s;
    }
}
