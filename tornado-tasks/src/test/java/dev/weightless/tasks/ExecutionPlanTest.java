package dev.weightless.tasks;

import dev.weightless.jit.kernel.ByteArray;
import dev.weightless.jit.kernel.Grid;
import dev.weightless.jit.kernel.IntArray;
import dev.weightless.jit.kernel.KernelMethod;
import dev.weightless.jit.kernel.ShortArray;
import dev.weightless.jit.kernel.TensorMap;
import dev.weightless.jit.ptx.PtxKernel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.List;
import java.util.function.Function;

import static dev.weightless.tasks.DataTransferMode.EVERY_EXECUTION;
import static dev.weightless.tasks.DataTransferMode.FIRST_EXECUTION;
import static dev.weightless.tasks.DataTransferMode.UNDER_DEMAND;
import static dev.weightless.tasks.TaskGraphTest.assertContains;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Plans on a fake device whose kernels run on the JVM executor: validation, transfer modes, buffers, caching, leaks. */
class ExecutionPlanTest {
    private static final Grid GRID = new Grid(1, 32);
    private final Arena arena = Arena.ofShared();
    private FakeDriver driver;
    private Device device;

    @BeforeEach
    void open() {
        driver = new FakeDriver();
        device = new Device(driver);
    }

    @AfterEach
    void close() {
        if (!device.isClosed()) device.close(); // fails the test if it leaked a plan or a buffer
        arena.close();
    }

    private ExecutionPlan plan(ImmutableTaskGraph... graphs) { return new ExecutionPlan(device, FakeDriver::compile, List.of(graphs)); }

    private IntArray ints(int... values) {
        IntArray a = IntArray.allocate(arena, values.length);
        for (int i = 0; i < values.length; i++) a.set(i, values[i]);
        return a;
    }

    private static int[] values(IntArray a) {
        int[] v = new int[(int) a.size()];
        for (int i = 0; i < v.length; i++) v[i] = a.get(i);
        return v;
    }

    @Test
    void withGridNamesTheKnownTasksWhenAskedForAnUnknownOne() {
        IntArray data = ints(1, 2);
        try (ExecutionPlan plan = plan(new TaskGraph("g").transferToDevice(EVERY_EXECUTION, data).task("add", TestKernels::addOne, data).snapshot())) {
            assertContains(assertThrows(IllegalArgumentException.class, () -> plan.withGrid("g.ad", GRID)), "no task g.ad in this plan; its tasks are [g.add]");
            assertContains(assertThrows(IllegalArgumentException.class, () -> plan.withGrid("add", GRID)), "no task add");
            assertContains(assertThrows(IllegalStateException.class, plan::execute), "no grid for [g.add]");
        }
    }

    @Test
    void anArrayInNoTransferIsReportedAndNothingLeaks() {
        IntArray in = ints(1, 2), out = ints(0, 0);
        ImmutableTaskGraph graph = new TaskGraph("g").transferToDevice(EVERY_EXECUTION, in).task("scale", TestKernels::scale, in, out, 2).snapshot();
        var e = assertThrows(IllegalArgumentException.class, () -> plan(graph));
        assertContains(e, "g.scale: argument 2 (IntArray[2]");
        assertContains(e, "is in no transfer of this graph or an earlier one");
        assertEquals(List.of(), device.liveBuffers());
    }

    @Test
    void aLaterGraphUsesWhatAnEarlierOnePutOnTheDevice() {
        IntArray data = ints(1, 2, 3);
        ImmutableTaskGraph load = new TaskGraph("load").transferToDevice(FIRST_EXECUTION, data).task("add", TestKernels::addOne, data).snapshot();
        ImmutableTaskGraph use = new TaskGraph("use").task("add", TestKernels::addOne, data).snapshot();
        try (ExecutionPlan plan = plan(load, use).withGrid("load.add", GRID).withGrid("use.add", GRID)) {
            ExecutionResult result = plan.execute();
            assertArrayEquals(new int[] {1, 2, 3}, values(data));
            plan.transferToHost(data);
            assertArrayEquals(new int[] {3, 4, 5}, values(data));
            assertEquals(List.of("load.add", "use.add"), result.tasks().stream().map(ExecutionResult.TaskTime::task).toList());
            assertEquals(1, device.liveBuffers().size());
        }
        assertThrows(IllegalArgumentException.class, () -> plan(use), "alone, the second graph names no transfer of data");
    }

