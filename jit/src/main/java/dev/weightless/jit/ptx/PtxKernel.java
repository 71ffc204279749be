package dev.weightless.jit.ptx;

import java.util.List;

/**
 * A compiled kernel: PTX text with one {@code .entry} called {@code entry}, how the Java parameters after
 * the context map to PTX parameters, in order, and the dynamic shared memory every launch must give it
 * (shared arrays beyond the 48 KiB of static shared memory live there; 0 for most kernels).
 */
public record PtxKernel(String entry, String ptx, List<Param> params, int dynamicSharedBytes) {
    public PtxKernel {
        params = List.copyOf(params);
        if (dynamicSharedBytes < 0) throw new IllegalArgumentException("dynamicSharedBytes must be >= 0, got " + dynamicSharedBytes);
    }

    /** A kernel with static shared memory only. */
    public PtxKernel(String entry, String ptx, List<Param> params) { this(entry, ptx, params, 0); }

    /** How one Java parameter is passed. */
    public enum Kind {
        /** int, short, byte, char, boolean: one {@code .param .s32}. */
        INT,
        /** long: one {@code .param .s64}. */
        LONG,
        /** float: one {@code .param .f32}. */
        FLOAT,
        /** double: one {@code .param .f64}. */
        DOUBLE,
        /** An off-heap array (IntArray, ShortArray, ...): two params, {@code .u64} device address then {@code .u64} element count. */
        ARRAY,
        /** A {@link dev.weightless.jit.kernel.TensorMap}: one 128-byte {@code .param .b8 [128]} aligned to 64 bytes or more, the encoded CUtensorMap. */
        TENSOR_MAP
    }

    /** A Java parameter: its name in the PTX (for arrays, the address param; the count is {@code name + "_n"}), kind and Java type. */
    public record Param(String name, Kind kind, Class<?> javaType) {}
}
