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
 * symbol → frequency and start), the index becomes each chunk's first word, and the stream part is used in
 * place, as is the raw part when it is whole ints (else a zero-padded copy: the kernel reads it as ints).
 */
public final class RansDecodeInput implements CoderDecodeInput {
    private final CodedTensor coded;
    private final RansCoder.Layout layout;
    private final ShortArray stream;
    private final LongArray chunkStarts;
    private final ShortArray slots;
    private final IntArray symbols;
    private final IntArray raw;
    private final ShortArray out;
    private final IntArray status;

    private RansDecodeInput(CodedTensor coded, RansCoder.Layout layout, Arena arena) {
        String why = whyNot(layout);
        if (why != null) throw new IllegalArgumentException(why);
        this.coded = coded;
        this.layout = layout;
        this.stream = new ShortArray(coded.part(2));
        this.chunkStarts = LongArray.allocate(arena, layout.chunkStarts().length);
        for (int c = 0; c < layout.chunkStarts().length; c++) chunkStarts.set(c, layout.chunkStarts()[c]);
        int[] freq = layout.freq(), cum = layout.cum();
        this.slots = ShortArray.allocate(arena, 1L << layout.scaleBits());
        this.symbols = IntArray.allocate(arena, freq.length);
        for (int s = 0; s < freq.length; s++) {
            symbols.set(s, freq[s] | cum[s] << 15);
            for (int i = 0; i < freq[s]; i++) slots.set(cum[s] + i, (short) s);
        }
        MemorySegment rawPart = coded.part(3);
        if (rawPart.byteSize() > 0 && rawPart.byteSize() % 4 == 0) {
            this.raw = new IntArray(rawPart);
        } else { // also for an empty part: a device buffer of no bytes is not an array the kernel can take
            this.raw = IntArray.allocate(arena, Math.max(1, Math.ceilDiv(rawPart.byteSize(), 4)));
            MemorySegment.copy(rawPart, 0, raw.segment(), 0, rawPart.byteSize());
        }
        this.out = ShortArray.allocate(arena, layout.elements());
        this.status = IntArray.allocate(arena, layout.chunks());
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
    public CodedTensor coded() { return coded; }

    @Override
    public KernelMethod kernel() { return KernelMethod.of(RansDecodeKernels.class, "decode"); }

    @Override
    public Object[] arguments() {
        return new Object[] {stream, chunkStarts, slots, symbols, raw, out, status, layout.elements(), layout.chunkSymbols(),
                layout.lanes(), layout.mantissaBits(), layout.scaleBits()};
    }

    @Override
    public List<Object> inputs() { return List.of(stream, chunkStarts, slots, symbols, raw, status); }

    @Override
    public ShortArray out() { return out; }

    @Override
    public IntArray status() { return status; }

    @Override
    public Grid grid(int multiprocessors, int blocksPerSm) {
        long blocks = Math.ceilDiv(layout.chunks(), RansDecodeKernels.WARPS);
        if (multiprocessors > 0 && blocksPerSm > 0) blocks = Math.min(blocks, (long) multiprocessors * blocksPerSm);
        return new Grid(blocks, RansDecodeKernels.LOCAL_SIZE);
    }

    @Override
    public MemorySegment decoded() { return out.segment(); }

    @Override
    public int expectedCrc32c() { return layout.crc32c(); }

    @Override
    public void checkStatus() {
        for (long c = 0; c < layout.chunks(); c++) {
            int s = status.get(c);
            if (s == 0) continue;
            long at = 2 * layout.chunkStarts()[(int) c];
            if ((s & RansDecodeKernels.WRONG_WORD_COUNT) != 0) {
                throw new MalformedInputException(at, "stream part: chunk " + c + " did not use exactly its " + (layout.chunkStarts()[(int) c + 1] - layout.chunkStarts()[(int) c]) + " words (GPU decoder)");
            }
            throw new MalformedInputException(at, "stream part: chunk " + c + " ends in a state that is not a valid initial state (GPU decoder)");
        }
    }
}
