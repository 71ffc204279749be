package dev.weightless.tasks;

import java.util.List;

/** A graph frozen by {@link TaskGraph#snapshot()}, ready for an {@link ExecutionPlan}. */
public final class ImmutableTaskGraph {
    private final String name;
    private final List<Transfer> toDevice;
    private final List<Task> tasks;
    private final List<Transfer> toHost;

    ImmutableTaskGraph(String name, List<Transfer> toDevice, List<Task> tasks, List<Transfer> toHost) {
        this.name = name;
        this.toDevice = List.copyOf(toDevice);
        this.tasks = List.copyOf(tasks);
        this.toHost = List.copyOf(toHost);
    }

    public String name() { return name; }

    /** The tasks' names, qualified as {@code graph.task} (what {@link ExecutionPlan#withGrid} takes). */
    public List<String> taskNames() { return tasks.stream().map(t -> name + "." + t.name()).toList(); }

    List<Transfer> toDevice() { return toDevice; }

    List<Task> tasks() { return tasks; }

    List<Transfer> toHost() { return toHost; }

    @Override
    public String toString() { return "ImmutableTaskGraph[" + name + ", tasks " + taskNames() + "]"; }
}
