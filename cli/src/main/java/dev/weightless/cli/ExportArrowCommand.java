package dev.weightless.cli;

import dev.weightless.io.container.ArrowTransfer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "export-arrow", mixinStandardHelpOptions = true,
        description = "Write a Weightless file (a plain safetensors file is compressed first) as an Arrow IPC file: one record batch per tensor with its name, dtype, shape, codec, coded planes and tables, and CRC32C (arrow-io/ARROW.md).")
final class ExportArrowCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "FILE", description = "Weightless file or plain safetensors file (one file, not a sharded model)")
    Path in;

    @Mixin
    OutputOptions out;

    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        int n = ArrowTransfer.export(in, out.path, out.force, common.codec(), common.progress());
        spec.commandLine().getOut().printf("%s: %d tensors as Arrow record batches%n", out.path, n);
        return 0;
    }
}
