package dev.weightless.cli;

import dev.weightless.codec.CodecOptions;
import dev.weightless.io.container.Progress;
import picocli.CommandLine.Option;


/** Options every command takes. */
final class CommonOptions {
    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "Threads for encoding and decoding (default: all ${sys:weightless.cores} cores).")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = {"-q", "--quiet"}, description = "No progress bars.")
    boolean quiet;

    @Option(names = "--verbose", description = "Stack traces with errors.")
    boolean verbose;

    static {
        System.setProperty("weightless.cores", Integer.toString(Runtime.getRuntime().availableProcessors()));
    }

    CodecOptions codec() {
        if (threads < 1) throw new IllegalArgumentException("--threads must be at least 1, got " + threads);
        return CodecOptions.defaults().withThreads(threads);
    }

    Progress progress() {
        return quiet ? Progress.NONE : new ConsoleProgress(System.err);
    }
}
