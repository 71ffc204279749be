package dev.weightless.tasks.codec;

import dev.weightless.codec.ChunkLayout;
import dev.weightless.codec.CodeTable;
import dev.weightless.codec.EncodedTensor;
import dev.weightless.codec.HuffmanDecoder;
import dev.weightless.jit.kernel.Grid;
import dev.weightless.jit.kernel.IntArray;
import dev.weightless.jit.kernel.JvmExecutor;
import dev.weightless.jit.kernel.KernelMethod;
import dev.weightless.jit.kernel.LongArray;
import dev.weightless.jit.kernel.ShortArray;

import dev.weightless.tasks.DataTransferMode;
import dev.weightless.tasks.ImmutableTaskGraph;
import dev.weightless.tasks.TaskGraph;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.zip.CRC32C;

/**
 * An encoded tensor as the arguments of {@link DecodeKernels#decode}: validated on the CPU first
 * ({@link HuffmanDecoder#open}), the index split into its u64 and u16 parts, the decode table built,
 * and the plane and output padded to whole words of four values. The payload is used in place.
 */
public final class DecodeInput {
    private final EncodedTensor tensor;
    private final IntArray payload;
    private final LongArray groupOffsets;
    private final ShortArray chunkBits;
    private final IntArray table;
    private final int tableBits;
    private final IntArray plane;
    private final LongArray out;

    private DecodeInput(EncodedTensor tensor, CodeTable code, Arena arena, MemorySegment outOrNull) {
        this.tensor = tensor;
        ChunkLayout layout = tensor.layout();
        String why = whyNot(tensor, code);
        if (why != null) throw new IllegalArgumentException(why);
        this.payload = new IntArray(tensor.payload().bytes()); // whole 64-bit words by the format
        MemorySegment index = tensor.index().bytes();
        long groupBytes = layout.groups() * 8;
        this.groupOffsets = new LongArray(arena.allocate(groupBytes, 8));
        MemorySegment.copy(index, 0, groupOffsets.segment(), 0, groupBytes);
        this.chunkBits = new ShortArray(arena.allocate(layout.chunks() * 2, 8));
        MemorySegment.copy(index, groupBytes, chunkBits.segment(), 0, layout.chunks() * 2);
        int[] entries = DecodeTable.of(code);
        this.tableBits = Integer.numberOfTrailingZeros(entries.length);
        this.table = new IntArray(arena.allocate(entries.length * 4L, 8));
        MemorySegment.copy(entries, 0, table.segment(), ValueLayout.JAVA_INT_UNALIGNED, 0, entries.length);
        long words = Math.ceilDiv(layout.elements(), 4);
        MemorySegment sm = tensor.plane().bytes();
        if (sm.byteSize() == words * 4) {
            this.plane = new IntArray(sm);
        } else {
            this.plane = new IntArray(arena.allocate(words * 4, 8));
            MemorySegment.copy(sm, 0, plane.segment(), 0, sm.byteSize());
        }
        if (outOrNull != null && outOrNull.byteSize() != words * 8) {
            throw new IllegalArgumentException("the output must be " + words * 8 + " bytes (whole words of four values), got " + outOrNull.byteSize());
        }
        this.out = new LongArray(outOrNull != null ? outOrNull : arena.allocate(words * 8, 8));
    }

    /** Why the GPU kernel cannot decode {@code tensor} (already validated, with code {@code code}), or null when it can. */
    public static String whyNot(EncodedTensor tensor, CodeTable code) {
        ChunkLayout layout = tensor.layout();
        if (layout.elements() == 0) return "an empty tensor has nothing to decode";
        if (layout.groupChunks() != 32 || layout.chunkSymbols() % DecodeKernels.CHUNK_MULTIPLE != 0) {
            return "the GPU decoder needs 32-chunk groups and chunks of a multiple of " + DecodeKernels.CHUNK_MULTIPLE
                    + " symbols, got " + layout.groupChunks() + " and " + layout.chunkSymbols();
        }
        if (!code.isSingleSymbol() && code.maxLength() > DecodeKernels.TABLE_BITS) {
            return "codes of " + code.maxLength() + " bits do not fit the GPU decoder's " + DecodeKernels.TABLE_BITS + "-bit table";
        }
        return null;
    }

    /** Bytes of the kernel's output for {@code elements} values: whole 8-byte words of four. */
    public static long outputBytes(long elements) { return Math.ceilDiv(elements, 4) * 8; }

