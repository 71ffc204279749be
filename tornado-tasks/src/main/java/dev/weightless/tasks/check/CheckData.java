package dev.weightless.tasks.check;

import dev.weightless.codec.Bf16;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;
import java.util.stream.LongStream;

/** Inputs for the GPU check's large histogram, and the CPU codec's answer for them. */
public final class CheckData {
    /** Values per synthetic "tensor": each gets its own scale, as layers of a real model do. */
    private static final long TENSOR_VALUES = 1 << 20;

    private CheckData() {}

    /**
     * Fills {@code bf16} with normal weights whose scale varies per block of 2^20 values between 0.0126
     * and 0.05, rounded from float to BF16 to nearest even: about 2.69 bits of exponent entropy, near
     * the 2.6–2.8 of real models (all-MiniLM-L6-v2: 2.654), with near-uniform sign and mantissa.
     */
    public static void fillSynthetic(MemorySegment bf16, long seed) {
        long values = bf16.byteSize() / 2;
        LongStream.range(0, Math.ceilDiv(values, TENSOR_VALUES)).parallel().forEach(tensor -> {
            SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + tensor);
            double scale = Math.pow(10, -1.9 + 0.6 * random.nextDouble());
            long end = Math.min(values, (tensor + 1) * TENSOR_VALUES);
            for (long i = tensor * TENSOR_VALUES; i < end; i++) {
                bf16.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, toBf16((float) (random.nextGaussian() * scale)));
            }
        });
    }

    /** Fills {@code target} with the bytes of {@code file} (raw little-endian BF16), repeated as often as needed. */
    public static void fillTiled(MemorySegment target, Path file) throws IOException {
        try (Arena arena = Arena.ofConfined(); FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long usable = channel.size() & ~1L;
            if (usable == 0) throw new IOException(file + " holds no BF16 value");
            MemorySegment source = channel.map(FileChannel.MapMode.READ_ONLY, 0, usable, arena);
            for (long offset = 0; offset < target.byteSize(); offset += usable) {
                MemorySegment.copy(source, 0, target, offset, Math.min(usable, target.byteSize() - offset));
            }
        }
    }

    /** The codec's exponent histogram, computed over slices in parallel. */
    public static long[] exponentHistogram(MemorySegment bf16) {
        long values = bf16.byteSize() / 2;
        int slices = Runtime.getRuntime().availableProcessors() * 4;
        long per = Math.ceilDiv(values, slices);
        return LongStream.range(0, slices).parallel()
                .mapToObj(s -> {
                    long from = Math.min(values, s * per), to = Math.min(values, from + per);
                    return Bf16.exponentHistogram(bf16.asSlice(from * 2, (to - from) * 2));
                })
                .reduce(new long[256], (a, b) -> {
                    long[] sum = new long[256];
                    for (int i = 0; i < 256; i++) sum[i] = a[i] + b[i];
                    return sum;
                });
    }

    /** Shannon entropy of a histogram, in bits per value. */
    public static double entropyBits(long[] histogram) {
        double total = 0, bits = 0;
        for (long c : histogram) total += c;
        for (long c : histogram) if (c > 0) bits -= c / total * (Math.log(c / total) / Math.log(2));
        return bits;
    }

    static short toBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        bits += 0x7FFF + ((bits >>> 16) & 1); // round to nearest, ties to even (no NaNs arise here)
        return (short) (bits >>> 16);
    }
}
