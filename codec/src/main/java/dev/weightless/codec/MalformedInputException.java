package dev.weightless.codec;

/**
 * Input that does not follow the format: a truncated, corrupt or hostile file.
 * Carries the byte offset where the problem was found and, once known, the file it came from.
 */
public final class MalformedInputException extends RuntimeException {
    private final String source;
    private final long offset;
    private final String reason;

    public MalformedInputException(long offset, String reason) {
        this(null, offset, reason);
    }

    public MalformedInputException(String source, long offset, String reason) {
        super(message(source, offset, reason));
        this.source = source;
        this.offset = offset;
        this.reason = reason;
    }

    private static String message(String source, long offset, String reason) {
        return (source == null ? "" : source + ": ") + "malformed input at byte offset " + offset + ": " + reason;
    }

    /** The same problem, attributed to a file, with offsets made absolute by {@code base}. */
    public MalformedInputException in(String source, long base) {
        MalformedInputException e = new MalformedInputException(source, Math.addExact(base, offset), reason);
        e.initCause(this);
        return e;
    }

    /** The file, or null when not known. */
    public String source() { return source; }

    public long offset() { return offset; }

    public String reason() { return reason; }

    /** Throws when {@code condition} is false: the one way codec code rejects input. */
    public static void verify(boolean condition, long offset, String reason) {
        if (!condition) throw new MalformedInputException(offset, reason);
    }
}
