package dev.weightless.codec;

/** Shannon entropy of a histogram, in bits per symbol. */
public final class Entropy {
    private Entropy() {}

    public static double bits(long[] histogram) {
        long total = 0;
        for (long c : histogram) total += c;
        if (total == 0) return 0;
        double h = 0;
        for (long c : histogram) {
            if (c > 0) {
                double p = (double) c / total;
                h -= p * Math.log(p);
            }
        }
        return h / Math.log(2);
    }
}
