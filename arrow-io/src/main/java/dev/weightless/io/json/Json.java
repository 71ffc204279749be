package dev.weightless.io.json;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

/**
 * Strict RFC 8259 JSON, sized for safetensors headers and index files.
 *
 * <p>Values map to Java types: object to an unmodifiable insertion-ordered {@code Map<String, Object>},
 * array to an unmodifiable {@code List<Object>}, string to {@code String}, an integer that fits
 * to {@code Long} (kept exact), any other number to a finite {@code Double}, true/false to
 * {@code Boolean}, null to {@code null}. Callers that need a long check for {@code Long}, which
 * rejects fractions and out-of-range integers alike.
 */
public final class Json {
    /** Deepest nesting of objects and arrays accepted, so hostile input cannot exhaust the stack. */
    public static final int MAX_DEPTH = 64;

    private Json() {}

    /** Parses UTF-8 JSON; errors carry the byte offset within {@code json}. */
    public static Object parse(byte[] json) {
        return parse(MemorySegment.ofArray(json));
    }

    /** Parses UTF-8 JSON held in a segment; errors carry the byte offset within {@code json}. */
    public static Object parse(MemorySegment json) {
        return new JsonParser(json).document();
    }

    /** Compact JSON text (no insignificant whitespace) of a value built from the types listed above. */
    public static String write(Object value) {
        StringBuilder out = new StringBuilder();
        JsonWriter.value(value, out, 0);
        return out.toString();
    }

    /** {@link #write} encoded as UTF-8. */
    public static byte[] writeUtf8(Object value) {
        return write(value).getBytes(StandardCharsets.UTF_8);
    }
}
