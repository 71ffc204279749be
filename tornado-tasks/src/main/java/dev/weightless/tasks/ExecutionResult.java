package dev.weightless.tasks;

import dev.weightless.jit.kernel.Grid;

import java.util.List;

/** What one {@link ExecutionPlan#execute()} did and how long each part took. */
public final class ExecutionResult {
    /** One launch: device time between CUDA events recorded around it on the plan's stream. */
    public record TaskTime(String task, Grid grid, double millis) {}

    public enum Direction { TO_DEVICE, TO_HOST }

    /** One copy, timed on the host from the call until the copy completed. */
    public record TransferTime(String array, Direction direction, long bytes, double millis) {
        public double gigabytesPerSecond() { return millis == 0 ? Double.NaN : bytes / (millis * 1e6); }
    }

    private final List<TaskTime> tasks;
    private final List<TransferTime> transfers;

    ExecutionResult(List<TaskTime> tasks, List<TransferTime> transfers) {
        this.tasks = List.copyOf(tasks);
        this.transfers = List.copyOf(transfers);
    }

    /** Every launch, in the order run. */
    public List<TaskTime> tasks() { return tasks; }

    /** Every copy made, in the order made (modes that did not copy this time are absent). */
    public List<TransferTime> transfers() { return transfers; }

    /** Device time of the task named {@code graph.task}. */
    public double taskMillis(String qualifiedName) {
        for (TaskTime t : tasks) if (t.task().equals(qualifiedName)) return t.millis();
        throw new IllegalArgumentException("no task " + qualifiedName + " ran; tasks: " + tasks.stream().map(TaskTime::task).toList());
    }

    public double transferMillis() { return transfers.stream().mapToDouble(TransferTime::millis).sum(); }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder();
        for (TaskTime t : tasks) s.append(String.format("task     %-32s %10.3f ms  grid %d x %d%n", t.task(), t.millis(), t.grid().groups(), t.grid().localSize()));
        for (TransferTime t : transfers) {
            s.append(String.format("%-8s %-32s %10.3f ms  %d bytes%n", t.direction() == Direction.TO_DEVICE ? "to dev" : "to host", t.array(), t.millis(), t.bytes()));
        }
        return s.toString();
    }
}
