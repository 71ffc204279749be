package dev.weightless.tasks.codec;

import dev.weightless.codec.ChunkLayout;
import dev.weightless.codec.CodeTable;
import dev.weightless.codec.HuffmanEncoder;
import dev.weightless.jit.kernel.Grid;
import dev.weightless.jit.kernel.IntArray;
import dev.weightless.jit.kernel.JvmExecutor;
import dev.weightless.jit.kernel.KernelMethod;
import dev.weightless.jit.kernel.LongArray;
import dev.weightless.jit.kernel.ShortArray;

import dev.weightless.tasks.DataTransferMode;
import dev.weightless.tasks.ExecutionPlan;
import dev.weightless.tasks.ImmutableTaskGraph;
import dev.weightless.tasks.TaskGraph;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * A BF16 tensor and the CPU plan's code as the arguments of {@link EncodeKernels}, and the results
 * read back in the format's layout. The payload's size comes from the plan (its per-chunk counting
 * pass is what {@link EncodeKernels#measure} redoes on the GPU).
 */
public final class EncodeInput {
    private final ChunkLayout layout;
    private final ShortArray bf16;
    private final IntArray codes;
    private final ShortArray chunkBits;
    private final LongArray groupBits;
    private final LongArray offsets;
    private final IntArray payload;
    private final IntArray plane;

    private EncodeInput(MemorySegment values, HuffmanEncoder.Plan plan, Arena arena) {
        this.layout = plan.layout();
        if (layout.elements() == 0) throw new IllegalArgumentException("an empty tensor has nothing to encode");
        if (layout.groupChunks() != 32) throw new IllegalArgumentException("the GPU encoder needs 32-chunk groups, got " + layout.groupChunks());
        this.bf16 = new ShortArray(values);
        CodeTable code = plan.code();
        int[] cost = code.bitCosts();
        this.codes = IntArray.allocate(arena, CodeTable.SYMBOLS);
        for (int s = 0; s < CodeTable.SYMBOLS; s++) codes.set(s, code.reversedCode(s) | cost[s] << 16);
        this.chunkBits = new ShortArray(arena.allocate(layout.chunks() * 2, 8));
        this.groupBits = new LongArray(arena.allocate(layout.groups() * 8, 8));
        this.offsets = new LongArray(arena.allocate(layout.groups() * 8, 8));
        this.payload = new IntArray(arena.allocate(plan.payloadBytes(), 8)); // zeroed: pack adds into it
        this.plane = new IntArray(arena.allocate(Math.ceilDiv(layout.elements(), 4) * 4, 8));
    }

    public static EncodeInput of(MemorySegment bf16, HuffmanEncoder.Plan plan, Arena arena) { return new EncodeInput(bf16, plan, arena); }

    public static KernelMethod clear() { return KernelMethod.of(EncodeKernels.class, "clear"); }

    public static KernelMethod measure() { return KernelMethod.of(EncodeKernels.class, "measure"); }

    public static KernelMethod groupOffsets() { return KernelMethod.of(EncodeKernels.class, "groupOffsets"); }

    public static KernelMethod pack() { return KernelMethod.of(EncodeKernels.class, "pack"); }

    public static KernelMethod plane() { return KernelMethod.of(EncodeKernels.class, "plane"); }

    public Object[] clearArguments() { return new Object[] {payload}; }

    public Object[] measureArguments() { return new Object[] {bf16, codes, chunkBits, groupBits, layout.chunkSymbols()}; }

    public Object[] groupOffsetsArguments() { return new Object[] {groupBits, offsets}; }

    public Object[] packArguments() { return new Object[] {bf16, codes, offsets, chunkBits, payload, layout.chunkSymbols()}; }

    public Object[] planeArguments() { return new Object[] {bf16, plane}; }

    public Grid clearGrid() { return clearGrid(payload.size()); }

    public Grid measureGrid() { return measureGrid(layout); }

    public static Grid groupOffsetsGrid() { return new Grid(1, EncodeKernels.SCAN_SIZE); }

    public Grid packGrid() { return packGrid(layout); }

    public Grid planeGrid() { return planeGrid(plane.size()); }

    /** The grids of the steps for any arrays of this layout (also {@link ResidentEncoder}'s). */
    static Grid clearGrid(long payloadWords) { return Grid.covering(payloadWords, EncodeKernels.LOCAL_SIZE); }

    static Grid measureGrid(ChunkLayout layout) { return new Grid(Math.ceilDiv(layout.groups(), EncodeKernels.WARPS), EncodeKernels.LOCAL_SIZE); }

    static Grid packGrid(ChunkLayout layout) { return new Grid(Math.ceilDiv(layout.chunks(), EncodeKernels.PACK_WARPS), EncodeKernels.PACK_WARPS * 32); }

    static Grid planeGrid(long planeWords) { return Grid.covering(planeWords, EncodeKernels.LOCAL_SIZE); }

    public ShortArray bf16() { return bf16; }

    /** Arrays the device fills, to copy back. */
    public Object[] outputs() { return new Object[] {chunkBits, offsets, payload, plane}; }

    public IntArray payload() { return payload; }

    /** The index as the format lays it out: group offsets (u64), then chunk lengths (u16). */
    public MemorySegment index(Arena arena) {
        MemorySegment index = arena.allocate(layout.indexBytes());
        MemorySegment.copy(offsets.segment(), 0, index, 0, layout.groups() * 8);
        MemorySegment.copy(chunkBits.segment(), 0, index, layout.groups() * 8, layout.chunks() * 2);
        return index;
    }

    public MemorySegment payloadBytes() { return payload.segment(); }

    /** The sign|mantissa plane without its padding. */
    public MemorySegment planeBytes() { return plane.segment().asSlice(0, layout.elements()); }

    /** The steps of {@link #graph}, in order: task names {@code encode.<step>}. */
    public static final List<String> STEPS = List.of("clear", "measure", "groupOffsets", "pack", "plane");

    /**
     * The encoder as a task graph named "encode": the values and codes copied once, the results only on
     * demand ({@code plan.transferToHost(outputs())}). Each task's grid is {@link #grid(String)}.
     */
    public ImmutableTaskGraph graph() {
        return new TaskGraph("encode")
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, bf16, codes)
                .transferToDevice(DataTransferMode.UNDER_DEMAND, groupBits) // device-only working space
                .task("clear", clear(), clearArguments())
                .task("measure", measure(), measureArguments())
                .task("groupOffsets", groupOffsets(), groupOffsetsArguments())
                .task("pack", pack(), packArguments())
                .task("plane", plane(), planeArguments())
                .transferToHost(DataTransferMode.UNDER_DEMAND, outputs())
                .snapshot();
    }

    /** Sets every step's grid on {@code plan}. */
    public ExecutionPlan withGrids(ExecutionPlan plan) {
        return plan.withGrid("encode.clear", clearGrid()).withGrid("encode.measure", measureGrid())
                .withGrid("encode.groupOffsets", groupOffsetsGrid()).withGrid("encode.pack", packGrid())
                .withGrid("encode.plane", planeGrid());
    }

    /** Runs the kernels on the JVM executor, the reference their GPU runs are compared with. */
    public void encodeOnJvm() {
        JvmExecutor.run(clear(), clearGrid(), clearArguments());
        JvmExecutor.run(measure(), measureGrid(), measureArguments());
        JvmExecutor.run(groupOffsets(), groupOffsetsGrid(), groupOffsetsArguments());
        JvmExecutor.run(pack(), packGrid(), packArguments());
        JvmExecutor.run(plane(), planeGrid(), planeArguments());
    }

}
