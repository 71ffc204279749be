package dev.weightless.tasks;

import dev.weightless.codec.Parallel;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUstream;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static dev.weightless.tasks.CudaDriver.check;
import static jcuda.driver.JCudaDriver.*;

/**
 * Host-device copies through a ring of pinned (page-locked) buffers on the driver's stream: while the
 * copy engine moves one piece, the host copies the next into the other buffer, several threads at a
 * time (one thread's memcpy from the page cache is slower than the link). Used by {@link CudaDriver}
 * for large copies; the caller holds the context.
 */
final class PinnedStaging implements AutoCloseable {
    private static final int BUFFERS = 2;
    private static final long PIECE = 64L << 20;
    /** Host copies are split into slices of this size across the common fork-join pool. */
    private static final long SLICE = 4L << 20;

    private final CUstream stream;
    private final Pointer[] host = new Pointer[BUFFERS];
    private final MemorySegment[] views = new MemorySegment[BUFFERS];
    private final CUevent[] done = new CUevent[BUFFERS];
    private final boolean[] busy = new boolean[BUFFERS];

    PinnedStaging(CUstream stream) {
        this.stream = stream;
        try {
            for (int i = 0; i < BUFFERS; i++) {
                Pointer p = new Pointer();
                check(cuMemAllocHost(p, PIECE), "cuMemAllocHost(" + PIECE + " bytes)");
                host[i] = p;
                views[i] = MemorySegment.ofBuffer(p.getByteBuffer(0, PIECE));
                done[i] = new CUevent();
                check(cuEventCreate(done[i], CUevent_flags.CU_EVENT_DISABLE_TIMING), "cuEventCreate");
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** One host range bound for a device address. */
    record Transfer(CUdeviceptr target, MemorySegment source) {}

    /** A part of one piece: {@code length} bytes at {@code offset} of the pinned buffer, from {@code source}, to {@code target}. */
    private record Part(MemorySegment source, long offset, CUdeviceptr target) {}

    /** Copies all of {@code source} to {@code target}; complete on return. */
    void toDevice(CUdeviceptr target, MemorySegment source) { toDevice(List.of(new Transfer(target, source))); }

    /**
     * Copies every transfer; complete on return. They are streamed as one sequence of pieces, so small
     * ones share a piece and the host copy of each piece overlaps the DMA of the one before, across
     * transfers too; one wait at the end.
     */
    void toDevice(List<Transfer> transfers) {
        List<Part> parts = new ArrayList<>();
        int b = 0;
        long fill = 0;
        for (Transfer t : transfers) {
            long size = t.source().byteSize();
            for (long at = 0; at < size; ) {
                long length = Math.min(PIECE - fill, size - at);
                parts.add(new Part(t.source().asSlice(at, length), fill, t.target().withByteOffset(at)));
                fill += length;
                at += length;
                if (fill == PIECE) {
                    send(b, parts);
                    b = (b + 1) % BUFFERS;
                    fill = 0;
                }
            }
        }
        if (fill > 0) send(b, parts);
        check(cuStreamSynchronize(stream), "cuStreamSynchronize after host-to-device copies");
        clear();
    }

    /** Fills buffer {@code b} with {@code parts} (once the copy engine is done with it), queues their DMA and clears the list. */
    private void send(int b, List<Part> parts) {
        await(b);
        parallelCopy(parts, views[b]);
        for (Part p : parts) {
            long length = p.source().byteSize();
            check(cuMemcpyHtoDAsync(p.target(), host[b].withByteOffset(p.offset()), length, stream),
                    "cuMemcpyHtoDAsync(" + length + " bytes)");
        }
        record(b);
        parts.clear();
    }

    /** Fills all of {@code target} from {@code source}; complete on return. */
    void toHost(MemorySegment target, CUdeviceptr source) {
        long size = target.byteSize();
        long pending = -1; // offset of the piece in flight into buffer (b + 1) % BUFFERS, or -1
        int b = 0;
        for (long offset = 0; offset < size; offset += PIECE, b = (b + 1) % BUFFERS) {
            long length = Math.min(PIECE, size - offset);
            check(cuMemcpyDtoHAsync(host[b], source.withByteOffset(offset), length, stream), "cuMemcpyDtoHAsync(" + length + " bytes at offset " + offset + ")");
            record(b);
            if (pending >= 0) drain((b + BUFFERS - 1) % BUFFERS, target, pending);
            pending = offset;
        }
        if (pending >= 0) drain((b + BUFFERS - 1) % BUFFERS, target, pending);
        clear();
    }

    /** Waits for the piece in buffer {@code b} and copies it to {@code target} at {@code offset}. */
    private void drain(int b, MemorySegment target, long offset) {
        await(b);
        long length = Math.min(PIECE, target.byteSize() - offset);
        parallelCopy(views[b].asSlice(0, length), target.asSlice(offset, length));
    }

    private void record(int b) {
        check(cuEventRecord(done[b], stream), "cuEventRecord");
        busy[b] = true;
    }

    private void await(int b) {
        if (busy[b]) check(cuEventSynchronize(done[b]), "cuEventSynchronize (a copy failed if this reports an error)");
        busy[b] = false;
    }

    private void clear() {
        for (int b = 0; b < BUFFERS; b++) await(b);
    }

    private static void parallelCopy(MemorySegment from, MemorySegment to) {
        parallelCopy(List.of(new Part(from, 0, null)), to);
    }

    /** Copies each part's source to {@code to} at its offset, in slices of {@link #SLICE} over the common pool. */
    private static void parallelCopy(List<Part> parts, MemorySegment to) {
        List<Part> slices = new ArrayList<>();
        for (Part p : parts) {
            // A segment of a confined arena may only be touched by its owner: copy it on this thread.
            if (!Parallel.shareable(p.source(), to)) {
                MemorySegment.copy(p.source(), 0, to, p.offset(), p.source().byteSize());
                continue;
            }
            for (long at = 0; at < p.source().byteSize(); at += SLICE) {
                slices.add(new Part(p.source().asSlice(at, Math.min(SLICE, p.source().byteSize() - at)), p.offset() + at, null));
            }
        }
        if (slices.size() <= 1) {
            for (Part s : slices) MemorySegment.copy(s.source(), 0, to, s.offset(), s.source().byteSize());
            return;
        }
        slices.parallelStream().forEach(s -> MemorySegment.copy(s.source(), 0, to, s.offset(), s.source().byteSize()));
    }

    @Override
    public void close() {
        for (int i = 0; i < BUFFERS; i++) {
            if (done[i] != null) cuEventDestroy(done[i]);
            if (host[i] != null) cuMemFreeHost(host[i]);
        }
    }
}
