package dev.weightless.tasks;

import dev.weightless.codec.CodecOptions;
import dev.weightless.codec.EncodedTensor;
import dev.weightless.codec.HuffmanDecoder;
import dev.weightless.codec.HuffmanEncoder;
import dev.weightless.jit.kernel.IntArray;
import dev.weightless.jit.kernel.ShortArray;
import dev.weightless.tasks.codec.ResidentEncoder;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntUnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Tensors already on the (fake) device encoded there: every part and the CRC32C equal the CPU encoder's. */
class ResidentEncoderTest {
    /** Encodes {@code n} values placed {@code offset} bytes into a device-only buffer and compares with the CPU encoder. */
    private static void matches(long n, long offset, CodecOptions options, IntUnaryOperator exponentOf, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        FakeDriver driver = new FakeDriver();
        try (Device device = new Device(driver); Arena arena = Arena.ofShared()) {
            MemorySegment bf16 = arena.allocate(Math.max(2, n * 2), 8);
            for (long i = 0; i < n; i++) {
                int e = exponentOf.applyAsInt(random.nextInt(1 << 20)) & 0xFF, s = random.nextInt(256);
                bf16.setAtIndex(ValueLayout.JAVA_SHORT, i, (short) ((s & 0x80) << 8 | e << 7 | (s & 0x7F)));
            }
            MemorySegment values = bf16.asSlice(0, n * 2);
            EncodedTensor cpu = HuffmanEncoder.plan(values, options).writeTo(arena);
            try (DeviceBuffer buffer = device.allocate(offset + n * 2 + 64)) {
                buffer.copyFrom(values, offset);
                EncodedTensor gpu = new ResidentEncoder(device, FakeDriver::compile)
                        .encode(new DeviceArray(buffer, offset, n, ShortArray.class), options, arena).tensor();
                assertEquals(cpu.crc32c(), gpu.crc32c(), "CRC32C");
                assertEquals(-1, cpu.table().bytes().mismatch(gpu.table().bytes()), "table");
                assertEquals(-1, cpu.index().bytes().mismatch(gpu.index().bytes()), "index");
                assertEquals(-1, cpu.payload().bytes().mismatch(gpu.payload().bytes()), "payload");
                assertEquals(-1, cpu.plane().bytes().mismatch(gpu.plane().bytes()), "plane");
                MemorySegment decoded = arena.allocate(Math.max(1, n * 2)).asSlice(0, n * 2);
                HuffmanDecoder.open(gpu).decode(decoded, options);
                assertEquals(-1, values.mismatch(decoded), "round trip");
            }
            assertEquals(List.of(), device.liveBuffers());
        }
    }

    private static int realistic(int x) {
        return Math.clamp(120 + (int) Math.round(new SplittableRandom(x).nextGaussian() * 1.6), 100, 127);
    }

    @Test
    void partialLastChunkAndGroupInsideALargerBuffer() { matches(40 * 1024 + 301, 512, CodecOptions.defaults(), ResidentEncoderTest::realistic, 1); }

    @Test
    void oddCountsAndFewElements() {
        matches(3 * 1024 + 7, 0, CodecOptions.defaults(), ResidentEncoderTest::realistic, 2);
        matches(5, 2, CodecOptions.defaults(), x -> 118 + (x & 3), 3);
        matches(1, 0, CodecOptions.defaults(), x -> 118, 4);
    }

    @Test
    void singleSymbolAndEmpty() {
        matches(2 * 1024 + 77, 0, CodecOptions.defaults(), x -> 121, 5);
        matches(0, 0, CodecOptions.defaults(), x -> 121, 6);
    }

    @Test
    void allExponentsWithLongCodes() {
        matches(40 * 1024 + 3, 0, CodecOptions.defaults().withMaxCodeLength(14), x -> (x & 63) != 0 ? 120 + (x >>> 6) % 3 : (x >>> 6) & 0xFF, 7);
    }

    @Test
    void otherChunkSizes() {
        matches(5 * 4096 + 999, 0, CodecOptions.defaults().withChunks(4096, 32), ResidentEncoderTest::realistic, 8);
        matches(70 * 64 + 3, 0, CodecOptions.defaults().withChunks(64, 32), ResidentEncoderTest::realistic, 9);
    }

    @Test
    void refusesWhatTheKernelsDoNotTake() {
        try (Device device = new Device(new FakeDriver()); Arena arena = Arena.ofShared(); DeviceBuffer buffer = device.allocate(4096)) {
            ResidentEncoder encoder = new ResidentEncoder(device, FakeDriver::compile);
            assertThrows(IllegalArgumentException.class, () -> encoder.encode(new DeviceArray(buffer, 0, 16, IntArray.class), CodecOptions.defaults(), arena));
            assertThrows(IllegalArgumentException.class,
                    () -> encoder.encode(new DeviceArray(buffer, 0, 1024, ShortArray.class), CodecOptions.defaults().withChunks(1024, 16), arena));
        }
    }
}
