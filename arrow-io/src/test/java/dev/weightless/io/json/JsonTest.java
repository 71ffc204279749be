package dev.weightless.io.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weightless.codec.MalformedInputException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class JsonTest {
    private static Object parse(String json) {
        return Json.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    private static MalformedInputException reject(byte[] json) {
        return assertThrows(MalformedInputException.class, () -> Json.parse(json));
    }

    private static MalformedInputException reject(String json) {
        return reject(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void parsesEveryKindOfValue() {
        Map<?, ?> map = (Map<?, ?>) parse(" {\"s\":\"x\",\"i\":-12,\"f\":1.5e2,\"t\":true,\"n\":null,\"a\":[1,[],{}],\"o\":{\"z\":false}} \r\n\t");
        assertEquals(List.of("s", "i", "f", "t", "n", "a", "o"), List.copyOf(map.keySet()));
        assertEquals("x", map.get("s"));
        assertEquals(-12L, map.get("i"));
        assertEquals(150.0, map.get("f"));
        assertEquals(true, map.get("t"));
        assertTrue(map.containsKey("n"));
        assertNull(map.get("n"));
        assertEquals(List.of(1L, List.of(), Map.of()), map.get("a"));
        assertEquals(Map.of("z", false), map.get("o"));
    }

    @Test
    void keepsInsertionOrder() {
        Map<?, ?> map = (Map<?, ?>) parse("{\"b\":1,\"a\":2,\"c\":3}");
        assertEquals(List.of("b", "a", "c"), List.copyOf(map.keySet()));
    }

    @Test
    void resultsAreUnmodifiable() {
        Map<?, ?> map = (Map<?, ?>) parse("{\"a\":[1]}");
        assertThrows(UnsupportedOperationException.class, map::clear);
        assertThrows(UnsupportedOperationException.class, () -> ((List<?>) map.get("a")).clear());
    }

    @Test
    void integersStayExactLongs() {
        assertEquals(Long.MAX_VALUE, parse("9223372036854775807"));
        assertEquals(Long.MIN_VALUE, parse("-9223372036854775808"));
        assertEquals(0L, parse("-0"));
        assertEquals(9007199254740993L, parse("9007199254740993"));
        // Out of long range, or not an integer: a Double, which no long-valued field accepts.
        assertInstanceOf(Double.class, parse("9223372036854775808"));
        assertInstanceOf(Double.class, parse("1.0"));
        assertInstanceOf(Double.class, parse("1e3"));
        assertEquals(-2.5e-3, parse("-25E-4"));
        assertEquals(0.5, parse("0.5"));
    }

    @Test
    void decodesEscapesAndUtf8() {
        assertEquals("\"\\/\b\f\n\r\t", parse("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\""));
        assertEquals("\u00e9\u0000\uffff", parse("\"\\u00E9\\u0000\\uFFFF\""));
        assertEquals("\uD83D\uDE00", parse("\"\\ud83d\\ude00\""));
        assertEquals("é€😀", parse("\"é€😀\""));
        assertEquals("\u007f", parse("\"\u007f\""));
    }

    @Test
    void parsesASliceWithOffsetsRelativeToIt() {
        byte[] bytes = "xx[1, ]yy".getBytes(StandardCharsets.UTF_8);
        MemorySegment slice = MemorySegment.ofArray(bytes).asSlice(2, 5);
        MalformedInputException e = assertThrows(MalformedInputException.class, () -> Json.parse(slice));
        assertEquals(4, e.offset());
        assertEquals(List.of(7L), Json.parse(MemorySegment.ofArray("[7]".getBytes(StandardCharsets.UTF_8))));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            ``                        | 0
            `   `                     | 3
            `{`                       | 1
            `{"a"}`                   | 4
            `{"a":1,}`                | 7
            `{"a":1 "b":2}`           | 7
            `{a:1}`                   | 1
            `{1:1}`                   | 1
            `[1,]`                    | 3
            `[1 2]`                   | 3
            `[`                       | 1
            `]`                       | 0
            `{} {}`                   | 3
            `1 x`                     | 2
            `01`                      | 1
            `-`                       | 1
            `+1`                      | 0
            `.5`                      | 0
            `1.`                      | 2
            `1.e5`                    | 2
            `1e`                      | 2
            `1e+`                     | 3
            `-a`                      | 1
            `1e400`                   | 0
            `-1e400`                  | 0
            `NaN`                     | 0
            `Infinity`                | 0
            `tru`                     | 0
            `nul`                     | 0
            `True`                    | 0
            `"abc`                    | 0
            `"\\x"`                    | 1
            `"\\u12"`                  | 5
            `"\\u12g4"`                | 5
            `"\\ud800"`                | 1
            `"\\ud800\\u0041"`          | 1
            `"\\ud800x"`               | 1
            `"\\udc00"`                | 1
            `"\\`                      | 1
            `{"a":1,"a":2}`           | 7
            `{"a":{"b":1,"b":1}}`     | 12
            """)
    void rejectsInvalidText(String json, long offset) {
        assertEquals(offset, reject(json).offset(), () -> reject(json).getMessage());
    }

    @Test
    void rejectsControlCharactersInStrings() {
        for (char c = 0; c < 0x20; c++) {
            assertEquals(2, reject("[\"" + c + "\"]").offset());
        }
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource({
            "22 80 22, 1",           // continuation byte as lead
            "22 c0 80 22, 1",        // overlong two-byte NUL
            "22 c1 bf 22, 1",        // overlong
            "22 e0 80 80 22, 1",     // overlong three-byte
            "22 f0 80 80 80 22, 1",  // overlong four-byte
            "22 ed a0 80 22, 1",     // encoded surrogate U+D800
            "22 f4 90 80 80 22, 1",  // above U+10FFFF
            "22 f5 80 80 80 22, 1",  // invalid lead
            "22 ff 22, 1",
            "22 c3 41 22, 2",        // bad continuation
            "22 e2 82, 1",           // truncated at end of input
            "c3 a9, 0",              // non-ASCII outside a string
            "5b 31 5d c3 a9, 3",     // garbage after the value
    })
    void rejectsInvalidUtf8(String hex, long offset) {
        byte[] bytes = hexBytes(hex);
        assertEquals(offset, reject(bytes).offset(), () -> reject(bytes).getMessage());
    }

    @Test
    void acceptsTheUtf8Boundaries() {
        assertEquals("\u0080\u07ff\u0800\ud7ff\ue000\uffff\ud800\udc00\udbff\udfff",
                Json.parse(hexBytes("22 c2 80 df bf e0 a0 80 ed 9f bf ee 80 80 ef bf bf f0 90 80 80 f4 8f bf bf 22")));
    }

    @Test
    void limitsNesting() {
        String deepest = "[".repeat(Json.MAX_DEPTH) + "]".repeat(Json.MAX_DEPTH);
        assertInstanceOf(List.class, parse(deepest));
        String objects = "{\"a\":".repeat(Json.MAX_DEPTH - 1) + "{}" + "}".repeat(Json.MAX_DEPTH - 1);
        assertInstanceOf(Map.class, parse(objects));
        assertEquals(Json.MAX_DEPTH, reject("[".repeat(Json.MAX_DEPTH + 1) + "]".repeat(Json.MAX_DEPTH + 1)).offset());
        // Hostile depth fails fast instead of overflowing the stack.
        assertEquals(Json.MAX_DEPTH, reject("[".repeat(1_000_000)).offset());
    }

    @Test
    void duplicateKeyMessageNamesTheKey() {
        assertTrue(reject("{\"k\":1,\"k\":1}").getMessage().contains("duplicate key \"k\""));
    }

    @Test
    void writesCompactEscapedJson() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("b", List.of(1L, 2, -3.5, true, false));
        map.put("a", null);
        map.put("s", "q\"\\/\b\f\n\r\t\u0001\u001f é😀\u007f");
        map.put("o", Map.of());
        assertEquals("{\"b\":[1,2,-3.5,true,false],\"a\":null,\"s\":\"q\\\"\\\\/\\b\\f\\n\\r\\t\\u0001\\u001f é😀\u007f\",\"o\":{}}",
                Json.write(map));
        assertEquals(Json.write(map), Json.write(Json.parse(Json.writeUtf8(map))));
    }

    @Test
    void roundTripsThroughText() {
        String text = "{\"k\":[\"\\u0000\",{\"x\":[[]]},9223372036854775807,-1,1.0E-5,null],\"\":\"\"}";
        assertEquals(text, Json.write(parse(text)));
    }

    @Test
    void writerRejectsWhatJsonCannotHold() {
        assertThrows(IllegalArgumentException.class, () -> Json.write("\ud800"));
        assertThrows(IllegalArgumentException.class, () -> Json.write("a\udc00"));
        assertThrows(IllegalArgumentException.class, () -> Json.write("\ud800a"));
        assertThrows(IllegalArgumentException.class, () -> Json.write(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> Json.write(Float.POSITIVE_INFINITY));
        assertThrows(IllegalArgumentException.class, () -> Json.write(Map.of(1, 2)));
        assertThrows(IllegalArgumentException.class, () -> Json.write(new Object()));
        Object deep = List.of();
        for (int i = 1; i < Json.MAX_DEPTH; i++) deep = List.of(deep);
        assertEquals(Json.MAX_DEPTH * 2, Json.write(deep).length());
        Object tooDeep = List.of(deep);
        assertThrows(IllegalArgumentException.class, () -> Json.write(tooDeep));
    }

    private static byte[] hexBytes(String hex) {
        String[] parts = hex.trim().split(" ");
        byte[] bytes = new byte[parts.length];
        for (int i = 0; i < parts.length; i++) bytes[i] = (byte) Integer.parseInt(parts[i], 16);
        return Arrays.copyOf(bytes, bytes.length);
    }
}
