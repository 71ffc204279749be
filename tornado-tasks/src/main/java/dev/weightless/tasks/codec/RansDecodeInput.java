package dev.weightless.tasks.codec;

import dev.weightless.codec.MalformedInputException;
import dev.weightless.codec.coder.CodedTensor;
import dev.weightless.codec.rans.RansCoder;
import dev.weightless.jit.kernel.Grid;
import dev.weightless.jit.kernel.IntArray;
import dev.weightless.jit.kernel.KernelMethod;
import dev.weightless.jit.kernel.LongArray;
import dev.weightless.jit.kernel.ShortArray;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * A {@code rans} or {@code rans-ctx} tensor as the arguments of {@link RansDecodeKernels#decode}: the coder's
 * {@link RansCoder#open} validates it, the frequency table becomes the kernel's two tables (slot → symbol,
 * symbol → frequency and start), the index becomes each chunk's first word, and the stream and raw parts
 * are used in place (the kernel reads the raw part as ints: on the host path a zero-padded copy when it is
 * not whole ints, made only when the host arrays are asked for).
 */
public final class RansDecodeInput extends CoderDecodeInput {
    private final RansCoder.Layout layout;
    private final LongArray chunkStarts;
    private final ShortArray slots;
    private final IntArray symbols;
    private ShortArray out;

    private RansDecodeInput(CodedTensor coded, RansCoder.Layout layout, Arena arena) {
        String why = whyNot(layout);
        if (why != null) throw new IllegalArgumentException(why);
        super(coded, layout.chunks(), layout.crc32c(), arena);
        this.layout = layout;
        this.chunkStarts = LongArray.allocate(arena, layout.chunkStarts().length);
        for (int c = 0; c < layout.chunkStarts().length; c++) chunkStarts.set(c, layout.chunkStarts()[c]);
        int[] freq = layout.freq(), cum = layout.cum();
        this.slots = ShortArray.allocate(arena, 1L << layout.scaleBits());
        this.symbols = IntArray.allocate(arena, freq.length);
        for (int s = 0; s < freq.length; s++) {
            symbols.set(s, freq[s] | cum[s] << 15);
            for (int i = 0; i < freq[s]; i++) slots.set(cum[s] + i, (short) s);
        }
    }

    /** Validates {@code coded} (a MalformedInputException when it is not a valid tensor of {@code coder}) and lays it out. */
    public static RansDecodeInput of(RansCoder coder, CodedTensor coded, Arena arena) { return new RansDecodeInput(coded, coder.open(coded), arena); }

    /** Why the kernel cannot decode a tensor of this (validated) layout, or null when it can. */
    public static String whyNot(RansCoder.Layout layout) {
        if (layout.elements() == 0) return "an empty tensor has nothing to decode";
        if (layout.scaleBits() > RansDecodeKernels.MAX_SCALE_BITS) {
            return "a frequency scale of " + layout.scaleBits() + " bits does not fit the GPU decoder's " + RansDecodeKernels.MAX_SCALE_BITS + "-bit slot table";
        }
        if (layout.mantissaBits() > RansDecodeKernels.MAX_MANTISSA_BITS) {
            return layout.mantissaBits() + " mantissa bits in the symbol: the GPU decoder's shared tables take up to " + RansDecodeKernels.MAX_MANTISSA_BITS;
        }
        return null;
    }

    @Override
    public KernelMethod kernel() { return KernelMethod.of(RansDecodeKernels.class, "decode"); }

    @Override
    public List<Upload> uploads() {
        MemorySegment raw = coded().part(3);
        return List.of(new Upload(coded().part(2), coded().part(2).byteSize(), ShortArray.class),
                new Upload(chunkStarts.segment(), chunkStarts.segment().byteSize(), LongArray.class),
                new Upload(slots.segment(), slots.segment().byteSize(), ShortArray.class),
                new Upload(symbols.segment(), symbols.segment().byteSize(), IntArray.class),
                // Whole ints, at least one (a device array of no bytes is not one the kernel can take; nothing reads it then).
                new Upload(raw, Math.max(4, Math.ceilDiv(raw.byteSize(), 4) * 4), IntArray.class));
    }

    @Override
    public Object[] arguments(List<?> arrays, Object out, Object status) {
        return new Object[] {arrays.get(0), arrays.get(1), arrays.get(2), arrays.get(3), arrays.get(4), out, status, layout.elements(),
                layout.chunkSymbols(), layout.lanes(), layout.mantissaBits(), layout.scaleBits()};
    }

    @Override
    public long outputBytes() { return 2 * layout.elements(); }

    @Override
    public Class<?> outputType() { return ShortArray.class; }

    @Override
    public ShortArray out() {
        if (out == null) out = ShortArray.allocate(arena, layout.elements());
        return out;
    }

    @Override
    public Grid grid(int multiprocessors, int blocksPerSm) { return CoderDecodeInput.grid(layout.chunks(), RansDecodeKernels.WARPS, multiprocessors, blocksPerSm); }

    @Override
    public MemorySegment decoded() { return out().segment(); }

    @Override
    public void checkStatus() {
        for (long c = 0; c < layout.chunks(); c++) {
            int s = status().get(c);
            if (s == 0) continue;
            long at = 2 * layout.chunkStarts()[(int) c];
            if ((s & RansDecodeKernels.WRONG_WORD_COUNT) != 0) {
                throw new MalformedInputException(at, "stream part: chunk " + c + " did not use exactly its " + (layout.chunkStarts()[(int) c + 1] - layout.chunkStarts()[(int) c]) + " words (GPU decoder)");
            }
            throw new MalformedInputException(at, "stream part: chunk " + c + " ends in a state that is not a valid initial state (GPU decoder)");
        }
    }
}
