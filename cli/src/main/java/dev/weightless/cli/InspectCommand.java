package dev.weightless.cli;

import dev.weightless.codec.coder.Coder;
import dev.weightless.io.container.Inspector;
import dev.weightless.io.container.StatisticsExport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Path;
import java.util.List;
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

    @Option(names = "--coders", paramLabel = "all|NAME[,NAME...]", description = "Instead of the table: run these coders (all: huffman, rans, rans-ctx, palette) on every BF16 tensor and print ratio, bits per weight and single-thread encode/decode GB/s, with the exponent-only bound and zstd 3/19 for reference.")
    String coders;

    @Option(names = "--rounds", paramLabel = "N", description = "With --coders: passes over the tensors; the fastest is reported (default: ${DEFAULT-VALUE}).")
    int rounds = 3;

    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (coders != null) {
            if (json) throw new ParameterException(spec.commandLine(), "--coders prints a table; --json is not available with it");
            if (arrow != null) throw new ParameterException(spec.commandLine(), "--coders prints a table; --arrow is not available with it");
            if (rounds < 1) throw new ParameterException(spec.commandLine(), "--rounds must be at least 1, got " + rounds);
            List<Coder> chosen;
            try {
                chosen = CoderSurvey.coders(coders);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            }
            var survey = CoderSurvey.run(file, chosen, rounds, common.codec());
            spec.commandLine().getOut().print(CoderSurvey.table(file, survey, rounds));
            spec.commandLine().getOut().flush();
            return 0;
        }
        Inspector.Report report = new Inspector(common.codec(), common.progress()).inspect(file);
        if (arrow != null) StatisticsExport.write(report, arrow, force, file);
        spec.commandLine().getOut().print(json ? InspectFormat.json(file, report) : InspectFormat.table(report));
        spec.commandLine().getOut().flush();
        return 0;
    }
}
