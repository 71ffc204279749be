package dev.weightless.cli;

import dev.weightless.io.container.Compressor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

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

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() throws Exception {
        new Compressor(common.codec(), out.force, common.progress()).verifying(verify).compress(in, out.path);
        return 0;
    }
}