    @Test
    void parametersThatDoNotFitTheArgumentsAreNamed() {
        IntArray in = ints(1), out = ints(0);
        ImmutableTaskGraph graph = new TaskGraph("g").transferToDevice(EVERY_EXECUTION, in, out).task("scale", TestKernels::scale, in, out, 2).snapshot();
        Function<KernelMethod, PtxKernel> wrongKinds = m -> {
            PtxKernel k = FakeDriver.compile(m);
            return new PtxKernel(k.entry(), k.ptx(), List.of(k.params().get(0), k.params().get(1), new PtxKernel.Param("factor", PtxKernel.Kind.FLOAT, float.class)));
        };
        var e = assertThrows(IllegalArgumentException.class, () -> new ExecutionPlan(device, wrongKinds, List.of(graph)));
        assertContains(e, "g.scale: parameter 3 (factor, FLOAT float) of entry scale cannot take Integer");
        Function<KernelMethod, PtxKernel> tooFew = m -> {
            PtxKernel k = FakeDriver.compile(m);
            return new PtxKernel(k.entry(), k.ptx(), k.params().subList(0, 2));
        };
        assertContains(assertThrows(IllegalArgumentException.class, () -> new ExecutionPlan(device, tooFew, List.of(graph))), "has 2 parameters after the context, the task passes 3");
        assertEquals(List.of(), device.liveBuffers());
    }

    @Test
    void firstExecutionCopiesOnceAndEveryExecutionEachTime() {
        IntArray once = ints(10, 20), always = ints(10, 20);
        ImmutableTaskGraph first = new TaskGraph("first").transferToDevice(FIRST_EXECUTION, once).task("add", TestKernels::addOne, once).transferToHost(EVERY_EXECUTION, once).snapshot();
        ImmutableTaskGraph every = new TaskGraph("every").transferToDevice(EVERY_EXECUTION, always).task("add", TestKernels::addOne, always).transferToHost(EVERY_EXECUTION, always).snapshot();
        try (ExecutionPlan plan = plan(first, every).withGrid("first.add", GRID).withGrid("every.add", GRID)) {
            ExecutionResult r1 = plan.execute();
            assertArrayEquals(new int[] {11, 21}, values(once));
            assertArrayEquals(new int[] {11, 21}, values(always));
            assertEquals(4, r1.transfers().size());
            once.set(0, 100);
            always.set(0, 100);
            ExecutionResult r2 = plan.execute();
            assertArrayEquals(new int[] {12, 22}, values(once), "the device kept its copy; the host's change was not sent");
            assertArrayEquals(new int[] {101, 22}, values(always));
            assertEquals(3, r2.transfers().size());
            assertEquals(3, driver.copiesToDevice);
            assertEquals(4, driver.copiesToHost);
        }
    }

    @Test
    void underDemandCopiesOnlyWhenAsked() {
        IntArray in = ints(1, 2), out = ints(0, 0);
        ImmutableTaskGraph graph = new TaskGraph("g").transferToDevice(FIRST_EXECUTION, in).task("scale", TestKernels::scale, in, out, 7)
                .transferToHost(UNDER_DEMAND, out).snapshot();
        try (ExecutionPlan plan = plan(graph).withGrid("g.scale", GRID)) {
            assertEquals(1, plan.execute().transfers().size());
            assertArrayEquals(new int[] {0, 0}, values(out));
            plan.transferToHost(out);
            assertArrayEquals(new int[] {7, 14}, values(out));
            in.set(0, 5);
            plan.transferToDevice(in).execute();
            plan.transferToHost(out);
            assertArrayEquals(new int[] {35, 14}, values(out));
            assertContains(assertThrows(IllegalArgumentException.class, () -> plan.transferToHost(ints(1))), "is not used by this plan");
        }
    }

    @Test
    void aSecondPlanReusesTheLoadedModuleAndTheBuffers() {
        IntArray data = ints(1, 2);
        ImmutableTaskGraph graph = new TaskGraph("g").transferToDevice(EVERY_EXECUTION, data).task("add", TestKernels::addOne, data).snapshot();
        ExecutionPlan first = plan(graph);
        try (ExecutionPlan second = plan(graph)) {
            assertEquals(1, driver.modulesLoaded);
            assertFalse(first.kernelLoads().getFirst().moduleCached());
            assertTrue(second.kernelLoads().getFirst().moduleCached());
            assertSame(first.bufferOf(data), second.bufferOf(data));
            assertEquals(2, first.bufferOf(data).holders());
            first.close();
            assertTrue(second.bufferOf(data).isLive(), "the second plan still holds it");
            assertEquals(0, driver.frees);
        }
        assertEquals(1, driver.frees);
        assertEquals(List.of(), device.liveBuffers());
    }

