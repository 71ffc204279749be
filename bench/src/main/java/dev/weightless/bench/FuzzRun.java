package dev.weightless.bench;

import dev.weightless.codec.ChecksumMismatchException;
import dev.weightless.codec.CodecOptions;
import dev.weightless.codec.MalformedInputException;
import dev.weightless.io.container.CompressedFile;
import dev.weightless.io.container.TensorRecord;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Mutation fuzzing of a compressed real-model file: every corrupted variant must be rejected with
 * the dedicated exceptions or decode bit-exact. Anything else (another exception, silently wrong
 * data, a variant running past 10 s) is counted as OTHER and fails the run.
 *
 * <p>Usage: {@code FuzzRun [--variants N] [--seed S] [--threads T] [--variant V] [--coder NAME]}; {@code --variant}
 * reruns a single variant and prints what happened to it; {@code --coder} compresses the input with another coder
 * of the coder lab (a format-version-2 file) instead of Huffman.
 */
public final class FuzzRun {
    private static final Path DIR = Path.of(System.getProperty("weightless.fuzz.dir", "bench/target/fuzz"));
    private static final long TIMEOUT_NANOS = 10_000_000_000L;
    private static final int KEPT_FAILURES = 20;
    /** One decoding thread per variant: the run's parallelism comes from the worker pool. */
    private static final CodecOptions DECODE = CodecOptions.defaults().withThreads(1);

    private enum Outcome { MALFORMED, CHECKSUM, EXACT, OTHER }

    private record Result(Outcome outcome, String detail, Throwable error) {}

    private final FuzzInput input;
    private final long seed, variants;
    private final long[][] counts = new long[FuzzMutation.values().length][Outcome.values().length];
    private final List<String> failures = new ArrayList<>();
    private long unchanged, done;

    private FuzzRun(FuzzInput input, long seed, long variants) {
        this.input = input;
        this.seed = seed;
        this.variants = variants;
    }

    public static void main(String[] args) throws Exception {
        long variants = 100_000, seed = 1, only = -1;
        String coder = "huffman";
        int threads = Runtime.getRuntime().availableProcessors();
        for (int i = 0; i < args.length; i += 2) {
            if (i + 1 >= args.length) throw new IllegalArgumentException("missing value after " + args[i]);
            switch (args[i]) {
                case "--variants" -> variants = Long.parseLong(args[i + 1]);
                case "--seed" -> seed = Long.parseLong(args[i + 1]);
                case "--threads" -> threads = Integer.parseInt(args[i + 1]);
                case "--variant" -> only = Long.parseLong(args[i + 1]);
                case "--coder" -> coder = args[i + 1];
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        FuzzInput input = FuzzInput.build(DIR, coder);
        FuzzRun run = new FuzzRun(input, seed, variants);
        if (only >= 0) {
            FuzzMutation.Mutant m = FuzzMutation.of(input, seed, only);
            Result r = run.attempt(m);
            System.out.println("variant " + only + ": " + m.kind().label + ": " + m.description() + "\n  -> " + r.outcome() + " " + r.detail());
            if (r.error() != null) r.error().printStackTrace(System.out);
            return;
        }
        long start = System.nanoTime();
        run.runAll(threads);
        String summary = run.summary(threads, (System.nanoTime() - start) / 1e9);
        System.out.print(summary);
        Files.writeString(DIR.resolve("summary-" + coder + ".txt"), summary, StandardCharsets.UTF_8);
        // Stuck workers may still hold threads; they must not keep the JVM or hide the result.
        System.exit(run.total(Outcome.OTHER) > 0 ? 1 : 0);
    }

    /** Decodes one variant and says how it ended. */
    private Result attempt(FuzzMutation.Mutant m) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment file = arena.allocate(Math.max(1, m.bytes().length)).asSlice(0, m.bytes().length);
            file.copyFrom(MemorySegment.ofArray(m.bytes()));
            try (CompressedFile c = CompressedFile.of(file, "variant")) {
                List<String> names = c.tensors().stream().map(TensorRecord::name).toList();
                if (!names.equals(List.copyOf(input.originals.keySet()))) return new Result(Outcome.OTHER, "tensor list changed silently: " + names, null);
                for (TensorRecord r : c.tensors()) {
                    byte[] expected = input.originals.get(r.name());
                    if (r.byteSize() != expected.length) return new Result(Outcome.OTHER, "tensor " + r.name() + " changed size silently", null);
                    MemorySegment out = arena.allocate(Math.max(1, expected.length)).asSlice(0, expected.length);
                    c.decode(r, out, DECODE);
                    long at = out.mismatch(MemorySegment.ofArray(expected));
                    if (at >= 0) return new Result(Outcome.OTHER, "tensor " + r.name() + " decoded without error but differs at byte " + at, null);
                }
                // Decompress writes this header back verbatim, so a change is as bad as wrong weights.
                if (!Arrays.equals(c.originalHeader(), input.originalHeader)) {
                    return new Result(Outcome.OTHER, "kept original header changed without an error: " + headerDiff(c.originalHeader()), null);
                }
            }
            return new Result(Outcome.EXACT, "", null);
        } catch (MalformedInputException e) {
            return new Result(Outcome.MALFORMED, e.getMessage(), null);
        } catch (ChecksumMismatchException e) {
            return new Result(Outcome.CHECKSUM, e.getMessage(), null);
        } catch (Throwable t) {
            return new Result(Outcome.OTHER, t.toString(), t);
        }
    }

    private String headerDiff(byte[] got) {
        byte[] want = input.originalHeader;
        int at = Arrays.mismatch(got, want);
        int from = Math.max(0, at - 20);
        return "first difference at byte " + at + ": \"" + new String(got, from, Math.min(got.length, at + 20) - from, StandardCharsets.UTF_8)
                + "\" instead of \"" + new String(want, from, Math.min(want.length, at + 20) - from, StandardCharsets.UTF_8) + "\"";
    }

