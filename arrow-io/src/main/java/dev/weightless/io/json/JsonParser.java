package dev.weightless.io.json;

import static dev.weightless.codec.MalformedInputException.verify;

import dev.weightless.codec.MalformedInputException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Recursive-descent parser over bytes; decodes UTF-8 itself so every error has an exact offset. */
final class JsonParser {
    private final MemorySegment in;
    private final long end;
    private final StringBuilder text = new StringBuilder();
    private long pos;
    private int depth;

    JsonParser(MemorySegment in) {
        this.in = in;
        this.end = in.byteSize();
    }

    Object document() {
        skipWhitespace();
        Object value = value();
        skipWhitespace();
        verify(pos == end, pos, "unexpected " + describe(pos) + " after the JSON value");
        return value;
    }

    private Object value() {
        verify(pos < end, pos, "unexpected end of input, expected a value");
        int b = byteAt(pos);
        return switch (b) {
            case '{' -> object();
            case '[' -> array();
            case '"' -> string();
            case 't' -> literal("true", Boolean.TRUE);
            case 'f' -> literal("false", Boolean.FALSE);
            case 'n' -> literal("null", null);
            default -> {
                verify(b == '-' || isDigit(b), pos, "unexpected " + describe(pos) + ", expected a value");
                yield number();
            }
        };
    }

    private Map<String, Object> object() {
        enter();
        Map<String, Object> map = new LinkedHashMap<>();
        skipWhitespace();
        if (!consume('}')) {
            do {
                skipWhitespace();
                long keyAt = pos;
                verify(pos < end && byteAt(pos) == '"', pos, "unexpected " + describe(pos) + ", expected a string key");
                String key = string();
                verify(!map.containsKey(key), keyAt, "duplicate key " + quote(key));
                skipWhitespace();
                expect(':');
                skipWhitespace();
                map.put(key, value());
                skipWhitespace();
            } while (consume(','));
            expect('}');
        }
        depth--;
        return Collections.unmodifiableMap(map);
    }

    private List<Object> array() {
        enter();
        List<Object> list = new ArrayList<>();
        skipWhitespace();
        if (!consume(']')) {
            do {
                skipWhitespace();
                list.add(value());
                skipWhitespace();
            } while (consume(','));
            expect(']');
        }
        depth--;
        return Collections.unmodifiableList(list);
    }

    private void enter() {
        verify(++depth <= Json.MAX_DEPTH, pos, "nesting deeper than " + Json.MAX_DEPTH);
        pos++;
    }

    private String string() {
        long start = pos++;
        text.setLength(0);
        while (true) {
            verify(pos < end, start, "unterminated string");
            int b = byteAt(pos);
            if (b == '"') {
                pos++;
                return text.toString();
            } else if (b == '\\') {
                escape();
            } else if (b < 0x20) {
                throw new MalformedInputException(pos, "unescaped control character " + describe(pos) + " in string");
            } else if (b < 0x80) {
                text.append((char) b);
                pos++;
            } else {
                utf8(b);
            }
        }
    }

    private void escape() {
        long at = pos++;
        verify(pos < end, at, "unterminated escape");
        int e = byteAt(pos++);
        switch (e) {
            case '"', '\\', '/' -> text.append((char) e);
            case 'b' -> text.append('\b');
            case 'f' -> text.append('\f');
            case 'n' -> text.append('\n');
            case 'r' -> text.append('\r');
            case 't' -> text.append('\t');
            case 'u' -> unicodeEscape(at);
            default -> throw new MalformedInputException(at, "invalid escape \\" + printable(e));
        }
    }

    /** JSON spells characters outside the BMP as two escapes, which must form a valid surrogate pair. */
    private void unicodeEscape(long at) {
        char c = hex4();
        if (Character.isHighSurrogate(c)) {
            verify(pos + 1 < end && byteAt(pos) == '\\' && byteAt(pos + 1) == 'u', at,
                    "high surrogate escape not followed by a low surrogate escape");
            pos += 2;
            char low = hex4();
            verify(Character.isLowSurrogate(low), at, "high surrogate escape not followed by a low surrogate escape");
            text.append(c).append(low);
        } else {
            verify(!Character.isLowSurrogate(c), at, "low surrogate escape without a high surrogate");
            text.append(c);
        }
    }

