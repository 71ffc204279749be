package dev.weightless.io.container;

import dev.weightless.io.arrow.ArrowMemory;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The per-tensor table of {@link Inspector} as an Arrow IPC file: one record batch, one row per tensor
 * (columns below, arrow-io/ARROW.md), the totals in the schema metadata.
 */
public final class StatisticsExport {
    private static final ArrowType UTF8 = ArrowType.Utf8.INSTANCE, I64 = new ArrowType.Int(64, true),
            F64 = new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE);

    private StatisticsExport() {}

    /**
     * The columns, in order. {@code coder} (the coder that decodes the tensor) is null for raw, passthrough and
     * uncompressed tensors; {@code entropy} (H of the exponent, bits) is null for tensors that are not BF16.
     */
    public static Schema schema(Map<String, String> metadata) {
        return new Schema(List.of(Field.notNullable("file", UTF8), Field.notNullable("name", UTF8), Field.notNullable("dtype", UTF8),
                Field.notNullable("elements", I64), Field.notNullable("codec", UTF8), Field.nullable("coder", UTF8),
                Field.notNullable("original_bytes", I64),
                Field.notNullable("stored_bytes", I64), Field.nullable("entropy", F64), Field.notNullable("bits_per_weight", F64),
                Field.notNullable("ratio", F64)), metadata);
    }

    /** Writes {@code report} to {@code out} (through a temporary renamed into place). */
    public static void write(Inspector.Report report, Path out, boolean replace, Path... inputs) throws IOException {
        AtomicOutput.requireNotInput(out, inputs);
        Map<String, String> totals = new LinkedHashMap<>();
        totals.put("weightless.compressed", Boolean.toString(report.compressed()));
        totals.put("original_bytes", Long.toString(report.originalBytes()));
        totals.put("compressed_bytes", Long.toString(report.compressedBytes()));
        totals.put("ratio", Double.toString(report.ratio()));
        totals.put("bf16_original_bytes", Long.toString(report.bf16OriginalBytes()));
        totals.put("bf16_stored_bytes", Long.toString(report.bf16StoredBytes()));
        totals.put("bf16_entropy", Double.toString(report.bf16Entropy()));
        totals.put("bf16_bound", Double.toString(report.bf16Bound()));
        totals.put("bf16_tensor_bound", Double.toString(report.bf16TensorBound()));
        AtomicOutput.writeFile(out, replace, dst -> {
            try (BufferAllocator job = ArrowMemory.job(); FileChannel channel = dst.openChannel();
                 VectorSchemaRoot root = VectorSchemaRoot.create(schema(totals), job);
                 ArrowFileWriter writer = new ArrowFileWriter(root, null, channel)) {
                List<Inspector.Row> rows = report.rows();
                root.allocateNew();
                for (int i = 0; i < rows.size(); i++) {
                    Inspector.Row r = rows.get(i);
                    text(root, "file", i, r.file());
                    text(root, "name", i, r.name());
                    text(root, "dtype", i, r.dtype().name());
                    ((BigIntVector) root.getVector("elements")).setSafe(i, r.elements());
                    text(root, "codec", i, r.codec());
                    if (r.coder().equals("-")) ((VarCharVector) root.getVector("coder")).setNull(i);
                    else text(root, "coder", i, r.coder());
                    ((BigIntVector) root.getVector("original_bytes")).setSafe(i, r.originalBytes());
                    ((BigIntVector) root.getVector("stored_bytes")).setSafe(i, r.storedBytes());
                    Float8Vector entropy = (Float8Vector) root.getVector("entropy");
                    if (Double.isNaN(r.entropy())) entropy.setNull(i);
                    else entropy.setSafe(i, r.entropy());
                    ((Float8Vector) root.getVector("bits_per_weight")).setSafe(i, r.bitsPerWeight());
                    ((Float8Vector) root.getVector("ratio")).setSafe(i, r.ratio());
                }
                root.setRowCount(rows.size());
                writer.start();
                writer.writeBatch();
                writer.end();
            }
            return null;
        });
    }

    private static void text(VectorSchemaRoot root, String column, int i, String value) {
        ((VarCharVector) root.getVector(column)).setSafe(i, value.getBytes(StandardCharsets.UTF_8));
    }
}
