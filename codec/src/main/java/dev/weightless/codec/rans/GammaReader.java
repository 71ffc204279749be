package dev.weightless.codec.rans;

import dev.weightless.codec.MalformedInputException;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Reads what {@link GammaWriter} wrote from {@code [start, end)} of a segment; running off the end is malformed input. */
final class GammaReader {
    private final MemorySegment in;
    private final long start, end;
    private long bit;

    GammaReader(MemorySegment in, long start, long end) {
        this.in = in;
        this.start = start;
        this.end = end;
    }

    /** A value in {@code 1..max}, or a {@link MalformedInputException} naming {@code what}. */
    long read(long max, String what) {
        int zeros = 0;
        while (bit() == 0) {
            if (++zeros > 62) throw new MalformedInputException(position(), what + ": gamma code longer than 63 bits");
        }
        long v = 1;
        for (int i = 0; i < zeros; i++) v = v << 1 | bit();
        if (v > max) throw new MalformedInputException(position(), what + " " + v + " exceeds " + max);
        return v;
    }

    private int bit() {
        long at = start + (bit >>> 3);
        if (at >= end) throw new MalformedInputException(at, "frequency table runs past its part");
        int b = (in.get(ValueLayout.JAVA_BYTE, at) >>> (bit & 7)) & 1;
        bit++;
        return b;
    }

    /** Byte offset of the next bit. */
    long position() { return start + (bit >>> 3); }

    /** Bytes consumed, rounded up to whole bytes. */
    long bytesRead() { return (bit + 7) >>> 3; }

    /** Whether the padding bits of the last byte read are zero. */
    boolean paddingIsZero() {
        if ((bit & 7) == 0) return true;
        int b = in.get(ValueLayout.JAVA_BYTE, start + (bit >>> 3)) & 0xFF;
        return (b >>> (bit & 7)) == 0;
    }
}
