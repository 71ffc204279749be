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
 * used in place (padded copies only where the kernel needs more bytes than the part has) and the sm plane
 * and output are padded to whole words of four values, as the Huffman decoder's.
 */
public final class PaletteDecodeInput implements CoderDecodeInput {
    private final CodedTensor coded;
    private final PaletteCoder.Layout layout;
    private final ByteArray codes;
    private final LongArray escapeStarts;
    private final ByteArray escapes;
    private final IntArray pairs;
    private final IntArray plane;
    private final LongArray out;
    private final IntArray status;

    private PaletteDecodeInput(CodedTensor coded, PaletteCoder.Layout layout, Arena arena) {
        String why = whyNot(layout);
        if (why != null) throw new IllegalArgumentException(why);
        this.coded = coded;
        this.layout = layout;
        this.codes = new ByteArray(atLeast(coded.part(2), 8, arena));
        this.escapes = new ByteArray(atLeast(coded.part(3), 1, arena));
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
        long words = Math.ceilDiv(layout.elements(), 4);
        MemorySegment sm = coded.part(4);
        this.plane = new IntArray(sm.byteSize() == words * 4 ? sm : atLeast(sm, words * 4, arena));
        this.out = LongArray.allocate(arena, words);
        this.status = IntArray.allocate(arena, layout.chunks());
    }

    /** {@code part} if it has at least {@code bytes} bytes, else a zero-padded copy of that size. */
    private static MemorySegment atLeast(MemorySegment part, long bytes, Arena arena) {
        if (part.byteSize() >= bytes) return part;
        MemorySegment copy = arena.allocate(bytes, 8);
        MemorySegment.copy(part, 0, copy, 0, part.byteSize());
        return copy;
    }

    /** Validates {@code coded} (a MalformedInputException when it is not a valid palette tensor) and lays it out. */
    public static PaletteDecodeInput of(PaletteCoder coder, CodedTensor coded, Arena arena) { return new PaletteDecodeInput(coded, coder.open(coded), arena); }

    /** Why the kernel cannot decode a tensor of this (validated) layout, or null when it can: only an empty one. */
    public static String whyNot(PaletteCoder.Layout layout) {
        return layout.elements() == 0 ? "an empty tensor has nothing to decode" : null;
    }

    @Override
    public CodedTensor coded() { return coded; }

    @Override
    public KernelMethod kernel() { return KernelMethod.of(PaletteDecodeKernels.class, "decode"); }

    @Override
    public Object[] arguments() { return new Object[] {codes, escapeStarts, escapes, pairs, plane, out, status, layout.elements(), layout.bits()}; }

    @Override
    public List<Object> inputs() { return List.of(codes, escapeStarts, escapes, pairs, plane, status); }

    @Override
    public LongArray out() { return out; }

    @Override
    public IntArray status() { return status; }

    @Override
    public Grid grid(int multiprocessors, int blocksPerSm) {
        long blocks = Math.ceilDiv(layout.chunks(), PaletteDecodeKernels.WARPS);
        if (multiprocessors > 0 && blocksPerSm > 0) blocks = Math.min(blocks, (long) multiprocessors * blocksPerSm);
        return new Grid(blocks, PaletteDecodeKernels.LOCAL_SIZE);
    }

    @Override
    public MemorySegment decoded() { return out.segment().asSlice(0, 2 * layout.elements()); }

    @Override
    public int expectedCrc32c() { return layout.crc32c(); }

    @Override
    public void checkStatus() {
        long[] starts = layout.escapeStarts();
        for (int c = 0; c < layout.chunks(); c++) {
            long expected = starts[c + 1] - starts[c];
            if (status.get(c) != expected) {
                throw new MalformedInputException(8L * c, "index part: chunk " + c + " has " + status.get(c) + " escape codes, the index gives " + expected + " (GPU decoder)");
            }
        }
    }
}
