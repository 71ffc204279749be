package dev.weightless.bench;

import com.github.luben.zstd.Zstd;
import dev.weightless.codec.coder.Coder;
import dev.weightless.codec.coder.CodedTensor;
import dev.weightless.codec.coder.Coders;
import dev.weightless.codec.rans.RansCoder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Single-thread encode and decode of the real MiniLM weights, tensor by tensor (101 BF16 tensors, 45.13 MB),
 * with every registered coder and, as the yardstick, zstd (zstd-jni) at levels 3 and 19 on the raw BF16
 * bytes of each tensor. GB/s of BF16 = 45.13 / (ms per op). Setup checks every round trip bit-exact and
 * prints the coded size. Run: bench/bench.sh CoderBenchmark
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 10, time = 1)
@Fork(value = 2, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx4g", "-Dweightless.bench.dir=bench/target/real-model"})
public class CoderBenchmark {
    @Param({"huffman", "rans", "rans-ctx", "palette", "zstd-3", "zstd-19"})
    public String coder;

    private Arena arena;
    private List<MemorySegment> tensors, outputs;
    private List<CodedTensor> coded;
    private List<ByteBuffer> zstdIn, zstdCoded, zstdOut;
    private Coder c;
    private int level;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        arena = Arena.ofShared();
        tensors = BenchData.minilmTensors(arena);
        outputs = new ArrayList<>();
        long original = 0, size = 0;
        if (coder.startsWith("zstd-")) {
            level = Integer.parseInt(coder.substring(5));
            zstdIn = new ArrayList<>();
            zstdCoded = new ArrayList<>();
            zstdOut = new ArrayList<>();
            for (MemorySegment t : tensors) {
                ByteBuffer in = ByteBuffer.allocateDirect((int) t.byteSize());
                in.put(t.asByteBuffer()).flip();
                ByteBuffer z = Zstd.compress(in.duplicate(), level);
                ByteBuffer out = ByteBuffer.allocateDirect((int) t.byteSize());
                Zstd.decompress(out, z.duplicate());
                if (!out.flip().equals(in.duplicate())) throw new IllegalStateException("zstd round trip is not exact: " + out + " " + in);
                zstdIn.add(in);
                zstdCoded.add(z);
                zstdOut.add(out);
                original += t.byteSize();
                size += z.remaining();
            }
        } else {
            c = Coders.byName(coder);
            coded = new ArrayList<>();
            for (MemorySegment t : tensors) {
                CodedTensor ct = c.encode(t, arena);
                MemorySegment out = arena.allocate(t.byteSize());
                c.decode(ct, out);
                if (out.mismatch(t) != -1) throw new IllegalStateException(coder + " round trip is not bit-exact");
                coded.add(ct);
                outputs.add(out);
                original += t.byteSize();
                size += ct.encodedBytes();
            }
        }
        System.out.printf("%n%s: %d of %d bytes = %.3f%%%n", coder, size, original, 100.0 * size / original);
        if (coder.startsWith("rans")) System.out.println("rANS decoder: " + RansCoder.decoderPath());
    }

    /** The last measured decode (compiled code, where setUp's check ran interpreted) must be bit-exact too. */
    @TearDown(Level.Trial)
    public void tearDown() {
        try {
            for (int i = 0; i < tensors.size(); i++) {
                boolean exact = c == null ? zstdOut.get(i).clear().equals(zstdIn.get(i).duplicate()) : outputs.get(i).mismatch(tensors.get(i)) == -1;
                if (!exact) throw new IllegalStateException(coder + ": tensor " + i + " differs after the measured decodes");
            }
            System.out.printf("%n%s: every tensor bit-exact after the measured decodes%n", coder);
        } finally {
            arena.close();
        }
    }

    @Benchmark
    public long encode() {
        long bytes = 0;
        if (c == null) {
            for (ByteBuffer in : zstdIn) bytes += Zstd.compress(in.duplicate(), level).remaining();
            return bytes;
        }
        // Parts go to a fresh arena each time, as they would for a file being written.
        try (Arena a = Arena.ofConfined()) {
            for (MemorySegment t : tensors) bytes += c.encode(t, a).encodedBytes();
        }
        return bytes;
    }

    @Benchmark
    public long decode() {
        if (c == null) {
            long bytes = 0;
            for (int i = 0; i < zstdCoded.size(); i++) bytes += Zstd.decompress(zstdOut.get(i).clear(), zstdCoded.get(i).duplicate());
            return bytes;
        }
        for (int i = 0; i < coded.size(); i++) c.decode(coded.get(i), outputs.get(i));
        return outputs.size();
    }
}
