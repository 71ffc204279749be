package dev.weightless.codec.rans;

import java.io.ByteArrayOutputStream;

/** Writes Elias-gamma codes (for positive integers), least-significant bit first; small values cost few bits. */
final class GammaWriter {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private long buffer;
    private int used;

    /** {@code v >= 1}: (bits − 1) zeros, then v's bits from the top one down. */
    void write(long v) {
        if (v < 1) throw new IllegalArgumentException("gamma codes positive integers, got " + v);
        int bits = 64 - Long.numberOfLeadingZeros(v);
        for (int i = 1; i < bits; i++) bit(0);
        for (int i = bits - 1; i >= 0; i--) bit((int) (v >>> i) & 1);
    }

    private void bit(int b) {
        buffer |= (long) b << used;
        if (++used == 8) {
            bytes.write((int) buffer);
            buffer = 0;
            used = 0;
        }
    }

    /** The code so far, padded with zero bits to a whole byte. */
    byte[] toByteArray() {
        ByteArrayOutputStream copy = new ByteArrayOutputStream();
        copy.writeBytes(bytes.toByteArray());
        if (used > 0) copy.write((int) buffer);
        return copy.toByteArray();
    }
}
