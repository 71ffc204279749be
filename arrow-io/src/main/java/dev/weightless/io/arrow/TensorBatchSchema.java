package dev.weightless.io.arrow;

import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Arrow IPC layout of an exported Weightless file (arrow-io/ARROW.md documents it): one record
 * batch of one row per tensor, in the container's record order. Schema metadata carries the
 * container's own metadata entries verbatim, so that an import rebuilds the same Weightless file.
 */
public final class TensorBatchSchema {
    /** Schema metadata key: the version of this layout. */
    public static final String LAYOUT_KEY = "weightless.arrow.layout";
    public static final String LAYOUT_VERSION = "1";

    public static final String NAME = "name", DTYPE = "dtype", SHAPE = "shape", CODEC = "codec", CRC32C = "crc32c";
    public static final String CHUNK_SYMBOLS = "chunk_symbols", GROUP_CHUNKS = "group_chunks";
    public static final String CODE = "code", INDEX = "index", EXP = "exp", SM = "sm", DATA = "data";

    /** The binary columns, in schema order. */
    static final List<String> BINARY = List.of(CODE, INDEX, EXP, SM, DATA);

    private TensorBatchSchema() {}

    /** The fields, in order; {@code metadata} becomes the schema's custom metadata (plus {@link #LAYOUT_KEY}). */
    public static Schema schema(Map<String, String> metadata) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(LAYOUT_KEY, LAYOUT_VERSION);
        m.putAll(metadata);
        return new Schema(fields(), m);
    }

    static List<Field> fields() {
        Field dim = new Field("dim", FieldType.notNullable(new ArrowType.Int(64, true)), null);
        return List.of(
                Field.notNullable(NAME, ArrowType.Utf8.INSTANCE),
                Field.notNullable(DTYPE, ArrowType.Utf8.INSTANCE),
                new Field(SHAPE, FieldType.notNullable(ArrowType.List.INSTANCE), List.of(dim)),
                Field.notNullable(CODEC, ArrowType.Utf8.INSTANCE),
                Field.notNullable(CRC32C, new ArrowType.Int(32, false)),
                Field.notNullable(CHUNK_SYMBOLS, new ArrowType.Int(32, true)),
                Field.notNullable(GROUP_CHUNKS, new ArrowType.Int(32, true)),
                Field.nullable(CODE, ArrowType.LargeBinary.INSTANCE),
                Field.nullable(INDEX, ArrowType.LargeBinary.INSTANCE),
                Field.nullable(EXP, ArrowType.LargeBinary.INSTANCE),
                Field.nullable(SM, ArrowType.LargeBinary.INSTANCE),
                Field.nullable(DATA, ArrowType.LargeBinary.INSTANCE));
    }
}
