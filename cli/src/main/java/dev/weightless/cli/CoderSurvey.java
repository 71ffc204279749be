package dev.weightless.cli;

import com.github.luben.zstd.Zstd;
import dev.weightless.codec.CodecOptions;
import dev.weightless.codec.Entropy;
import dev.weightless.codec.coder.Coder;
import dev.weightless.codec.coder.CodedTensor;
import dev.weightless.codec.coder.Coders;
import dev.weightless.io.container.CompressedFile;
import dev.weightless.io.container.TensorRecord;
import dev.weightless.io.safetensors.Dtype;
import dev.weightless.io.safetensors.SafetensorsFile;
import dev.weightless.io.safetensors.TensorInfo;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * inspect --coders: runs coders on every BF16 tensor of one file (a safetensors file, or a Weightless
 * file decoded first) and reports per coder the coded size with every part counted, bits per weight and
 * single-thread encode and decode GB/s (the fastest of {@code rounds} passes over all tensors, each decode
 * checked bit-exact), then the exponent-only bounds and zstd at levels 3 and 19 on the raw BF16 bytes.
 * Timings are wall-clock on the calling thread: a quick comparison on this machine, not a benchmark
 * (bench/bench.sh CoderBenchmark is the JMH one).
 */
final class CoderSurvey {
    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int[] ZSTD_LEVELS = {3, 19};

    record Row(String name, long bytes, double encodeSeconds, double decodeSeconds) {}

    record Report(int tensors, long weights, long bf16Bytes, List<Row> rows, double boundOneTable, double boundPerTensor) {}

    private CoderSurvey() {}

    /** The coders an option value names: "all" or a comma-separated list. */
    static List<Coder> coders(String names) {
        if (names.equals("all")) return Coders.all();
        List<Coder> list = new ArrayList<>();
        for (String n : names.split(",")) list.add(Coders.byName(n.trim()));
        return list;
    }

    static Report run(Path file, List<Coder> coders, int rounds, CodecOptions options) throws IOException {
        if (rounds < 1) throw new IllegalArgumentException("--rounds must be at least 1, got " + rounds);
        try (Arena arena = Arena.ofShared()) {
            List<MemorySegment> tensors = load(file, arena, options);
            long weights = 0, bytes = 0;
            long[] all = new long[256];
            double perTensorBits = 0;
            for (MemorySegment t : tensors) {
                long[] h = new long[256];
                for (long i = 0, n = t.byteSize() / 2; i < n; i++) h[(t.get(SHORT_LE, 2 * i) >>> 7) & 0xFF]++;
                for (int e = 0; e < 256; e++) all[e] += h[e];
                perTensorBits += Entropy.bits(h) * (t.byteSize() / 2);
                weights += t.byteSize() / 2;
                bytes += t.byteSize();
            }
            List<Row> rows = new ArrayList<>();
            for (Coder c : coders) rows.add(measure(c, tensors, rounds));
            for (int level : ZSTD_LEVELS) rows.add(zstd(level, tensors, level >= 10 ? 1 : rounds));
            double one = weights == 0 ? 1 : (8 + Entropy.bits(all)) / 16;
            double per = weights == 0 ? 1 : (8 + perTensorBits / weights) / 16;
            return new Report(tensors.size(), weights, bytes, rows, one, per);
        }
    }

