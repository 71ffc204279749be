package dev.weightless.io.arrow;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.LargeVarBinaryVector;
import org.apache.arrow.vector.UInt4Vector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.complex.impl.UnionListWriter;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.ipc.message.ArrowFieldNode;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes tensors as an Arrow IPC file in the {@link TensorBatchSchema} layout, one record batch per
 * tensor. The binary columns are not filled by copying: each value's bytes are wrapped as an Arrow
 * buffer (the memory-mapped file's own pages) and loaded into the vector, so the channel writes
 * straight from the mapping.
 */
public final class TensorBatchWriter implements AutoCloseable {
    private final BufferAllocator allocator;
    private final VectorSchemaRoot root;
    private final ArrowFileWriter writer;
    private final List<ArrowBuf> held = new ArrayList<>();
    private final boolean coded;

    /** Starts the file on {@code out} in layout 1; {@code metadata} goes into the schema. */
    public TensorBatchWriter(BufferAllocator allocator, Map<String, String> metadata, WritableByteChannel out) throws IOException {
        this(allocator, metadata, out, false);
    }

    /** Starts the file on {@code out}, in layout 2 when {@code coded} (a file with coded tensors), else layout 1. */
    public TensorBatchWriter(BufferAllocator allocator, Map<String, String> metadata, WritableByteChannel out, boolean coded) throws IOException {
        this.allocator = allocator;
        this.coded = coded;
        this.root = VectorSchemaRoot.create(TensorBatchSchema.schema(metadata, coded), allocator);
        this.writer = new ArrowFileWriter(root, null, out);
        writer.start();
    }

    /** Writes one tensor as one record batch; the segments need only stay alive during the call. */
    public void write(TensorBatch t) throws IOException {
        if (!coded && (t.coder() != null || !t.parts().isEmpty())) throw new IllegalArgumentException(t.name() + ": coded tensors need layout 2");
        if (t.parts().size() > TensorBatchSchema.PARTS.size()) throw new IllegalArgumentException(t.name() + ": " + t.parts().size() + " parts, the layout has columns for " + TensorBatchSchema.PARTS.size());
        root.clear();
        setString(TensorBatchSchema.NAME, t.name());
        setString(TensorBatchSchema.DTYPE, t.dtype());
        setString(TensorBatchSchema.CODEC, t.codec());
        ListVector shape = (ListVector) root.getVector(TensorBatchSchema.SHAPE);
        shape.allocateNew();
        UnionListWriter w = shape.getWriter();
        w.setPosition(0);
        w.startList();
        for (long d : t.shape()) w.bigInt().writeBigInt(d);
        w.endList();
        shape.setValueCount(1);
        UInt4Vector crc = (UInt4Vector) root.getVector(TensorBatchSchema.CRC32C);
        crc.allocateNew(1);
        crc.set(0, t.crc32c());
        setInt(TensorBatchSchema.CHUNK_SYMBOLS, t.chunkSymbols());
        setInt(TensorBatchSchema.GROUP_CHUNKS, t.groupChunks());
        try {
            loadBinary(TensorBatchSchema.CODE, t.code());
            loadBinary(TensorBatchSchema.INDEX, t.index());
            loadBinary(TensorBatchSchema.EXP, t.exp());
            loadBinary(TensorBatchSchema.SM, t.sm());
            loadBinary(TensorBatchSchema.DATA, t.data());
            if (coded) {
                VarCharVector coder = (VarCharVector) root.getVector(TensorBatchSchema.CODER);
                coder.allocateNew();
                if (t.coder() == null) coder.setNull(0);
                else coder.setSafe(0, t.coder().getBytes(StandardCharsets.UTF_8));
                coder.setValueCount(1);
                for (int k = 0; k < TensorBatchSchema.PARTS.size(); k++) {
                    loadBinary(TensorBatchSchema.PARTS.get(k), k < t.parts().size() ? t.parts().get(k) : null);
                }
            }
            root.setRowCount(1);
            writer.writeBatch();
        } finally {
            // The vectors hold their own references; ours go, and the wrapped pages are released with root.clear().
            held.forEach(ArrowBuf::close);
            held.clear();
            root.clear();
        }
    }

    private void setString(String column, String value) {
        VarCharVector v = (VarCharVector) root.getVector(column);
        v.allocateNew();
        v.setSafe(0, value.getBytes(StandardCharsets.UTF_8));
        v.setValueCount(1);
    }

    private void setInt(String column, int value) {
        IntVector v = (IntVector) root.getVector(column);
        v.allocateNew(1);
        v.set(0, value);
        v.setValueCount(1);
    }

    /** One value of a large-binary column: the bytes wrapped, not copied; null when {@code bytes} is null. */
    private void loadBinary(String column, MemorySegment bytes) {
        ArrowBuf offsets = hold(allocator.buffer(16));
        long length = bytes == null ? 0 : bytes.byteSize();
        offsets.setLong(0, 0);
        offsets.setLong(8, length);
        ArrowBuf data = bytes == null ? allocator.getEmpty() : hold(ArrowMemory.wrap(bytes, allocator));
        ((LargeVarBinaryVector) root.getVector(column)).loadFieldBuffers(new ArrowFieldNode(1, bytes == null ? 1 : 0),
                List.of(allocator.getEmpty(), offsets, data));
    }

    private ArrowBuf hold(ArrowBuf b) {
        held.add(b);
        return b;
    }

    /** Writes the footer. */
    public void finish() throws IOException {
        writer.end();
    }

    /** Releases the vectors; Arrow's writer also closes the channel (after writing a footer if {@link #finish} was not called). */
    @Override
    public void close() {
        writer.close();
        root.close();
    }
}
