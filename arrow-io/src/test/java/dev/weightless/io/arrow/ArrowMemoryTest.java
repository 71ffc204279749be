package dev.weightless.io.arrow;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ArrowMemoryTest {
    @Test
    void wrappingForeignMemoryIsAViewNotACopy() {
        try (Arena arena = Arena.ofConfined(); BufferAllocator job = ArrowMemory.job()) {
            MemorySegment s = arena.allocate(1000);
            try (ArrowBuf b = ArrowMemory.wrap(s, job)) {
                assertEquals(s.address(), b.memoryAddress());
                assertEquals(1000, b.capacity());
                s.set(ValueLayout.JAVA_BYTE, 999, (byte) 42);
                assertEquals(42, b.getByte(999));
                assertEquals(1000, job.getAllocatedMemory()); // counted against the job while held
            }
            assertEquals(0, job.getAllocatedMemory());
            s.set(ValueLayout.JAVA_BYTE, 0, (byte) 1); // releasing the buffer did not free the arena's memory
        }
    }

    @Test
    void aBufferStillHeldWhenTheJobEndsIsAnError() {
        BufferAllocator job = ArrowMemory.job();
        ArrowBuf leaked = ArrowMemory.allocate(job, 64);
        IllegalStateException e = assertThrows(IllegalStateException.class, job::close);
        assertTrue(e.getMessage().contains("leak"), e.getMessage());
        // The allocator is closed now and cannot take the buffer back: these 64 bytes stay leaked in the test JVM.
        assertThrows(IllegalStateException.class, leaked::close);
    }

    @Test
    void segmentViewsAreBoundsCheckedAndShareTheBuffer() {
        try (BufferAllocator job = ArrowMemory.job(); ArrowBuf b = ArrowMemory.allocate(job, 100)) {
            MemorySegment view = ArrowMemory.segment(b, 10, 20);
            view.set(ValueLayout.JAVA_BYTE, 19, (byte) 7);
            assertEquals(7, b.getByte(29));
            assertThrows(IndexOutOfBoundsException.class, () -> view.get(ValueLayout.JAVA_BYTE, 20));
            assertThrows(IndexOutOfBoundsException.class, () -> ArrowMemory.segment(b, b.capacity() - 1, 2));
            assertThrows(IndexOutOfBoundsException.class, () -> ArrowMemory.segment(b, -1, 1));
        }
    }

    @Test
    void heapMemoryCannotBeWrapped() {
        try (BufferAllocator job = ArrowMemory.job()) {
            assertThrows(IllegalArgumentException.class, () -> ArrowMemory.wrap(MemorySegment.ofArray(new byte[8]), job));
        }
    }
}
