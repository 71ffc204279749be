package dev.weightless.codec;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The decoder against a stream written one bit at a time straight from FORMAT.md, independent of the
 * encoder, with codes up to the format's 15 bits (the encoder itself stops at 14).
 */
class BitByBitTest {
    @Test
    void decodesFifteenBitCodesWrittenBitByBit() {
        long[] histogram = new long[256];
        for (int s = 0; s < 40; s++) histogram[100 + s] = 1L << Math.max(0, 39 - s); // steep: forces 15-bit codes
        CodeTable code = CodeTable.forHistogram(histogram, 15);
        assertEquals(15, code.maxLength());
        SplittableRandom r = new SplittableRandom(4);
        int n = 5000, chunk = 256, group = 4;
        short[] values = new short[n];
        for (int i = 0; i < n; i++) {
            // Mostly common exponents, sometimes the rarest ones with the longest codes.
            int e = r.nextInt(10) == 0 ? 139 - r.nextInt(3) : 100 + Long.numberOfTrailingZeros(r.nextLong() | 1L << 20) % 40;
            values[i] = Bf16.join(e, r.nextInt(256));
        }
        ChunkLayout layout = new ChunkLayout(n, chunk, group);
        MemorySegment index = MemorySegment.ofArray(new byte[(int) layout.indexBytes()]);
        boolean[] bits = new boolean[n * 15];
        int pos = 0;
        for (long c = 0; c < layout.chunks(); c++) {
            if (c % group == 0) layout.groupOffset(index, c / group, pos);
            int start = pos;
            for (int i = (int) c * chunk; i < Math.min(n, (c + 1) * chunk); i++) {
                int e = Bf16.exponent(values[i]);
                for (int b = 0; b < code.length(e); b++) bits[pos++] = ((code.reversedCode(e) >>> b) & 1) != 0;
            }
            layout.chunkBits(index, c, pos - start);
        }
        byte[] payload = new byte[(int) ChunkLayout.payloadBytes(pos)];
        for (int i = 0; i < pos; i++) if (bits[i]) payload[i / 8] |= (byte) (1 << (i % 8));
        byte[] table = new byte[CodeTable.SERIALIZED_BYTES], plane = new byte[n], original = new byte[2 * n];
        code.write(MemorySegment.ofArray(table));
        for (int i = 0; i < n; i++) {
            plane[i] = (byte) Bf16.signMantissa(values[i]);
            original[2 * i] = (byte) values[i];
            original[2 * i + 1] = (byte) (values[i] >>> 8);
        }
        int crc = Crc32c.of(MemorySegment.ofArray(original));
        EncodedTensor t = new EncodedTensor(n, chunk, group, crc, part(table), new EncodedTensor.Part(index, 0), part(payload), part(plane));
        MemorySegment out = MemorySegment.ofArray(new byte[2 * n]);
        HuffmanDecoder.open(t).decode(out, CodecOptions.defaults().withThreads(2));
        assertEquals(-1, out.mismatch(MemorySegment.ofArray(original)));
        assertTrue(pos > n * 3, "the stream uses long codes");
    }

    @Test
    void theEncoderRefusesFifteenBitCodes() {
        assertThrows(IllegalArgumentException.class, () -> CodecOptions.defaults().withMaxCodeLength(15));
    }

    private static EncodedTensor.Part part(byte[] b) { return EncodedTensor.Part.of(MemorySegment.ofArray(b)); }
}
