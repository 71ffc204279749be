package dev.weightless.io.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weightless.codec.MalformedInputException;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

class ProtoReaderTest {
    private static ProtoReader reader(Proto proto) {
        byte[] bytes = proto.toBytes();
        return new ProtoReader(MemorySegment.ofArray(bytes), 0, bytes.length);
    }

    private static MalformedInputException reject(Proto proto, java.util.function.Consumer<ProtoReader> read) {
        return assertThrows(MalformedInputException.class, () -> read.accept(reader(proto)));
    }

    @Test
    void readsVarints() {
        ProtoReader r = reader(new Proto().varint(0).varint(1).varint(300).varint(Long.MAX_VALUE).varint(-1).varint(Long.MIN_VALUE));
        assertEquals(0, r.varint());
        assertEquals(1, r.varint());
        assertEquals(300, r.varint());
        assertEquals(Long.MAX_VALUE, r.varint());
        assertEquals(-1, r.varint());
        assertEquals(Long.MIN_VALUE, r.varint());
        assertTrue(r.atEnd());
    }

    @Test
    void rejectsVarintsPastTenBytesOrSixtyFourBits() {
        Proto eleven = new Proto().raw(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01);
        assertTrue(reject(eleven, ProtoReader::varint).reason().contains("longer than 10 bytes"));
        Proto wide = new Proto().raw(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02);
        assertTrue(reject(wide, ProtoReader::varint).reason().contains("overflows"));
        MalformedInputException truncated = reject(new Proto().raw(0x01, 0x80, 0x80), r -> {
            r.varint();
            r.varint();
        });
        assertEquals(1, truncated.offset());
    }

    @Test
    void readsFieldsOfEveryWireType() {
        ProtoReader r = reader(new Proto().varint(1, 150).fixed64(2, -2).string(3, "hi").fixed32(536_870_911, 7));
        assertTrue(r.next());
        assertEquals(1, r.field());
        assertEquals(ProtoReader.VARINT, r.wireType());
        assertEquals(150, r.varint());
        assertTrue(r.next());
        assertEquals(ProtoReader.FIXED64, r.wireType());
        r.skip();
        assertTrue(r.next());
        assertEquals(12, r.fieldStart());
        assertEquals(2, r.bytes().byteSize());
        assertTrue(r.next());
        assertEquals(536_870_911, r.field());
        assertEquals(7, r.fixed32());
        assertFalse(r.next());
    }

    @Test
    void skipsEveryWireType() {
        ProtoReader r = reader(new Proto().varint(1, -1).fixed64(2, 1).string(3, "abc").fixed32(4, 1).varint(5, 9));
        for (int i = 0; i < 4; i++) {
            assertTrue(r.next());
            r.skip();
        }
        assertTrue(r.next());
        assertEquals(9, r.varint());
        assertFalse(r.next());
    }

    @Test
    void rejectsGroupsAndInvalidWireTypes() {
        for (int wireType : new int[] {3, 4, 6, 7}) {
            MalformedInputException e = reject(new Proto().varint(1, 1).tag(2, wireType), r -> {
                while (r.next()) r.skip();
            });
            assertEquals(2, e.offset());
        }
        assertEquals(0, reject(new Proto().tag(0, 0).varint(1), ProtoReader::next).offset());
        assertTrue(reject(new Proto().varint(1L << 35), ProtoReader::next).reason().contains("field number"));
    }

    @Test
    void keepsFieldsInsideTheirMessage() {
        // A message of 3 bytes whose inner field claims 5 bytes, with more data after it in the file.
        Proto outer = new Proto().tag(1, 2).varint(3).tag(2, 2).varint(5).raw(0).raw(0, 0, 0, 0, 0, 0);
        MalformedInputException e = reject(outer, r -> {
            r.next();
            ProtoReader inner = r.message();
            inner.next();
            inner.bytes();
        });
        assertEquals(3, e.offset());
        assertTrue(e.reason().contains("enclosing message"));
        assertTrue(reject(new Proto().tag(1, 2).varint(-1), r -> {
            r.next();
            r.bytes();
        }).reason().contains("18446744073709551615"));
        assertEquals(9, reject(new Proto().fixed64(1, 0), r -> {
            r.next();
            r.fixed32();
            r.fixed32();
            r.fixed32();
        }).offset());
    }

    @Test
    void copiesStartWhereTheOriginalIs() {
        ProtoReader r = reader(new Proto().varint(1, 5).varint(2, 6));
        r.next();
        r.skip();
        ProtoReader copy = r.copy();
        assertTrue(r.next());
        assertTrue(copy.next());
        assertEquals(2, copy.field());
        assertEquals(6, copy.varint());
    }
}