    @Test
    void closingTheDeviceWithAnOpenPlanOrAHeldBufferFailsNamingThem() {
        IntArray data = ints(1), kept = ints(2, 3);
        ExecutionPlan plan = plan(new TaskGraph("g").transferToDevice(EVERY_EXECUTION, data).task("add", TestKernels::addOne, data).snapshot());
        device.buffer(kept);
        var e = assertThrows(IllegalStateException.class, device::close);
        assertContains(e, "device fake closed with 3 resources in use");
        assertContains(e, "open ExecutionPlan[graphs [g]]");
        assertContains(e, "held DeviceBuffer[IntArray[2]");
        assertTrue(driver.closed, "the context is released all the same");
        plan.close(); // harmless afterwards
        assertThrows(IllegalStateException.class, plan::execute);
    }

    @Test
    void scalarArgumentsReachTheKernel() {
        IntArray in = ints(1, 2, 3), out = ints(0, 0, 0);
        ImmutableTaskGraph graph = new TaskGraph("g").transferToDevice(EVERY_EXECUTION, in).task("scale", TestKernels::scale, in, out, -3)
                .transferToHost(EVERY_EXECUTION, out).snapshot();
        try (ExecutionPlan plan = plan(graph).withGrid("g.scale", GRID)) {
            ExecutionResult result = plan.execute();
            assertArrayEquals(new int[] {-3, -6, -9}, values(out));
            assertEquals(0.25, result.taskMillis("g.scale"));
            assertThrows(IllegalArgumentException.class, () -> result.taskMillis("g.other"));
        }
        assertEquals(1, driver.launches);
    }

    @Test
    void deviceArraysPassRangesOfADeviceOnlyBufferWithoutCopies() {
        IntArray host = ints(5, 6, 7, 8);
        try (DeviceBuffer buffer = device.allocate(64)) {
            buffer.copyFrom(host.segment(), 16); // ints 4..7
            int copies = driver.copiesToDevice;
            DeviceArray middle = new DeviceArray(buffer, 16, 4, IntArray.class);
            ImmutableTaskGraph graph = new TaskGraph("g").task("inc", KernelMethod.of(TestKernels.class, "addOne"), middle).snapshot();
            try (ExecutionPlan plan = plan(graph).withGrid("g.inc", GRID)) {
                plan.execute();
                plan.execute();
            }
            assertEquals(copies, driver.copiesToDevice, "a plan copies nothing for a DeviceArray");
            IntArray back = IntArray.allocate(arena, 16);
            buffer.copyTo(back.segment(), 0);
            assertArrayEquals(new int[] {0, 0, 0, 0, 7, 8, 9, 10, 0, 0, 0, 0, 0, 0, 0, 0}, values(back));
        }
        assertEquals(List.of(), device.liveBuffers());
    }

    @Test
    void deviceArraysAndDeviceOnlyBuffersRefuseWhatDoesNotFit() {
        try (DeviceBuffer buffer = device.allocate(64)) {
            assertThrows(IndexOutOfBoundsException.class, () -> new DeviceArray(buffer, 48, 5, IntArray.class));
            assertThrows(IllegalArgumentException.class, () -> new DeviceArray(buffer, 2, 1, IntArray.class)); // misaligned
            assertThrows(IllegalArgumentException.class, () -> new DeviceArray(buffer, 0, 1, String.class));
            DeviceArray longs = new DeviceArray(buffer, 0, 8, dev.weightless.jit.kernel.LongArray.class);
            assertContains(assertThrows(IllegalArgumentException.class,
                    () -> new TaskGraph("g").task("inc", KernelMethod.of(TestKernels.class, "addOne"), longs)), "DeviceArray of LongArray");
            assertThrows(IndexOutOfBoundsException.class, () -> buffer.copyFrom(ints(1, 2).segment(), 60));
            assertThrows(IndexOutOfBoundsException.class, () -> buffer.copyTo(IntArray.allocate(arena, 2).segment(), -4));
            assertContains(assertThrows(IllegalStateException.class, buffer::copyFromHost), "no host array");
        }
    }

    private static void assertArrayEquals(int[] expected, int[] actual) { org.junit.jupiter.api.Assertions.assertArrayEquals(expected, actual); }

    private static void assertArrayEquals(int[] expected, int[] actual, String message) { org.junit.jupiter.api.Assertions.assertArrayEquals(expected, actual, message); }
    @Test
    void aTensorMapIsPassedAsItsArraysDeviceAddressWithItsShape() {
        ShortArray x = ShortArray.allocate(arena, 64), y = ShortArray.allocate(arena, 64);
        for (int i = 0; i < 64; i++) x.set(i, (short) (3 * i + 1));
        TensorMap map = new TensorMap(x, 8, 8, 8, 4);
        ImmutableTaskGraph graph = new TaskGraph("g").transferToDevice(EVERY_EXECUTION, x).task("copy", TestKernels::copyMapped, map, y)
                .transferToHost(EVERY_EXECUTION, y).snapshot();
        try (ExecutionPlan plan = plan(graph).withGrid("g.copy", new Grid(2, 32))) {
            plan.execute();
            for (int i = 0; i < 64; i++) assertEquals(3 * i + 1, y.get(i), "element " + i);
            assertEquals(1, driver.tensorMaps.size());
            assertEquals(plan.bufferOf(x).address(), driver.tensorMaps.getFirst().address(), "the map's array is the plan's device copy of x");
            assertSame(map, driver.tensorMaps.getFirst().map());
        }
    }

