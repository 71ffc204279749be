package dev.weightless.cli;

import dev.weightless.io.container.Compressor;
import dev.weightless.tasks.Device;
import dev.weightless.tasks.codec.GpuEncoder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "compress", mixinStandardHelpOptions = true, description = "Compress a safetensors model (a file, or a sharded model's folder or index) losslessly.")
final class CompressCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "IN", description = "safetensors file, sharded model folder, or model.safetensors.index.json")
    Path in;

    @Mixin
    OutputOptions out;

    @Option(names = "--verify", description = "Decode the output before it takes its name and fail unless it restores the input bit for bit.")
    boolean verify;

    @Option(names = "--device", paramLabel = "gpu|cpu|auto", description = "Where to pack the coded tensors (code lengths are planned on the CPU): the GPU (CUDA), the CPU, or auto: the GPU when one opens, else the CPU (default: ${DEFAULT-VALUE}). The output is the same.")
    DeviceChoice.Where device = DeviceChoice.Where.auto;

    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        Device gpu = DeviceChoice.open(device, "encoding", common.quiet, err);
        if (gpu == null) {
            new Compressor(common.codec(), out.force, common.progress()).verifying(verify).compress(in, out.path);
            return 0;
        }
        try (gpu) {
            GpuEncoder encoder = new GpuEncoder(gpu);
            new Compressor(common.codec(), out.force, common.progress(), encoder::write).verifying(verify).compress(in, out.path);
            if (!common.quiet && encoder.cpuTensors() > 0) {
                err.println("weightless: " + encoder.cpuTensors() + " tensors (a layout the GPU kernels do not take) were encoded on the CPU");
            }
        }
        return 0;
    }
}
