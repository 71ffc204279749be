package dev.weightless.io.safetensors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weightless.codec.MalformedInputException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every way a header can be wrong is refused, naming the file and pointing at the problem. */
class SafetensorsValidationTest {
    @TempDir
    Path dir;

    private Path file(long declaredLength, byte[] header, long dataBytes) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(8 + header.length + dataBytes)).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(declaredLength).put(header);
        Path file = Files.createTempFile(dir, "t", ".safetensors");
        Files.write(file, b.array());
        return file;
    }

    private Path file(String header, long dataBytes) throws IOException {
        byte[] bytes = header.getBytes(StandardCharsets.UTF_8);
        return file(bytes.length, bytes, dataBytes);
    }

    private static String tensor(String name, String dtype, String shape, String offsets) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":" + offsets + "}";
    }

    /** Opens {@code file}, expecting a rejection at {@code offset} whose message mentions {@code words}. */
    private static void rejected(Path file, long offset, String words) {
        MalformedInputException e = assertThrows(MalformedInputException.class, () -> SafetensorsFile.open(file).close());
        assertEquals(file.toString(), e.source());
        assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
        assertTrue(e.reason().contains(words), e.getMessage());
        assertEquals(offset, e.offset(), e.getMessage());
    }

    private void rejectedHeader(String header, long dataBytes, long offset, String words) throws IOException {
        rejected(file(header, dataBytes), offset, words);
    }

    /** The offset where the data section starts for {@code header}. */
    private static long data(String header) {
        return 8 + header.getBytes(StandardCharsets.UTF_8).length;
    }

    @Test
    void acceptsValidLayouts() throws IOException {
        String header = "{" + tensor("late", "U8", "[2]", "[3,5]") + "," + tensor("zero.end", "F32", "[0]", "[5,5]") + ","
                + tensor("zero.start", "BF16", "[4,0]", "[0,0]") + "," + tensor("early", "F16", "[1,1]", "[1,3]") + ","
                + tensor("zero.mid", "I64", "[0]", "[1,1]") + "," + tensor("first", "BOOL", "[1]", "[0,1]") + "}   \t\n ";
        try (SafetensorsFile f = SafetensorsFile.open(file(header, 5))) {
            assertEquals(List.of("late", "zero.end", "zero.start", "early", "zero.mid", "first"),
                    f.tensors().stream().map(TensorInfo::name).toList());
            assertEquals(data(header), f.dataStart());
        }
        try (SafetensorsFile f = SafetensorsFile.open(file("{}", 0))) {
            assertEquals(List.of(), f.tensors());
        }
    }

    @Test
    void rejectsTruncatedFiles() throws IOException {
        Path file = dir.resolve("short.safetensors");
        Files.write(file, new byte[] {2, 0, 0, 0, 0});
        rejected(file, 0, "too short");
        Path empty = dir.resolve("empty.safetensors");
        Files.write(empty, new byte[0]);
        rejected(empty, 0, "too short");
    }

    @Test
    void rejectsBadHeaderLengths() throws IOException {
        rejected(file(100_000_001, "{}".getBytes(StandardCharsets.UTF_8), 0), 0, "exceeds 100000000");
        rejected(file(-1, new byte[0], 0), 0, "18446744073709551615 exceeds");
        rejected(file(3, "{}".getBytes(StandardCharsets.UTF_8), 0), 0, "runs past the end");
        rejected(file(1L << 40, "{}".getBytes(StandardCharsets.UTF_8), 0), 0, "exceeds");
    }

    @Test
    void rejectsHeadersNotStartingWithABrace() throws IOException {
        rejectedHeader("", 0, 8, "'{'");
        rejectedHeader(" {}", 0, 8, "'{'");
        rejectedHeader("[]", 0, 8, "'{'");
    }

    @Test
    void reportsJsonErrorsAtTheirOffsetInTheFile() throws IOException {
        rejectedHeader("{\"a\":}", 0, 8 + 5, "expected a value");
        rejectedHeader("{} x", 0, 8 + 3, "after the JSON value");
        rejectedHeader("{}\0", 0, 8 + 2, "after the JSON value");
        rejectedHeader("{\"a\":{},\"a\":{}}", 0, 8 + 8, "duplicate key");
        byte[] badUtf8 = {'{', '"', (byte) 0xc0, (byte) 0xaf, '"', ':', '1', '}'};
        rejected(file(badUtf8.length, badUtf8, 0), 8 + 2, "UTF-8");
        rejectedHeader("{" + "\"a\":{".repeat(70), 0, 8 + 1 + 5 * 63 + 4, "nesting");
    }

    @Test
    void rejectsBadTensorEntries() throws IOException {
        rejectedHeader("{\"a\":[1]}", 0, 8, "not an object");
        rejectedHeader("{" + tensor("a", "X99", "[1]", "[0,1]") + "}", 1, 8, "unknown dtype \"X99\"");
        rejectedHeader("{\"a\":{\"dtype\":1,\"shape\":[],\"data_offsets\":[0,1]}}", 1, 8, "dtype");
        rejectedHeader("{\"a\":{\"shape\":[1],\"data_offsets\":[0,1]}}", 1, 8, "dtype is missing");
        rejectedHeader("{\"a\":{\"dtype\":\"U8\",\"data_offsets\":[0,1]}}", 1, 8, "shape");
        rejectedHeader("{\"a\":{\"dtype\":\"U8\",\"shape\":[1]}}", 1, 8, "data_offsets");
        rejectedHeader("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1],\"extra\":0}}", 1, 8,
                "unknown field \"extra\"");
    }

    @Test
    void rejectsBadShapes() throws IOException {
        for (String shape : List.of("[-1]", "[1.5]", "[1e0]", "[9223372036854775808]", "[\"2\"]", "[null]", "2", "null", "{}")) {
            rejectedHeader("{" + tensor("a", "U8", shape, "[0,1]") + "}", 1, 8, "shape must be a list of non-negative integers");
        }
    }

    @Test
    void rejectsBadDataOffsets() throws IOException {
        for (String offsets : List.of("[0]", "[0,1,2]", "[-1,1]", "[0,1.0]", "[0,\"1\"]", "{}", "[0,18446744073709551616]")) {
            rejectedHeader("{" + tensor("a", "U8", "[1]", offsets) + "}", 1, 8, "data_offsets must be two non-negative integers");
        }
    }

    @Test
    void rejectsBadMetadata() throws IOException {
        rejectedHeader("{\"__metadata__\":{\"a\":1}}", 0, 8, "not a string");
        rejectedHeader("{\"__metadata__\":{\"a\":null}}", 0, 8, "not a string");
        rejectedHeader("{\"__metadata__\":\"x\"}", 0, 8, "not an object");
        rejectedHeader("{\"__metadata__\":null}", 0, 8, "not an object");
    }

    @Test
    void rejectsOverlaps() throws IOException {
        String header = "{" + tensor("a", "U8", "[4]", "[0,4]") + "," + tensor("b", "U8", "[4]", "[2,6]") + "}";
        rejectedHeader(header, 6, data(header) + 4, "\"b\" overlaps tensor \"a\"");
        String same = "{" + tensor("a", "U8", "[4]", "[0,4]") + "," + tensor("b", "U8", "[4]", "[0,4]") + "}";
        rejectedHeader(same, 4, data(same) + 4, "overlaps");
    }

    @Test
    void rejectsGaps() throws IOException {
        String header = "{" + tensor("a", "U8", "[2]", "[0,2]") + "," + tensor("b", "U8", "[2]", "[4,6]") + "}";
        rejectedHeader(header, 6, data(header) + 2, "gap of 2 bytes before tensor \"b\"");
        String late = "{" + tensor("a", "U8", "[2]", "[1,3]") + "}";
        rejectedHeader(late, 3, data(late), "gap of 1 bytes");
    }

    @Test
    void rejectsDataNotCoveringTheFile() throws IOException {
        String header = "{" + tensor("a", "U8", "[2]", "[0,2]") + "}";
        rejectedHeader(header, 5, data(header) + 2, "3 bytes at the end of the file belong to no tensor");
        rejectedHeader("{}", 1, 10, "1 bytes at the end");
        rejectedHeader(header, 1, data(header), "extends past the end of the file");
        String huge = "{" + tensor("a", "U8", "[9223372036854775807]", "[0,9223372036854775807]") + "}";
        rejectedHeader(huge, 1, data(huge), "extends past the end");
    }

    @Test
    void rejectsBeginAfterEnd() throws IOException {
        String header = "{" + tensor("a", "U8", "[2]", "[0,2]") + "," + tensor("b", "U8", "[0]", "[2,0]") + "}";
        rejectedHeader(header, 2, data(header) + 2, "begin 2 is after end 0");
    }

    @Test
    void rejectsSizeMismatches() throws IOException {
        String header = "{" + tensor("a", "U8", "[1]", "[0,1]") + "," + tensor("b", "F32", "[2]", "[1,5]") + "}";
        rejectedHeader(header, 5, data(header) + 1, "shape needs 8 bytes but data_offsets span 4");
        String zero = "{" + tensor("a", "F32", "[0]", "[0,4]") + "}";
        rejectedHeader(zero, 4, data(zero), "shape needs 0 bytes");
    }

    @Test
    void rejectsShapeOverflow() throws IOException {
        String header = "{" + tensor("a", "BF16", "[4611686018427387904,4]", "[0,8]") + "}";
        rejectedHeader(header, 8, data(header), "overflows");
        String bytes = "{" + tensor("a", "F64", "[2305843009213693952]", "[0,8]") + "}";
        rejectedHeader(bytes, 8, data(bytes), "overflows");
    }

    @Test
    void rawHeaderGetsTheSameChecks() {
        byte[] gap = ("{" + tensor("a", "U8", "[2]", "[1,3]") + "}").getBytes(StandardCharsets.UTF_8);
        MalformedInputException e = assertThrows(MalformedInputException.class,
                () -> SafetensorsWriter.withRawHeader(gap, new SafetensorsRoundTripTest.CountingChannel()));
        assertEquals(8 + gap.length, e.offset());
        assertThrows(MalformedInputException.class,
                () -> SafetensorsWriter.withRawHeader(" {}".getBytes(StandardCharsets.UTF_8), new SafetensorsRoundTripTest.CountingChannel()));
    }
}
