package dev.weightless.bench;

import dev.weightless.codec.CodecOptions;
import dev.weightless.io.container.Compressor;
import dev.weightless.io.container.Decompressor;
import dev.weightless.io.container.Progress;
import dev.weightless.io.onnx.BundledModel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.TimeUnit;

/**
 * Whole-file compress and decompress of the real MiniLM model (45.1 MB of BF16) through the container,
 * file to file, all cores. Yardstick in the same run: copying the model file (same bytes in, more out).
 * Run: bench/bench.sh ModelBenchmark
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 10, time = 2)
@Fork(value = 2, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow", "--add-opens=java.base/java.nio=ALL-UNNAMED", "-Xmx4g", "-Dweightless.bench.dir=bench/target/real-model"})
public class ModelBenchmark {
    private Path dir, model, compressed, restored, copied;
    private CodecOptions options;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        model = BundledModel.bf16(BenchData.WORK);
        dir = Files.createTempDirectory("weightless-model-bench");
        compressed = dir.resolve("model.wl");
        restored = dir.resolve("restored.safetensors");
        copied = dir.resolve("copy.safetensors");
        options = CodecOptions.defaults();
        new Compressor(options, true, Progress.NONE).compress(model, compressed);
        new Decompressor(options, true, Progress.NONE).decompress(compressed, restored);
        if (Files.mismatch(model, restored) != -1) throw new IllegalStateException("round trip is not byte-identical");
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        for (Path p : new Path[] {compressed, restored, copied}) Files.deleteIfExists(p);
        Files.deleteIfExists(dir);
    }

    @Benchmark
    public void compress() throws IOException {
        new Compressor(options, true, Progress.NONE).compress(model, compressed);
    }

    @Benchmark
    public void decompress() throws IOException {
        new Decompressor(options, true, Progress.NONE).decompress(compressed, restored);
    }

    /** Yardstick: the file system's cost of reading and writing the uncompressed model. */
    @Benchmark
    public void copyFile() throws IOException {
        Files.copy(model, copied, StandardCopyOption.REPLACE_EXISTING);
    }
}
