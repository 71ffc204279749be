package dev.weightless.tasks;

import dev.weightless.jit.kernel.Grid;
import dev.weightless.jit.kernel.KernelMethod;
import dev.weightless.jit.kernel.TensorMap;
import dev.weightless.jit.ptx.PtxCompiler;
import dev.weightless.jit.ptx.PtxKernel;
import dev.weightless.tasks.ExecutionResult.Direction;
import dev.weightless.tasks.ExecutionResult.TaskTime;
import dev.weightless.tasks.ExecutionResult.TransferTime;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Runs task graphs on a device. Construction checks the graphs, compiles every kernel to PTX, loads it
 * (through the process-wide module cache) and takes a device buffer for every array the graphs name;
 * the buffers live until the plan is closed, so data stays on the device between executions. Graphs
 * run in the order given, and a later graph may use arrays an earlier one put on the device.
 */
public final class ExecutionPlan implements AutoCloseable {
    private static final Function<KernelMethod, PtxKernel> PTX_COMPILER = PtxCompiler::compileCached;

    /** How one task's kernel was made ready: Java-to-PTX compile time and module load time. */
    public record KernelLoad(String task, String entry, long compileNanos, long loadNanos, boolean moduleCached) {}

    private final Device device;
    private final List<ImmutableTaskGraph> graphs;
    private final Map<Object, DeviceBuffer> buffers = new IdentityHashMap<>();
    private final Map<String, PlannedTask> tasks = new LinkedHashMap<>();
    private final List<KernelLoad> kernelLoads = new ArrayList<>();
    private boolean executed;
    private boolean closed;

    private static final class PlannedTask {
        final String name;
        final Task task;
        final Device.LoadedKernel kernel;
        final Driver.Timer timer;
        Grid grid;

        PlannedTask(String name, Task task, Device.LoadedKernel kernel, Driver.Timer timer) {
            this.name = name;
            this.task = task;
            this.kernel = kernel;
            this.timer = timer;
        }
    }

    public ExecutionPlan(Device device, ImmutableTaskGraph... graphs) { this(device, PTX_COMPILER, List.of(graphs)); }

