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
 * Measured best kernel, splits of K and tile per shape and batch size, for one kind of GPU: the autotuned
 * part of {@link FusedLinear#schedule(int, dev.weightless.tasks.Device)}. Made from the benches' results.jsonl
 * (FusedGemmCheck's: every split it timed with both palette kernels; WgmmaCheck's: every tile of the wgmma
 * kernel; the lowest median wins, or over several runs the lowest mean of their medians) and kept as a small text resource, one line {@code n k m splits kernel}
 * each (kernel: {@code patch}, {@code ballot}, {@code band} (16 rows of X), {@code narrow} (8 rows, 4 warps per CTA), {@code cluster} (8 rows, 2, 4 or 8 splits summed in a cluster), or a wgmma kernel with its rows of X per CTA,
 * 64, 128 or 256: {@code tma256} the TMA-fed kernel, {@code wgmma256} the earlier one in clusters of two CTAs sharing W,
 * {@code solo256} that one with one CTA per tile). A batch size between measured ones takes the choice of the largest measured M below
 * it; a shape never measured gets nothing (the caller's rule applies).
 * {@code java ... ScheduleTable results.jsonl[@M1-M2] ... > schedules.tsv} regenerates a table.
 */
public final class ScheduleTable {
    /** The table measured on the H200 (tensorcore/results/h200-results.jsonl). */
    public static final String H200_RESOURCE = "/tensorcore/schedules-h200.tsv";

    /** One measured choice: the splits of K, the kernel, and for the wgmma kernel its rows of X per CTA (0 otherwise: the rule's rows). */
    public record Choice(int splits, FusedLinear.Kernel kernel, int rows) {
        public Choice(int splits, FusedLinear.Kernel kernel) { this(splits, kernel, 0); }
    }

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
     * From the benches' results.jsonl lines: per (n, k, m) the candidate whose median was lowest (the lowest mean of its
     * medians where the lines hold several runs, so that one lucky launch series does not decide a tie), over the
     * patching kernel ({@code patch_ms}), the ballot kernel ({@code palette_ms}), the band kernel ({@code band_ms}), the narrow kernel ({@code narrow_ms}) and the cluster kernel ({@code cluster_ms}) at each line's splits, and
     * the wgmma kernel ({@code wgmma_ms}) at each line's rows, TMA-fed, paired or solo by the line's {@code kernel}
     * ({@code "tma"}, {@code "solo"}, or {@code "wgmma"} also when absent, as in results written before the solo entries existed), and WgmmaCheck's
     * mma.sync yardstick ({@code mma_ms}) at its {@code mma_kernel} and {@code mma_splits} where a line names them.
     */
    public static ScheduleTable fromResults(List<String> jsonLines) {
        // per (n, k, m) and candidate (splits, kernel, rows): the sum of its medians and how many
        Map<List<Long>, Map<List<Long>, double[]>> timed = new TreeMap<>(ScheduleTable::compareKeys);
        for (String line : jsonLines) {
            if (line.isBlank()) continue;
            Map<?, ?> r = (Map<?, ?>) Json.parse(line.getBytes(StandardCharsets.UTF_8));
            long n = (Long) r.get("n"), k = (Long) r.get("k"), m = (Long) r.get("m");
            Object label = r.get("kernel") == null ? "wgmma" : r.get("kernel");
            for (FusedLinear.Kernel kernel : FusedLinear.Kernel.values()) {
                Object timing = switch (kernel) {
                    case PATCH -> r.get("patch_ms");
                    case BALLOT -> r.get("palette_ms");
                    case PATCH_BAND -> r.get("band_ms");
                    case PATCH_NARROW -> r.get("narrow_ms");
                    case PATCH_CLUSTER -> r.get("cluster_ms");
                    case WGMMA, WGMMA_SOLO, WGMMA_TMA, WGMMA_TMA_CLUSTER, WGMMA_TMA_HALF, WGMMA_TMA_WIDE, WGMMA_TMA_MEET, WGMMA_TMA_PAIR -> WgmmaCheck.label(kernel).equals(label) ? r.get("wgmma_ms") : null;
                };
                if (timing == null) continue;
                double ms = ((Number) ((Map<?, ?>) timing).get("median")).doubleValue();
                long splits = kernel.wgmma() ? (r.get("splits") instanceof Long l ? l : 1) : (Long) r.get("splits");
                long rows = kernel.wgmma() ? (Long) r.get("rows") : 0;
                add(timed, List.of(n, k, m), List.of(splits, (long) kernel.ordinal(), rows), ms);
            }
            if (r.get("mma_kernel") != null && r.get("mma_ms") instanceof Map<?, ?> t) {   // WgmmaCheck's mma.sync yardstick
                FusedLinear.Kernel kernel = "patch".equals(r.get("mma_kernel")) ? FusedLinear.Kernel.PATCH : FusedLinear.Kernel.BALLOT;
                double ms = ((Number) t.get("median")).doubleValue();
                add(timed, List.of(n, k, m), List.of((Long) r.get("mma_splits"), (long) kernel.ordinal(), 0L), ms);
            }
        }
        Map<List<Long>, NavigableMap<Integer, Choice>> table = new TreeMap<>(ScheduleTable::compareKeys);
        timed.forEach((key, candidates) -> {
            List<Long> best = null;
            double bestMean = Double.POSITIVE_INFINITY;
            for (Map.Entry<List<Long>, double[]> c : candidates.entrySet()) {
                double mean = c.getValue()[0] / c.getValue()[1];
                if (mean < bestMean) { bestMean = mean; best = c.getKey(); }
            }
            table.computeIfAbsent(List.of(key.get(0), key.get(1)), x -> new TreeMap<>()).put(Math.toIntExact(key.get(2)),
                    new Choice(Math.toIntExact(best.get(0)), FusedLinear.Kernel.values()[Math.toIntExact(best.get(1))], Math.toIntExact(best.get(2))));
        });
        return new ScheduleTable(table);
    }

    /** One more median of a candidate (splits, kernel ordinal, rows) at (n, k, m). */
    private static void add(Map<List<Long>, Map<List<Long>, double[]>> timed, List<Long> nkm, List<Long> candidate, double ms) {
        timed.computeIfAbsent(nkm, x -> new TreeMap<>(ScheduleTable::compareKeys)).merge(candidate, new double[] {ms, 1}, (a, b) -> new double[] {a[0] + b[0], a[1] + b[1]});
    }

    /** Parses lines {@code n k m splits kernel} (kernel: patch, ballot, band, narrow, cluster, or tma, tmacluster, wgmma or solo and 64, 128 or 256, or tmahalf256, or tmawide64, or tmameet128 or tmameet256, or tmapair256); '#' starts a comment. */
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
                Choice choice = switch (f[4]) {
                    case "patch" -> new Choice(s, FusedLinear.Kernel.PATCH);
                    case "ballot" -> new Choice(s, FusedLinear.Kernel.BALLOT);
                    case "band" -> new Choice(s, FusedLinear.Kernel.PATCH_BAND);
                    case "narrow" -> new Choice(s, FusedLinear.Kernel.PATCH_NARROW);
                    case "cluster" -> new Choice(s, FusedLinear.Kernel.PATCH_CLUSTER);
                    case "tma64", "tma128", "tma256", "tmacluster64", "tmacluster128", "tmacluster256", "tmahalf256", "tmawide64", "tmameet128", "tmameet256", "tmapair256", "wgmma64", "wgmma128", "wgmma256", "solo64", "solo128", "solo256" -> {
                        String kind = f[4].replaceAll("[0-9]+$", "");
                        if (s != 1 && !kind.startsWith("tma")) throw new NumberFormatException("only the TMA kernel splits K");
                        if (kind.equals("tmacluster") && s != 2 && s != 4) throw new NumberFormatException("the TMA kernel's cluster finish takes 2 or 4 splits");
                        if (kind.equals("tmahalf") && s != 1 && s != 2 && s != 4) throw new NumberFormatException("the half kernel takes 1, 2 or 4 splits");
                        if (kind.equals("tmawide") && s != 1 && s != 2 && s != 4) throw new NumberFormatException("the wide kernel takes 1, 2 or 4 splits");
                        if (kind.equals("tmameet") && s < 2) throw new NumberFormatException("the meet kernel takes 2 or more splits");
                        if (kind.equals("tmapair") && s != 1) throw new NumberFormatException("the pair kernel takes K unsplit");
                        FusedLinear.Kernel kernel = switch (kind) {
                            case "tma" -> FusedLinear.Kernel.WGMMA_TMA;
                            case "tmacluster" -> FusedLinear.Kernel.WGMMA_TMA_CLUSTER;
                            case "tmahalf" -> FusedLinear.Kernel.WGMMA_TMA_HALF;
                            case "tmawide" -> FusedLinear.Kernel.WGMMA_TMA_WIDE;
                            case "tmameet" -> FusedLinear.Kernel.WGMMA_TMA_MEET;
                            case "tmapair" -> FusedLinear.Kernel.WGMMA_TMA_PAIR;
                            case "solo" -> FusedLinear.Kernel.WGMMA_SOLO;
                            default -> FusedLinear.Kernel.WGMMA;
                        };
                        yield new Choice(s, kernel, Integer.parseInt(f[4].substring(kind.length())));
                    }
                    default -> throw new NumberFormatException("kernel must be patch, ballot, band, narrow, cluster, or tma, tmacluster, wgmma or solo and 64, 128 or 256, or tmahalf256, or tmawide64, or tmameet128 or tmameet256, or tmapair256");
                };
                table.computeIfAbsent(List.of(Long.parseLong(f[0]), Long.parseLong(f[1])), x -> new TreeMap<>()).put(Integer.parseInt(f[2]), choice);
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
                .append(' ').append(name(c)).append('\n')));
        return out.toString();
    }

    /** A choice's kernel as the table writes it. */
    private static String name(Choice c) { return name(c.kernel(), c.rows()); }

    /** A kernel as the table (and the benches' results) name it; rows matter only for the wgmma kernels. */
    static String name(FusedLinear.Kernel kernel, int rows) {
        return switch (kernel) {
            case PATCH -> "patch";
            case BALLOT -> "ballot";
            case PATCH_BAND -> "band";
            case PATCH_NARROW -> "narrow";
            case PATCH_CLUSTER -> "cluster";
            case WGMMA, WGMMA_SOLO, WGMMA_TMA, WGMMA_TMA_CLUSTER, WGMMA_TMA_HALF, WGMMA_TMA_WIDE, WGMMA_TMA_MEET, WGMMA_TMA_PAIR -> WgmmaCheck.label(kernel) + rows;
        };
    }

    private static int compareKeys(List<Long> a, List<Long> b) {
        for (int i = 0; i < a.size(); i++) {
            int c = Long.compare(a.get(i), b.get(i));
            if (c != 0) return c;
        }
        return 0;
    }

    /**
     * Writes the table made from the results files to stdout. Each argument is a results.jsonl, optionally
     * with {@code @M1-M2} to take only its lines of batch sizes M1..M2 (when a later run re-measured the rest); several runs'
     * files together decide each cell by the mean of each candidate's medians.
     */
    public static void main(String[] args) throws IOException {
        if (args.length == 0) {
            System.err.println("usage: ScheduleTable RESULTS.jsonl[@M1-M2] ...   (FusedGemmCheck's and WgmmaCheck's output; writes the table to stdout)");
            System.exit(64);
        }
        List<String> lines = new java.util.ArrayList<>();
        List<String> names = new java.util.ArrayList<>();
        for (String arg : args) {
            int at = arg.lastIndexOf('@');
            Path file = Path.of(at < 0 ? arg : arg.substring(0, at));
            long low = 0, high = Long.MAX_VALUE;
            if (at >= 0) {
                String[] range = arg.substring(at + 1).split("-");
                low = Long.parseLong(range[0]);
                high = Long.parseLong(range[1]);
            }
            for (String line : Files.readAllLines(file)) {
                if (line.isBlank()) continue;
                long m = (Long) ((Map<?, ?>) Json.parse(line.getBytes(StandardCharsets.UTF_8))).get("m");
                if (m >= low && m <= high) lines.add(line);
            }
            names.add(file.getFileName() + (at < 0 ? "" : " (M " + low + ".." + high + ")"));
        }
        System.out.print(fromResults(lines).format("best kernel, splits and tile, from " + String.join(", ", names)));
    }
}
