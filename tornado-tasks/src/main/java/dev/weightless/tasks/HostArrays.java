package dev.weightless.tasks;

import dev.weightless.jit.kernel.ByteArray;
import dev.weightless.jit.kernel.FloatArray;
import dev.weightless.jit.kernel.IntArray;
import dev.weightless.jit.kernel.LongArray;
import dev.weightless.jit.kernel.ShortArray;

import java.lang.foreign.MemorySegment;

/** The off-heap arrays a task can take, seen as the native memory that host-device copies read and write. */
public final class HostArrays {
    private HostArrays() {}

    static boolean isArrayType(Class<?> type) {
        return type == IntArray.class || type == ShortArray.class || type == ByteArray.class || type == LongArray.class || type == FloatArray.class;
    }

    public static boolean isArray(Object value) { return value != null && isArrayType(value.getClass()); }

    public static MemorySegment segment(Object array) {
        return switch (array) {
            case IntArray a -> a.segment();
            case ShortArray a -> a.segment();
            case ByteArray a -> a.segment();
            case LongArray a -> a.segment();
            case FloatArray a -> a.segment();
            default -> throw new IllegalArgumentException(describe(array) + " is not an off-heap kernel array (IntArray, ShortArray, ByteArray, LongArray, FloatArray)");
        };
    }

    public static int elementBytes(Class<?> type) {
        if (type == IntArray.class || type == FloatArray.class) return 4;
        if (type == ShortArray.class) return 2;
        if (type == ByteArray.class) return 1;
        if (type == LongArray.class) return 8;
        throw new IllegalArgumentException(type.getName() + " is not an off-heap kernel array");
    }

    public static long elementCount(Object array) { return segment(array).byteSize() / elementBytes(array.getClass()); }

    /** Checks an array can be copied straight from its native address (heap segments cannot). */
    static Object requireCopyable(Object array, String where) {
        if (array == null) throw new IllegalArgumentException(where + ": null array");
        MemorySegment s = segment(array);
        if (!s.isNative()) throw new IllegalArgumentException(where + ": " + describe(array) + " is backed by a Java heap array; device copies need native memory (Arena.allocate or a mapped file)");
        return array;
    }

    /** A short name for messages, e.g. {@code ShortArray[1024]@1b6d3586}: the identity tells equal-sized arrays apart. */
    static String describe(Object value) {
        if (value == null) return "null";
        String id = "@" + Integer.toHexString(System.identityHashCode(value));
        if (isArray(value)) return value.getClass().getSimpleName() + "[" + elementCount(value) + "]" + id;
        return value.getClass().getSimpleName() + id;
    }
}
