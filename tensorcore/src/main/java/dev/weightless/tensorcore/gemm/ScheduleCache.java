package dev.weightless.tensorcore.gemm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The schedules {@link ScheduleTuner} measured, per GPU, W coding, shape and batch-size bucket, kept in memory and,
 * when made with {@link #at(Path)}, in a small text file that later runs read back. One line per entry, tab-separated:
 * device name, multiprocessors, W's variant, n, k, m (the bucket), splits, rows of X per CTA, kernel, CTA cap, median ms.
 * The file is rewritten whole through a temporary file moved over it, so a crash never leaves half of it.
 */
public final class ScheduleCache {
    static final String HEADER = "# weightless schedule cache 1: device\tmultiprocessors\tvariant\tn\tk\tm\tsplits\trows\tkernel\tctas\tmedian ms";

    /** What a schedule is measured for. */
    public record Key(String device, int multiprocessors, FusedLinear.Variant variant, long n, long k, int m) implements Comparable<Key> {
        public Key {
            if (device == null || device.isBlank() || device.contains("\t") || device.contains("\n")) throw new IllegalArgumentException("device name must be non-blank, without tabs or newlines: " + device);
            if (multiprocessors < 1 || n < 1 || k < 1 || m < 1) throw new IllegalArgumentException("multiprocessors, n, k and m must be >= 1: " + multiprocessors + ", " + n + ", " + k + ", " + m);
            if (variant == null) throw new IllegalArgumentException("variant must not be null");
        }

        @Override
        public int compareTo(Key o) {
            int c = device.compareTo(o.device);
            if (c == 0) c = Integer.compare(multiprocessors, o.multiprocessors);
            if (c == 0) c = variant.compareTo(o.variant);
            if (c == 0) c = Long.compare(n, o.n);
            if (c == 0) c = Long.compare(k, o.k);
            return c != 0 ? c : Integer.compare(m, o.m);
        }
    }

    /** A measured choice and its median time. */
    public record Entry(FusedLinear.Schedule schedule, double millis) {}

    private final Path file; // null: memory only
    private final TreeMap<Key, Entry> entries = new TreeMap<>();

    private ScheduleCache(Path file) { this.file = file; }

    /** A cache that is lost with the process. */
    public static ScheduleCache inMemory() { return new ScheduleCache(null); }

    /**
     * A cache kept in {@code file}: read now when it exists (a malformed file is refused, naming the file and line, and
     * left as it is), written whole after every {@link #put}.
     */
    public static ScheduleCache at(Path file) {
        ScheduleCache cache = new ScheduleCache(file.toAbsolutePath());
        List<String> lines;
        try {
            lines = Files.readAllLines(cache.file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return cache;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the schedule cache " + cache.file + ": " + e.getMessage(), e);
        }
        if (lines.isEmpty() || !lines.getFirst().equals(HEADER)) {
            throw new IllegalArgumentException(cache.file + ":1: not a weightless schedule cache (its first line must be \"" + HEADER + "\")");
        }
        for (int i = 1; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) continue;
            try {
                cache.parse(lines.get(i));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(cache.file + ":" + (i + 1) + ": " + e.getMessage(), e);
            }
        }
        return cache;
    }

    private void parse(String line) {
        String[] f = line.split("\t", -1);
        if (f.length != 11) throw new IllegalArgumentException("11 tab-separated fields expected, found " + f.length);
        Key key = new Key(f[0], Integer.parseInt(f[1]), FusedLinear.Variant.valueOf(f[2]), Long.parseLong(f[3]), Long.parseLong(f[4]), Integer.parseInt(f[5]));
        FusedLinear.Schedule s = new FusedLinear.Schedule(Integer.parseInt(f[6]), Integer.parseInt(f[7]), FusedLinear.Kernel.valueOf(f[8]), Integer.parseInt(f[9]));
        double millis = Double.parseDouble(f[10]);
        if (!(millis > 0) || Double.isInfinite(millis)) throw new IllegalArgumentException("median ms must be a positive number, got " + f[10]);
        if (entries.put(key, new Entry(s, millis)) != null) throw new IllegalArgumentException("a second entry for " + key);
    }

    /** The file behind this cache, if any. */
    public Optional<Path> file() { return Optional.ofNullable(file); }

    public synchronized Optional<Entry> get(Key key) { return Optional.ofNullable(entries.get(key)); }

    public synchronized int size() { return entries.size(); }

    /** Records a measured choice (replacing one for the same key) and, for a file-backed cache, rewrites the file. */
    public synchronized void put(Key key, Entry entry) {
        Entry before = entries.put(key, entry);
        if (file == null) return;
        try {
            write();
        } catch (IOException e) {
            if (before == null) entries.remove(key);
            else entries.put(key, before);
            throw new UncheckedIOException("cannot write the schedule cache " + file + ": " + e.getMessage(), e);
        }
    }

    private void write() throws IOException {
        List<String> lines = new ArrayList<>(entries.size() + 1);
        lines.add(HEADER);
        for (Map.Entry<Key, Entry> e : entries.entrySet()) {
            Key k = e.getKey();
            FusedLinear.Schedule s = e.getValue().schedule();
            lines.add(String.join("\t", k.device(), Integer.toString(k.multiprocessors()), k.variant().name(), Long.toString(k.n()), Long.toString(k.k()),
                    Integer.toString(k.m()), Integer.toString(s.splits()), Integer.toString(s.rowsPerCta()), s.kernel().name(), Integer.toString(s.ctas()),
                    String.format(Locale.ROOT, "%.6f", e.getValue().millis())));
        }
        Path parent = file.getParent();
        if (parent != null) Files.createDirectories(parent);
        Path temporary = Files.createTempFile(parent, file.getFileName() + ".", ".tmp");
        try {
            Files.write(temporary, lines, StandardCharsets.UTF_8);
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }
}
