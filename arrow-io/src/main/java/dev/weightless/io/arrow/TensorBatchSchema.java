package dev.weightless.io.arrow;

import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

import java.util.ArrayList;
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
    /** The layout of a file with coded tensors (Weightless format version 2): layout 1's columns plus {@link #CODER} and {@link #PARTS}. */
    public static final String LAYOUT_VERSION_CODED = "2";

    public static final String NAME = "name", DTYPE = "dtype", SHAPE = "shape", CODEC = "codec", CRC32C = "crc32c";
    public static final String CHUNK_SYMBOLS = "chunk_symbols", GROUP_CHUNKS = "group_chunks";
    public static final String CODE = "code", INDEX = "index", EXP = "exp", SM = "sm", DATA = "data";
    /** Layout 2: a coded tensor's coder name. */
    public static final String CODER = "coder";
    /** Layout 2: a coded tensor's parts in its coder's order, the unused ones null (as many as the coder with the most parts has). */
    public static final List<String> PARTS = List.of("part_1", "part_2", "part_3", "part_4", "part_5");

    /** The nullable columns of either layout. */
    static final List<String> NULLABLE = List.of(CODE, INDEX, EXP, SM, DATA, CODER, "part_1", "part_2", "part_3", "part_4", "part_5");

    private TensorBatchSchema() {}

    /** The fields, in order; {@code metadata} becomes the schema's custom metadata (plus {@link #LAYOUT_KEY}). */
    public static Schema schema(Map<String, String> metadata) {
        return schema(metadata, false);
    }

    /** Layout 2 when {@code coded}, else layout 1. */
    public static Schema schema(Map<String, String> metadata, boolean coded) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(LAYOUT_KEY, coded ? LAYOUT_VERSION_CODED : LAYOUT_VERSION);
        m.putAll(metadata);
        return new Schema(coded ? codedFields() : fields(), m);
    }

    static List<Field> codedFields() {
        List<Field> f = new ArrayList<>(fields());
        f.add(Field.nullable(CODER, ArrowType.Utf8.INSTANCE));
        for (String p : PARTS) f.add(Field.nullable(p, ArrowType.LargeBinary.INSTANCE));
        return List.copyOf(f);
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
