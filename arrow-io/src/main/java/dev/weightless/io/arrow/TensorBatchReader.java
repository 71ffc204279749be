package dev.weightless.io.arrow;

import dev.weightless.codec.MalformedInputException;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BoundsChecking;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.LargeVarBinaryVector;
import org.apache.arrow.vector.UInt4Vector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads an Arrow IPC file in the {@link TensorBatchSchema} layout, one tensor at a time. Every record
 * batch's extent is checked against the file before Arrow allocates for it, and every value's offsets
 * against its buffer, so a damaged file gives {@link MalformedInputException} naming the file and the
 * batch's byte offset, never an allocation the file does not justify or a read outside a buffer.
 * Arrow reads each batch's body into one buffer of the allocator (off-heap); the segments of a
 * {@link TensorBatch} are views of it, valid until the next {@link #read} or {@link #close}.
 */
public final class TensorBatchReader implements AutoCloseable {
    /** Memory Arrow may take beyond the file's size while loading a batch (validity bitmaps and such). */
    private static final long SLACK = 16L << 20;

    private final String source;
    private final BufferAllocator memory;
    private final FileChannel channel;
    private final ArrowFileReader reader;
    private final List<ArrowBlock> blocks;
    private final Map<String, String> metadata;
    private final boolean coded;

    private TensorBatchReader(Path path, BufferAllocator memory, FileChannel channel, ArrowFileReader reader) throws IOException {
        this.source = path.toString();
        this.memory = memory;
        this.channel = channel;
        this.reader = reader;
        Schema schema;
        try {
            schema = reader.getVectorSchemaRoot().getSchema();
            this.blocks = List.copyOf(reader.getRecordBlocks());
        } catch (RuntimeException | IOException e) {
            throw new MalformedInputException(source, 0, "not a readable Arrow IPC file: " + e.getMessage());
        }
        this.coded = schema.getFields().equals(TensorBatchSchema.codedFields());
        if (!coded && !schema.getFields().equals(TensorBatchSchema.fields())) {
            throw new MalformedInputException(source, 0, "Arrow schema is not the Weightless tensor layout: " + schema.getFields());
        }
        Map<String, String> m = schema.getCustomMetadata();
        String layout = coded ? TensorBatchSchema.LAYOUT_VERSION_CODED : TensorBatchSchema.LAYOUT_VERSION;
        if (m == null || !layout.equals(m.get(TensorBatchSchema.LAYOUT_KEY))) {
            throw new MalformedInputException(source, 0, "schema metadata lacks " + TensorBatchSchema.LAYOUT_KEY + "=" + layout
                    + " (the layout its columns are)");
        }
        this.metadata = Map.copyOf(m);
        long size = channel.size();
        for (ArrowBlock b : blocks) {
            long end = b.getOffset() + (long) b.getMetadataLength() + b.getBodyLength();
            if (b.getOffset() < 0 || b.getMetadataLength() < 0 || b.getBodyLength() < 0 || end < 0 || end > size) {
                throw new MalformedInputException(source, Math.max(0, b.getOffset()), "record batch of " + b.getMetadataLength() + " + "
                        + b.getBodyLength() + " bytes runs past the end of the file (" + size + " bytes)");
            }
        }
    }

    /** Opens {@code path} and checks its schema and the extent of every record batch. */
    public static TensorBatchReader open(Path path, BufferAllocator allocator) throws IOException {
        if (!BoundsChecking.BOUNDS_CHECKING_ENABLED) {
            throw new IllegalStateException("Arrow bounds checking is off (arrow.enable_unsafe_memory_access or "
                    + "ARROW_ENABLE_UNSAFE_MEMORY_ACCESS): files from elsewhere cannot be read safely");
        }
        FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
        // A batch's metadata can claim any row count, and Arrow sizes buffers by it: a limit bounds what a
        // damaged file can make it allocate (it fails with Arrow's OutOfMemoryException, reported as malformed).
        BufferAllocator memory = null;
        ArrowFileReader reader = null;
        try {
            memory = allocator.newChildAllocator("read " + path, 0, Math.addExact(channel.size(), SLACK));
            reader = new ArrowFileReader(channel, memory);
            return new TensorBatchReader(path, memory, channel, reader);
        } catch (RuntimeException | IOException e) {
            if (reader != null) closeQuietly(reader, e);
            if (memory != null) memory.close();
            channel.close();
            throw e;
        }
    }

    private static void closeQuietly(ArrowFileReader reader, Exception failure) {
        try {
            reader.close();
        } catch (Exception e) {
            failure.addSuppressed(e);
        }
    }

    /** The schema's custom metadata, {@link TensorBatchSchema#LAYOUT_KEY} included. */
    public Map<String, String> metadata() { return metadata; }

    /** How many tensors (record batches) the file holds. */
    public int count() { return blocks.size(); }

    /** Where record batch {@code i} starts in the file. */
    public long offset(int i) { return blocks.get(i).getOffset(); }

    /** Loads tensor {@code i}; its segments stay valid until the next call or {@link #close}. */
    public TensorBatch read(int i) {
        ArrowBlock block = blocks.get(i);
        long at = block.getOffset();
        VectorSchemaRoot root;
        try {
            reader.loadRecordBatch(block);
            root = reader.getVectorSchemaRoot();
        } catch (RuntimeException | IOException e) {
            throw new MalformedInputException(source, at, "record batch " + i + " cannot be read: " + e.getMessage());
        }
        try {
            MalformedInputException.verify(root.getRowCount() == 1, at, "record batch " + i + " has " + root.getRowCount() + " rows, not 1");
            for (FieldVector v : root.getFieldVectors()) {
                boolean nullable = TensorBatchSchema.NULLABLE.contains(v.getName());
                MalformedInputException.verify(v.getValueCount() == 1 && (nullable || !v.isNull(0)), at,
                        "record batch " + i + ": column " + v.getName() + " is missing");
            }
            return new TensorBatch(string(root, TensorBatchSchema.NAME, i, at), string(root, TensorBatchSchema.DTYPE, i, at),
                    shape(root, i, at), string(root, TensorBatchSchema.CODEC, i, at), ((UInt4Vector) root.getVector(TensorBatchSchema.CRC32C)).get(0),
                    ((IntVector) root.getVector(TensorBatchSchema.CHUNK_SYMBOLS)).get(0),
                    ((IntVector) root.getVector(TensorBatchSchema.GROUP_CHUNKS)).get(0),
                    binary(root, TensorBatchSchema.CODE, i, at), binary(root, TensorBatchSchema.INDEX, i, at),
                    binary(root, TensorBatchSchema.EXP, i, at), binary(root, TensorBatchSchema.SM, i, at),
                    binary(root, TensorBatchSchema.DATA, i, at), coder(root, i, at), parts(root, i, at));
        } catch (MalformedInputException e) {
            throw e.source() == null ? e.in(source, 0) : e; // offsets here are already the file's
        } catch (RuntimeException e) {
            // Arrow's own accessors trust the offsets they read; any failure of theirs on this batch is bad input.
            throw new MalformedInputException(source, at, "record batch " + i + " is inconsistent: " + e);
        }
    }

    /**
     * Row 0 of a UTF-8 column, its offsets checked against its buffer first: Arrow's own {@code get}
     * would allocate whatever length the offsets claim before reading.
     */
    private static String string(VectorSchemaRoot root, String column, int i, long at) {
        VarCharVector v = (VarCharVector) root.getVector(column);
        ArrowBuf offsets = v.getOffsetBuffer(), data = v.getDataBuffer();
        MalformedInputException.verify(offsets.capacity() >= 8, at, "record batch " + i + ": column " + column + " has no offsets");
        int start = offsets.getInt(0), end = offsets.getInt(4);
        MalformedInputException.verify(start >= 0 && start <= end && end <= data.capacity(), at,
                "record batch " + i + ": column " + column + " claims bytes [" + start + ", " + end + ") of a " + data.capacity() + "-byte buffer");
        byte[] bytes = new byte[end - start];
        data.getBytes(start, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** Layout 2's coder column (null when absent or null). */
    private String coder(VectorSchemaRoot root, int i, long at) {
        if (!coded || root.getVector(TensorBatchSchema.CODER).isNull(0)) return null;
        return string(root, TensorBatchSchema.CODER, i, at);
    }

    /** Layout 2's part columns up to the first null one; a part after a null one is malformed. */
    private List<MemorySegment> parts(VectorSchemaRoot root, int i, long at) {
        if (!coded) return List.of();
        List<MemorySegment> parts = new ArrayList<>();
        boolean ended = false;
        for (String column : TensorBatchSchema.PARTS) {
            MemorySegment p = binary(root, column, i, at);
            MalformedInputException.verify(p == null || !ended, at, "record batch " + i + ": column " + column + " follows a null part");
            if (p == null) ended = true;
            else parts.add(p);
        }
        return parts;
    }

    /** Whether the file is in layout 2 (it may hold coded tensors). */
    public boolean coded() { return coded; }

    /** Row 0 of the shape column, its offsets checked against the values actually present. */
    private static long[] shape(VectorSchemaRoot root, int i, long at) {
        ListVector v = (ListVector) root.getVector(TensorBatchSchema.SHAPE);
        ArrowBuf offsets = v.getOffsetBuffer();
        ArrowBuf values = ((BigIntVector) v.getDataVector()).getDataBuffer();
        MalformedInputException.verify(offsets.capacity() >= 8, at, "record batch " + i + ": shape has no offsets");
        int start = offsets.getInt(0), end = offsets.getInt(4);
        MalformedInputException.verify(start >= 0 && start <= end && (long) end * 8 <= values.capacity(), at,
                "record batch " + i + ": shape claims dimensions [" + start + ", " + end + ") of " + values.capacity() / 8);
        long[] shape = new long[end - start];
        for (int d = 0; d < shape.length; d++) shape[d] = values.getLong(8L * (start + d));
        return shape;
    }

    /** Row 0 of a large-binary column as a view of the batch's buffer, its offsets checked first; null for a null value. */
    private MemorySegment binary(VectorSchemaRoot root, String column, int i, long at) {
        LargeVarBinaryVector v = (LargeVarBinaryVector) root.getVector(column);
        if (v.isNull(0)) return null;
        ArrowBuf offsets = v.getOffsetBuffer(), data = v.getDataBuffer();
        MalformedInputException.verify(offsets.capacity() >= 16, at, "record batch " + i + ": column " + column + " has no offsets");
        long start = offsets.getLong(0), end = offsets.getLong(8);
        MalformedInputException.verify(start >= 0 && start <= end && end <= data.capacity(), at,
                "record batch " + i + ": column " + column + " claims bytes [" + start + ", " + end + ") of a " + data.capacity() + "-byte buffer");
        return ArrowMemory.segment(data, start, end - start);
    }

    /** The file's path, for messages. */
    public String source() { return source; }

    @Override
    public void close() throws IOException {
        try {
            reader.close();
        } finally {
            try {
                memory.close(); // throws if a buffer of this reader leaked
            } finally {
                channel.close();
            }
        }
    }
}
