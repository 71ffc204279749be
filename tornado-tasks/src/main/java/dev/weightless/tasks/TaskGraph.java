package dev.weightless.tasks;

import dev.weightless.jit.kernel.KernelMethod;
import dev.weightless.jit.kernel.Kernels;
import dev.weightless.jit.kernel.TensorMap;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds a graph of kernel launches and the copies around them. When a plan executes it, a graph
 * copies its {@code transferToDevice} arrays, runs its tasks in the order added, then copies its
 * {@code transferToHost} arrays, each copy subject to its {@link DataTransferMode}. Arguments are
 * checked against the kernel's parameters here, so a mistake is reported where it was made.
 */
public final class TaskGraph {
    private final String name;
    private final List<Transfer> toDevice = new ArrayList<>();
    private final List<Task> tasks = new ArrayList<>();
    private final List<Transfer> toHost = new ArrayList<>();

    public TaskGraph(String name) {
        this.name = checkName(name, "graph");
    }

    public String name() { return name; }

    /** Arrays the tasks read: copied before the tasks run. */
    public TaskGraph transferToDevice(DataTransferMode mode, Object... arrays) {
        addTransfers(toDevice, "transferToDevice", mode, arrays);
        return this;
    }

    /** Arrays the tasks write: copied back after the tasks ran. */
    public TaskGraph transferToHost(DataTransferMode mode, Object... arrays) {
        addTransfers(toHost, "transferToHost", mode, arrays);
        return this;
    }

    public <A> TaskGraph task(String name, Kernels.K1<A> kernel, A a) { return add(name, kernel, a); }

    public <A, B> TaskGraph task(String name, Kernels.K2<A, B> kernel, A a, B b) { return add(name, kernel, a, b); }

    public <A, B, C> TaskGraph task(String name, Kernels.K3<A, B, C> kernel, A a, B b, C c) { return add(name, kernel, a, b, c); }

    public <A, B, C, D> TaskGraph task(String name, Kernels.K4<A, B, C, D> kernel, A a, B b, C c, D d) { return add(name, kernel, a, b, c, d); }

    public <A, B, C, D, E> TaskGraph task(String name, Kernels.K5<A, B, C, D, E> kernel, A a, B b, C c, D d, E e) {
        return add(name, kernel, a, b, c, d, e);
    }

    public <A, B, C, D, E, F> TaskGraph task(String name, Kernels.K6<A, B, C, D, E, F> kernel, A a, B b, C c, D d, E e, F f) {
        return add(name, kernel, a, b, c, d, e, f);
    }

    /** A task whose kernel was found another way (by class and name, say); arguments are checked the same. */
    public TaskGraph task(String name, KernelMethod kernel, Object... arguments) {
        String where = this.name + "." + checkName(name, "task");
        for (Task t : tasks) if (t.name().equals(name)) throw new IllegalArgumentException(where + ": a task of that name is already in the graph");
        checkArguments(where, kernel, arguments);
        tasks.add(new Task(name, kernel, Arrays.asList(arguments)));
        return this;
    }

    /** A copy of the graph as it is now; later changes to this builder do not affect it. */
    public ImmutableTaskGraph snapshot() {
        if (tasks.isEmpty()) throw new IllegalStateException("graph " + name + " has no tasks");
        return new ImmutableTaskGraph(name, toDevice, tasks, toHost);
    }

    private TaskGraph add(String name, Serializable methodReference, Object... arguments) {
        return task(name, KernelMethod.of(methodReference), arguments);
    }

    private void addTransfers(List<Transfer> into, String what, DataTransferMode mode, Object[] arrays) {
        String where = name + "." + what;
        if (mode == null) throw new IllegalArgumentException(where + ": null mode");
        if (arrays == null || arrays.length == 0) throw new IllegalArgumentException(where + ": no arrays given");
        Map<Object, Boolean> seen = new IdentityHashMap<>();
        for (Transfer t : into) seen.put(t.array(), true);
        for (Object array : arrays) {
            HostArrays.requireCopyable(array, where);
            if (seen.put(array, true) != null) throw new IllegalArgumentException(where + ": " + HostArrays.describe(array) + " is declared twice");
            into.add(new Transfer(array, mode));
        }
    }

    private static void checkArguments(String where, KernelMethod kernel, Object[] arguments) {
        Class<?>[] types = kernel.method().getParameterTypes();
        int expected = types.length - 1;
        if (arguments.length != expected) {
            throw new IllegalArgumentException(where + ": kernel " + kernel + " takes " + expected + " arguments after the context, got " + arguments.length);
        }
        for (int i = 0; i < arguments.length; i++) {
            Class<?> type = types[i + 1];
            Object value = arguments[i];
            String position = where + ": argument " + (i + 1) + " of " + kernel;
            if (value == null) throw new IllegalArgumentException(position + " is null");
            if (HostArrays.isArrayType(type) && value instanceof DeviceArray d) {
                if (d.arrayType() != type) throw new IllegalArgumentException(position + " must be a " + type.getSimpleName() + ", got a DeviceArray of " + d.arrayType().getSimpleName());
            } else if (HostArrays.isArrayType(type)) {
                if (value.getClass() != type) throw new IllegalArgumentException(position + " must be a " + type.getSimpleName() + ", got " + HostArrays.describe(value));
                HostArrays.requireCopyable(value, position);
            } else if (type == TensorMap.class) {
                if (!(value instanceof TensorMap t)) throw new IllegalArgumentException(position + " must be a TensorMap, got " + HostArrays.describe(value));
                checkMapped(t, position);
            } else if (!type.isPrimitive()) {
                throw new IllegalArgumentException(position + ": parameter type " + type.getName() + " cannot be passed to a GPU kernel");
            } else if (boxed(type) != value.getClass()) {
                throw new IllegalArgumentException(position + " must be a " + type.getName() + ", got " + HostArrays.describe(value));
            }
        }
    }

    /** A tensor map's array: of its element's array type (a ShortArray for BF16, a ByteArray for 8-byte words) on the host (copyable) or on the device, holding the whole matrix. */
    static void checkMapped(TensorMap t, String position) {
        Class<?> type = t.element().arrayType();
        long elements;
        if (t.array() instanceof DeviceArray d && d.arrayType() == type) {
            elements = d.elements();
        } else if (t.array().getClass() == type) {
            HostArrays.requireCopyable(t.array(), position);
            elements = HostArrays.elementCount(t.array());
        } else {
            throw new IllegalArgumentException(position + ": a " + t.element() + " tensor map's array must be a " + type.getSimpleName() + " or a DeviceArray of one, got " + HostArrays.describe(t.array()));
        }
        if (elements < t.elements()) {
            throw new IllegalArgumentException(position + ": a tensor map of " + t.rows() + " x " + t.columns() + " " + t.element() + " needs " + t.elements() + " elements, its array holds " + elements);
        }
    }

    static Class<?> boxed(Class<?> primitive) {
        return java.lang.invoke.MethodType.methodType(primitive).wrap().returnType();
    }

    private static String checkName(String name, String what) {
        if (name == null || name.isEmpty() || name.contains(".") || name.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("a " + what + " name must be non-empty, without dots or spaces (tasks are named graph.task): " + name);
        }
        return name;
    }
}
