package dev.weightless.tasks;

import dev.weightless.jit.kernel.TensorMap;

/** A tensor-map parameter's value at launch: the device address of the map's array, and the map's shape and box. */
record TensorMapArgument(long address, TensorMap map) {}
