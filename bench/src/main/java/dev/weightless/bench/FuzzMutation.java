package dev.weightless.bench;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The kinds of corruption the fuzz run applies. Each variant gets its own generator seeded from the
 * run's seed and its number, so any variant can be reproduced alone.
 */
enum FuzzMutation {
    FLIP_ANY("bit flip, anywhere", null),
    FLIP_PREFIX("bit flip, length prefix", "prefix"),
    FLIP_HEADER("bit flip, header JSON", "header"),
    FLIP_CODE("bit flip, .wl.code", ".wl.code"),
    FLIP_INDEX("bit flip, .wl.index", ".wl.index"),
    FLIP_EXP("bit flip, .wl.exp", ".wl.exp"),
    FLIP_SM("bit flip, .wl.sm", ".wl.sm"),
    FLIP_RAW("bit flip, raw BF16", "raw"),
    FLIP_PASSTHROUGH("bit flip, passthrough", "passthrough"),
    OVERWRITE_RANDOM("overwrite, random bytes", null),
    OVERWRITE_BOUNDARY("overwrite, 00/FF/7F/80", null),
    TRUNCATE("truncate", null),
    INSERT_BYTE("insert a byte", null),
    DELETE_BYTE("delete a byte", null),
    DUPLICATE_INSERT("duplicate a range, inserted", null),
    DUPLICATE_OVERWRITE("duplicate a range, over other bytes", null),
    FLIP_CODED("bit flip, part of another coder", "coded");

    private static final List<String> KINDS = List.of("prefix", "header", ".wl.code", ".wl.index", ".wl.exp", ".wl.sm", "raw", "passthrough", "coded");
    private static final byte[] BOUNDARY = {0x00, (byte) 0xFF, 0x7F, (byte) 0x80};

    final String label;
    private final String region;

    FuzzMutation(String label, String region) {
        this.label = label;
        this.region = region;
    }

    record Mutant(FuzzMutation kind, byte[] bytes, String description) {}

    /** Variant {@code v} of the run seeded {@code seed}: a kind and its corruption of {@code in}'s file. */
    static Mutant of(FuzzInput in, long seed, long v) {
        SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + v);
        // Only kinds whose region the file has: a Huffman file draws exactly the sequence it drew before coded parts existed.
        List<FuzzMutation> kinds = Arrays.stream(values()).filter(k -> k.region == null || in.has(k.region)).toList();
        List<String> regions = KINDS.stream().filter(in::has).toList();
        FuzzMutation kind = kinds.get(r.nextInt(kinds.size()));
        byte[] b = in.compressed.clone();
        StringBuilder what = new StringBuilder();
        switch (kind) {
            case FLIP_ANY -> flips(in, b, r, 0, b.length, what);
            case OVERWRITE_RANDOM, OVERWRITE_BOUNDARY -> {
                // Half anywhere, half aimed at one kind of region, so small parts get hit too.
                FuzzInput.Region target = r.nextBoolean() ? null : pick(in, regions.get(r.nextInt(regions.size())), r);
                int from = target == null ? 0 : target.from(), to = target == null ? b.length : target.to();
                int at = from + r.nextInt(to - from), n = Math.min(1 + r.nextInt(8), b.length - at);
                byte boundary = BOUNDARY[r.nextInt(BOUNDARY.length)];
                for (int i = 0; i < n; i++) b[at + i] = kind == OVERWRITE_RANDOM ? (byte) r.nextInt(256) : boundary;
                what.append("overwrite ").append(n).append(" bytes at ").append(at).append(" (").append(in.locate(at)).append(") with ")
                        .append(kind == OVERWRITE_RANDOM ? "random bytes" : String.format("0x%02X", boundary));
            }
            case TRUNCATE -> {
                int length = r.nextInt(b.length);
                b = Arrays.copyOf(b, length);
                what.append("truncate to ").append(length).append(" bytes (").append(in.locate(length)).append(")");
            }
            case INSERT_BYTE -> {
                int at = r.nextInt(b.length + 1);
                byte value = (byte) r.nextInt(256);
                b = splice(b, at, 0, new byte[] {value});
                what.append(String.format("insert 0x%02X at %d (%s)", value, at, in.locate(at)));
            }
            case DELETE_BYTE -> {
                int at = r.nextInt(b.length);
                b = splice(b, at, 1, new byte[0]);
                what.append("delete byte ").append(at).append(" (").append(in.locate(at)).append(")");
            }
            case DUPLICATE_INSERT, DUPLICATE_OVERWRITE -> {
                int n = 1 + r.nextInt(Math.min(4096, b.length)), from = r.nextInt(b.length - n + 1);
                byte[] copy = Arrays.copyOfRange(b, from, from + n);
                int to = r.nextInt(b.length - (kind == DUPLICATE_INSERT ? 0 : n) + 1);
                if (kind == DUPLICATE_INSERT) b = splice(b, to, 0, copy);
                else System.arraycopy(copy, 0, b, to, n);
                what.append(kind == DUPLICATE_INSERT ? "insert a copy of " : "copy ").append(n).append(" bytes from ").append(from)
                        .append(" (").append(in.locate(from)).append(kind == DUPLICATE_INSERT ? ") at " : ") over ").append(to)
                        .append(" (").append(in.locate(to)).append(")");
            }
            default -> {
                FuzzInput.Region target = pick(in, kind.region, r);
                flips(in, b, r, target.from(), target.to(), what);
            }
        }
        return new Mutant(kind, b, what.toString());
    }

    /** One bit flip, or with odds 1/4 two to four, in bytes [from, to). */
    private static void flips(FuzzInput in, byte[] b, SplittableRandom r, int from, int to, StringBuilder what) {
        int n = r.nextInt(4) == 0 ? 2 + r.nextInt(3) : 1;
        what.append("flip");
        for (int i = 0; i < n; i++) {
            int at = from + r.nextInt(to - from), bit = r.nextInt(8);
            b[at] ^= (byte) (1 << bit);
            what.append(i == 0 ? " " : ", ").append("bit ").append(bit).append(" of byte ").append(at).append(" (").append(in.locate(at)).append(")");
        }
    }

    /** A region of {@code kind}: half the time one chosen evenly, half the time weighted by size. */
    private static FuzzInput.Region pick(FuzzInput in, String kind, SplittableRandom r) {
        List<FuzzInput.Region> all = in.regions.stream().filter(x -> x.kind().equals(kind) && x.size() > 0).toList();
        if (r.nextBoolean()) return all.get(r.nextInt(all.size()));
        long total = all.stream().mapToLong(FuzzInput.Region::size).sum(), at = r.nextLong(total);
        for (FuzzInput.Region x : all) {
            if (at < x.size()) return x;
            at -= x.size();
        }
        throw new AssertionError();
    }

    private static byte[] splice(byte[] b, int at, int remove, byte[] insert) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(b.length + insert.length);
        out.write(b, 0, at);
        out.write(insert, 0, insert.length);
        out.write(b, at + remove, b.length - at - remove);
        return out.toByteArray();
    }
}
