package dev.weightless.tasks.codec;

import dev.weightless.codec.ChecksumMismatchException;
import dev.weightless.codec.Crc32c;
import dev.weightless.codec.coder.CodedTensor;
import dev.weightless.codec.coder.Coder;
import dev.weightless.codec.coder.Coders;
import dev.weightless.codec.palette.PaletteCoder;
import dev.weightless.codec.rans.RansCoder;
import dev.weightless.jit.kernel.ByteArray;
import dev.weightless.jit.kernel.Grid;
import dev.weightless.jit.kernel.IntArray;
import dev.weightless.jit.kernel.JvmExecutor;
import dev.weightless.jit.kernel.KernelContext;
import dev.weightless.jit.kernel.KernelMethod;
import dev.weightless.jit.kernel.LongArray;
import dev.weightless.jit.kernel.ShortArray;
import dev.weightless.tasks.DataTransferMode;
import dev.weightless.tasks.ImmutableTaskGraph;
import dev.weightless.tasks.TaskGraph;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * A tensor of one of the codec's other coders (format version 2: {@code rans}, {@code rans-ctx},
 * {@code palette}) as the arguments of its GPU decoder: validated on the CPU first by the coder's own
 * {@code open} (a malformed tensor fails there, before any launch), laid out for the kernel, and after
 * the kernel ran, its per-chunk status and the result's CRC32C checked on the host ({@link #check}).
 */
public abstract sealed class CoderDecodeInput permits RansDecodeInput, PaletteDecodeInput {
    /** The graph's and task's names: "decode.run", as {@link DecodeInput#graph()}'s. */
    public static final String GRAPH = "decode", TASK = "run";

    private final CodedTensor coded;
    private final long chunks;
    private final int expectedCrc32c;
    private final IntArray status;
    /** Where the status, the host arrays and the output are allocated. */
    final Arena arena;
    private List<Object> host;

    /** For a validated tensor of {@code chunks} chunks whose values have CRC32C {@code expectedCrc32c}. */
    CoderDecodeInput(CodedTensor coded, long chunks, int expectedCrc32c, Arena arena) {
        this.coded = coded;
        this.chunks = chunks;
        this.expectedCrc32c = expectedCrc32c;
        this.arena = arena;
        this.status = IntArray.allocate(arena, chunks);
    }

    /** Validates {@code coded} and lays it out for the kernel of its coder; the output is allocated in {@code arena}. */
    public static CoderDecodeInput of(CodedTensor coded, Arena arena) {
        Coder coder = Coders.byName(coded.coder());
        return switch (coder) {
            case RansCoder rans -> RansDecodeInput.of(rans, coded, arena);
            case PaletteCoder palette -> PaletteDecodeInput.of(palette, coded, arena);
            default -> throw new IllegalArgumentException("no GPU decoder for coder " + coded.coder());
        };
    }

    /** Why there is no GPU decoder for {@code coded} (its coder, an empty tensor, a layout the kernel does not take), or null. Validates it. */
    public static String whyNot(CodedTensor coded) {
        Coder coder = Coders.byName(coded.coder());
        return switch (coder) {
            case RansCoder rans -> RansDecodeInput.whyNot(rans.open(coded));
            case PaletteCoder palette -> PaletteDecodeInput.whyNot(palette.open(coded));
            default -> "no GPU decoder for coder " + coded.coder();
        };
    }

    public final CodedTensor coded() { return coded; }

    public abstract KernelMethod kernel();

    /**
     * One array the kernel reads: its bytes on the host (a part of the tensor in place, or a table built from
     * it), its size on the device ({@code deviceBytes}, at least as many: the rest must be zero, as a fresh
     * device allocation is), and its array type.
     */
    public record Upload(MemorySegment bytes, long deviceBytes, Class<?> type) {
        public Upload {
            if (deviceBytes < bytes.byteSize()) throw new IllegalArgumentException("device size " + deviceBytes + " below the " + bytes.byteSize() + " bytes it holds");
        }
    }

    /** The arrays the kernel reads (status and output apart), in the order {@link #arguments(List, Object, Object)} takes them. */
    public abstract List<Upload> uploads();

    /**
     * The kernel's arguments with the arrays of {@link #uploads} replaced by {@code arrays} (same order, each
     * holding its upload's bytes, zero beyond), the output by {@code out} ({@link #outputBytes} bytes of
     * {@link #outputType}) and the status by {@code status} (one int per chunk, {@link #chunks}): for a caller
     * that places them on the device itself (DeviceModel), with device arrays.
     */
    public abstract Object[] arguments(List<?> arrays, Object out, Object status);

