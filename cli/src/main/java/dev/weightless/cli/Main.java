package dev.weightless.cli;

import dev.weightless.codec.ChecksumMismatchException;
import dev.weightless.codec.MalformedInputException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;

/** Entry point of the {@code weightless} command. */
@Command(name = "weightless", mixinStandardHelpOptions = true, version = "weightless 0.1.0",
        description = "Lossless compression of BF16 model weights.",
        subcommands = {CompressCommand.class, DecompressCommand.class, VerifyCommand.class, InspectCommand.class,
                ImportCommand.class, ExportArrowCommand.class, ImportArrowCommand.class, DemoCommand.class})
public final class Main implements Runnable {
    /** Exit code for input that is malformed or fails its checksum. */
    static final int EXIT_BAD_INPUT = 3;
    /** Exit code for a verify that found differences. */
    static final int EXIT_MISMATCH = 4;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(new CommandLine(this), "name a command: compress, decompress, verify, inspect, import, export-arrow, import-arrow or demo");
    }

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the command line; returns the exit code. */
    static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler((e, command, parsed) -> {
            boolean verbose = parsed.subcommands().stream().anyMatch(p -> p.hasMatchedOption("--verbose"));
            err.println("weightless: " + describe(e));
            if (verbose) e.printStackTrace(err);
            err.flush();
            return exitCode(e);
        });
        return cli.execute(args);
    }

    private static String describe(Throwable e) {
        if (e instanceof UncheckedIOException u) e = u.getCause();
        if (e instanceof NoSuchFileException n) return n.getFile() + ": " + (n.getReason() == null ? "no such file or folder" : n.getReason());
        if (e instanceof FileAlreadyExistsException f) return f.getFile() + ": " + (f.getReason() == null ? "exists already" : f.getReason());
        if (e instanceof OutOfMemoryError) return "out of memory: give the JVM more with JAVA_OPTS=-Xmx…";
        String message = e.getMessage();
        return message == null ? e.getClass().getSimpleName() : message;
    }

    private static int exitCode(Throwable e) {
        if (e instanceof MalformedInputException || e instanceof ChecksumMismatchException) return EXIT_BAD_INPUT;
        return e instanceof IOException || e instanceof UncheckedIOException ? 2 : 1;
    }
}