    /** As {@link #of(EncodedTensor, Arena)}, the kernel writing into {@code out} ({@link #outputBytes} bytes, 8-aligned, native). */
    public static DecodeInput of(EncodedTensor tensor, Arena arena, MemorySegment out) { return new DecodeInput(tensor, HuffmanDecoder.validate(tensor), arena, out); }

    /** As {@link #of(EncodedTensor, Arena, MemorySegment)} for a tensor already validated by {@link HuffmanDecoder#open}, which gave {@code code}. */
    static DecodeInput of(EncodedTensor tensor, CodeTable code, Arena arena, MemorySegment out) { return new DecodeInput(tensor, code, arena, out); }

    /** Validates {@code tensor} (throwing MalformedInputException as the CPU decoder does) and lays it out for the kernel. */
    public static DecodeInput of(EncodedTensor tensor, Arena arena) { return new DecodeInput(tensor, HuffmanDecoder.validate(tensor), arena, null); }

    public static KernelMethod kernel() { return KernelMethod.of(DecodeKernels.class, "decode"); }

    /** The kernel's arguments, in order. */
    public Object[] arguments() {
        return new Object[] {payload, groupOffsets, chunkBits, table, plane, out, tensor.elements(), tensor.chunkSymbols(), tableBits};
    }

    /** Blocks per multiprocessor that {@link #grid(int)} launches: more resident warps made the H200 slower (NOTES.md). */
    public static final int BLOCKS_PER_SM = 4;

    /** One warp per group of chunks, one block per {@link DecodeKernels#WARPS} groups. */
    public Grid grid() {
        return new Grid(Math.ceilDiv(groupOffsets.size(), DecodeKernels.WARPS), DecodeKernels.LOCAL_SIZE);
    }

    /** As {@link #grid()}, at most {@link #BLOCKS_PER_SM} blocks per multiprocessor, each looping over its groups. */
    public Grid grid(int multiprocessors) { return grid(multiprocessors, BLOCKS_PER_SM); }

    /** At most {@code blocksPerSm × multiprocessors} blocks (no cap when either is not positive). */
    public Grid grid(int multiprocessors, int blocksPerSm) { return grid(groupOffsets.size(), multiprocessors, blocksPerSm); }

    /** The grid of {@link #grid(int)} for a tensor of {@code groups} chunk groups. */
    public static Grid grid(long groups, int multiprocessors) { return grid(groups, multiprocessors, BLOCKS_PER_SM); }

    private static Grid grid(long groups, int multiprocessors, int blocksPerSm) {
        long blocks = Math.ceilDiv(groups, DecodeKernels.WARPS);
        if (multiprocessors > 0 && blocksPerSm > 0) blocks = Math.min(blocks, (long) multiprocessors * blocksPerSm);
        return new Grid(blocks, DecodeKernels.LOCAL_SIZE);
    }

    /** Where the kernel writes: {@link #decoded()} is its first {@code 2 × elements} bytes. */
    public LongArray out() { return out; }

    /** The BF16 output, without the padding. */
    public MemorySegment decoded() { return out.segment().asSlice(0, tensor.elements() * 2); }

    public EncodedTensor tensor() { return tensor; }

    /**
     * The decoder as a task graph named "decode" with one task, "run": the encoded tensor copied once,
     * the output copied either way only on demand ({@code plan.transferToDevice/transferToHost(out())}).
     */
    public ImmutableTaskGraph graph() {
        return new TaskGraph("decode")
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, payload, groupOffsets, chunkBits, table, plane)
                .transferToDevice(DataTransferMode.UNDER_DEMAND, out)
                .task("run", kernel(), arguments())
                .transferToHost(DataTransferMode.UNDER_DEMAND, out)
                .snapshot();
    }

    /** Runs the kernel on the JVM executor, the reference its GPU runs are compared with. */
    public void decodeOnJvm() { JvmExecutor.run(kernel(), grid(), arguments()); }

    /** CRC32C of the decoded values against the tensor's; false on a mismatch. */
    public boolean checksumMatches() {
        CRC32C crc = new CRC32C();
        MemorySegment values = decoded();
        for (long at = 0; at < values.byteSize(); at += 1 << 30) { // a ByteBuffer holds at most 2 GiB
            crc.update(values.asSlice(at, Math.min(1 << 30, values.byteSize() - at)).asByteBuffer());
        }
        return (int) crc.getValue() == tensor.crc32c();
    }
}