    /** The BF16 tensors of a plain safetensors file, or of a Weightless file after decoding (CRC-checked). */
    private static List<MemorySegment> load(Path file, Arena arena, CodecOptions options) throws IOException {
        List<MemorySegment> list = new ArrayList<>();
        boolean weightless;
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            weightless = CompressedFile.isWeightless(f);
            if (!weightless) {
                for (TensorInfo t : f.tensors()) {
                    if (t.dtype() != Dtype.BF16) continue;
                    MemorySegment s = arena.allocate(t.byteSize());
                    MemorySegment.copy(f.data(t), 0, s, 0, t.byteSize());
                    list.add(s);
                }
            }
        }
        if (weightless) {
            try (CompressedFile f = CompressedFile.open(file)) {
                for (TensorRecord r : f.tensors()) {
                    if (r.dtype() != Dtype.BF16) continue;
                    MemorySegment s = arena.allocate(r.byteSize());
                    f.decode(r, s, options);
                    list.add(s);
                }
            }
        }
        return list;
    }

    private static Row measure(Coder c, List<MemorySegment> tensors, int rounds) {
        double encode = Double.POSITIVE_INFINITY, decode = Double.POSITIVE_INFINITY;
        long bytes = 0;
        for (int r = 0; r < rounds; r++) {
            try (Arena arena = Arena.ofConfined()) {
                List<CodedTensor> coded = new ArrayList<>();
                long t0 = System.nanoTime();
                for (MemorySegment t : tensors) coded.add(c.encode(t, arena));
                long t1 = System.nanoTime();
                List<MemorySegment> outs = new ArrayList<>();
                for (MemorySegment t : tensors) outs.add(arena.allocate(t.byteSize()));
                long t2 = System.nanoTime();
                for (int i = 0; i < coded.size(); i++) c.decode(coded.get(i), outs.get(i));
                long t3 = System.nanoTime();
                bytes = 0;
                for (int i = 0; i < coded.size(); i++) {
                    if (outs.get(i).mismatch(tensors.get(i)) != -1) throw new IllegalStateException(c.name() + " did not restore tensor " + i + " bit-exactly");
                    bytes += coded.get(i).encodedBytes();
                }
                encode = Math.min(encode, (t1 - t0) / 1e9);
                decode = Math.min(decode, (t3 - t2) / 1e9);
            }
        }
        return new Row(c.name(), bytes, encode, decode);
    }

    private static Row zstd(int level, List<MemorySegment> tensors, int rounds) {
        double encode = Double.POSITIVE_INFINITY, decode = Double.POSITIVE_INFINITY;
        long bytes = 0;
        for (int r = 0; r < rounds; r++) {
            List<ByteBuffer> coded = new ArrayList<>();
            bytes = 0;
            long t0 = System.nanoTime();
            for (MemorySegment t : tensors) {
                ByteBuffer z = Zstd.compress(t.asByteBuffer(), level);
                coded.add(z);
                bytes += z.remaining();
            }
            long t1 = System.nanoTime();
            List<ByteBuffer> outs = new ArrayList<>();
            for (MemorySegment t : tensors) outs.add(ByteBuffer.allocateDirect(Math.toIntExact(t.byteSize())));
            long t2 = System.nanoTime();
            for (int i = 0; i < coded.size(); i++) Zstd.decompress(outs.get(i), coded.get(i).duplicate());
            long t3 = System.nanoTime();
            for (int i = 0; i < coded.size(); i++) {
                if (!outs.get(i).flip().equals(tensors.get(i).asByteBuffer())) throw new IllegalStateException("zstd did not restore tensor " + i);
            }
            encode = Math.min(encode, (t1 - t0) / 1e9);
            decode = Math.min(decode, (t3 - t2) / 1e9);
        }
        return new Row("zstd-" + level, bytes, encode, decode);
    }

    static String table(Path file, Report r, int rounds) {
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "%s: %d BF16 tensors, %,d weights, %,d bytes of BF16%n", file, r.tensors(), r.weights(), r.bf16Bytes()));
        s.append(String.format(Locale.ROOT, "%-10s %15s %9s %12s %12s %12s%n", "coder", "bytes", "ratio", "bits/weight", "encode GB/s", "decode GB/s"));
        if (r.bf16Bytes() == 0) {
            s.append("no BF16 data: nothing to code\n");
            return s.toString();
        }
        for (Row row : r.rows()) {
            double ratio = (double) row.bytes() / r.bf16Bytes();
            s.append(String.format(Locale.ROOT, "%-10s %,15d %8.3f%% %12.4f %12.3g %12.3g%n", row.name(), row.bytes(), 100 * ratio, 16 * ratio,
                    r.bf16Bytes() / row.encodeSeconds() / 1e9, r.bf16Bytes() / row.decodeSeconds() / 1e9));
        }
        s.append(String.format(Locale.ROOT, "exponent-only bound (8 + H) / 16: %.3f%% with one table for the file, %.3f%% with one per tensor%n",
                100 * r.boundOneTable(), 100 * r.boundPerTensor()));
        s.append(String.format(Locale.ROOT, "speeds: one thread, wall clock, the fastest of %d pass%s over all tensors (zstd-19: one pass); JMH figures: bench/bench.sh CoderBenchmark%n",
                rounds, rounds == 1 ? "" : "es"));
        return s.toString();
    }
}
