package dev.weightless.cli;

import dev.weightless.io.container.Decompressor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "decompress", description = "Restore the original safetensors file(s), byte for byte.")
final class DecompressCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "IN", description = "Weightless file, or a compressed sharded model's folder or index")
    Path in;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT", description = "Output file (a folder for a sharded model).")
    Path out;

    @Option(names = "--force", description = "Replace OUT if it exists.")
    boolean force;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() throws Exception {
        new Decompressor(common.codec(), force, common.progress()).decompress(in, out);
        return 0;
    }
}