    /** What a worker is doing: the variant under way (-1 when none) and since when. */
    private static final class Slot {
        final AtomicLong variant = new AtomicLong(-1);
        volatile long since;
        volatile FuzzMutation.Mutant mutant;
    }

    /**
     * Workers take variants in turn. A watchdog claims any variant running past the timeout, counts
     * it as OTHER and starts a replacement worker; the stuck thread is a daemon and is left behind
     * (Java cannot stop it safely). Whoever claims a variant first, worker or watchdog, records it.
     */
    private void runAll(int threads) throws InterruptedException {
        AtomicLong next = new AtomicLong();
        List<Slot> slots = new ArrayList<>();
        for (int i = 0; i < threads; i++) slots.add(startWorker(next));
        long reported = 0;
        while (finished() < variants) {
            Thread.sleep(100);
            for (int i = 0; i < slots.size(); i++) {
                Slot s = slots.get(i);
                long v = s.variant.get();
                if (v >= 0 && System.nanoTime() - s.since > TIMEOUT_NANOS && s.variant.compareAndSet(v, -1)) {
                    record(v, s.mutant, new Result(Outcome.OTHER, "still running after " + TIMEOUT_NANOS / 1_000_000_000 + " s", null));
                    slots.set(i, startWorker(next));
                }
            }
            long f = finished();
            if (f - reported >= variants / 10) {
                System.err.printf("fuzz: %d of %d variants done%n", f, variants);
                reported = f;
            }
        }
    }

    private Slot startWorker(AtomicLong next) {
        Slot s = new Slot();
        Thread.ofPlatform().daemon().name("fuzz-worker").start(() -> {
            for (long v; (v = next.getAndIncrement()) < variants; ) {
                FuzzMutation.Mutant m = FuzzMutation.of(input, seed, v);
                s.mutant = m;
                s.since = System.nanoTime();
                s.variant.set(v);
                Result r = attempt(m);
                if (!s.variant.compareAndSet(v, -1)) return; // the watchdog gave up on this one and replaced us
                record(v, m, r);
            }
        });
        return s;
    }

    private synchronized void record(long v, FuzzMutation.Mutant m, Result r) {
        counts[m.kind().ordinal()][r.outcome().ordinal()]++;
        done++;
        if (r.outcome() == Outcome.EXACT && Arrays.equals(m.bytes(), input.compressed)) unchanged++;
        if (r.outcome() == Outcome.OTHER && failures.size() < KEPT_FAILURES) {
            StringWriter trace = new StringWriter();
            if (r.error() != null) r.error().printStackTrace(new PrintWriter(trace));
            failures.add("variant " + v + " (" + m.kind().label + "): " + m.description() + "\n  " + r.detail() + "\n" + trace);
        }
    }

    private synchronized long finished() { return done; }

    private synchronized long total(Outcome o) {
        long n = 0;
        for (long[] row : counts) n += row[o.ordinal()];
        return n;
    }

    private synchronized String summary(int threads, double seconds) {
        StringBuilder s = new StringBuilder();
        long coded = input.coder.equals("huffman") ? input.regions.stream().filter(r -> r.kind().equals(".wl.sm")).count()
                : input.regions.stream().filter(r -> r.kind().equals("coded")).map(r -> r.name().substring(0, r.name().indexOf(".wl."))).distinct().count();
        s.append(String.format("fuzz input: %d bytes compressed (%d original tensors: %d coded by %s, raw %s, passthrough %s); seed %d, %d threads%n",
                input.compressed.length, input.originals.size(), coded, input.coder, FuzzInput.RANDOM, FuzzInput.POSITION_IDS, seed, threads));
        for (Map.Entry<String, Long> e : regionSizes().entrySet()) s.append(String.format("  region %-12s %8d bytes%n", e.getKey(), e.getValue()));
        s.append(String.format("%-38s %9s %9s %9s %9s %7s%n", "mutation", "variants", "malformed", "checksum", "EXACT", "OTHER"));
        long[] sum = new long[Outcome.values().length];
        for (FuzzMutation k : FuzzMutation.values()) {
            long[] row = counts[k.ordinal()];
            for (int o = 0; o < sum.length; o++) sum[o] += row[o];
            s.append(row(k.label, row));
        }
        s.append(row("total", sum));
        s.append(String.format("REJECTED = malformed (MalformedInputException) + checksum (ChecksumMismatchException); %d EXACT variants were identical to the input%n", unchanged));
        s.append(String.format("wall time %.1f s%n", seconds));
        for (String f : failures) s.append("OTHER ").append(f).append('\n');
        s.append(String.format("fuzz: %d variants, REJECTED %d, EXACT %d, OTHER %d%n", done,
                sum[Outcome.MALFORMED.ordinal()] + sum[Outcome.CHECKSUM.ordinal()], sum[Outcome.EXACT.ordinal()], sum[Outcome.OTHER.ordinal()]));
        return s.toString();
    }

    private static String row(String label, long[] c) {
        return String.format("%-38s %9d %9d %9d %9d %7d%n", label, Arrays.stream(c).sum(),
                c[Outcome.MALFORMED.ordinal()], c[Outcome.CHECKSUM.ordinal()], c[Outcome.EXACT.ordinal()], c[Outcome.OTHER.ordinal()]);
    }

    private Map<String, Long> regionSizes() {
        Map<String, Long> m = new java.util.LinkedHashMap<>();
        for (FuzzInput.Region r : input.regions) m.merge(r.kind(), (long) r.size(), Long::sum);
        return m;
    }
}
