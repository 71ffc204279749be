package dev.weightless.io.safetensors;

import dev.weightless.codec.MalformedInputException;
import dev.weightless.io.json.Json;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Validates a safetensors header as the reference implementation does. Offsets in errors are
 * absolute in the file: the header starts at byte 8 and the data section right after it.
 */
final class SafetensorsHeader {
    /** The reference implementation's cap, which keeps hostile headers from exhausting memory. */
    static final long MAX_LENGTH = 100_000_000L;
    static final long START = 8;
    static final String METADATA_KEY = "__metadata__";
    private static final Set<String> TENSOR_FIELDS = Set.of("dtype", "shape", "data_offsets");

    private final String source;
    private final long dataStart;

    private SafetensorsHeader(String source, long dataStart) {
        this.source = source;
        this.dataStart = dataStart;
    }

    /**
     * @param header   the header bytes, padding included
     * @param dataSize bytes that follow the header in the file, or -1 when the header alone decides
     * @param source   the file name for errors
     */
    static SafetensorsFile.Header parse(MemorySegment header, long dataSize, String source) {
        return new SafetensorsHeader(source, START + header.byteSize()).parse(header, dataSize);
    }

    private SafetensorsFile.Header parse(MemorySegment header, long dataSize) {
        check(header.byteSize() <= MAX_LENGTH, 0, "header length " + header.byteSize() + " exceeds " + MAX_LENGTH);
        check(header.byteSize() > 0 && header.get(ValueLayout.JAVA_BYTE, 0) == '{', START, "header does not start with '{'");
        Map<?, ?> root;
        try {
            root = (Map<?, ?>) Json.parse(header);
        } catch (MalformedInputException e) {
            throw e.in(source, START);
        }
        Map<String, String> metadata = Map.of();
        List<Entry> entries = new ArrayList<>(root.size());
        for (Map.Entry<?, ?> e : root.entrySet()) {
            String name = (String) e.getKey();
            if (name.equals(METADATA_KEY)) {
                metadata = metadata(e.getValue());
            } else {
                entries.add(tensor(name, e.getValue()));
            }
        }
        long end = checkLayout(entries, dataSize);
        List<TensorInfo> tensors = entries.stream()
                .map(t -> new TensorInfo(t.name(), t.dtype(), t.shape(), t.begin(), t.end()))
                .toList();
        return new SafetensorsFile.Header(metadata, tensors, end);
    }

    private Map<String, String> metadata(Object value) {
        check(value instanceof Map, START, METADATA_KEY + " is not an object");
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet()) {
            check(e.getValue() instanceof String, START, METADATA_KEY + " value of " + quote(e.getKey()) + " is not a string");
            metadata.put((String) e.getKey(), (String) e.getValue());
        }
        return Collections.unmodifiableMap(metadata);
    }

    /** A tensor entry as written; its sizes are checked against its neighbours in {@link #checkLayout}. */
    private record Entry(String name, Dtype dtype, long[] shape, long begin, long end) {}

    private Entry tensor(String name, Object value) {
        String what = "tensor " + quote(name);
        check(value instanceof Map, START, what + " is not an object");
        Map<?, ?> fields = (Map<?, ?>) value;
        for (Object field : fields.keySet()) {
            check(TENSOR_FIELDS.contains(field), START, what + " has unknown field " + quote(field));
        }
        check(fields.get("dtype") instanceof String, START, what + ": dtype is missing or not a string");
        String dtypeName = (String) fields.get("dtype");
        Dtype dtype = Dtype.byName(dtypeName)
                .orElseThrow(() -> new MalformedInputException(source, START, what + ": unknown dtype " + quote(dtypeName)));
        long[] shape = naturals(fields.get("shape"), -1, what + ": shape must be a list of non-negative integers");
        long[] offsets = naturals(fields.get("data_offsets"), 2, what + ": data_offsets must be two non-negative integers");
        return new Entry(name, dtype, shape, offsets[0], offsets[1]);
    }

    /** A list of longs {@code >= 0} with {@code length} elements, or any length when -1. */
    private long[] naturals(Object value, int length, String reason) {
        check(value instanceof List, START, reason);
        List<?> list = (List<?>) value;
        check(length < 0 || list.size() == length, START, reason);
        long[] result = new long[list.size()];
        for (int i = 0; i < result.length; i++) {
            check(list.get(i) instanceof Long l && l >= 0, START, reason);
            result[i] = (Long) list.get(i);
        }
        return result;
    }

    /**
     * Sorted by data offsets, tensors must follow each other without gaps or overlaps, each as
     * long as its shape says. Errors point at the data where the layout goes wrong.
     */
    private long checkLayout(List<Entry> entries, long dataSize) {
        List<Entry> byOffset = new ArrayList<>(entries);
        byOffset.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long expected = 0;
        String previous = null;
        for (Entry t : byOffset) {
            String what = "tensor " + quote(t.name());
            long at = dataStart + expected;
            check(t.begin() <= expected, at, "gap of " + (t.begin() - expected) + " bytes before " + what);
            check(t.begin() == expected, at, what + " overlaps tensor " + quote(previous));
            check(t.begin() <= t.end(), at, what + ": data_offsets begin " + t.begin() + " is after end " + t.end());
            check(dataSize < 0 || t.end() <= dataSize, at, what + " extends past the end of the file");
            long size;
            try {
                size = t.dtype().sizeOf(t.shape());
            } catch (ArithmeticException e) {
                throw new MalformedInputException(source, at, what + ": shape size overflows 64 bits");
            }
            check(t.end() - t.begin() == size, at,
                    what + ": shape needs " + size + " bytes but data_offsets span " + (t.end() - t.begin()));
            expected = t.end();
            previous = t.name();
        }
        check(dataSize < 0 || expected == dataSize, dataStart + expected,
                (dataSize - expected) + " bytes at the end of the file belong to no tensor");
        return expected;
    }

    private void check(boolean condition, long offset, String reason) {
        if (!condition) throw new MalformedInputException(source, offset, reason);
    }

    private static String quote(Object s) {
        String text = String.valueOf(s);
        return '"' + (text.length() <= 80 ? text : text.substring(0, 80) + "...") + '"';
    }
}
