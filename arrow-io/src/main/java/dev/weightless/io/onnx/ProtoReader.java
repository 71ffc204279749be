package dev.weightless.io.onnx;

import static dev.weightless.codec.MalformedInputException.verify;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Protocol Buffers wire format, read field by field from bytes {@code [pos, limit)} of a segment.
 * Offsets are positions in that segment, so errors point into the file. Nested messages get
 * their own reader, bounded by their length, so no field can reach beyond its message.
 */
final class ProtoReader {
    static final int VARINT = 0;
    static final int FIXED64 = 1;
    static final int LENGTH_DELIMITED = 2;
    static final int FIXED32 = 5;

    private static final ValueLayout.OfInt I32_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int MAX_FIELD = (1 << 29) - 1;

    private final MemorySegment bytes;
    private final long limit;
    private long pos;
    private long fieldStart;
    private int field;
    private int wireType;

    ProtoReader(MemorySegment bytes, long start, long limit) {
        this.bytes = bytes;
        this.pos = start;
        this.limit = limit;
    }

    /** A reader over the same bytes, starting where this one is now. */
    ProtoReader copy() {
        return new ProtoReader(bytes, pos, limit);
    }

    /** Reads the next field's tag; false at the end of the message. */
    boolean next() {
        if (pos == limit) return false;
        fieldStart = pos;
        long tag = varint();
        long number = tag >>> 3;
        verify(number >= 1 && number <= MAX_FIELD, fieldStart, "invalid field number " + Long.toUnsignedString(number));
        field = (int) number;
        wireType = (int) (tag & 7);
        verify(wireType != 3 && wireType != 4, fieldStart, "field " + field + " is a group, which is not supported");
        verify(wireType <= FIXED64 || wireType == LENGTH_DELIMITED || wireType == FIXED32, fieldStart,
                "field " + field + " has invalid wire type " + wireType);
        return true;
    }

    int field() {
        return field;
    }

    int wireType() {
        return wireType;
    }

    /** Offset of the current field's tag. */
    long fieldStart() {
        return fieldStart;
    }

    boolean atEnd() {
        return pos == limit;
    }

    /** Rejects a known field sent with the wrong wire type rather than misreading it. */
    void expect(int type) {
        verify(wireType == type, fieldStart, "field " + field + " has wire type " + wireType + ", expected " + type);
    }

    /** A base-128 varint of at most 10 bytes, the longest a 64-bit value needs. */
    long varint() {
        long start = pos;
        long value = 0;
        for (int shift = 0; ; shift += 7) {
            verify(pos < limit, start, "truncated varint");
            int b = bytes.get(ValueLayout.JAVA_BYTE, pos++) & 0xff;
            if (shift == 63) {
                verify(b < 0x80, start, "varint longer than 10 bytes");
                verify(b <= 1, start, "varint overflows 64 bits");
            }
            value |= (long) (b & 0x7f) << shift;
            if (b < 0x80) return value;
        }
    }

    int fixed32() {
        verify(limit - pos >= 4, pos, "truncated fixed32");
        int value = bytes.get(I32_LE, pos);
        pos += 4;
        return value;
    }

    /** The payload of a length-delimited field, which must lie within this message. */
    MemorySegment bytes() {
        long length = length();
        MemorySegment slice = bytes.asSlice(pos, length);
        pos += length;
        return slice;
    }

    /** A reader over the payload of a length-delimited field: a nested message or packed values. */
    ProtoReader message() {
        long length = length();
        ProtoReader nested = new ProtoReader(bytes, pos, pos + length);
        pos += length;
        return nested;
    }

    /** Skips the current field's value, whatever its wire type. */
    void skip() {
        switch (wireType) {
            case VARINT -> varint();
            case FIXED64 -> advance(8);
            case LENGTH_DELIMITED -> advance(length());
            case FIXED32 -> advance(4);
        }
    }

    private long length() {
        long at = pos;
        long length = varint();
        verify(length >= 0 && length <= limit - pos, at,
                "length " + Long.toUnsignedString(length) + " runs past the end of the enclosing message");
        return length;
    }

    private void advance(long n) {
        verify(limit - pos >= n, pos, "truncated field " + field);
        pos += n;
    }

}
