package dev.weightless.io.container;

import dev.weightless.codec.coder.CodedTensor;
import dev.weightless.codec.coder.Coder;
import dev.weightless.codec.coder.Coders;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashSet;
import java.util.Set;

/**
 * Which coder the Compressor gives each BF16 tensor: always the same one ({@link #of}), or per tensor
 * the smallest among those that decode fast enough ({@link #auto}). "huffman" means the container's own
 * Huffman codec (format version 1); any other registered coder makes the file version 2.
 */
public final class CoderChoice {
    /** Largest sample, in weights, on which auto measures decode speed. */
    static final long SPEED_SAMPLE_WEIGHTS = 1L << 20;
    /**
     * A larger tensor is sampled as this many evenly spaced runs of weights, not its first 2^20: the first rows
     * of an embedding (padding and unused tokens) can decode far slower or faster than the rest.
     */
    private static final int SAMPLE_RUNS = 16;
    /** Auto times decodes of the sample until this much time has passed (and at least 3 runs), so short tensors are not timer noise. */
    private static final long MIN_TIMED_NANOS = 2_000_000;

    /**
     * Before a coder's first timing in a run it decodes a slice of {@link #WARM_UP_WEIGHTS} weights untimed, at least
     * {@link #WARM_UP_RUNS} times and {@link #WARM_UP_NANOS}, so that the JIT has compiled it: measured cold (a few
     * decodes of one large tensor), the Huffman decoder ran at 0.02 GB/s on MiniLM's first tensor, 0.65 GB/s warm.
     * Many small decodes reach the compile thresholds in a fraction of the time of a few large ones.
     */
    private static final long WARM_UP_WEIGHTS = 1 << 14, WARM_UP_RUNS = 1000, WARM_UP_NANOS = 200_000_000, WARM_UP_MAX_NANOS = 3_000_000_000L;

    private final String coder;
    private final double minDecodeGbps;
    private final Set<String> warmed = new HashSet<>();

    private CoderChoice(String coder, double minDecodeGbps) {
        this.coder = coder;
        this.minDecodeGbps = minDecodeGbps;
    }

    /** Today's behaviour: the container's Huffman codec for every BF16 tensor. */
    public static CoderChoice huffman() { return new CoderChoice("huffman", 0); }

    /** Every BF16 tensor coded by {@code name}; an unknown name is an {@link IllegalArgumentException} listing the known ones. */
    public static CoderChoice of(String name) {
        return new CoderChoice(Coders.byName(name).name(), 0);
    }

    /**
     * Per tensor, the coder with the smallest coded size among those whose single-thread decode speed,
     * measured here on the tensor (2^20 of its weights, in 16 evenly spaced runs, when larger), is at least {@code minDecodeGbps} GB/s
     * of BF16. When none is that fast the tensor is kept raw (a copy is always fast enough). The choice
     * depends on timings, so two runs on a busy machine may choose differently; every choice is lossless.
     */
    public static CoderChoice auto(double minDecodeGbps) {
        if (!(minDecodeGbps >= 0) || Double.isInfinite(minDecodeGbps)) throw new IllegalArgumentException("--min-decode-gbps must be a finite number >= 0, got " + minDecodeGbps);
        return new CoderChoice(null, minDecodeGbps);
    }

    public boolean isAuto() { return coder == null; }

    /** The fixed coder's name, or "auto". */
    public String describe() { return isAuto() ? "auto (decode >= " + minDecodeGbps + " GB/s)" : coder; }

    /** What one tensor gets: "huffman", another coder's name with its part sizes, or null coder for raw. */
    record Decision(String coder, long[] partBytes) {
        long codedBytes() {
            long sum = 0;
            for (long b : partBytes) sum = Math.addExact(sum, b);
            return sum;
        }
    }

