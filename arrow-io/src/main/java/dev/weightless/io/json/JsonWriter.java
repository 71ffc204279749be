package dev.weightless.io.json;

import java.math.BigInteger;
import java.util.List;
import java.util.Map;

/** Compact JSON output, escaping as serde_json does so headers match the Hugging Face writer. */
final class JsonWriter {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private JsonWriter() {}

    static void value(Object value, StringBuilder out, int depth) {
        switch (value) {
            case null -> out.append("null");
            case String s -> string(s, out);
            case Boolean b -> out.append(b.booleanValue());
            case Long _, Integer _, Short _, Byte _, BigInteger _ -> out.append(value);
            case Double d -> finite(d, out);
            case Float f -> finite(f.doubleValue(), out);
            case Map<?, ?> map -> object(map, out, depth + 1);
            case List<?> list -> array(list, out, depth + 1);
            default -> throw new IllegalArgumentException("cannot write " + value.getClass().getName() + " as JSON");
        }
    }

    private static void object(Map<?, ?> map, StringBuilder out, int depth) {
        checkDepth(depth);
        out.append('{');
        boolean first = true;
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getKey() instanceof String key)) throw new IllegalArgumentException("JSON object keys must be strings");
            if (!first) out.append(',');
            first = false;
            string(key, out);
            out.append(':');
            value(e.getValue(), out, depth);
        }
        out.append('}');
    }

    private static void array(List<?> list, StringBuilder out, int depth) {
        checkDepth(depth);
        out.append('[');
        for (int i = 0; i < list.size(); i++) {
            if (i > 0) out.append(',');
            value(list.get(i), out, depth);
        }
        out.append(']');
    }

    /** What we write must parse again, so the parser's depth limit applies here too. */
    private static void checkDepth(int depth) {
        if (depth > Json.MAX_DEPTH) throw new IllegalArgumentException("nesting deeper than " + Json.MAX_DEPTH);
    }

    private static void finite(double d, StringBuilder out) {
        if (!Double.isFinite(d)) throw new IllegalArgumentException("JSON has no " + d);
        out.append(d);
    }

    private static void string(String s, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xf]);
                    } else if (Character.isSurrogate(c)) {
                        // UTF-8 cannot encode a lone surrogate; a pair passes through as one code point.
                        if (!Character.isHighSurrogate(c) || i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
                            throw new IllegalArgumentException("lone surrogate at index " + i + " in string");
                        }
                        out.append(c).append(s.charAt(++i));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
