package dev.weightless.tasks;

import dev.weightless.jit.kernel.ByteArray;
import dev.weightless.jit.kernel.Grid;
import dev.weightless.jit.kernel.JvmExecutor;
import dev.weightless.jit.kernel.KernelMethod;
import dev.weightless.jit.kernel.ShortArray;
import dev.weightless.jit.kernel.TensorMap;
import dev.weightless.jit.ptx.PtxKernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A device in host memory: buffers are segments at made-up addresses, and a "module" names a Java
 * kernel that launches run on the JVM executor. It counts what the plan asked of it.
 */
final class FakeDriver implements Driver {
    private final Arena arena = Arena.ofShared();
    private final TreeMap<Long, MemorySegment> memory = new TreeMap<>();
    private long nextAddress = 0x7000_0000L;
    int modulesLoaded, copiesToDevice, copiesToHost, launches, frees, allocations;
    /** The tensor-map arguments of every launch, in order. */
    final List<TensorMapArgument> tensorMaps = new ArrayList<>();
    boolean closed;

    /** The compiler's stand-in: the "PTX" names the kernel, the parameters follow its Java signature. */
    static PtxKernel compile(KernelMethod kernel) {
        List<PtxKernel.Param> params = new ArrayList<>();
        Class<?>[] types = kernel.method().getParameterTypes();
        for (int i = 1; i < types.length; i++) {
            PtxKernel.Kind kind = HostArrays.isArrayType(types[i]) ? PtxKernel.Kind.ARRAY
                    : types[i] == TensorMap.class ? PtxKernel.Kind.TENSOR_MAP
                    : types[i] == long.class ? PtxKernel.Kind.LONG
                    : types[i] == float.class ? PtxKernel.Kind.FLOAT
                    : types[i] == double.class ? PtxKernel.Kind.DOUBLE : PtxKernel.Kind.INT;
            params.add(new PtxKernel.Param("p" + i, kind, types[i]));
        }
        String name = kernel.method().getName();
        return new PtxKernel(name, "// fake\n" + kernel.method().getDeclaringClass().getName() + "#" + name, params);
    }

    /** The device memory from {@code address} (an allocation's start or inside one) to its allocation's end, for tests to read what a plan left there. */
    MemorySegment memoryAt(long address) {
        var entry = memory.floorEntry(address);
        if (entry == null || address - entry.getKey() >= entry.getValue().byteSize()) throw new IllegalStateException("no allocation holds " + address);
        return entry.getValue().asSlice(address - entry.getKey());
    }

    /** The memory from {@code address} on, inside the allocation that holds it (a plan may pass an interior address). */
    private MemorySegment at(long address, long bytes) {
        var entry = memory.floorEntry(address);
        if (entry == null || address - entry.getKey() + bytes > entry.getValue().byteSize()) {
            throw new IllegalStateException(bytes + " bytes at " + address + " are outside every allocation");
        }
        return entry.getValue().asSlice(address - entry.getKey(), bytes);
    }

    @Override public String name() { return "fake"; }

    @Override public long totalMemory() { return 1L << 30; }

    @Override public int multiprocessors() { return 2; }

    @Override public String computeCapability() { return "9.0"; }

    @Override
    public long allocate(long bytes) {
        ensureOpen();
        allocations++;
        long address = nextAddress;
        nextAddress += (bytes + 0xFFF) & ~0xFFFL;
        memory.put(address, arena.allocate(Math.max(bytes, 1), 8));
        return address;
    }

    @Override
    public void free(long address) {
        ensureOpen();
        if (memory.remove(address) == null) throw new IllegalStateException("double free at " + address);
        frees++;
    }

    @Override
    public void copyToDevice(long address, MemorySegment source) {
        ensureOpen();
        MemorySegment.copy(source, 0, at(address, source.byteSize()), 0, source.byteSize());
        copiesToDevice++;
    }

    @Override
    public void copyToHost(MemorySegment target, long address) {
        ensureOpen();
        MemorySegment.copy(at(address, target.byteSize()), 0, target, 0, target.byteSize());
        copiesToHost++;
    }

    @Override
    public Object loadModule(String ptx) {
        ensureOpen();
        modulesLoaded++;
        return ptx.lines().skip(1).findFirst().orElseThrow();
    }

    @Override public void unloadModule(Object module) {}

    @Override
    public Object function(Object module, String entry) {
        String[] parts = ((String) module).split("#");
        try {
            return KernelMethod.of(Class.forName(parts[0]), parts[1]);
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public Timer timer() {
        return new Timer() {
            @Override public double millis() { return 0.25; }

            @Override public void close() {}
        };
    }

    @Override
    public void launch(Object function, PtxKernel kernel, Grid grid, List<Object> arguments, Timer timer) {
        ensureOpen();
        List<Object> javaArguments = new ArrayList<>();
        int next = 0;
        for (PtxKernel.Param p : kernel.params()) {
            if (p.kind() == PtxKernel.Kind.ARRAY) {
                long address = (Long) arguments.get(next++), count = (Long) arguments.get(next++);
                MemorySegment segment = at(address, count * HostArrays.elementBytes(p.javaType()));
                try {
                    javaArguments.add(p.javaType().getConstructor(MemorySegment.class).newInstance(segment));
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException(e);
                }
            } else if (p.kind() == PtxKernel.Kind.TENSOR_MAP) {
                // The kernel on the JVM gets the map over the device copy of its array, as TMA would read it.
                TensorMapArgument t = (TensorMapArgument) arguments.get(next++);
                tensorMaps.add(t);
                TensorMap m = t.map();
                MemorySegment mapped = at(t.address(), m.elements() * (m.element() == TensorMap.Element.BF16 ? 2 : 1));
                Object array = m.element() == TensorMap.Element.BF16 ? new ShortArray(mapped) : new ByteArray(mapped);
                javaArguments.add(new TensorMap(array, m.columns(), m.rows(), m.boxColumns(), m.boxRows(), m.element()));
            } else {
                javaArguments.add(arguments.get(next++));
            }
        }
        JvmExecutor.run((KernelMethod) function, grid, javaArguments.toArray());
        launches++;
    }

    @Override public void synchronize() { ensureOpen(); }

    @Override
    public void close() {
        ensureOpen();
        closed = true;
        arena.close();
    }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException("fake device closed");
    }
}
