package dev.weightless.tasks;

import dev.weightless.jit.kernel.TensorMap;
import dev.weightless.jit.ptx.PtxKernel;
import dev.weightless.jit.ptx.PtxKernel.Param;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** A task's Java arguments as the values of its kernel's PTX parameters. */
final class LaunchArguments {
    private LaunchArguments() {}

    /** Fails, naming the parameter, when the compiled kernel's parameters do not fit the task's arguments. */
    static void check(String task, PtxKernel kernel, List<Object> arguments) {
        List<Param> params = kernel.params();
        if (params.size() != arguments.size()) {
            throw new IllegalArgumentException(task + ": kernel entry " + kernel.entry() + " has " + params.size() + " parameters after the context, the task passes " + arguments.size());
        }
        for (int i = 0; i < params.size(); i++) {
            Param p = params.get(i);
            Object a = arguments.get(i);
            boolean fits = switch (p.kind()) {
                case ARRAY -> (HostArrays.isArray(a) && a.getClass() == p.javaType()) || (a instanceof DeviceArray d && d.arrayType() == p.javaType());
                case INT -> a instanceof Integer || a instanceof Short || a instanceof Byte || a instanceof Character || a instanceof Boolean;
                case LONG -> a instanceof Long;
                case FLOAT -> a instanceof Float;
                case DOUBLE -> a instanceof Double;
                case TENSOR_MAP -> a instanceof TensorMap;
            };
            if (!fits) {
                throw new IllegalArgumentException(task + ": parameter " + (i + 1) + " (" + p.name() + ", " + p.kind() + " " + p.javaType().getSimpleName()
                        + ") of entry " + kernel.entry() + " cannot take " + HostArrays.describe(a));
            }
        }
    }

    /**
     * Values in PTX parameter order: an array (or a {@link DeviceArray}) is its address on the device and its
     * element count; a tensor map is its array's device address with the map's shape, for the driver to encode.
     */
    static List<Object> marshal(PtxKernel kernel, List<Object> arguments, Function<Object, DeviceBuffer> buffers) {
        List<Object> values = new ArrayList<>(arguments.size() + 4);
        for (int i = 0; i < arguments.size(); i++) {
            Object a = arguments.get(i);
            switch (kernel.params().get(i).kind()) {
                case ARRAY -> {
                    if (a instanceof DeviceArray d) {
                        values.add(d.address());
                        values.add(d.elements());
                    } else {
                        values.add(buffers.apply(a).address());
                        values.add(HostArrays.elementCount(a));
                    }
                }
                case INT -> values.add(switch (a) {
                    case Boolean b -> b ? 1 : 0;
                    case Character c -> (int) c;
                    default -> ((Number) a).intValue();
                });
                case LONG, FLOAT, DOUBLE -> values.add(a);
                case TENSOR_MAP -> {
                    TensorMap t = (TensorMap) a;
                    long address = t.array() instanceof DeviceArray d ? d.address() : buffers.apply(t.array()).address();
                    values.add(new TensorMapArgument(address, t));
                }
            }
        }
        return values;
    }
}
