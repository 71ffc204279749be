package dev.weightless.io.onnx;

import static dev.weightless.codec.MalformedInputException.verify;

import dev.weightless.codec.MalformedInputException;
import dev.weightless.io.safetensors.Dtype;
import dev.weightless.io.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns the floating-point initializers of an ONNX model into a BF16 safetensors file: tensors
 * sorted by name, metadata {@code {"format":"pt"}}. Other initializers are dropped and reported.
 * The model is memory-mapped and converted in small pieces, so its size is not bounded by the heap.
 */
public final class OnnxImporter {
    /**
     * @param tensorCount tensors written
     * @param weightCount elements over all tensors written
     * @param dropped     names of the non-float initializers left out, in model order
     */
    public record Result(int tensorCount, long weightCount, List<String> dropped) {
        public Result {
            dropped = List.copyOf(dropped);
        }
    }

    // onnx.proto field numbers and enum values.
    private static final int MODEL_GRAPH = 7;
    private static final int GRAPH_INITIALIZER = 5;
    private static final int TENSOR_DIMS = 1;
    private static final int TENSOR_DATA_TYPE = 2;
    private static final int TENSOR_SEGMENT = 3;
    private static final int TENSOR_FLOAT_DATA = 4;
    private static final int TENSOR_INT32_DATA = 5;
    private static final int TENSOR_NAME = 8;
    private static final int TENSOR_RAW_DATA = 9;
    private static final int TENSOR_DATA_LOCATION = 14;
    private static final int FLOAT = 1;
    private static final int FLOAT16 = 10;
    private static final int BFLOAT16 = 16;
    private static final int EXTERNAL = 1;

    private static final ValueLayout.OfInt I32_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** No longer name fits in a safetensors header. */
    private static final long MAX_NAME = 100_000_000;
    /** BF16 values converted per write. */
    private static final int CHUNK = 1 << 18;

    /** A float initializer, located but not yet converted; {@code raw} is null when values sit in typed fields. */
    private record Initializer(String name, int dataType, long[] dims, long count, MemorySegment raw, ProtoReader fields) {}

    private OnnxImporter() {}

    /**
     * Converts the ONNX file {@code model}, writing the safetensors file to {@code out}.
     *
     * @throws MalformedInputException naming the model and the offset of the problem
     */
    public static Result convert(Path model, WritableByteChannel out) throws IOException {
        try (Arena arena = Arena.ofConfined(); FileChannel channel = FileChannel.open(model, StandardOpenOption.READ)) {
            MemorySegment bytes = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
            return convert(bytes, model.toString(), out);
        }
    }

    /** Converts a model held in memory; {@code source} names it in errors. */
    public static Result convert(MemorySegment model, String source, WritableByteChannel out) throws IOException {
        Set<String> names = new HashSet<>();
        List<Initializer> floats = new ArrayList<>();
        List<String> dropped = new ArrayList<>();
        try {
            ProtoReader reader = new ProtoReader(model, 0, model.byteSize());
            boolean hasGraph = false;
            while (reader.next()) {
                if (reader.field() == MODEL_GRAPH) {
                    reader.expect(ProtoReader.LENGTH_DELIMITED);
                    graph(reader.message(), names, floats, dropped);
                    hasGraph = true;
                } else {
                    reader.skip();
                }
            }
            verify(hasGraph, 0, "no graph: not an ONNX model");
        } catch (MalformedInputException e) {
            throw e.in(source, 0);
        }
        floats.sort(Comparator.comparing(Initializer::name));
        SafetensorsWriter.Builder builder = SafetensorsWriter.builder().metadata(Map.of("format", "pt"));
        long weights = 0;
        for (Initializer t : floats) {
            builder.tensor(t.name(), Dtype.BF16, t.dims());
            weights += t.count();
        }
        SafetensorsWriter writer = builder.open(out);
        Bf16Chunks chunks = new Bf16Chunks(writer);
        for (Initializer t : floats) {
            writer.begin(t.name());
            if (t.dataType() == BFLOAT16 && t.raw() != null) {
                writer.append(t.raw());
            } else if (t.raw() != null) {
                convertRaw(t, chunks);
            } else {
                convertFields(t, chunks);
            }
            chunks.flush();
        }
        writer.finish();
        return new Result(floats.size(), weights, dropped);
    }

