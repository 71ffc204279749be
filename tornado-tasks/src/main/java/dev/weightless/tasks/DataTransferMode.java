package dev.weightless.tasks;

/** When an execution plan copies an array declared in a graph's transfers. */
public enum DataTransferMode {
    /** On the plan's first {@code execute()} only: inputs that stay resident on the device. */
    FIRST_EXECUTION,
    /** On every {@code execute()}. */
    EVERY_EXECUTION,
    /** Never by {@code execute()}; only when asked through {@code plan.transferToDevice} or {@code plan.transferToHost}. */
    UNDER_DEMAND
}
