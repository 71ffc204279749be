package dev.weightless.tasks;

import dev.weightless.codec.Bf16;
import dev.weightless.jit.kernel.ByteArray;
import dev.weightless.jit.kernel.Grid;
import dev.weightless.jit.kernel.IntArray;
import dev.weightless.jit.kernel.JvmExecutor;
import dev.weightless.jit.kernel.KernelMethod;
import dev.weightless.jit.kernel.LongArray;
import dev.weightless.jit.kernel.ShortArray;
import dev.weightless.jit.ptx.PtxKernel;
import dev.weightless.tasks.check.CheckData;
import dev.weightless.jit.samples.SampleKernels;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** On a real GPU: copies, the CUDA-C yardstick through a plan, and compiled kernels against the JVM executor. Skipped, loudly, without one. */
class CudaDeviceTest {
    private static Optional<String> absent;
    private static Device device;

    @BeforeAll
    static void openDevice() {
        absent = Device.whyUnavailable();
        if (absent.isPresent()) System.err.println("SKIPPING CudaDeviceTest: no CUDA device: " + absent.get());
        else device = Device.open();
    }

    /** Per test rather than in @BeforeAll, so each test is counted as skipped in the report, not left out. */
    @BeforeEach
    void needsDevice() {
        if (absent.isPresent()) Assumptions.abort("no CUDA device: " + absent.get());
    }

    @AfterAll
    static void closeDevice() {
        if (device != null) device.close();
    }

    @Test
    void bytesSurviveTheRoundTrip() {
        try (Arena arena = Arena.ofShared()) {
            ByteArray data = ByteArray.allocate(arena, (3 << 20) + 5);
            SplittableRandom random = new SplittableRandom(5);
            for (long i = 0; i < data.size(); i++) data.set(i, (byte) random.nextInt());
            byte[] before = data.segment().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
            try (DeviceBuffer buffer = device.buffer(data)) {
                buffer.copyFromHost();
                data.segment().fill((byte) 0);
                buffer.copyToHost();
            }
            assertArrayEquals(before, data.segment().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
            assertEquals(List.of(), device.liveBuffers());
        }
    }

    @Test
    void theCudaCHistogramMatchesTheCodec() throws IOException {
        PtxKernel yardstick = GpuCheck.yardstick(null, null);
        try (Arena arena = Arena.ofShared()) {
            ShortArray weights = ShortArray.allocate(arena, 16_000_003);
            CheckData.fillSynthetic(weights.segment(), 9);
            IntArray histogram = IntArray.allocate(arena, 256);
            ImmutableTaskGraph graph = new TaskGraph("h").transferToDevice(DataTransferMode.FIRST_EXECUTION, weights)
                    .task("count", SampleKernels::exponentHistogram, weights, histogram)
                    .transferToHost(DataTransferMode.EVERY_EXECUTION, histogram).snapshot();
            try (ExecutionPlan plan = new ExecutionPlan(device, m -> yardstick, List.of(graph))) {
                ExecutionResult result = plan.withGrid("h.count", new Grid(device.multiprocessors() * 4L, 256)).execute();
                assertTrue(result.taskMillis("h.count") > 0);
            }
            long[] expected = Bf16.exponentHistogram(weights.segment());
            for (int i = 0; i < 256; i++) assertEquals(expected[i], Integer.toUnsignedLong(histogram.get(i)), "exponent " + i);
        }
    }

    @Test
    void compiledKernelsMatchTheJvmExecutor() {
        try (Arena arena = Arena.ofShared()) {
            SplittableRandom random = new SplittableRandom(6);
            IntArray onJvm = IntArray.allocate(arena, 5000), onGpu = IntArray.allocate(arena, 5000);
            for (long i = 0; i < onJvm.size(); i++) {
                int v = random.nextInt();
                onJvm.set(i, v);
                onGpu.set(i, v);
            }
            LongArray sumJvm = LongArray.allocate(arena, 1), sumGpu = LongArray.allocate(arena, 1);
            Grid grid = new Grid(3, 64);
            JvmExecutor.run(KernelMethod.of(SampleKernels.class, "sum"), grid, onJvm, sumJvm);
            ImmutableTaskGraph graph = new TaskGraph("g").transferToDevice(DataTransferMode.EVERY_EXECUTION, onGpu, sumGpu)
                    .task("sum", SampleKernels::sum, onGpu, sumGpu).transferToHost(DataTransferMode.EVERY_EXECUTION, sumGpu).snapshot();
            try (ExecutionPlan plan = new ExecutionPlan(device, graph); ExecutionPlan again = new ExecutionPlan(device, graph)) {
                plan.withGrid("g.sum", grid).execute();
                assertTrue(again.kernelLoads().getFirst().moduleCached(), "the second plan finds the module in the cache");
            }
            assertEquals(sumJvm.get(0), sumGpu.get(0));
        }
    }
}
