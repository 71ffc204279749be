package dev.weightless.tensorcore.gemm;

import dev.weightless.jit.kernel.ShortArray;
import dev.weightless.tasks.Device;
import dev.weightless.tasks.DeviceBuffer;
import dev.weightless.tasks.ExecutionPlan;
import dev.weightless.tensorcore.layout.PaletteEncoder;
import dev.weightless.tensorcore.layout.PaletteLayout;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.*;

/**
 * On a CUDA device: the tuner times every candidate for a shape no table has (1536 x 4096, window coding) at M = 1, 16 and
 * 256, picks one of them, and the product it picks writes every element of Y, bit for bit equal to its BF16 twin's; a
 * second tuner reading the same cache file times nothing. Skipped, loudly, without a device.
 */
class ScheduleTunerGpuTest {
    private static final long N = 1536, K = 4096;

    @Test
    void tunesAnUnmeasuredShapeAndCachesIt(@TempDir Path dir) {
        Optional<String> absent = Device.whyUnavailable();
        if (absent.isPresent()) System.err.println("SKIPPING ScheduleTunerGpuTest: no CUDA device: " + absent.get());
        Assumptions.assumeTrue(absent.isEmpty(), () -> "no CUDA device: " + absent.orElse(""));
        Path file = dir.resolve("schedules.tsv");
        try (Arena arena = Arena.ofShared(); Device device = Device.open()) {
            MemorySegment w = arena.allocate(N * K * 2, 16);
            FusedGemmCheck.fillNormal(w, 0.02, 5);
            FusedLinear op = FusedLinear.palette(PaletteEncoder.encode(w, N, K, PaletteEncoder.Scope.TILE, PaletteLayout.Coding.WINDOW, arena), arena);
            FusedLinear twin = op.twin(w);
            int[] counted = {0};
            ScheduleTuner.Timer onDevice = new ScheduleTuner.DeviceTimer(device, 10);
            ScheduleTuner.Timer counting = (o, m, schedules) -> {
                counted[0]++;
                double[] ms = onDevice.medians(o, m, schedules);
                for (int i = 0; i < ms.length; i++) System.out.printf("tuner %d x %d m=%d %-60s %.4f ms%n", N, K, m, schedules.get(i), ms[i]);
                return ms;
            };
            ScheduleTuner tuner = new ScheduleTuner(device.name(), device.multiprocessors(), counting, ScheduleCache.at(file), null);
            int[] ms = {1, 16, 256};
            FusedLinear.Schedule[] chosen = new FusedLinear.Schedule[ms.length];
            for (int i = 0; i < ms.length; i++) {
                int m = ms[i];
                chosen[i] = tuner.schedule(op, m);
                System.out.printf("tuner %d x %d m=%d chose %s%n", N, K, m, chosen[i]);
                assertTrue(ScheduleTuner.candidates(op, m, device.multiprocessors()).contains(chosen[i]), chosen[i] + " is not a candidate at m = " + m);
                ShortArray x = ShortArray.allocate(arena, m * K);
                FusedGemmCheck.fillNormal(x.segment(), 1.0, 7 + m);
                ShortArray y = run(device, op, x, m, chosen[i], arena), yTwin = run(device, twin, x, m, chosen[i], arena);
                assertEquals(0, FusedGemmCheck.count(y, (short) 0xFFFF), "unwritten elements of Y at m = " + m);
                assertEquals(-1, y.segment().mismatch(yTwin.segment()), "the tuned product differs from its BF16 twin at m = " + m);
                assertEquals(0, FusedGemmCheck.countNaN(y), "NaN in Y at m = " + m);
            }
            assertEquals(ms.length, counted[0]);
            ScheduleTuner later = new ScheduleTuner(device.name(), device.multiprocessors(), counting, ScheduleCache.at(file), null);
            for (int i = 0; i < ms.length; i++) assertEquals(chosen[i], later.schedule(op, ms[i]));
            assertEquals(ms.length, counted[0], "the second tuner read every choice from the file");
        }
    }

    /** y = x W^T by {@code op} under schedule s, Y poisoned first. */
    private static ShortArray run(Device device, FusedLinear op, ShortArray x, int m, FusedLinear.Schedule s, Arena arena) {
        ShortArray y = ShortArray.allocate(arena, m * N);
        y.segment().fill((byte) 0xFF);
        List<DeviceBuffer> held = op.upload(device);
        try (ExecutionPlan plan = op.bind("tuned", x, y, m, s, arena).plan(device)) {
            plan.transferToDevice(x, y);
            plan.execute();
            plan.transferToHost(y);
        } finally {
            held.forEach(DeviceBuffer::close);
        }
        return y;
    }
}
