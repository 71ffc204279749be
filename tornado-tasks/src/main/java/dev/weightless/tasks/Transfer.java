package dev.weightless.tasks;

/** One array a graph copies to the device before its tasks, or to the host after them. */
record Transfer(Object array, DataTransferMode mode) {}