    /** Bytes of the kernel's output (the values, padded as the kernel writes them). */
    public abstract long outputBytes();

    /** The output's array type. */
    public abstract Class<?> outputType();

    /** Chunks: entries of the status. */
    public final long chunks() { return chunks; }

    /** {@link #uploads} as host arrays ({@link #hostArray}: a zero-padded copy where an upload's bytes are short), made on first use. */
    public final List<Object> hostArrays() {
        if (host == null) host = uploads().stream().map(u -> hostArray(u, arena)).toList();
        return host;
    }

    /** The kernel's arguments on the host: {@link #hostArrays}, {@link #out}, {@link #status}. */
    public final Object[] arguments() { return arguments(hostArrays(), out(), status()); }

    /** The arrays the graph copies to the device once (inputs, and the status the kernel fills). */
    public final List<Object> inputs() {
        List<Object> inputs = new ArrayList<>(hostArrays());
        inputs.add(status());
        return inputs;
    }

    /** The array the kernel writes the values into (padded as its kernel needs; allocated on first use); copied only on demand. */
    public abstract Object out();

    /** The per-chunk status the kernel writes, copied back after every execution (or filled by the caller from the device). */
    public final IntArray status() { return status; }

    /** One warp per chunk, at most {@code blocksPerSm × multiprocessors} blocks (no cap when either is not positive). */
    public abstract Grid grid(int multiprocessors, int blocksPerSm);

    /** {@link #grid} for a kernel of {@code warps} warps per block, one per chunk. */
    static Grid grid(long chunks, int warps, int multiprocessors, int blocksPerSm) {
        long blocks = Math.ceilDiv(chunks, warps);
        if (multiprocessors > 0 && blocksPerSm > 0) blocks = Math.min(blocks, (long) multiprocessors * blocksPerSm);
        return new Grid(blocks, warps * KernelContext.WARP_SIZE);
    }

    /** The decoded BF16 values, without padding (of {@link #out}). */
    public abstract MemorySegment decoded();

    /** Throws MalformedInputException naming the first chunk whose status shows a corrupt part. */
    public abstract void checkStatus();

    /** {@code upload} as a host array of its type: its bytes in place when they fill it, else a zero-padded copy in {@code arena}. */
    static Object hostArray(Upload upload, Arena arena) {
        MemorySegment bytes = upload.bytes();
        if (bytes.byteSize() < upload.deviceBytes()) {
            MemorySegment copy = arena.allocate(upload.deviceBytes(), 8);
            MemorySegment.copy(bytes, 0, copy, 0, bytes.byteSize());
            bytes = copy;
        }
        Class<?> type = upload.type();
        if (type == ByteArray.class) return new ByteArray(bytes);
        if (type == ShortArray.class) return new ShortArray(bytes);
        if (type == IntArray.class) return new IntArray(bytes);
        if (type == LongArray.class) return new LongArray(bytes);
        throw new IllegalArgumentException("no host array of " + type);
    }

    /** The decoder as a task graph "decode" with one task "run": inputs copied once, the output on demand, the status back every time. */
    public final ImmutableTaskGraph graph() {
        return new TaskGraph(GRAPH)
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, inputs().toArray())
                .transferToDevice(DataTransferMode.UNDER_DEMAND, out())
                .task(TASK, kernel(), arguments())
                .transferToHost(DataTransferMode.EVERY_EXECUTION, status())
                .transferToHost(DataTransferMode.UNDER_DEMAND, out())
                .snapshot();
    }

    /** Runs the kernel on the JVM executor (the reference a GPU run is compared with), then {@link #check}. */
    public final void decodeOnJvm(Grid grid) {
        JvmExecutor.run(kernel(), grid, arguments());
        check();
    }

    /** The status of every chunk, then the CRC32C of the decoded values against the tensor's: a mismatch is an exception. */
    public final void check() {
        checkStatus();
        int crc = Crc32c.of(decoded());
        if (crc != expectedCrc32c()) throw new ChecksumMismatchException("GPU-decoded " + coded().coder() + " tensor", expectedCrc32c(), crc);
    }

    public final int expectedCrc32c() { return expectedCrc32c; }
}
