package dev.weightless.tensorcore.gemm;

import dev.weightless.io.json.Json;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Measured best palette kernel and splits of K per shape and batch size, for one kind of GPU: the autotuned
 * part of {@link FusedLinear#schedule(int, dev.weightless.tasks.Device)}. Made from FusedGemmCheck's
 * results.jsonl (every split it timed with both palette kernels; the lowest median wins) and kept as a small
 * text resource, one line {@code n k m splits kernel} each. A batch size between measured ones takes the
 * choice of the largest measured M below it; a shape never measured gets nothing (the caller's rule applies).
 * {@code java ... ScheduleTable results.jsonl > schedules.tsv} regenerates a table.
 */
public final class ScheduleTable {
    /** The table measured on the H200 (tensorcore/results/h200-results.jsonl). */
    public static final String H200_RESOURCE = "/tensorcore/schedules-h200.tsv";

    /** One measured choice: the splits of K and the palette kernel. */
    public record Choice(int splits, FusedLinear.Kernel kernel) {}

    private final Map<List<Long>, NavigableMap<Integer, Choice>> splits;

    private ScheduleTable(Map<List<Long>, NavigableMap<Integer, Choice>> splits) {
        this.splits = splits;
    }

    /** The best measured choice for (n, k) at batch size m, if (n, k) was measured at some M <= m. */
    public Optional<Choice> choice(long n, long k, int m) {
        NavigableMap<Integer, Choice> byM = splits.get(List.of(n, k));
        if (byM == null) return Optional.empty();
        Map.Entry<Integer, Choice> e = byM.floorEntry(m);
        return e == null ? Optional.empty() : Optional.of(e.getValue());
    }

    /** The splits of {@link #choice}. */
    public Optional<Integer> splits(long n, long k, int m) { return choice(n, k, m).map(Choice::splits); }

    public int size() { return splits.values().stream().mapToInt(Map::size).sum(); }

    /**
     * From FusedGemmCheck's results.jsonl: per (n, k, m) the splits and kernel whose median was lowest, over
     * the patching kernel ({@code patch_ms}) and the ballot kernel ({@code palette_ms}).
     */
    public static ScheduleTable fromResults(List<String> jsonLines) {
        Map<List<Long>, double[]> best = new TreeMap<>(ScheduleTable::compareKeys);
        for (String line : jsonLines) {
            if (line.isBlank()) continue;
            Map<?, ?> r = (Map<?, ?>) Json.parse(line.getBytes(StandardCharsets.UTF_8));
            long n = (Long) r.get("n"), k = (Long) r.get("k"), m = (Long) r.get("m"), s = (Long) r.get("splits");
            for (FusedLinear.Kernel kernel : FusedLinear.Kernel.values()) {
                Object timing = r.get(kernel == FusedLinear.Kernel.PATCH ? "patch_ms" : "palette_ms");
                if (timing == null) continue;
                double ms = ((Number) ((Map<?, ?>) timing).get("median")).doubleValue();
                best.merge(List.of(n, k, m), new double[] {ms, s, kernel.ordinal()}, (a, b) -> b[0] < a[0] ? b : a);
            }
        }
        Map<List<Long>, NavigableMap<Integer, Choice>> table = new TreeMap<>(ScheduleTable::compareKeys);
        best.forEach((key, v) -> table.computeIfAbsent(List.of(key.get(0), key.get(1)), x -> new TreeMap<>())
                .put(Math.toIntExact(key.get(2)), new Choice((int) v[1], FusedLinear.Kernel.values()[(int) v[2]])));
        return new ScheduleTable(table);
    }

    /** Parses lines {@code n k m splits kernel} (kernel: patch or ballot); '#' starts a comment. */
    public static ScheduleTable parse(List<String> lines, String source) {
        Map<List<Long>, NavigableMap<Integer, Choice>> table = new TreeMap<>(ScheduleTable::compareKeys);
        int number = 0;
        for (String line : lines) {
            number++;
            String text = line.strip();
            if (text.isEmpty() || text.startsWith("#")) continue;
            String[] f = text.split("\\s+");
            try {
                if (f.length != 5) throw new NumberFormatException("5 fields expected");
                int s = Integer.parseInt(f[3]);
                if (s < 1) throw new NumberFormatException("splits must be >= 1");
                FusedLinear.Kernel kernel = switch (f[4]) {
                    case "patch" -> FusedLinear.Kernel.PATCH;
                    case "ballot" -> FusedLinear.Kernel.BALLOT;
                    default -> throw new NumberFormatException("kernel must be patch or ballot");
                };
                table.computeIfAbsent(List.of(Long.parseLong(f[0]), Long.parseLong(f[1])), x -> new TreeMap<>()).put(Integer.parseInt(f[2]), new Choice(s, kernel));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(source + " line " + number + ": expected 'n k m splits kernel', got '" + text + "' (" + e.getMessage() + ")");
            }
        }
        return new ScheduleTable(table);
    }

    /** The table for the H200, from the jar. */
    public static ScheduleTable h200() {
        try (InputStream in = ScheduleTable.class.getResourceAsStream(H200_RESOURCE)) {
            if (in == null) throw new IllegalStateException(H200_RESOURCE + " is missing from the classpath");
            return parse(new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).lines().toList(), H200_RESOURCE);
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + H200_RESOURCE, e);
        }
    }

    /** The table as text, one line per entry. */
    public String format(String comment) {
        StringBuilder out = new StringBuilder("# " + comment + "\n# n k m splits kernel\n");
        splits.forEach((nk, byM) -> byM.forEach((m, c) -> out.append(nk.get(0)).append(' ').append(nk.get(1)).append(' ').append(m).append(' ').append(c.splits())
                .append(' ').append(c.kernel().name().toLowerCase(java.util.Locale.ROOT)).append('\n')));
        return out.toString();
    }

    private static int compareKeys(List<Long> a, List<Long> b) {
        for (int i = 0; i < a.size(); i++) {
            int c = Long.compare(a.get(i), b.get(i));
            if (c != 0) return c;
        }
        return 0;
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: ScheduleTable RESULTS.jsonl   (FusedGemmCheck's output; writes the table to stdout)");
            System.exit(64);
        }
        System.out.print(fromResults(Files.readAllLines(Path.of(args[0]))).format("best palette kernel and splits, from " + Path.of(args[0]).getFileName()));
    }
}
