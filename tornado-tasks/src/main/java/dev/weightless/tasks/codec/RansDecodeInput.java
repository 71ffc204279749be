package dev.weightless.tasks.codec;

import dev.weightless.codec.MalformedInputException;
import dev.weightless.codec.coder.CodedTensor;
import dev.weightless.codec.rans.RansCoder;
import dev.weightless.jit.kernel.ByteArray;
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
 * are used in place.
 */
public final class RansDecodeInput implements CoderDecodeInput {
    private final CodedTensor coded;
    private final RansCoder.Layout layout;
    private final ShortArray stream;
    private final LongArray chunkStarts;
    private final ShortArray slots;
    private final IntArray symbols;
    private final ByteArray raw;
    private final boolean staged;
    private final IntArray rawInts;
    private final ShortArray out;
    private final IntArray status;

    private RansDecodeInput(CodedTensor coded, RansCoder.Layout layout, boolean staged, Arena arena) {
        String why = whyNot(layout);
        if (why != null) throw new IllegalArgumentException(why);
        if (staged && layout.mantissaBits() > 2) throw new IllegalArgumentException("the staged kernel takes up to 2 mantissa bits in the symbol, got " + layout.mantissaBits());
        this.staged = staged;
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
        if (rawPart.byteSize() > 0) {
            this.raw = new ByteArray(rawPart);
        } else { // a device buffer of no bytes is not an array the kernel can take; nothing reads this byte
            this.raw = ByteArray.allocate(arena, 1);
        }
        // The staged kernel reads the raw part as ints: in place when whole, else a zero-padded copy.
        if (staged && rawPart.byteSize() % 4 == 0 && rawPart.byteSize() > 0) {
            this.rawInts = new IntArray(rawPart);
        } else if (staged) {
            this.rawInts = IntArray.allocate(arena, Math.max(1, Math.ceilDiv(rawPart.byteSize(), 4)));
            MemorySegment.copy(rawPart, 0, rawInts.segment(), 0, rawPart.byteSize());
        } else {
            this.rawInts = null;
        }
        this.out = ShortArray.allocate(arena, layout.elements());
        this.status = IntArray.allocate(arena, layout.chunks());
    }

    /** Validates {@code coded} (a MalformedInputException when it is not a valid tensor of {@code coder}) and lays it out. */
    public static RansDecodeInput of(RansCoder coder, CodedTensor coded, Arena arena) { return new RansDecodeInput(coded, coder.open(coded), false, arena); }

    /** As {@link #of}; {@code staged}: for {@link RansDecodeKernels#decodeStaged} (launch with {@link #grid(int, int, int)} of its warps). */
    public static RansDecodeInput of(RansCoder coder, CodedTensor coded, Arena arena, boolean staged) { return new RansDecodeInput(coded, coder.open(coded), staged, arena); }

    /** Why the kernel cannot decode a tensor of this (validated) layout, or null when it can. */
    public static String whyNot(RansCoder.Layout layout) {
        if (layout.elements() == 0) return "an empty tensor has nothing to decode";
        if (layout.scaleBits() > RansDecodeKernels.MAX_SCALE_BITS) {
            return "a frequency scale of " + layout.scaleBits() + " bits does not fit the GPU decoder's " + RansDecodeKernels.MAX_SCALE_BITS + "-bit slot table";
        }
        return null;
    }

    @Override
    public CodedTensor coded() { return coded; }

    @Override
    public KernelMethod kernel() { return KernelMethod.of(RansDecodeKernels.class, staged ? "decodeStaged" : "decode"); }

    @Override
    public Object[] arguments() {
        return new Object[] {stream, chunkStarts, slots, symbols, staged ? rawInts : raw, out, status, layout.elements(), layout.chunkSymbols(),
                layout.lanes(), layout.mantissaBits(), layout.scaleBits()};
    }

    @Override
    public List<Object> inputs() { return List.of(stream, chunkStarts, slots, symbols, staged ? rawInts : raw, status); }

    @Override
    public ShortArray out() { return out; }

    @Override
    public IntArray status() { return status; }

    @Override
    public Grid grid(int multiprocessors, int blocksPerSm) {
        return grid(multiprocessors, blocksPerSm, staged ? RansDecodeKernels.STAGED_WARPS : RansDecodeKernels.WARPS);
    }

    /** As {@link #grid(int, int)} with blocks of {@code warps} warps (the kernel takes any whole number of warps). */
    public Grid grid(int multiprocessors, int blocksPerSm, int warps) {
        long blocks = Math.ceilDiv(layout.chunks(), warps);
        if (multiprocessors > 0 && blocksPerSm > 0) blocks = Math.min(blocks, (long) multiprocessors * blocksPerSm);
        return new Grid(blocks, warps * 32);
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