    private char hex4() {
        int v = 0;
        for (int i = 0; i < 4; i++) {
            verify(pos < end, pos, "truncated \\u escape");
            int d = Character.digit(byteAt(pos), 16);
            verify(d >= 0, pos, "invalid hex digit " + describe(pos) + " in \\u escape");
            v = v << 4 | d;
            pos++;
        }
        return (char) v;
    }

    /** Strict UTF-8: no overlong forms, no encoded surrogates, nothing above U+10FFFF. */
    private void utf8(int lead) {
        long at = pos;
        int extra;
        int cp;
        int min;
        if (lead >= 0xc2 && lead <= 0xdf) {
            extra = 1; cp = lead & 0x1f; min = 0x80;
        } else if (lead >= 0xe0 && lead <= 0xef) {
            extra = 2; cp = lead & 0x0f; min = 0x800;
        } else if (lead >= 0xf0 && lead <= 0xf4) {
            extra = 3; cp = lead & 0x07; min = 0x10000;
        } else {
            throw new MalformedInputException(at, "invalid UTF-8: " + describe(at) + " cannot start a character");
        }
        for (int i = 1; i <= extra; i++) {
            verify(at + i < end, at, "truncated UTF-8 sequence");
            int c = byteAt(at + i);
            verify((c & 0xc0) == 0x80, at + i, "invalid UTF-8: " + describe(at + i) + " is not a continuation byte");
            cp = cp << 6 | c & 0x3f;
        }
        verify(cp >= min, at, "overlong UTF-8 encoding");
        verify(cp <= Character.MAX_CODE_POINT, at, "UTF-8 sequence above U+10FFFF");
        verify(cp < Character.MIN_SURROGATE || cp > Character.MAX_SURROGATE, at, "UTF-8 encoded surrogate");
        text.appendCodePoint(cp);
        pos = at + extra + 1;
    }

    private Object number() {
        long start = pos;
        consume('-');
        if (!consume('0')) {
            verify(pos < end && isDigit(byteAt(pos)), pos, "invalid number: expected a digit");
            digits();
        }
        boolean integer = true;
        if (consume('.')) {
            integer = false;
            requireDigits();
        }
        if (consume('e') || consume('E')) {
            integer = false;
            if (!consume('+')) consume('-');
            requireDigits();
        }
        String literal = ascii(start, pos);
        if (integer) {
            try {
                return Long.parseLong(literal);
            } catch (NumberFormatException outOfLongRange) {
                // falls through to Double, which no long-valued field accepts
            }
        }
        double d = Double.parseDouble(literal);
        verify(Double.isFinite(d), start, "number out of range");
        return d;
    }

    private void requireDigits() {
        verify(pos < end && isDigit(byteAt(pos)), pos, "invalid number: expected a digit");
        digits();
    }

    private void digits() {
        while (pos < end && isDigit(byteAt(pos))) pos++;
    }

    private Object literal(String word, Object value) {
        for (int i = 0; i < word.length(); i++) {
            verify(pos + i < end && byteAt(pos + i) == word.charAt(i), pos, "invalid literal, expected " + word);
        }
        pos += word.length();
        return value;
    }

    private void skipWhitespace() {
        while (pos < end) {
            int b = byteAt(pos);
            if (b != ' ' && b != '\t' && b != '\n' && b != '\r') return;
            pos++;
        }
    }

    private boolean consume(char c) {
        if (pos < end && byteAt(pos) == c) {
            pos++;
            return true;
        }
        return false;
    }

    private void expect(char c) {
        verify(consume(c), pos, "unexpected " + describe(pos) + ", expected '" + c + "'");
    }

    private int byteAt(long at) {
        return in.get(ValueLayout.JAVA_BYTE, at) & 0xff;
    }

    private String ascii(long from, long to) {
        StringBuilder s = new StringBuilder(Math.toIntExact(to - from));
        for (long i = from; i < to; i++) s.append((char) byteAt(i));
        return s.toString();
    }

    private String describe(long at) {
        return at >= end ? "end of input" : printable(byteAt(at));
    }

    private static String printable(int b) {
        return b > 0x20 && b < 0x7f ? "'" + (char) b + "'" : String.format("byte 0x%02x", b);
    }

    private static boolean isDigit(int b) {
        return b >= '0' && b <= '9';
    }

    /** Keys can be huge in hostile input; messages show a bounded prefix. */
    static String quote(String s) {
        return '"' + (s.length() <= 80 ? s : s.substring(0, 80) + "...") + '"';
    }
}
