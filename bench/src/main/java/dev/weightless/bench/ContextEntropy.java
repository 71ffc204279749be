package dev.weightless.bench;

import dev.weightless.io.onnx.BundledModel;
import dev.weightless.io.safetensors.Dtype;
import dev.weightless.io.safetensors.SafetensorsFile;
import dev.weightless.io.safetensors.TensorInfo;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Measures which contexts are worth modelling: empirical (conditional) entropies of the parts of a
 * BF16 weight on the real MiniLM model, in bits per weight, summed over tensors with each tensor's own
 * statistics (what a per-tensor table can reach, before paying for the table). Also prints how many
 * (context, symbol) cells each model uses, a first idea of its table cost.
 * Run: bench/bench.sh entropy [model.safetensors]
 */
public final class ContextEntropy {
    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private ContextEntropy() {}

    public static void main(String[] args) throws IOException {
        Path file = args.length > 0 ? Path.of(args[0]) : BundledModel.bf16(BenchData.WORK);
        List<short[]> tensors = new ArrayList<>();
        List<Integer> rows = new ArrayList<>();
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (TensorInfo t : f.tensors()) {
                if (t.dtype() != Dtype.BF16) continue;
                MemorySegment s = f.data(t);
                short[] v = new short[Math.toIntExact(t.elementCount())];
                for (int i = 0; i < v.length; i++) v[i] = s.get(SHORT_LE, 2L * i);
                tensors.add(v);
                long[] shape = t.shape();
                rows.add(shape.length == 0 ? 1 : Math.toIntExact(shape[shape.length - 1]));
            }
        }
        long weights = tensors.stream().mapToLong(v -> v.length).sum();
        System.out.printf(Locale.ROOT, "%s: %d BF16 tensors, %d weights%n", file, tensors.size(), weights);

        Map<String, double[]> results = new LinkedHashMap<>();
        // Context 0 means "none". Symbols and contexts are small ints; cells = context * 65536 + symbol.
        results.put("H(e)", measure(tensors, rows, (v, i) -> 0, (v, i) -> e(v[i])));
        results.put("H(e), one table for the whole model", global(tensors, (v, i) -> e(v[i])));
        results.put("H(e | previous e in the row)", measure(tensors, rows, ContextEntropy::previousInRow, (v, i) -> e(v[i])));
        results.put("H(e | e above, same column)", measure(tensors, rows, ContextEntropy::above, (v, i) -> e(v[i])));
        results.put("H(e | position-in-row eighth)", measure(tensors, rows, (v, i) -> 0, (v, i) -> e(v[i]), 8));
        results.put("H(e | max e of the row)", measureRowStat(tensors, rows, true));
        results.put("H(e | max e of the column)", measureRowStat(tensors, rows, false));
        results.put("H(sign)", measure(tensors, rows, (v, i) -> 0, (v, i) -> sign(v[i])));
        results.put("H(sign | e)", measure(tensors, rows, (v, i) -> e(v[i]), (v, i) -> sign(v[i])));
        for (int k = 1; k <= 4; k++) {
            int bits = k;
            results.put("H(top " + k + " mantissa bits)", measure(tensors, rows, (v, i) -> 0, (v, i) -> (v[i] & 0x7F) >>> (7 - bits)));
            results.put("H(top " + k + " mantissa bits | e)", measure(tensors, rows, (v, i) -> e(v[i]), (v, i) -> (v[i] & 0x7F) >>> (7 - bits)));
        }
        results.put("H(sign, top 2 mantissa bits | e)", measure(tensors, rows, (v, i) -> e(v[i]), (v, i) -> sign(v[i]) << 2 | (v[i] & 0x7F) >>> 5));
        results.put("H(sign|mantissa byte)", measure(tensors, rows, (v, i) -> 0, (v, i) -> sm(v[i])));
        results.put("H(sign|mantissa byte | e)", measure(tensors, rows, (v, i) -> e(v[i]), (v, i) -> sm(v[i])));
        results.put("H(e, top 2 mantissa bits | previous e)", measure(tensors, rows, ContextEntropy::previousInRow, (v, i) -> e(v[i]) << 2 | (v[i] & 0x7F) >>> 5));

