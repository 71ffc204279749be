package dev.weightless.cli;

import dev.weightless.io.container.ArrowTransfer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "import-arrow", mixinStandardHelpOptions = true,
        description = "Rebuild the Weightless file from an Arrow IPC file written by export-arrow; decompress then restores the original model byte for byte.")
final class ImportArrowCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "IN.arrow")
    Path in;

    @Mixin
    OutputOptions out;

    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        int n = ArrowTransfer.importFile(in, out.path, out.force);
        spec.commandLine().getOut().printf("%s: Weightless file with %d tensors%n", out.path, n);
        return 0;
    }
}