    private static void graph(ProtoReader graph, Set<String> names, List<Initializer> floats, List<String> dropped) {
        while (graph.next()) {
            if (graph.field() == GRAPH_INITIALIZER) {
                graph.expect(ProtoReader.LENGTH_DELIMITED);
                long at = graph.fieldStart();
                Initializer t = initializer(graph.message(), at);
                verify(names.add(t.name()), at, "duplicate initializer \"" + t.name() + "\"");
                if (isFloat(t.dataType())) {
                    floats.add(t);
                } else {
                    dropped.add(t.name());
                }
            } else {
                graph.skip();
            }
        }
    }

    private static boolean isFloat(int dataType) {
        return dataType == FLOAT || dataType == FLOAT16 || dataType == BFLOAT16;
    }

    /** Reads a TensorProto's name, shape and type and finds its values; {@code at} is where it starts. */
    private static Initializer initializer(ProtoReader tensor, long at) {
        ProtoReader values = tensor.copy();
        String name = "";
        int dataType = 0;
        int location = 0;
        List<Long> dims = new ArrayList<>();
        MemorySegment raw = null;
        long floatValues = 0;
        long int32Values = 0;
        while (tensor.next()) {
            switch (tensor.field()) {
                case TENSOR_DIMS -> {
                    if (tensor.wireType() == ProtoReader.LENGTH_DELIMITED) {
                        ProtoReader packed = tensor.message();
                        while (!packed.atEnd()) dims.add(packed.varint());
                    } else {
                        tensor.expect(ProtoReader.VARINT);
                        dims.add(tensor.varint());
                    }
                }
                // Protobuf reads int32 and enum fields as the low 32 bits of the varint.
                case TENSOR_DATA_TYPE -> {
                    tensor.expect(ProtoReader.VARINT);
                    dataType = (int) tensor.varint();
                }
                case TENSOR_DATA_LOCATION -> {
                    tensor.expect(ProtoReader.VARINT);
                    location = (int) tensor.varint();
                }
                case TENSOR_NAME -> {
                    tensor.expect(ProtoReader.LENGTH_DELIMITED);
                    name = utf8(tensor.bytes(), tensor.fieldStart());
                }
                case TENSOR_RAW_DATA -> {
                    tensor.expect(ProtoReader.LENGTH_DELIMITED);
                    raw = tensor.bytes();
                }
                case TENSOR_FLOAT_DATA -> floatValues += countFloats(tensor);
                case TENSOR_INT32_DATA -> int32Values += countInt32s(tensor);
                case TENSOR_SEGMENT -> throw new MalformedInputException(at, "segmented tensors are not supported");
                default -> tensor.skip();
            }
        }
        verify(!name.isEmpty() && !name.equals("__metadata__"), at, "initializer name \"" + name + "\" cannot be a tensor name");
        String what = "initializer \"" + name + "\"";
        long negative = dims.stream().mapToLong(Long::longValue).min().orElse(0);
        verify(negative >= 0, at, what + " has a negative dimension " + negative);
        long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
        if (!isFloat(dataType)) return new Initializer(name, dataType, shape, 0, null, null);
        verify(location != EXTERNAL, at, what + " keeps its data in an external file, which is not supported");
        long count;
        try {
            count = Dtype.BF16.sizeOf(shape) / 2;
        } catch (ArithmeticException e) {
            throw new MalformedInputException(at, what + ": element count overflows");
        }
        if (raw != null) {
            verify(floatValues == 0 && int32Values == 0, at, what + " has both raw_data and typed values");
            long width = dataType == FLOAT ? 4 : 2;
            verify(raw.byteSize() % width == 0 && raw.byteSize() / width == count, at,
                    what + ": raw_data holds " + raw.byteSize() + " bytes, dims need " + count + " values of " + width + " bytes");
            return new Initializer(name, dataType, shape, count, raw, null);
        }
        long typed = dataType == FLOAT ? floatValues : int32Values;
        verify(typed == count, at, what + ": " + typed + " values stored, dims need " + count);
        return new Initializer(name, dataType, shape, count, null, values);
    }

