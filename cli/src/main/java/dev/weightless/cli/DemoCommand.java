package dev.weightless.cli;

import dev.weightless.io.container.Compressor;
import dev.weightless.io.container.Decompressor;
import dev.weightless.io.container.Inspector;
import dev.weightless.io.container.Verifier;
import dev.weightless.io.onnx.BundledModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;

/** The whole job on real weights: import, compress, inspect, verify, decompress, compare. */
@Command(name = "demo", mixinStandardHelpOptions = true, description = "Compress the real all-MiniLM-L6-v2 weights (bundled by the build), print the per-tensor table and check bit-exactness.")
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--work-dir", paramLabel = "DIR", description = "Where to put the demo's files (default: ${DEFAULT-VALUE}).")
    Path work = Path.of(System.getProperty("java.io.tmpdir"), "weightless-demo");

    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Files.createDirectories(work);
        Path original = BundledModel.bf16(work);
        out.printf("model: all-MiniLM-L6-v2 as BF16 (%s, %,d bytes; SHA-256 of tensor data %s, as published)%n",
                original, Files.size(original), BundledModel.BF16_SHA256.substring(0, 16) + "…");
        Path compressed = work.resolve("all-minilm-l6-v2.weightless.safetensors");
        Path restored = work.resolve("all-minilm-l6-v2.restored.safetensors");
        long t0 = System.nanoTime();
        new Compressor(common.codec(), true, common.progress()).compress(original, compressed);
        long t1 = System.nanoTime();
        new Decompressor(common.codec(), true, common.progress()).decompress(compressed, restored);
        long t2 = System.nanoTime();
        Inspector.Report report = new Inspector(common.codec(), common.progress()).inspect(compressed);
        out.println();
        out.print(InspectFormat.table(report));
        Verifier.Report check = new Verifier(common.codec(), common.progress()).verify(original, compressed);
        boolean identical = Arrays.equals(Files.readAllBytes(original), Files.readAllBytes(restored));
        out.printf("%ncompress %.2f s, decompress %.2f s (%d threads, whole command including file I/O)%n",
                (t1 - t0) / 1e9, (t2 - t1) / 1e9, common.threads);
        out.printf("verify: %s; decompressed file byte-identical to the original: %s%n",
                check.exact() ? "bit-exact, " + check.tensors() + " tensors" : "FAILED " + check.problems(), identical ? "yes" : "NO");
        out.flush();
        return check.exact() && identical ? 0 : Main.EXIT_MISMATCH;
    }
}
