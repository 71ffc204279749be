package dev.weightless.codec;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.PriorityQueue;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CodeTableTest {
    /** Cost of an unlimited Huffman code, by the classic merge of the two lightest nodes. */
    private static long huffmanCost(long[] counts) {
        PriorityQueue<Long> q = new PriorityQueue<>();
        for (long c : counts) if (c > 0) q.add(c);
        if (q.size() == 1) return q.peek();
        long cost = 0;
        while (q.size() > 1) {
            long a = q.poll(), b = q.poll();
            cost += a + b;
            q.add(a + b);
        }
        return cost;
    }

    private static long cost(CodeTable t, long[] counts) {
        long c = 0;
        for (int s = 0; s < 256; s++) c += counts[s] * t.length(s);
        return c;
    }

    @Test
    void packageMergeEqualsHuffmanWhenTheLimitDoesNotBind() {
        SplittableRandom r = new SplittableRandom(1);
        for (int k = 0; k < 500; k++) {
            long[] counts = new long[256];
            int used = r.nextInt(2, 40);
            for (int i = 0; i < used; i++) counts[r.nextInt(256)] += r.nextLong(1, 1000);
            CodeTable t = CodeTable.forHistogram(counts, 15);
            if (t.maxLength() < 15) assertEquals(huffmanCost(counts), cost(t, counts));
        }
    }

    @Test
    void limitedCodesAreCompleteAndNoWorseThanAnyOtherLimitedCode() {
        SplittableRandom r = new SplittableRandom(2);
        for (int k = 0; k < 300; k++) {
            long[] counts = new long[256];
            for (int s = 0; s < 256; s++) if (r.nextInt(3) == 0) counts[s] = 1L << r.nextInt(40);
            if (java.util.Arrays.stream(counts).filter(c -> c > 0).count() < 2) counts[0] = counts[1] = 1;
            for (int limit = 8; limit <= 15; limit++) {
                CodeTable t = CodeTable.forHistogram(counts, limit);
                assertTrue(t.maxLength() <= limit);
                // Round trip through the serialized form re-checks completeness (Kraft sum 1).
                MemorySegment m = MemorySegment.ofArray(new byte[CodeTable.SERIALIZED_BYTES]);
                t.write(m);
                CodeTable back = CodeTable.read(m);
                for (int s = 0; s < 256; s++) assertEquals(t.reversedCode(s), back.reversedCode(s));
                // A looser limit can only help.
                if (limit > 8) assertTrue(cost(t, counts) <= cost(CodeTable.forHistogram(counts, limit - 1), counts));
                assertTrue(cost(t, counts) >= huffmanCost(counts));
            }
        }
    }

    @Test
    void allSymbolsFitEightBits() {
        long[] counts = new long[256];
        java.util.Arrays.fill(counts, 5);
        CodeTable t = CodeTable.forHistogram(counts, 8);
        for (int s = 0; s < 256; s++) assertEquals(8, t.length(s));
    }

    @Test
    void decodeTableInvertsTheCodes() {
        long[] counts = new long[256];
        for (int s = 100; s < 140; s++) counts[s] = (long) Math.pow(1.5, Math.abs(s - 120));
        CodeTable t = CodeTable.forHistogram(counts, 12);
        short[] table = t.decodeTable();
        for (int s = 0; s < 256; s++) {
            if (t.length(s) == 0) continue;
            int entry = table[t.reversedCode(s)];
            assertEquals(s, entry & 0xFF);
            assertEquals(t.length(s), entry >>> 8);
        }
    }

    @Test
    void rejectsIncompleteOversubscribedAndSingleSymbolOfWrongLength() {
        byte[] b = new byte[128];
        b[0] = 0x11; // symbols 0 and 1 with length 1: complete
        CodeTable.read(MemorySegment.ofArray(b));
        b[1] = 0x01; // a third code of length 1: over-subscribed
        assertThrows(MalformedInputException.class, () -> CodeTable.read(MemorySegment.ofArray(b)));
        byte[] c = new byte[128];
        c[0] = 0x21; // lengths 1 and 2: incomplete
        assertThrows(MalformedInputException.class, () -> CodeTable.read(MemorySegment.ofArray(c)));
        byte[] d = new byte[128];
        d[5] = 0x03; // one symbol with length 3
        assertThrows(MalformedInputException.class, () -> CodeTable.read(MemorySegment.ofArray(d)));
        assertThrows(MalformedInputException.class, () -> CodeTable.read(MemorySegment.ofArray(new byte[127])));
    }
}
