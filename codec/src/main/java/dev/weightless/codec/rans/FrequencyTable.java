package dev.weightless.codec.rans;

import dev.weightless.codec.MalformedInputException;

/**
 * Symbol frequencies quantized to sum to {@code 2^scaleBits}, every occurring symbol at least 1, and the
 * cumulative starts. Stored as the number of occurring symbols, then for each (in symbol order) the gap
 * from the previous one and its frequency, all Elias-gamma coded: runs of adjacent symbols and small
 * frequencies cost a few bits, so a 35-exponent table takes about 60 bytes.
 */
final class FrequencyTable {
    final int scaleBits;
    final int[] freq;
    final int[] cum;

    FrequencyTable(int scaleBits, int[] freq) {
        this.scaleBits = scaleBits;
        this.freq = freq;
        this.cum = new int[freq.length];
        for (int s = 1; s < freq.length; s++) cum[s] = cum[s - 1] + freq[s - 1];
    }

    /**
     * Rounds counts to frequencies summing to {@code 2^scaleBits}: proportional first, then one unit at a
     * time where it costs the fewest coded bits (greedy on count × log ratio), never below 1.
     */
    static FrequencyTable quantize(long[] counts, int scaleBits) {
        int total = 1 << scaleBits;
        long n = 0;
        int present = 0;
        for (long c : counts) {
            n += c;
            if (c > 0) present++;
        }
        if (n == 0) throw new IllegalArgumentException("no symbols to count");
        if (present > total) throw new IllegalArgumentException(present + " symbols do not fit a scale of " + total);
        int[] f = new int[counts.length];
        int[] symbols = new int[present];
        long sum = 0;
        for (int s = 0, i = 0; s < counts.length; s++) {
            if (counts[s] == 0) continue;
            symbols[i++] = s;
            f[s] = (int) Math.max(1, Math.min(total, Math.round((double) counts[s] * total / n)));
            sum += f[s];
        }
        while (sum != total) {
            int best = -1;
            double bestCost = Double.POSITIVE_INFINITY;
            boolean grow = sum < total;
            for (int s : symbols) {
                if (!grow && f[s] == 1) continue;
                // Bits the symbol's occurrences gain (grow: negative) or lose by the change.
                double cost = grow ? -counts[s] * Math.log((f[s] + 1.0) / f[s]) : counts[s] * Math.log(f[s] / (f[s] - 1.0));
                if (cost < bestCost) {
                    bestCost = cost;
                    best = s;
                }
            }
            f[best] += grow ? 1 : -1;
            sum += grow ? 1 : -1;
        }
        return new FrequencyTable(scaleBits, f);
    }

    void write(GammaWriter out) {
        int present = 0;
        for (int x : freq) if (x > 0) present++;
        out.write(present);
        int previous = -1;
        for (int s = 0; s < freq.length; s++) {
            if (freq[s] == 0) continue;
            out.write(s - previous);
            out.write(freq[s]);
            previous = s;
        }
    }

    /** Reads a table of {@code alphabet} symbols; anything but a valid table is malformed input. */
    static FrequencyTable read(GammaReader in, int alphabet, int scaleBits) {
        int total = 1 << scaleBits;
        int present = (int) in.read(Math.min(alphabet, total), "symbol count");
        int[] f = new int[alphabet];
        int previous = -1;
        long sum = 0;
        for (int i = 0; i < present; i++) {
            long at = in.position();
            int s = previous + (int) in.read(alphabet, "symbol gap");
            if (s >= alphabet) throw new MalformedInputException(at, "symbol " + s + " outside the alphabet of " + alphabet);
            f[s] = (int) in.read(total, "frequency");
            sum += f[s];
            previous = s;
        }
        if (sum != total) throw new MalformedInputException(in.position(), "frequencies sum to " + sum + ", expected " + total);
        return new FrequencyTable(scaleBits, f);
    }

    /**
     * The decoder's first table: each slot's offset within its symbol's range (slot − cum), 16 bits, two slots per
     * int (slot 2i in the low half): 32 KiB at a 14-bit scale, half the size of an int per slot, so that the
     * gathers that index it by the state's slot hit L1 more often.
     */
    int[] offsetPairs() { return offsetPairs(new int[offsetPairsLength()]); }

    int offsetPairsLength() { return Math.max(1, 1 << (scaleBits - 1)); }

    /** {@link #offsetPairs()} built into {@code t}, {@link #offsetPairsLength()} zeros (a reused array: {@link DecodeBuffers}). */
    int[] offsetPairs(int[] t) {
        if (t.length != offsetPairsLength()) throw new IllegalArgumentException("offset pairs: " + t.length + " ints, need " + offsetPairsLength());
        for (int s = 0; s < freq.length; s++) {
            int lo = cum[s], hi = cum[s] + freq[s];
            if (lo == hi) continue;
            // Pairs inside the range hold (2i − lo) | (2i + 1 − lo) << 16, linear in i: a loop C2 vectorises (the table is rebuilt per tensor).
            int base = 0x10000 - lo * 0x10001;
            for (int i = (lo + 1) >>> 1, end = hi >>> 1; i < end; i++) t[i] = base + i * 0x20002;
            // An odd start is a high half at offset 0 (nothing to write); an odd end leaves the last slot, hi − 1, as a low half.
            if ((hi & 1) == 1) t[hi >>> 1] |= hi - 1 - lo;
        }
        return t;
    }

    /**
     * The decoder's second table, by a symbol's range start (slot − offset = cum): its BF16 bits {@code value[symbol]}
     * (bits 16..31) and its frequency (bits 0..15; at most 2^15); other entries unused. At most one entry per
     * occurring symbol is ever read, so the few cache lines it touches stay in L1.
     */
    int[] startEntries(int[] value) { return startEntries(value, new int[1 << scaleBits]); }

    /** {@link #startEntries(int[])} built into {@code t}, 2^scale ints (zeros, or a reused array: only the entries set here are read). */
    int[] startEntries(int[] value, int[] t) {
        if (t.length != 1 << scaleBits) throw new IllegalArgumentException("start entries: " + t.length + " ints, need " + (1 << scaleBits));
        for (int s = freq.length - 1; s >= 0; s--) if (freq[s] > 0) t[cum[s]] = value[s] << 16 | freq[s];
        return t;
    }

    /** Bits the counts cost with these frequencies (the rANS stream's size, renormalisation aside). */
    double codedBits(long[] counts) {
        double bits = 0;
        for (int s = 0; s < counts.length; s++) if (counts[s] > 0) bits += counts[s] * (scaleBits - Math.log(freq[s]) / Math.log(2));
        return bits;
    }
}