    /** Protobuf strings must be UTF-8; a name that is not could not be written to the header faithfully. */
    private static String utf8(MemorySegment bytes, long at) {
        verify(bytes.byteSize() <= MAX_NAME, at, "tensor name longer than a safetensors header may be");
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(bytes.asByteBuffer())
                    .toString();
        } catch (CharacterCodingException e) {
            throw new MalformedInputException(at, "tensor name is not valid UTF-8");
        }
    }

    private static long countFloats(ProtoReader tensor) {
        if (tensor.wireType() == ProtoReader.FIXED32) {
            tensor.fixed32();
            return 1;
        }
        tensor.expect(ProtoReader.LENGTH_DELIMITED);
        long at = tensor.fieldStart();
        long length = tensor.bytes().byteSize();
        verify(length % 4 == 0, at, "packed float_data of " + length + " bytes is not a whole number of floats");
        return length / 4;
    }

    private static long countInt32s(ProtoReader tensor) {
        if (tensor.wireType() == ProtoReader.VARINT) {
            tensor.varint();
            return 1;
        }
        tensor.expect(ProtoReader.LENGTH_DELIMITED);
        ProtoReader values = tensor.message();
        long n = 0;
        for (; !values.atEnd(); n++) values.varint();
        return n;
    }

    private static void convertRaw(Initializer t, Bf16Chunks chunks) throws IOException {
        MemorySegment raw = t.raw();
        for (long i = 0; i < t.count(); i++) {
            chunks.put(t.dataType() == FLOAT
                    ? Bf16Rounding.fromFloatBits(raw.get(I32_LE, 4 * i))
                    : Bf16Rounding.fromHalf(raw.get(I16_LE, 2 * i)));
        }
    }

    /** Reads values from float_data or int32_data again, in field order, packed or not. */
    private static void convertFields(Initializer t, Bf16Chunks chunks) throws IOException {
        ProtoReader tensor = t.fields();
        while (tensor.next()) {
            if (t.dataType() == FLOAT && tensor.field() == TENSOR_FLOAT_DATA) {
                if (tensor.wireType() == ProtoReader.FIXED32) {
                    chunks.put(Bf16Rounding.fromFloatBits(tensor.fixed32()));
                } else {
                    MemorySegment packed = tensor.bytes();
                    for (long at = 0; at < packed.byteSize(); at += 4) chunks.put(Bf16Rounding.fromFloatBits(packed.get(I32_LE, at)));
                }
            } else if (t.dataType() != FLOAT && tensor.field() == TENSOR_INT32_DATA) {
                // FLOAT16 and BFLOAT16 values are stored as their 16 bits in an int32.
                if (tensor.wireType() == ProtoReader.VARINT) {
                    chunks.put(sixteenBits(t.dataType(), tensor.varint()));
                } else {
                    ProtoReader packed = tensor.message();
                    while (!packed.atEnd()) chunks.put(sixteenBits(t.dataType(), packed.varint()));
                }
            } else {
                tensor.skip();
            }
        }
    }

    private static short sixteenBits(int dataType, long value) {
        return dataType == FLOAT16 ? Bf16Rounding.fromHalf((short) value) : (short) value;
    }

    /** Collects BF16 values and hands them to the writer a chunk at a time. */
    private static final class Bf16Chunks {
        private final SafetensorsWriter writer;
        private final MemorySegment buffer = MemorySegment.ofArray(new byte[2 * CHUNK]);
        private int size;

        Bf16Chunks(SafetensorsWriter writer) {
            this.writer = writer;
        }

        void put(short value) throws IOException {
            buffer.setAtIndex(I16_LE, size++, value);
            if (size == CHUNK) flush();
        }

        void flush() throws IOException {
            writer.append(buffer.asSlice(0, 2L * size));
            size = 0;
        }
    }
}
