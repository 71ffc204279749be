package dev.weightless.cli;

import dev.weightless.io.container.Inspector;
import dev.weightless.io.container.StatisticsExport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "inspect", mixinStandardHelpOptions = true, description = "Per tensor: elements, exponent entropy, bits per weight, ratio; totals beside the exponent-only bound (8 + H) / 16.")
final class InspectCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "FILE", description = "Weightless file or model (a plain safetensors file gives a preview)")
    Path file;

    @Option(names = "--json", description = "One JSON object; total.ratio is compressed bytes / original bytes.")
    boolean json;

    @Option(names = "--arrow", paramLabel = "OUT.arrow", description = "Also write the per-tensor table as an Arrow IPC file (totals in its schema metadata).")
    Path arrow;

    @Option(names = "--force", description = "Replace OUT.arrow if it exists.")
    boolean force;

    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Inspector.Report report = new Inspector(common.codec(), common.progress()).inspect(file);
        if (arrow != null) StatisticsExport.write(report, arrow, force, file);
        spec.commandLine().getOut().print(json ? InspectFormat.json(file, report) : InspectFormat.table(report));
        spec.commandLine().getOut().flush();
        return 0;
    }
}
