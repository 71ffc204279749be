package dev.weightless.codec;

/** Decoded data whose CRC32C differs from the one recorded at compress time: the file is corrupt. */
public final class ChecksumMismatchException extends RuntimeException {
    private final int expected;
    private final int actual;

    public ChecksumMismatchException(String what, int expected, int actual) {
        super(what + ": CRC32C mismatch, recorded " + hex(expected) + ", computed " + hex(actual));
        this.expected = expected;
        this.actual = actual;
    }

    public static String hex(int crc) { return String.format("%08x", crc); }

    public int expected() { return expected; }

    public int actual() { return actual; }
}