        System.out.printf(Locale.ROOT, "%-45s %12s %10s%n", "quantity", "bits/weight", "cells");
        for (var r : results.entrySet()) {
            System.out.printf(Locale.ROOT, "%-45s %12.4f %10d%n", r.getKey(), r.getValue()[0] / weights, (long) r.getValue()[1]);
        }
        double he = results.get("H(e)")[0] / weights;
        double hTop = results.get("H(top 2 mantissa bits | e)")[0] / weights;
        double hSm = results.get("H(sign|mantissa byte | e)")[0] / weights;
        double hSign = results.get("H(sign | e)")[0] / weights;
        System.out.printf(Locale.ROOT, "%nratio bounds (per-tensor statistics, tables not counted):%n");
        System.out.printf(Locale.ROOT, "  exponent only, (8 + H(e)) / 16                  %.2f%%%n", 100 * (8 + he) / 16);
        for (int k = 1; k <= 4; k++) {
            double h = results.get("H(top " + k + " mantissa bits | e)")[0] / weights;
            System.out.printf(Locale.ROOT, "  e + top %d mantissa bits given e, rest raw       %.2f%%%n", k, 100 * (he + h + 1 + (7 - k)) / 16);
        }
        System.out.printf(Locale.ROOT, "  e + sign given e + top 2 given e, rest raw      %.2f%%%n", 100 * (he + hSign + hTop + 5) / 16);
        System.out.printf(Locale.ROOT, "  e + whole sign|mantissa byte given e            %.2f%%%n", 100 * (he + hSm) / 16);
    }

    private static int e(short v) { return (v >>> 7) & 0xFF; }

    private static int sign(short v) { return (v >>> 15) & 1; }

    private static int sm(short v) { return ((v >>> 8) & 0x80) | (v & 0x7F); }

    /** The exponent before this weight in its row, or 256 at the start of a row. */
    private static int previousInRow(short[] v, int i, int row) { return i % row == 0 ? 256 : e(v[i - 1]); }

    private static int above(short[] v, int i, int row) { return i < row ? 256 : e(v[i - row]); }

    /** A context that needs the row length. */
    private interface Ctx { int of(short[] v, int i, int row); }

    private static double[] measure(List<short[]> tensors, List<Integer> rows, Ctx ctx, Feature sym) {
        return measure(tensors, rows, ctx, sym, 0);
    }

    private static double[] measure(List<short[]> tensors, List<Integer> rows, Feature ctx0, Feature sym) {
        return measure(tensors, rows, (v, i, r) -> ctx0.of(v, i), sym, 0);
    }

    private static double[] measure(List<short[]> tensors, List<Integer> rows, Feature ctx0, Feature sym, int positionBuckets) {
        return measure(tensors, rows, (v, i, r) -> ctx0.of(v, i), sym, positionBuckets);
    }

    /** Sum over tensors of n × H(symbol | context) with the tensor's own counts; contexts optionally split by position in the row. */
    private static double[] measure(List<short[]> tensors, List<Integer> rows, Ctx ctx, Feature sym, int positionBuckets) {
        double bits = 0;
        long cells = 0;
        for (int t = 0; t < tensors.size(); t++) {
            short[] v = tensors.get(t);
            int row = rows.get(t);
            Map<Long, long[]> counts = new java.util.HashMap<>();
            for (int i = 0; i < v.length; i++) {
                long c = ctx.of(v, i, row);
                if (positionBuckets > 0) c = c * positionBuckets + (long) (i % row) * positionBuckets / row;
                counts.computeIfAbsent(c, k -> new long[65536])[sym.of(v, i)]++;
            }
            for (long[] h : counts.values()) {
                bits += conditionalBits(h);
                for (long x : h) if (x > 0) cells++;
            }
        }
        return new double[] {bits, cells};
    }

    /** The same with one table for all tensors. */
    private static double[] global(List<short[]> tensors, Feature sym) {
        long[] h = new long[65536];
        for (short[] v : tensors) for (int i = 0; i < v.length; i++) h[sym.of(v, i)]++;
        long cells = 0;
        for (long x : h) if (x > 0) cells++;
        return new double[] {conditionalBits(h), cells};
    }

    /**
     * H(e | a per-row or per-column statistic: the largest exponent there), plus the side information
     * to send that statistic (8 bits per row or column, counted here).
     */
    private static double[] measureRowStat(List<short[]> tensors, List<Integer> rows, boolean byRow) {
        double bits = 0;
        long cells = 0;
        for (int t = 0; t < tensors.size(); t++) {
            short[] v = tensors.get(t);
            int row = rows.get(t);
            int groups = byRow ? v.length / row : row;
            int[] max = new int[groups];
            for (int i = 0; i < v.length; i++) {
                int g = byRow ? i / row : i % row;
                max[g] = Math.max(max[g], e(v[i]));
            }
            Map<Integer, long[]> counts = new java.util.HashMap<>();
            for (int i = 0; i < v.length; i++) counts.computeIfAbsent(max[byRow ? i / row : i % row], k -> new long[256])[e(v[i])]++;
            for (long[] h : counts.values()) {
                bits += conditionalBits(h);
                for (long x : h) if (x > 0) cells++;
            }
            bits += 8.0 * groups;
        }
        return new double[] {bits, cells};
    }

    /** A small int read from a tensor at a position: a symbol, or a context that needs no row length. */
    private interface Feature { int of(short[] v, int i); }

    /** n × H(h) in bits. */
    private static double conditionalBits(long[] h) {
        long n = 0;
        for (long x : h) n += x;
        double bits = 0;
        for (long x : h) if (x > 0) bits -= x * Math.log((double) x / n);
        return bits / Math.log(2);
    }
}
