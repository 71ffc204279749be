package dev.weightless.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/**
 * Runs the weightless command in-process and captures what it prints. It lives in Main's package
 * because {@code Main.run(String[], PrintWriter, PrintWriter)} is package-private.
 */
public final class Cli {
    /** Exit code and everything printed on stdout and stderr. */
    public record Result(int exit, String out, String err) {
        /** Non-blank stderr lines. */
        public java.util.List<String> errLines() {
            return err.lines().filter(l -> !l.isBlank()).toList();
        }

        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    private Cli() {}

    public static Result run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int exit;
        try (PrintWriter o = new PrintWriter(out, true); PrintWriter e = new PrintWriter(err, true)) {
            exit = Main.run(args, o, e);
        }
        return new Result(exit, out.toString(), err.toString());
    }
}
