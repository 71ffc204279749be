package dev.weightless.io.onnx;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Builds Protocol Buffers wire format for tests, including malformed bytes on request. */
final class Proto {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    Proto tag(int field, int wireType) {
        return varint((long) field << 3 | wireType);
    }

    Proto varint(long value) {
        while ((value & ~0x7fL) != 0) {
            out.write((int) (value & 0x7f) | 0x80);
            value >>>= 7;
        }
        out.write((int) value);
        return this;
    }

    Proto varint(int field, long value) {
        return tag(field, 0).varint(value);
    }

    Proto fixed32(int field, int value) {
        return tag(field, 5).raw(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(value).array());
    }

    Proto fixed64(int field, long value) {
        return tag(field, 1).raw(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value).array());
    }

    Proto bytes(int field, byte[] value) {
        return tag(field, 2).varint(value.length).raw(value);
    }

    Proto string(int field, String value) {
        return bytes(field, value.getBytes(StandardCharsets.UTF_8));
    }

    Proto message(int field, Proto value) {
        return bytes(field, value.toBytes());
    }

    Proto packedVarints(int field, long... values) {
        Proto packed = new Proto();
        for (long v : values) packed.varint(v);
        return message(field, packed);
    }

    Proto packedFloats(int field, float... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) b.putFloat(v);
        return bytes(field, b.array());
    }

    Proto raw(byte... bytes) {
        out.writeBytes(bytes);
        return this;
    }

    Proto raw(int... bytes) {
        for (int b : bytes) out.write(b);
        return this;
    }

    int size() {
        return out.size();
    }

    byte[] toBytes() {
        return out.toByteArray();
    }
}
