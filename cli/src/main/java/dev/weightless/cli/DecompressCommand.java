package dev.weightless.cli;

import dev.weightless.io.container.Decompressor;
import dev.weightless.tasks.Device;
import dev.weightless.tasks.codec.GpuDecoder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;

@Command(name = "decompress", mixinStandardHelpOptions = true, description = "Restore the original safetensors file(s), byte for byte.")
final class DecompressCommand implements Callable<Integer> {
    enum Where { gpu, cpu, auto }

    @Parameters(index = "0", paramLabel = "IN", description = "Weightless file, or a compressed sharded model's folder or index")
    Path in;

    @Option(names = "--device", paramLabel = "gpu|cpu|auto", description = "Where to decode: the GPU (CUDA), the CPU, or auto: the GPU when one opens, else the CPU (default: ${DEFAULT-VALUE}).")
    Where device = Where.auto;

    @Mixin
    OutputOptions out;

    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        Device gpu = device == Where.cpu ? null : open(err);
        if (gpu == null) {
            new Decompressor(common.codec(), out.force, common.progress()).decompress(in, out.path);
            return 0;
        }
        try (gpu) {
            GpuDecoder decoder = new GpuDecoder(gpu);
            new Decompressor(common.codec(), out.force, common.progress(), decoder::decodeToHost).decompress(in, out.path);
            if (!common.quiet && decoder.cpuTensors() > 0) {
                err.println("weightless: " + decoder.cpuTensors() + " tensors (raw, empty, or a layout the GPU kernel does not take) were decoded on the CPU");
            }
        }
        return 0;
    }

    /** The GPU, or null for the CPU when auto finds none; --device gpu without one fails with the reason. */
    private Device open(PrintWriter err) {
        Optional<String> absent = Device.whyUnavailable();
        String why = absent.orElse(null);
        if (why == null) {
            try {
                Device d = Device.open();
                if (!common.quiet) err.println("weightless: decoding on the GPU: " + d);
                return d;
            } catch (RuntimeException | LinkageError e) {
                why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            }
        }
        why = why.lines().findFirst().orElse(why);
        if (device == Where.gpu) throw new IllegalStateException("--device gpu: no usable CUDA device: " + why);
        if (!common.quiet) err.println("weightless: decoding on the CPU (no GPU: " + why + ")");
        return null;
    }
}
