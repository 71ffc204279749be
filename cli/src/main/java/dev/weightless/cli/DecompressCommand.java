package dev.weightless.cli;

import dev.weightless.io.container.Decompressor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "decompress", mixinStandardHelpOptions = true, description = "Restore the original safetensors file(s), byte for byte.")
final class DecompressCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "IN", description = "Weightless file, or a compressed sharded model's folder or index")
    Path in;

    @Mixin
    OutputOptions out;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() throws Exception {
        new Decompressor(common.codec(), out.force, common.progress()).decompress(in, out.path);
        return 0;
    }
}
