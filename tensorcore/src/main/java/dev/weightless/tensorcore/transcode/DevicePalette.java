package dev.weightless.tensorcore.transcode;

import dev.weightless.tasks.DeviceArray;
import dev.weightless.tasks.DeviceBuffer;
import dev.weightless.tensorcore.layout.PaletteLayout.Coding;
import dev.weightless.tensorcore.layout.PaletteTensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Objects;

/**
 * A matrix in the palette layout that lives only on the device ({@link GpuTranscoder}'s output): the five
 * parts of {@link PaletteTensor} as device arrays, held until {@link #close}. The escape list carries 128
 * zero bytes of padding (the ballot kernel loads 128-byte windows); positions are never empty. {@code coding}
 * says how the tiles code their exponents (the palette kernels read only {@link Coding#PALETTE}).
 */
public record DevicePalette(long rows, long cols, long escapeCount, DeviceArray tiles, DeviceArray palettes, DeviceArray escapeStarts,
                            DeviceArray escapes, DeviceArray escapePositions, List<DeviceBuffer> held, Coding coding) implements AutoCloseable {
    public DevicePalette {
        Objects.requireNonNull(coding, "coding");
        PaletteTensor.checkShape(rows, cols);
        held = List.copyOf(held);
    }

    /** A palette-coded (3-bit) layout, as before the window coding. */
    public DevicePalette(long rows, long cols, long escapeCount, DeviceArray tiles, DeviceArray palettes, DeviceArray escapeStarts,
                         DeviceArray escapes, DeviceArray escapePositions, List<DeviceBuffer> held) {
        this(rows, cols, escapeCount, tiles, palettes, escapeStarts, escapes, escapePositions, held, Coding.PALETTE);
    }

    /** Bytes of the layout proper (no padding), as {@link PaletteTensor#byteSize()} counts them. */
    public long byteSize() { return tiles.bytes() + palettes.bytes() + escapeStarts.bytes() + escapeCount * 3; }

    /** Copies the layout back to the host (tests and checks compare it with the CPU encoder). */
    public PaletteTensor toHost(Arena arena) {
        MemorySegment t = read(tiles, tiles.bytes(), arena), p = read(palettes, palettes.bytes(), arena), s = read(escapeStarts, escapeStarts.bytes(), arena);
        MemorySegment e = read(escapes, escapeCount, arena), q = read(escapePositions, escapeCount * 2, arena);
        return new PaletteTensor(rows, cols, t, p, s, e, q, coding);
    }

    private static MemorySegment read(DeviceArray a, long bytes, Arena arena) {
        MemorySegment target = arena.allocate(bytes, 16);
        if (bytes > 0) a.buffer().copyTo(target, a.byteOffset());
        return target;
    }

    @Override
    public void close() {
        RuntimeException first = null;
        for (DeviceBuffer b : held) {
            try {
                b.close();
            } catch (RuntimeException e) {
                if (first == null) first = e; else first.addSuppressed(e);
            }
        }
        if (first != null) throw first;
    }
}