    /** With another compiler: tests use a fake one, the yardsticks a CUDA-C kernel in place of the Java one. */
    public ExecutionPlan(Device device, Function<KernelMethod, PtxKernel> compiler, List<ImmutableTaskGraph> graphs) {
        this.device = device;
        this.graphs = List.copyOf(graphs);
        checkGraphs(this.graphs);
        device.opened(this);
        try {
            for (ImmutableTaskGraph graph : this.graphs) {
                for (Transfer t : graph.toDevice()) hold(t.array());
                for (Transfer t : graph.toHost()) hold(t.array());
                for (Task task : graph.tasks()) prepare(graph.name() + "." + task.name(), task, compiler);
            }
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
    }

    /** Sets the launch shape of task {@code graph.task}; every task needs one before {@link #execute()}. */
    public ExecutionPlan withGrid(String qualifiedTaskName, Grid grid) {
        ensureOpen();
        PlannedTask task = tasks.get(qualifiedTaskName);
        if (task == null) throw new IllegalArgumentException("no task " + qualifiedTaskName + " in this plan; its tasks are " + tasks.keySet());
        if (grid == null) throw new IllegalArgumentException(qualifiedTaskName + ": null grid");
        task.grid = grid;
        return this;
    }

    /** Runs every graph once: copies to the device, launches, copies back, as the transfer modes say. */
    public ExecutionResult execute() {
        ensureOpen();
        List<String> noGrid = tasks.values().stream().filter(t -> t.grid == null).map(t -> t.name).toList();
        if (!noGrid.isEmpty()) throw new IllegalStateException("no grid for " + noGrid + ": call withGrid(\"graph.task\", grid) for each");
        Driver driver = device.driver();
        List<TransferTime> transfers = new ArrayList<>();
        List<PlannedTask> launched = new ArrayList<>();
        for (ImmutableTaskGraph graph : graphs) {
            for (Transfer t : graph.toDevice()) {
                if (copiesNow(t.mode())) transfers.add(timed(t.array(), Direction.TO_DEVICE, buffers.get(t.array()).copyFromHost()));
            }
            for (Task task : graph.tasks()) {
                PlannedTask planned = tasks.get(graph.name() + "." + task.name());
                driver.launch(planned.kernel.function(), planned.kernel.kernel(), planned.grid, arguments(planned), planned.timer);
                launched.add(planned);
            }
            // Kernels finish before copies back start, so a copy's time is the copy alone.
            driver.synchronize();
            for (Transfer t : graph.toHost()) {
                if (copiesNow(t.mode())) transfers.add(timed(t.array(), Direction.TO_HOST, buffers.get(t.array()).copyToHost()));
            }
        }
        executed = true;
        List<TaskTime> times = new ArrayList<>();
        for (PlannedTask t : launched) times.add(new TaskTime(t.name, t.grid, t.timer.millis()));
        return new ExecutionResult(times, transfers);
    }

    /** Copies arrays to the device now, whatever their declared mode (for {@link DataTransferMode#UNDER_DEMAND}). */
    public ExecutionPlan transferToDevice(Object... arrays) {
        ensureOpen();
        for (Object array : arrays) bufferOf(array).copyFromHost();
        return this;
    }

    /** Copies arrays back from the device now, whatever their declared mode (for {@link DataTransferMode#UNDER_DEMAND}). */
    public ExecutionPlan transferToHost(Object... arrays) {
        ensureOpen();
        for (Object array : arrays) bufferOf(array).copyToHost();
        return this;
    }

    /** How each task's kernel was compiled and loaded, in task order. */
    public List<KernelLoad> kernelLoads() { return List.copyOf(kernelLoads); }

    public Device device() { return device; }

    /** The device buffer this plan uses for {@code array}. */
    public DeviceBuffer bufferOf(Object array) {
        DeviceBuffer b = buffers.get(array);
        if (b == null) throw new IllegalArgumentException(HostArrays.describe(array) + " is not used by this plan");
        return b;
    }

    /** Releases the plan's buffer holds and timers; the buffers themselves live on while other holders have them. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        if (device.isClosed()) return;
        try {
            for (PlannedTask t : tasks.values()) t.timer.close();
            for (DeviceBuffer b : buffers.values()) b.close();
        } finally {
            device.closed(this);
        }
    }

    /** The device closed under the plan: its resources went with the context. */
    void abandon() { closed = true; }

    private void hold(Object array) {
        if (!buffers.containsKey(array)) buffers.put(array, device.buffer(array));
    }

    private void prepare(String name, Task task, Function<KernelMethod, PtxKernel> compiler) {
        for (Object argument : task.arguments()) {
            Object array = argument instanceof TensorMap t ? t.array() : argument;
            if (HostArrays.isArray(array)) hold(array);
            else if (array instanceof DeviceArray d && !d.buffer().on(device)) throw new IllegalArgumentException(name + ": " + d.buffer() + " belongs to another device");
        }
        long start = System.nanoTime();
        PtxKernel kernel = compiler.apply(task.kernel());
        long compileNanos = System.nanoTime() - start;
        LaunchArguments.check(name, kernel, task.arguments());
        Device.LoadedKernel loaded = device.load(kernel);
        tasks.put(name, new PlannedTask(name, task, loaded, device.driver().timer()));
        kernelLoads.add(new KernelLoad(name, kernel.entry(), compileNanos, loaded.loadNanos(), loaded.moduleCached()));
    }

    private List<Object> arguments(PlannedTask t) {
        return LaunchArguments.marshal(t.kernel.kernel(), t.task.arguments(), buffers::get);
    }

    private boolean copiesNow(DataTransferMode mode) {
        return switch (mode) {
            case EVERY_EXECUTION -> true;
            case FIRST_EXECUTION -> !executed;
            case UNDER_DEMAND -> false;
        };
    }

    private static TransferTime timed(Object array, Direction direction, long nanos) {
        return new TransferTime(HostArrays.describe(array), direction, HostArrays.segment(array).byteSize(), nanos / 1e6);
    }

    /** Graph names unique; every array a task uses is named by a transfer of its graph or an earlier one. */
    private static void checkGraphs(List<ImmutableTaskGraph> graphs) {
        if (graphs.isEmpty()) throw new IllegalArgumentException("a plan needs at least one graph");
        Set<String> names = new HashSet<>();
        Map<Object, Boolean> declared = new IdentityHashMap<>();
        for (ImmutableTaskGraph graph : graphs) {
            if (!names.add(graph.name())) throw new IllegalArgumentException("two graphs are named " + graph.name());
            for (Transfer t : graph.toDevice()) declared.put(t.array(), true);
            for (Transfer t : graph.toHost()) declared.put(t.array(), true);
            for (Task task : graph.tasks()) {
                List<Object> arguments = task.arguments();
                for (int i = 0; i < arguments.size(); i++) {
                    Object a = arguments.get(i) instanceof TensorMap t ? t.array() : arguments.get(i);
                    if (HostArrays.isArray(a) && !declared.containsKey(a)) {
                        throw new IllegalArgumentException(graph.name() + "." + task.name() + ": argument " + (i + 1) + " (" + HostArrays.describe(a)
                                + ") is in no transfer of this graph or an earlier one: name it in transferToDevice (an input) or transferToHost (an output)");
                    }
                }
            }
        }
    }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException(this + " is closed");
    }

    @Override
    public String toString() { return "ExecutionPlan[graphs " + graphs.stream().map(ImmutableTaskGraph::name).toList() + "]"; }
}
