package dev.weightless.io.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weightless.codec.MalformedInputException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.Channels;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link SafetensorsFile#of} validates as {@code open} does and leaves the caller's memory alone. */
class SafetensorsInMemoryTest {
    private static byte[] file() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        SafetensorsWriter w = SafetensorsWriter.builder().metadata(Map.of("k", "v"))
                .tensor("a", Dtype.BF16, 2, 2).tensor("b", Dtype.U8, 3).open(Channels.newChannel(bytes));
        w.write("a", MemorySegment.ofArray(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}));
        w.write("b", MemorySegment.ofArray(new byte[] {9, 10, 11}));
        w.finish();
        return bytes.toByteArray();
    }

    @Test
    void readsBytesInMemoryWithoutOwningThem() throws IOException {
        byte[] bytes = file();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment memory = arena.allocate(bytes.length);
            memory.copyFrom(MemorySegment.ofArray(bytes));
            SafetensorsFile f = SafetensorsFile.of(memory, "in-memory");
            assertNull(f.path());
            assertEquals("in-memory", f.source());
            assertEquals(Map.of("k", "v"), f.metadata());
            assertEquals(List.of("a", "b"), f.tensors().stream().map(TensorInfo::name).toList());
            MemorySegment b = f.data(f.tensor("b"));
            assertArrayEquals(new byte[] {9, 10, 11}, b.toArray(ValueLayout.JAVA_BYTE));
            assertTrue(b.isReadOnly());
            f.close();
            // Closing must not have released the caller's arena.
            assertEquals(9, memory.get(ValueLayout.JAVA_BYTE, bytes.length - 3));
        }
    }

    @Test
    void rejectsDataCutShortLikeOpen() throws IOException {
        byte[] bytes = file();
        MemorySegment cut = MemorySegment.ofArray(bytes).asSlice(0, bytes.length - 1);
        MalformedInputException e = assertThrows(MalformedInputException.class, () -> SafetensorsFile.of(cut, "cut"));
        assertEquals("cut", e.source());
        assertTrue(e.getMessage().startsWith("cut: "), e.getMessage());
        MalformedInputException tiny = assertThrows(MalformedInputException.class,
                () -> SafetensorsFile.of(MemorySegment.ofArray(new byte[5]), "tiny"));
        assertTrue(tiny.reason().contains("too short"), tiny.getMessage());
    }
}
