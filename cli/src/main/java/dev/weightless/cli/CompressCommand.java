package dev.weightless.cli;

import dev.weightless.io.container.CoderChoice;
import dev.weightless.io.container.Compressor;
import dev.weightless.tasks.Device;
import dev.weightless.tasks.codec.GpuEncoder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
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

    @Option(names = "--coder", paramLabel = "NAME|auto", description = {
            "How BF16 tensors are coded (default: ${DEFAULT-VALUE}): huffman (format version 1, decodable on the GPU), rans, rans-ctx or palette "
                    + "(format version 2; decoded on the CPU, or on the GPU by decompress --device gpu and device loads), or auto.",
            "auto: per tensor, the smallest of all coders among those whose single-thread decode speed, measured now on the tensor "
                    + "(on 2^20 of its weights, in 16 evenly spaced runs, when larger), reaches --min-decode-gbps; raw when none does (as for tensors of a few hundred weights, "
                    + "whose fixed per-tensor decode cost keeps every coder below 0.25 GB/s). Speeds are timed, so a busy machine may choose differently; "
                    + "inspect shows each tensor's coder.",
            "A tensor that would not shrink is kept raw, whatever the coder."})
    String coder = "huffman";

    @Option(names = "--min-decode-gbps", paramLabel = "X", description = "With --coder auto: the decode speed floor in GB/s of BF16 on one core (default: ${DEFAULT-VALUE}).")
    double minDecodeGbps = 0.25;

    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        CoderChoice coders;
        try {
            coders = coder.equals("auto") ? CoderChoice.auto(minDecodeGbps) : CoderChoice.of(coder);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--coder " + coder + ": " + e.getMessage());
        }
        if (!coder.equals("auto") && spec.commandLine().getParseResult().hasMatchedOption("--min-decode-gbps")) {
            throw new ParameterException(spec.commandLine(), "--min-decode-gbps applies to --coder auto only");
        }
        // The GPU kernels pack Huffman codes only: other coders (and auto, which times them) run on the CPU.
        if (!coder.equals("huffman")) {
            if (device == DeviceChoice.Where.gpu) {
                throw new ParameterException(spec.commandLine(), "--device gpu packs Huffman codes only; --coder " + coder + " codes on the CPU (use --device cpu or auto)");
            }
            if (device == DeviceChoice.Where.auto && !common.quiet) err.println("weightless: --coder " + coder + ": coding on the CPU (the GPU kernels pack Huffman codes only)");
            new Compressor(common.codec(), out.force, common.progress()).coding(coders).verifying(verify).compress(in, out.path);
            return 0;
        }
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
