package dev.weightless.tasks;

import dev.weightless.jit.kernel.KernelMethod;

import java.util.List;

/** A kernel launch in a graph: the kernel and its arguments after the context (arrays and boxed primitives). */
record Task(String name, KernelMethod kernel, List<Object> arguments) {
    Task {
        arguments = List.copyOf(arguments);
    }
}