    @Test
    void aTensorMapIsRefusedOverTheWrongArrayATooSmallOneOrOneInNoTransfer() {
        ShortArray x = ShortArray.allocate(arena, 63), y = ShortArray.allocate(arena, 64);
        assertContains(assertThrows(IllegalArgumentException.class, () -> new TaskGraph("g").task("copy", TestKernels::copyMapped, new TensorMap(x, 8, 8, 8, 8), y)),
                "a tensor map of 8 x 8 BF16 needs 64 elements, its array holds 63");
        assertContains(assertThrows(IllegalArgumentException.class, () -> new TaskGraph("g").task("copy", TestKernels::copyMapped, new TensorMap(ints(1, 2), 8, 8, 8, 8), y)),
                "a BF16 tensor map's array must be a ShortArray or a DeviceArray of one");
        assertContains(assertThrows(IllegalArgumentException.class, () -> new TaskGraph("g").task("copy", KernelMethod.of(TestKernels.class, "copyMapped"), x, y)), "must be a TensorMap");
        ShortArray z = ShortArray.allocate(arena, 64);
        ImmutableTaskGraph graph = new TaskGraph("g").transferToDevice(EVERY_EXECUTION, y).task("copy", TestKernels::copyMapped, new TensorMap(z, 8, 8, 8, 8), y).snapshot();
        assertContains(assertThrows(IllegalArgumentException.class, () -> plan(graph)), "is in no transfer of this graph or an earlier one");
        assertEquals(List.of(), device.liveBuffers());
    }

    @Test
    void aWordMapIsPassedOverAByteArrayOfAtLeastItsBytes() {
        ByteArray tiles = ByteArray.allocate(arena, 4 * 64 * 8), short1 = ByteArray.allocate(arena, 4 * 64 * 8 - 1);
        ShortArray y = ShortArray.allocate(arena, 64);
        TensorMap words = new TensorMap(tiles, 64, 4, 64, 2, TensorMap.Element.WORD8);
        assertEquals(4 * 64 * 8, words.elements(), "a word map's array holds bytes");
        new TaskGraph("g").task("copy", TestKernels::copyWords, words, y);
        assertContains(assertThrows(IllegalArgumentException.class, () -> new TaskGraph("g").task("copy", TestKernels::copyWords, new TensorMap(short1, 64, 4, 64, 2, TensorMap.Element.WORD8), y)),
                "a tensor map of 4 x 64 WORD8 needs 2048 elements, its array holds 2047");
        assertContains(assertThrows(IllegalArgumentException.class, () -> new TaskGraph("g").task("copy", TestKernels::copyWords, new TensorMap(y, 64, 4, 64, 2, TensorMap.Element.WORD8), y)),
                "a WORD8 tensor map's array must be a ByteArray or a DeviceArray of one");
        assertContains(assertThrows(IllegalArgumentException.class, () -> new TensorMap(tiles, 64, 4, 3, 2, TensorMap.Element.WORD8)), "must be even and in 2..256");
        assertContains(assertThrows(IllegalArgumentException.class, () -> new TensorMap(tiles, 64, 4, 258, 2, TensorMap.Element.WORD8)), "must be even and in 2..256");
        assertContains(assertThrows(IllegalArgumentException.class, () -> new TensorMap(tiles, 63, 4, 64, 2, TensorMap.Element.WORD8)), "the row stride must be a multiple of 16 bytes");
    }

    @Test
    void aTensorMapOutsideTheDriversLimitsIsRefusedWhenMade() {
        ShortArray x = ShortArray.allocate(arena, 64);
        assertContains(assertThrows(IllegalArgumentException.class, () -> new TensorMap(x, 4, 16, 8, 8)), "the row stride must be a multiple of 16 bytes");
        assertContains(assertThrows(IllegalArgumentException.class, () -> new TensorMap(x, 64, 1, 128, 1)), "16 to 128 bytes in multiples of 16");
        assertContains(assertThrows(IllegalArgumentException.class, () -> new TensorMap(x, 64, 1, 64, 257)), "must be in 1..256");
        assertContains(assertThrows(IllegalArgumentException.class, () -> new TensorMap(x, 64, 0, 64, 1)), "both must be in 1..2^32");
    }
}
