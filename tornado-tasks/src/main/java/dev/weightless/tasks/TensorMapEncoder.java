package dev.weightless.tasks;

import dev.weightless.jit.kernel.TensorMap;
import jcuda.driver.CUresult;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Encodes TMA tensor maps with the driver's {@code cuTensorMapEncodeTiled}, called through the Java FFM API:
 * JCuda 12.6 does not bind it, but the CUDA 12+ driver library (libcuda.so.1, already loaded by JCuda) exports it.
 */
final class TensorMapEncoder {
    /** Size of a CUtensorMap. */
    static final int BYTES = 128;
    // The driver's enum values (cuda.h): CU_TENSOR_MAP_DATA_TYPE_BFLOAT16 and _UINT64, _INTERLEAVE_NONE, _SWIZZLE_128B and
    // _NONE, _L2_PROMOTION_L2_256B, _FLOAT_OOB_FILL_NONE (out-of-bounds elements read as zeros).
    private static final int BFLOAT16 = 9, UINT64 = 4, INTERLEAVE_NONE = 0, SWIZZLE_128B = 3, SWIZZLE_NONE = 0, L2_PROMOTION_256B = 3, OOB_FILL_NONE = 0;
    private static volatile MethodHandle encodeTiled;

    private TensorMapEncoder() {}

    /** The 128 bytes of the map over the array at {@code t.address()}, as a kernel parameter takes them. */
    static byte[] encode(TensorMapArgument t) {
        TensorMap m = t.map();
        if (t.address() % 16 != 0) throw new IllegalArgumentException("a tensor map's array must start at a 16-byte aligned device address, got 0x" + Long.toHexString(t.address()));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment map = arena.allocate(BYTES, 64);
            MemorySegment dims = arena.allocateFrom(JAVA_LONG, m.columns(), m.rows());
            MemorySegment strides = arena.allocateFrom(JAVA_LONG, m.columns() * m.element().bytes());
            MemorySegment box = arena.allocateFrom(JAVA_INT, m.boxColumns(), m.boxRows());
            MemorySegment steps = arena.allocateFrom(JAVA_INT, 1, 1);
            int result;
            try {
                boolean bf16 = m.element() == TensorMap.Element.BF16;
                result = (int) handle().invokeExact(map, bf16 ? BFLOAT16 : UINT64, 2, MemorySegment.ofAddress(t.address()), dims, strides, box, steps,
                        INTERLEAVE_NONE, bf16 ? SWIZZLE_128B : SWIZZLE_NONE, L2_PROMOTION_256B, OOB_FILL_NONE);
            } catch (Throwable e) {
                throw new IllegalStateException("calling cuTensorMapEncodeTiled", e);
            }
            if (result != CUresult.CUDA_SUCCESS) {
                throw new CudaException("cuTensorMapEncodeTiled(" + m.rows() + " x " + m.columns() + " " + m.element() + " at 0x" + Long.toHexString(t.address()) + ", box "
                        + m.boxRows() + " x " + m.boxColumns() + ")", result, CUresult.stringFor(result));
            }
            return map.toArray(JAVA_BYTE);
        }
    }

    private static MethodHandle handle() {
        MethodHandle h = encodeTiled;
        if (h == null) {
            SymbolLookup driver;
            try {
                driver = SymbolLookup.libraryLookup("libcuda.so.1", Arena.global());
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException("cannot load the CUDA driver library libcuda.so.1 for cuTensorMapEncodeTiled: " + e.getMessage(), e);
            }
            MemorySegment symbol = driver.find("cuTensorMapEncodeTiled")
                    .orElseThrow(() -> new IllegalStateException("libcuda.so.1 has no cuTensorMapEncodeTiled: TMA needs a CUDA 12 or later driver"));
            encodeTiled = h = Linker.nativeLinker().downcallHandle(symbol, FunctionDescriptor.of(JAVA_INT,
                    ADDRESS, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
        }
        return h;
    }
}
