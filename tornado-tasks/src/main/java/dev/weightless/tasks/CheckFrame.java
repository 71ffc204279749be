package dev.weightless.tasks;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * What every GPU check program shares: a bad argument exits 64 with the usage, no CUDA device exits 2,
 * a check that throws has failed, and the last line says PASS or FAIL (exit 0 or 1); and the reading of
 * an option's value ({@link #argument}, {@link #intArgument}), so that every check words a bad one alike.
 */
public final class CheckFrame {
    /** Parses the command line; throws IllegalArgumentException for a bad one. */
    public interface Parser<T> {
        T parse(String[] args);
    }

    /** Runs the check; returns whether everything passed. */
    public interface Check<T> {
        boolean run(T options) throws IOException;
    }

    private CheckFrame() {}

    public static <T> void main(String name, String usage, String[] args, Parser<T> parser, Check<T> check) {
        T options;
        try {
            options = parser.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(name + ": " + e.getMessage() + "\n" + usage);
            System.exit(64);
            return;
        }
        Optional<String> absent = Device.whyUnavailable();
        if (absent.isPresent()) {
            System.out.println("no CUDA device: " + absent.get());
            System.exit(2);
        }
        boolean passed;
        try {
            passed = check.run(options);
        } catch (IOException | RuntimeException e) {
            System.out.println("FAIL: the check stopped: " + e);
            e.printStackTrace(System.out);
            passed = false;
        }
        System.out.println(passed ? "RESULT: PASS" : "RESULT: FAIL");
        System.exit(passed ? 0 : 1);
    }

    /** A PTX file bundled on the classpath (the checked-in nvcc builds under /yardstick/), as text. */
    public static String bundledPtx(String resource) throws IOException {
        try (InputStream in = CheckFrame.class.getResourceAsStream(resource)) {
            if (in == null) throw new IOException("the bundled yardstick " + resource + " is missing from the classpath");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /**
     * The value of option {@code args[i - 1]}, which stands at {@code args[i]}; when the command line ends
     * first, an IllegalArgumentException "OPTION needs WHAT" (e.g. "--tiled needs a file").
     */
    public static String argument(String[] args, int i, String what) {
        if (i >= args.length) throw new IllegalArgumentException(args[i - 1] + " needs " + what);
        return args[i];
    }

    /** The whole number of option {@code args[i - 1]}, in {@code min..max}; otherwise an IllegalArgumentException naming the option. */
    public static int intArgument(String[] args, int i, int min, int max) {
        String text = argument(args, i, "a value");
        int value;
        try {
            value = Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(args[i - 1] + " needs a number, got " + text);
        }
        if (value < min || value > max) throw new IllegalArgumentException(args[i - 1] + " must be in " + min + ".." + max + ", got " + value);
        return value;
    }
}
