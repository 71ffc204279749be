package dev.weightless.codec.rans;

import java.lang.ref.SoftReference;
import java.util.Arrays;

/**
 * Arrays that one thread's rANS decodes reuse from tensor to tensor instead of allocating them per tensor: the decode
 * tables and each chunk's words and raw fields came to 30 MB per decode of MiniLM's 101 tensors (JMH {@code -prof gc}),
 * all of it zeroed by the JVM before use, a pass over cold memory as long as the values' own (codec/NOTES.md). Held
 * softly (the collector may take them back) and only up to {@link #KEEP_LIMIT} elements each (chunks beyond the default
 * size allocate per tensor, as before). A decode runs on one thread at a time and hands its arrays to no one, so no two
 * users ever share one. What {@link #ints}, {@link #shorts} and {@link #bytes} return holds earlier decodes' data: their
 * callers write every element they read ({@link RansChunk}); {@link #zeroedInts} is for tables built by ORing.
 */
final class DecodeBuffers {
    /** The decode tables (built once per tensor on the decoding thread) and the words of a worker's first and second chunk. */
    static final int OFFSET_PAIRS = 0, START_ENTRIES = 1, WORDS = 2;
    /** Larger arrays are not kept (2 Mi elements: a default chunk's words need about 150 Ki). */
    static final int KEEP_LIMIT = 1 << 21;
    private static final ThreadLocal<SoftReference<DecodeBuffers>> OF_THREAD = new ThreadLocal<>();

    private final int[][] ints = new int[WORDS + 2][];
    private final short[][] shorts = new short[2][];
    private final byte[][] bytes = new byte[2][];

    private DecodeBuffers() {}

    static DecodeBuffers ofThisThread() {
        SoftReference<DecodeBuffers> ref = OF_THREAD.get();
        DecodeBuffers b = ref == null ? null : ref.get();
        if (b == null) {
            b = new DecodeBuffers();
            OF_THREAD.set(new SoftReference<>(b));
        }
        return b;
    }

    /** An int array of at least {@code length} elements whose contents are left over (slot {@code which}). */
    int[] ints(int which, int length) {
        int[] a = ints[which];
        if (a != null && a.length >= length) return a;
        a = new int[length];
        if (length <= KEEP_LIMIT) ints[which] = a;
        return a;
    }

    /** An int array of exactly {@code length} zeros (slot {@code which}), as {@code new int[length]} gives. */
    int[] zeroedInts(int which, int length) {
        int[] a = ints[which];
        if (a != null && a.length == length) {
            Arrays.fill(a, 0);
            return a;
        }
        a = new int[length];
        if (length <= KEEP_LIMIT) ints[which] = a;
        return a;
    }

    /** A short array of at least {@code length} elements, contents left over, for chunk 0 or 1 of a worker. */
    short[] shorts(int chunk, int length) {
        short[] a = shorts[chunk];
        if (a != null && a.length >= length) return a;
        a = new short[length];
        if (length <= KEEP_LIMIT) shorts[chunk] = a;
        return a;
    }

    /** A byte array of at least {@code length} elements, contents left over, for chunk 0 or 1 of a worker. */
    byte[] bytes(int chunk, int length) {
        byte[] a = bytes[chunk];
        if (a != null && a.length >= length) return a;
        a = new byte[length];
        if (length <= KEEP_LIMIT) bytes[chunk] = a;
        return a;
    }
}
