package dev.weightless.io.container;

import dev.weightless.codec.ChecksumMismatchException;
import dev.weightless.codec.MalformedInputException;
import dev.weightless.codec.coder.Coders;
import dev.weightless.io.safetensors.Dtype;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the container says of one original tensor: its name, dtype and shape, how it is stored, and
 * the CRC32C of its original bytes. Serialized as one JSON object of the {@code weightless.tensors} list.
 */
public record TensorRecord(String name, Dtype dtype, long[] shape, Codec codec, int crc32c, int chunkSymbols, int groupChunks, String coder) {
    public TensorRecord {
        if ((codec == Codec.CODED) != (coder != null)) throw new IllegalArgumentException(name + ": a coder name goes with the coded codec, and only with it");
    }

    /** A record of a codec other than {@link Codec#CODED}. */
    public TensorRecord(String name, Dtype dtype, long[] shape, Codec codec, int crc32c, int chunkSymbols, int groupChunks) {
        this(name, dtype, shape, codec, crc32c, chunkSymbols, groupChunks, null);
    }

    /** How a tensor's bytes are kept. */
    public enum Codec {
        /** Exponent plane Huffman-coded, sign|mantissa plane raw: four U8 tensors. */
        HUFFMAN("huffman"),
        /** A BF16 tensor that would not shrink, kept as it was under its own name. */
        RAW("raw"),
        /** A tensor of another dtype, kept as it was under its own name. */
        PASSTHROUGH("passthrough"),
        /** A BF16 tensor coded by a registered coder ({@code coder}): one U8 tensor per part of that coder (format version 2). */
        CODED("coded");

        final String id;

        Codec(String id) { this.id = id; }

        static Codec of(String id, long offset) {
            for (Codec c : values()) if (c.id.equals(id)) return c;
            throw new MalformedInputException(offset, "unknown codec \"" + id + "\"");
        }

        public String id() { return id; }
    }

    /** Stored tensor names of a coded tensor's parts: NAME.wl.PART, in the coder's part order. */
    public List<String> codedPartNames() {
        if (codec != Codec.CODED) throw new IllegalArgumentException(name + " is not coded by a registered coder");
        return Coders.byName(coder).partNames().stream().map(p -> name + ".wl." + p).toList();
    }

    public long elements() { return Arrays.stream(shape).reduce(1, Math::multiplyExact); }

    public long byteSize() { return dtype.sizeOf(shape); }

    @Override
    public long[] shape() { return shape.clone(); }

    Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("dtype", dtype.name());
        m.put("shape", Arrays.stream(shape).boxed().toList());
        m.put("codec", codec.id);
        m.put("crc32c", ChecksumMismatchException.hex(crc32c));
        if (codec == Codec.HUFFMAN) {
            m.put("chunk_symbols", (long) chunkSymbols);
            m.put("group_chunks", (long) groupChunks);
        }
        if (codec == Codec.CODED) m.put("coder", coder);
        return m;
    }

    /** Parses one record; {@code offset} is where the metadata sits in the file, for errors. */
    static TensorRecord fromJson(Object json, long offset) {
        MalformedInputException.verify(json instanceof Map, offset, "tensor record is not an object");
        Map<?, ?> m = (Map<?, ?>) json;
        String name = string(m, "name", offset);
        String what = "tensor record \"" + name + "\": ";
        Dtype dtype = Dtype.byName(string(m, "dtype", offset))
                .orElseThrow(() -> new MalformedInputException(offset, what + "unknown dtype"));
        MalformedInputException.verify(m.get("shape") instanceof List, offset, what + "shape is not a list");
        List<?> dims = (List<?>) m.get("shape");
        long[] shape = new long[dims.size()];
        for (int i = 0; i < shape.length; i++) {
            MalformedInputException.verify(dims.get(i) instanceof Long l && l >= 0, offset, what + "bad shape");
            shape[i] = (Long) dims.get(i);
        }
        try {
            dtype.sizeOf(shape);
        } catch (ArithmeticException e) {
            throw new MalformedInputException(offset, what + "shape size overflows 64 bits");
        }
        Codec codec = Codec.of(string(m, "codec", offset), offset);
        String crc = string(m, "crc32c", offset);
        MalformedInputException.verify(crc.matches("[0-9a-f]{8}"), offset, what + "crc32c must be 8 hex digits");
        int chunk = 0, group = 0;
        if (codec == Codec.HUFFMAN) {
            MalformedInputException.verify(dtype == Dtype.BF16, offset, what + "huffman coding needs BF16");
            chunk = smallInt(m, "chunk_symbols", offset);
            group = smallInt(m, "group_chunks", offset);
        }
        String coder = null;
        if (codec == Codec.CODED) {
            MalformedInputException.verify(dtype == Dtype.BF16, offset, what + "coded tensors must be BF16");
            coder = string(m, "coder", offset);
            try {
                Coders.byName(coder);
            } catch (IllegalArgumentException e) {
                throw new MalformedInputException(offset, what + e.getMessage());
            }
            MalformedInputException.verify(!coder.equals(Codec.HUFFMAN.id), offset, what + "Huffman-coded tensors use the huffman codec, not coder \"huffman\"");
        }
        MalformedInputException.verify(codec != Codec.RAW || dtype == Dtype.BF16, offset, what + "raw codec is for BF16");
        return new TensorRecord(name, dtype, shape, codec, Integer.parseUnsignedInt(crc, 16), chunk, group, coder);
    }

    private static String string(Map<?, ?> m, String key, long offset) {
        MalformedInputException.verify(m.get(key) instanceof String, offset, "tensor record field \"" + key + "\" is missing or not a string");
        return (String) m.get(key);
    }

    private static int smallInt(Map<?, ?> m, String key, long offset) {
        MalformedInputException.verify(m.get(key) instanceof Long l && l > 0 && l <= 1 << 16, offset,
                "tensor record field \"" + key + "\" is missing or out of range");
        return (int) (long) (Long) m.get(key);
    }
}
