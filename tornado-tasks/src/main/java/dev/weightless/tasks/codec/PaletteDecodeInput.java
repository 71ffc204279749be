package dev.weightless.tasks.codec;

import dev.weightless.codec.MalformedInputException;
import dev.weightless.codec.coder.CodedTensor;
import dev.weightless.codec.palette.PaletteCoder;
import dev.weightless.jit.kernel.ByteArray;
import dev.weightless.jit.kernel.Grid;
import dev.weightless.jit.kernel.IntArray;
import dev.weightless.jit.kernel.KernelMethod;
import dev.weightless.jit.kernel.LongArray;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * A {@code palette} tensor as the arguments of {@link PaletteDecodeKernels#decode}: {@link PaletteCoder#open}
 * validates it (index included), the palette becomes the kernel's pair table, the codes and escapes are
 * used in place (on the host path, padded copies where the kernel needs more bytes than the part has, made
 * only when the host arrays are asked for) and the sm plane and output are padded to whole words of four
 * values, as the Huffman decoder's.
 */
public final class PaletteDecodeInput extends CoderDecodeInput {
    private final PaletteCoder.Layout layout;
    private final LongArray escapeStarts;
    private final IntArray pairs;
    private LongArray out;

    private PaletteDecodeInput(CodedTensor coded, PaletteCoder.Layout layout, Arena arena) {
        String why = whyNot(layout);
        if (why != null) throw new IllegalArgumentException(why);
        super(coded, layout.chunks(), layout.crc32c(), arena);
        this.layout = layout;
        this.escapeStarts = LongArray.allocate(arena, layout.escapeStarts().length);
        for (int c = 0; c < layout.escapeStarts().length; c++) escapeStarts.set(c, layout.escapeStarts()[c]);
        int bits = layout.bits();
        this.pairs = IntArray.allocate(arena, 1L << 2 * bits);
        int escapeCode = bits > 0 ? (1 << bits) - 1 : -1;
        for (int i = 0; i < 1 << 2 * bits; i++) {
            int low = i & ((1 << bits) - 1), high = i >>> bits;
            int lowEscape = low == escapeCode ? 1 : 0, highEscape = high == escapeCode ? 1 : 0;
            // Exponent bytes (zero for an escape, whose byte comes from the list) and the escape flags above them.
            int exponents = (lowEscape == 1 ? 0 : layout.palette()[low]) | (highEscape == 1 ? 0 : layout.palette()[high]) << 8;
            pairs.set(i, exponents | (lowEscape | highEscape << 1) << PaletteDecodeKernels.ESCAPE_SHIFT);
        }
    }

    /** Validates {@code coded} (a MalformedInputException when it is not a valid palette tensor) and lays it out. */
    public static PaletteDecodeInput of(PaletteCoder coder, CodedTensor coded, Arena arena) { return new PaletteDecodeInput(coded, coder.open(coded), arena); }

    /** Why the kernel cannot decode a tensor of this (validated) layout, or null when it can: only an empty one. */
    public static String whyNot(PaletteCoder.Layout layout) {
        return layout.elements() == 0 ? "an empty tensor has nothing to decode" : null;
    }

    @Override
    public KernelMethod kernel() { return KernelMethod.of(PaletteDecodeKernels.class, "decode"); }

    @Override
    public List<Upload> uploads() {
        MemorySegment codes = coded().part(2), escapes = coded().part(3), plane = coded().part(4);
        return List.of(new Upload(codes, Math.max(8, codes.byteSize()), ByteArray.class), // padded to 8 bytes, as the kernel takes it
                new Upload(escapeStarts.segment(), escapeStarts.segment().byteSize(), LongArray.class),
                new Upload(escapes, Math.max(1, escapes.byteSize()), ByteArray.class),
                new Upload(pairs.segment(), pairs.segment().byteSize(), IntArray.class),
                new Upload(plane, 4 * words(), IntArray.class));
    }

    /** Words of four values: the plane's and the output's padded length. */
    private long words() { return Math.ceilDiv(layout.elements(), 4); }

    @Override
    public Object[] arguments(List<?> arrays, Object out, Object status) {
        return new Object[] {arrays.get(0), arrays.get(1), arrays.get(2), arrays.get(3), arrays.get(4), out, status, layout.elements(), layout.bits()};
    }

    @Override
    public long outputBytes() { return 8 * words(); }

    @Override
    public Class<?> outputType() { return LongArray.class; }

    @Override
    public LongArray out() {
        if (out == null) out = LongArray.allocate(arena, words());
        return out;
    }

    @Override
    public Grid grid(int multiprocessors, int blocksPerSm) { return CoderDecodeInput.grid(layout.chunks(), PaletteDecodeKernels.WARPS, multiprocessors, blocksPerSm); }

    @Override
    public MemorySegment decoded() { return out().segment().asSlice(0, 2 * layout.elements()); }

    @Override
    public void checkStatus() {
        long[] starts = layout.escapeStarts();
        for (int c = 0; c < layout.chunks(); c++) {
            long expected = starts[c + 1] - starts[c];
            if (status().get(c) != expected) {
                throw new MalformedInputException(8L * c, "index part: chunk " + c + " has " + status().get(c) + " escape codes, the index gives " + expected + " (GPU decoder)");
            }
        }
    }
}
