package dev.weightless.bench;

import dev.weightless.codec.coder.Coder;
import dev.weightless.codec.coder.CodedTensor;
import dev.weightless.codec.coder.Coders;
import dev.weightless.io.onnx.BundledModel;
import dev.weightless.io.safetensors.Dtype;
import dev.weightless.io.safetensors.SafetensorsFile;
import dev.weightless.io.safetensors.TensorInfo;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Coded size of the real MiniLM weights with every registered coder, tensor by tensor (each tensor coded
 * on its own, every part counted), each decode checked bit-exact. Sizes only: speeds come from JMH
 * ({@code CoderBenchmark}). Run: bench/bench.sh ratios [model.safetensors]
 */
public final class CoderRatios {
    private CoderRatios() {}

    public static void main(String[] args) throws IOException {
        Path file = args.length > 0 ? Path.of(args[0]) : BundledModel.bf16(BenchData.WORK);
        List<Coder> coders = args.length > 1 ? List.of(Coders.byName(args[1])) : Coders.all();
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            long bf16Bytes = 0;
            long[] coded = new long[coders.size()];
            long[][] parts = new long[coders.size()][];
            for (int c = 0; c < coders.size(); c++) parts[c] = new long[coders.get(c).partNames().size()];
            for (TensorInfo t : f.tensors()) {
                if (t.dtype() != Dtype.BF16) continue;
                MemorySegment in = f.data(t);
                bf16Bytes += in.byteSize();
                for (int c = 0; c < coders.size(); c++) {
                    try (Arena arena = Arena.ofConfined()) {
                        CodedTensor ct = coders.get(c).encode(in, arena);
                        MemorySegment out = arena.allocate(in.byteSize());
                        coders.get(c).decode(ct, out);
                        if (out.mismatch(in) != -1) throw new IllegalStateException(coders.get(c).name() + ": " + t.name() + " is not restored bit-exactly");
                        coded[c] += ct.encodedBytes();
                        for (int p = 0; p < parts[c].length; p++) parts[c][p] += ct.part(p).byteSize();
                    }
                }
            }
            System.out.printf(Locale.ROOT, "%s: %d bytes of BF16%n%-10s %14s %9s %12s  %s%n", file, bf16Bytes, "coder", "bytes", "ratio", "bits/weight", "bytes per part");
            for (int c = 0; c < coders.size(); c++) {
                StringBuilder split = new StringBuilder();
                for (int p = 0; p < parts[c].length; p++) split.append(String.format(Locale.ROOT, "  %s %,d", coders.get(c).partNames().get(p), parts[c][p]));
                System.out.printf(Locale.ROOT, "%-10s %,14d %8.3f%% %12.4f %s%n", coders.get(c).name(), coded[c],
                        100.0 * coded[c] / bf16Bytes, 16.0 * coded[c] / bf16Bytes, split);
            }
        }
    }
}