    /**
     * Chooses for {@code bf16}; {@code huffmanBytes} is what the container's Huffman codec would store.
     * Raw (coder null) when the choice would not shrink the tensor.
     */
    Decision choose(MemorySegment bf16, long huffmanBytes) {
        long original = bf16.byteSize();
        if (!isAuto()) {
            if (coder.equals("huffman")) return huffmanBytes < original ? new Decision("huffman", null) : new Decision(null, null);
            Decision d = new Decision(coder, partSizes(Coders.byName(coder), bf16));
            return d.codedBytes() < original ? d : new Decision(null, null);
        }
        Decision best = new Decision(null, null);
        long bestBytes = original;
        for (Coder c : Coders.all()) {
            boolean huffman = c.name().equals("huffman");
            long bytes;
            long[] parts = null;
            if (huffman) {
                bytes = huffmanBytes;
            } else {
                parts = partSizes(c, bf16);
                bytes = new Decision(c.name(), parts).codedBytes();
            }
            if (bytes >= bestBytes) continue;
            // Warmed once per coder, on the first tensor large enough to exercise its main loops.
            if (bf16.byteSize() >= 2 * WARM_UP_WEIGHTS && warmed.add(c.name())) warmUp(c, bf16.asSlice(0, 2 * WARM_UP_WEIGHTS));
            if (decodeGbps(c, bf16) < minDecodeGbps) continue;
            best = new Decision(c.name(), parts);
            bestBytes = bytes;
        }
        return best;
    }

    /** Untimed decodes of {@code slice} until the JIT has had its chance (see {@link #WARM_UP_WEIGHTS}). */
    private static void warmUp(Coder c, MemorySegment slice) {
        try (Arena arena = Arena.ofConfined()) {
            CodedTensor coded = c.encode(slice, arena);
            MemorySegment out = arena.allocate(slice.byteSize(), 8);
            long start = System.nanoTime(), runs = 0, elapsed;
            do {
                c.decode(coded, out);
                runs++;
                elapsed = System.nanoTime() - start;
            } while ((runs < WARM_UP_RUNS || elapsed < WARM_UP_NANOS) && elapsed < WARM_UP_MAX_NANOS);
        }
    }

    /** Sizes of the parts {@code c} makes of {@code bf16}. */
    static long[] partSizes(Coder c, MemorySegment bf16) {
        try (Arena arena = Arena.ofConfined()) {
            CodedTensor t = c.encode(bf16, arena);
            return t.parts().stream().mapToLong(MemorySegment::byteSize).toArray();
        }
    }

    /**
     * Single-thread decode speed of {@code c} on {@code bf16}, or on 2^20 of its weights in 16 evenly spaced runs
     * when it is larger, in GB/s of BF16: the fastest of
     * at least 3 timed decodes over at least 2 ms (the fastest, since other work on the machine only slows
     * a run down), after one untimed decode.
     */
    static double decodeGbps(Coder c, MemorySegment bf16) {
        long n = bf16.byteSize() / 2;
        if (n == 0) return Double.POSITIVE_INFINITY;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sample = bf16;
            if (n > SPEED_SAMPLE_WEIGHTS) {
                long run = SPEED_SAMPLE_WEIGHTS / SAMPLE_RUNS;
                sample = arena.allocate(2 * SPEED_SAMPLE_WEIGHTS, 8);
                for (int i = 0; i < SAMPLE_RUNS; i++) {
                    long from = Math.multiplyExact(i, n - run) / (SAMPLE_RUNS - 1); // first run at 0, last ending at n
                    MemorySegment.copy(bf16, 2 * from, sample, 2 * i * run, 2 * run);
                }
            }
            CodedTensor coded = c.encode(sample, arena);
            MemorySegment out = arena.allocate(sample.byteSize(), 8);
            c.decode(coded, out); // untimed: first touch of the output
            long runs = 0, start = System.nanoTime(), fastest = Long.MAX_VALUE;
            do {
                long t0 = System.nanoTime();
                c.decode(coded, out);
                fastest = Math.min(fastest, System.nanoTime() - t0);
                runs++;
            } while (runs < 3 || System.nanoTime() - start < MIN_TIMED_NANOS);
            return (double) sample.byteSize() / Math.max(1, fastest);
        }
    }
}
