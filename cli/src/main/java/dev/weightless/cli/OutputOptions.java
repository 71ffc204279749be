package dev.weightless.cli;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/** Where a command writes, and whether it may replace what is there. */
final class OutputOptions {
    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT", description = "Output file (a folder for a sharded model).")
    Path path;

    @Option(names = "--force", description = "Replace OUT if it exists (never an input).")
    boolean force;
}
