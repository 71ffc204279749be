package dev.weightless.tensorcore.layout;

import java.lang.foreign.MemorySegment;
import java.util.stream.LongStream;

/** Tiles are coded on all cores when every segment involved may be touched from other threads (shared or global arenas). */
final class Parallelism {
    private static final Thread STRANGER = new Thread(() -> {});

    private Parallelism() {}

    static boolean allowed(MemorySegment... segments) {
        for (MemorySegment s : segments) if (!s.isAccessibleBy(STRANGER)) return false;
        return true;
    }

    static LongStream range(long n, boolean parallel) {
        LongStream s = LongStream.range(0, n);
        return parallel ? s.parallel() : s;
    }
}
