package dev.weightless.codec.rans;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The decoder's tables hold, for every slot, what the rANS step needs, on tables of every shape (odd and even range ends, frequency 1, one symbol). */
class FrequencyTableTest {
    @Test
    void offsetPairsAndStartEntriesNameEverySlot() {
        SplittableRandom r = new SplittableRandom(5);
        for (int trial = 0; trial < 300; trial++) {
            int scale = 8 + r.nextInt(8);
            int alphabet = 1 + r.nextInt(trial % 3 == 0 ? 4 : 300);
            long[] counts = new long[alphabet];
            for (int s = 0; s < alphabet; s++) counts[s] = r.nextInt(4) == 0 ? 0 : 1 + (r.nextBoolean() ? r.nextInt(3) : r.nextInt(1 << 20));
            counts[r.nextInt(alphabet)] += 1;
            int present = 0;
            for (long c : counts) if (c > 0) present++;
            if (present > 1 << scale) continue;
            FrequencyTable t = FrequencyTable.quantize(counts, scale);
            int[] value = new int[alphabet];
            for (int s = 0; s < alphabet; s++) value[s] = r.nextInt(1 << 15);
            int[] pairs = t.offsetPairs(), entries = t.startEntries(value);
            for (int s = 0; s < alphabet; s++) {
                for (int slot = t.cum[s]; slot < t.cum[s] + t.freq[s]; slot++) {
                    int offset = pairs[slot >>> 1] >>> ((slot & 1) << 4) & 0xFFFF;
                    assertEquals(slot - t.cum[s], offset, "scale " + scale + ", symbol " + s + ", slot " + slot);
                    assertEquals(value[s] << 16 | t.freq[s], entries[slot - offset], "scale " + scale + ", symbol " + s + ", slot " + slot);
                }
            }
        }
    }
}
