package dev.weightless.tasks;

import dev.weightless.jit.kernel.KernelMethod;
import dev.weightless.jit.ptx.PtxKernel;

import java.util.function.Function;

/** Opens tornado-tasks' FakeDriver (package-private there) for tensorcore's tests: kernels run on the JVM executor. */
public final class FakeDevices {
    private FakeDevices() {}

    public static Device open() { return new Device(new FakeDriver()); }

    /** The fake driver's compiler: each kernel method stands for itself. */
    public static Function<KernelMethod, PtxKernel> compiler() { return FakeDriver::compile; }
}
