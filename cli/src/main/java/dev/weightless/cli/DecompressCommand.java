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
import java.util.concurrent.Callable;

@Command(name = "decompress", mixinStandardHelpOptions = true, description = "Restore the original safetensors file(s), byte for byte.")
final class DecompressCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "IN", description = "Weightless file, or a compressed sharded model's folder or index")
    Path in;

    @Option(names = "--device", paramLabel = "gpu|cpu|auto", description = "Where to decode: the GPU (CUDA), the CPU, or auto: the GPU when one opens, else the CPU (default: ${DEFAULT-VALUE}).")
    DeviceChoice.Where device = DeviceChoice.Where.auto;

    @Mixin
    OutputOptions out;

    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        Device gpu = DeviceChoice.open(device, "decoding", common.quiet, err);
        if (gpu == null) {
            new Decompressor(common.codec(), out.force, common.progress()).decompress(in, out.path);
            return 0;
        }
        try (gpu) {
            GpuDecoder decoder = new GpuDecoder(gpu);
            new Decompressor(common.codec(), out.force, common.progress(), decoder::decodeToHost).decompress(in, out.path);
            if (!common.quiet && decoder.cpuTensors() > 0) {
                err.println("weightless: " + decoder.cpuTensors() + " tensors (raw, empty, of a coder without a GPU decoder, or a layout the GPU kernels do not take) were decoded on the CPU");
            }
        }
        return 0;
    }
}
