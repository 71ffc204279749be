package dev.weightless.tasks;

import dev.weightless.jit.kernel.IntArray;
import dev.weightless.jit.kernel.KernelMethod;
import dev.weightless.jit.kernel.Kernels;
import dev.weightless.jit.kernel.LongArray;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Building graphs: arguments checked against the kernel where the task is added, names, transfers, snapshots. */
class TaskGraphTest {
    private static final KernelMethod SCALE = KernelMethod.of(TestKernels.class, "scale");

    @Test
    void argumentOfTheWrongTypeIsNamed() {
        try (Arena arena = Arena.ofConfined()) {
            IntArray in = IntArray.allocate(arena, 4);
            LongArray wrong = LongArray.allocate(arena, 4);
            var e = assertThrows(IllegalArgumentException.class, () -> new TaskGraph("g").task("t", SCALE, in, wrong, 3));
            assertContains(e, "g.t: argument 2 of TestKernels.scale must be a IntArray, got LongArray[4]");
            e = assertThrows(IllegalArgumentException.class, () -> new TaskGraph("g").task("t", SCALE, in, in, 3L));
            assertContains(e, "argument 3 of TestKernels.scale must be a int, got Long");
        }
    }

    @Test
    void wrongArgumentCountAndNullsAreRejected() {
        try (Arena arena = Arena.ofConfined()) {
            IntArray in = IntArray.allocate(arena, 4);
            assertContains(assertThrows(IllegalArgumentException.class, () -> new TaskGraph("g").task("t", SCALE, in, in)),
                    "takes 3 arguments after the context, got 2");
            assertContains(assertThrows(IllegalArgumentException.class, () -> new TaskGraph("g").task("t", SCALE, in, null, 1)), "argument 2 of TestKernels.scale is null");
        }
    }

    @Test
    void erasedMethodReferencesAreStillChecked() {
        try (Arena arena = Arena.ofConfined()) {
            @SuppressWarnings({"unchecked", "rawtypes"})
            Kernels.K1<Object> erased = (Kernels.K1) (Kernels.K1<IntArray>) TestKernels::addOne;
            Object wrong = LongArray.allocate(arena, 2);
            assertContains(assertThrows(IllegalArgumentException.class, () -> new TaskGraph("g").task("t", erased, wrong)), "must be a IntArray");
        }
    }

    @Test
    void namesAreUniqueAndHaveNoDots() {
        try (Arena arena = Arena.ofConfined()) {
            IntArray data = IntArray.allocate(arena, 4);
            TaskGraph graph = new TaskGraph("g").task("t", TestKernels::addOne, data);
            assertContains(assertThrows(IllegalArgumentException.class, () -> graph.task("t", TestKernels::addOne, data)), "already in the graph");
            assertThrows(IllegalArgumentException.class, () -> graph.task("a.b", TestKernels::addOne, data));
            assertThrows(IllegalArgumentException.class, () -> new TaskGraph("x.y"));
            assertThrows(IllegalArgumentException.class, () -> new TaskGraph(""));
        }
    }

    @Test
    void transfersTakeOffHeapArraysOnceEach() {
        try (Arena arena = Arena.ofConfined()) {
            IntArray data = IntArray.allocate(arena, 4);
            assertContains(assertThrows(IllegalArgumentException.class, () -> new TaskGraph("g").transferToDevice(DataTransferMode.EVERY_EXECUTION, (Object) new int[4])),
                    "not an off-heap kernel array");
            assertContains(assertThrows(IllegalArgumentException.class, () -> new TaskGraph("g").transferToDevice(DataTransferMode.EVERY_EXECUTION, data, data)),
                    "declared twice");
            IntArray onHeap = new IntArray(MemorySegment.ofArray(new int[4]));
            assertContains(assertThrows(IllegalArgumentException.class, () -> new TaskGraph("g").transferToHost(DataTransferMode.EVERY_EXECUTION, onHeap)),
                    "backed by a Java heap array");
            assertThrows(IllegalArgumentException.class, () -> new TaskGraph("g").transferToHost(null, data));
            // The same array may go both ways.
            new TaskGraph("g").transferToDevice(DataTransferMode.FIRST_EXECUTION, data).transferToHost(DataTransferMode.EVERY_EXECUTION, data);
        }
    }

    @Test
    void snapshotIsFrozen() {
        try (Arena arena = Arena.ofConfined()) {
            IntArray data = IntArray.allocate(arena, 4);
            assertThrows(IllegalStateException.class, () -> new TaskGraph("empty").snapshot());
            TaskGraph graph = new TaskGraph("g").transferToDevice(DataTransferMode.EVERY_EXECUTION, data).task("one", TestKernels::addOne, data);
            ImmutableTaskGraph snapshot = graph.snapshot();
            graph.task("two", TestKernels::addOne, data);
            assertEquals(List.of("g.one"), snapshot.taskNames());
            assertEquals(List.of("g.one", "g.two"), graph.snapshot().taskNames());
        }
    }

    static void assertContains(Throwable e, String expected) {
        assertTrue(e.getMessage().contains(expected), () -> "message \"" + e.getMessage() + "\" lacks \"" + expected + "\"");
    }
}
