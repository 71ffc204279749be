package dev.weightless.cli;

import dev.weightless.io.container.Compressor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "compress", mixinStandardHelpOptions = true, description = "Compress a safetensors model (a file, or a sharded model's folder or index) losslessly.")
final class CompressCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "IN", description = "safetensors file, sharded model folder, or model.safetensors.index.json")
    Path in;

    @Mixin
    OutputOptions out;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() throws Exception {
        new Compressor(common.codec(), out.force, common.progress()).compress(in, out.path);
        return 0;
    }
}
