package dev.weightless.io.container;

import dev.weightless.codec.Bf16;
import dev.weightless.codec.ChecksumMismatchException;
import dev.weightless.codec.CodecOptions;
import dev.weightless.codec.Crc32c;
import dev.weightless.codec.EncodedTensor;
import dev.weightless.codec.HuffmanDecoder;
import dev.weightless.codec.MalformedInputException;
import dev.weightless.codec.coder.CodedTensor;
import dev.weightless.codec.coder.Coders;
import dev.weightless.io.json.Json;
import dev.weightless.io.safetensors.Dtype;
import dev.weightless.io.safetensors.SafetensorsFile;
import dev.weightless.io.safetensors.TensorInfo;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A Weightless file opened for reading: a safetensors file whose metadata describes the original
 * tensors. Opening validates everything that can be checked without decoding: the format version,
 * the kept original header, and that the stored tensors are exactly the parts the records call for.
 */
public final class CompressedFile implements AutoCloseable {
    private final SafetensorsFile file;
    private final byte[] originalHeader;
    private final SafetensorsFile.Header original;
    private final List<TensorRecord> records;

    private CompressedFile(SafetensorsFile file) {
        this.file = file;
        String source = file.source();
        Map<String, String> meta = file.metadata();
        int version = ContainerFormat.checkVersion(source, 8, meta.get(ContainerFormat.FORMAT_KEY));
        String header = meta.get(ContainerFormat.ORIGINAL_HEADER_KEY);
        String tensors = meta.get(ContainerFormat.TENSORS_KEY);
        if (header == null || tensors == null) throw new MalformedInputException(source, 8, "Weightless metadata is incomplete");
        ContainerFormat.checkCrc(source, 8, meta.get(ContainerFormat.CRC_KEY), header, tensors);
        this.originalHeader = header.getBytes(StandardCharsets.UTF_8);
        try {
            this.original = SafetensorsFile.parseHeader(originalHeader, "original header kept in " + source);
            this.records = parseRecords(tensors);
            MalformedInputException.verify(version == ContainerFormat.versionFor(records), 0,
                    "format version " + version + " does not match its tensor records (coded tensors need version " + ContainerFormat.VERSION_CODED
                            + ", files without them are version " + ContainerFormat.VERSION + ")");
            checkConsistency();
        } catch (MalformedInputException e) {
            // Offsets inside the metadata are not file offsets: point at the header, which holds it.
            if (source.equals(e.source())) throw e;
            throw new MalformedInputException(source, 8, (e.source() == null ? "" : e.source() + ": ") + e.reason());
        }
    }

    /** Opens and validates {@code path}; a file that is not Weightless gives {@link MalformedInputException}. */
    public static CompressedFile open(Path path) throws IOException {
        SafetensorsFile f = SafetensorsFile.open(path);
        try {
            return new CompressedFile(f);
        } catch (RuntimeException e) {
            f.close();
            throw e;
        }
    }

    /**
     * Validates a Weightless file already in memory, as {@link #open} would; the caller keeps
     * {@code bytes} alive while this is in use, and {@link #path} is null.
     *
     * @param source names the bytes in errors
     */
    public static CompressedFile of(MemorySegment bytes, String source) {
        SafetensorsFile f = SafetensorsFile.of(bytes, source);
        try {
            return new CompressedFile(f);
        } catch (RuntimeException e) {
            f.close();
            throw e;
        }
    }

    /** Whether {@code file} carries the Weightless format key. */
    public static boolean isWeightless(SafetensorsFile file) {
        return file.metadata().containsKey(ContainerFormat.FORMAT_KEY);
    }

    /** Parses the {@code weightless.tensors} list (offsets in errors are 0: the caller places them). */
    static List<TensorRecord> parseRecords(String json) {
        Object list = Json.parse(json.getBytes(StandardCharsets.UTF_8));
        MalformedInputException.verify(list instanceof List, 0, ContainerFormat.TENSORS_KEY + " is not a list");
        List<TensorRecord> out = new ArrayList<>();
        for (Object o : (List<?>) list) out.add(TensorRecord.fromJson(o, 0));
        return List.copyOf(out);
    }

    /** Records must match the original header one to one, and the stored tensors must be exactly their parts. */
    private void checkConsistency() {
        List<TensorInfo> originals = original.tensors();
        MalformedInputException.verify(originals.size() == records.size(), 0,
                records.size() + " tensor records for " + originals.size() + " tensors in the original header");
        Set<String> expected = new HashSet<>();
        for (int i = 0; i < records.size(); i++) {
            TensorRecord r = records.get(i);
            TensorInfo o = originals.get(i);
            MalformedInputException.verify(r.name().equals(o.name()) && r.dtype() == o.dtype() && Arrays.equals(r.shape(), o.shape()), 0,
                    "tensor record " + describe(r.name(), r.dtype(), r.shape()) + " does not match the original header's "
                            + describe(o.name(), o.dtype(), o.shape()));
            switch (r.codec()) {
                case HUFFMAN -> {
                    long n = r.elements();
                    expectU8(r.name() + ContainerFormat.TABLE, -1);
                    expectU8(r.name() + ContainerFormat.INDEX, -1);
                    expectU8(r.name() + ContainerFormat.PAYLOAD, -1);
                    expectU8(r.name() + ContainerFormat.PLANE, n);
                    expected.addAll(List.of(r.name() + ContainerFormat.TABLE, r.name() + ContainerFormat.INDEX,
                            r.name() + ContainerFormat.PAYLOAD, r.name() + ContainerFormat.PLANE));
                }
                case CODED -> {
                    long partBytes = 0;
                    for (String part : r.codedPartNames()) {
                        expectU8(part, -1);
                        MalformedInputException.verify(expected.add(part), 0, "part \"" + part + "\" is claimed twice");
                        partBytes += stored(part).byteSize();
                    }
                    // Every coder stores at least 1 bit per weight (all store >= 6 raw): so a record cannot make a
                    // reader allocate more than 16 output bytes per stored byte, as the sm part bounds Huffman's.
                    MalformedInputException.verify(r.elements() <= partBytes * 8, 0, "tensor record \"" + r.name() + "\" claims "
                            + r.elements() + " weights from " + partBytes + " bytes of parts (under 1 bit per weight)");
                }
                case RAW, PASSTHROUGH -> {
                    TensorInfo t = stored(r.name());
                    MalformedInputException.verify(t.dtype() == r.dtype() && Arrays.equals(t.shape(), r.shape()), t.begin() + file.dataStart(),
                            "stored tensor \"" + r.name() + "\" has another dtype or shape than its record");
                    expected.add(r.name());
                }
            }
        }
        for (TensorInfo t : file.tensors()) {
            MalformedInputException.verify(expected.contains(t.name()), file.dataStart() + t.begin(),
                    "tensor \"" + t.name() + "\" belongs to no record");
        }
    }

    private static String describe(String name, Dtype dtype, long[] shape) {
        return "\"" + name + "\" " + dtype + Arrays.toString(shape);
    }

    private void expectU8(String name, long size) {
        TensorInfo t = stored(name);
        MalformedInputException.verify(t.dtype() == Dtype.U8 && t.shape().length == 1 && (size < 0 || t.byteSize() == size),
                file.dataStart() + t.begin(), "part \"" + name + "\" must be a U8 vector" + (size < 0 ? "" : " of " + size + " bytes"));
    }

    private TensorInfo stored(String name) {
        return file.find(name).orElseThrow(() -> new MalformedInputException(file.source(), 8, "tensor \"" + name + "\" is missing"));
    }

    /** The file, or null when it was given as bytes to {@link #of}. */
    public Path path() { return file.path(); }

    /** What errors call this file: its path, or the name given to {@link #of}. */
    public String source() { return file.source(); }

    /** The original tensors, in the original header's order. */
    public List<TensorRecord> tensors() { return records; }

    public TensorRecord tensor(String name) {
        for (TensorRecord r : records) if (r.name().equals(name)) return r;
        throw new IllegalArgumentException(source() + ": no tensor \"" + name + "\"");
    }

    /** The container's own metadata entries (FORMAT.md), as stored. */
    Map<String, String> metadata() { return file.metadata(); }

    /** The original file's header, byte for byte. */
    public byte[] originalHeader() { return originalHeader.clone(); }

    /** Size of the original file: length prefix, header and data. */
    public long originalFileSize() {
        return 8 + originalHeader.length + original.dataSize();
    }

    /** Bytes {@code r} takes in this file (all its parts). */
    public long storedBytes(TensorRecord r) {
        return switch (r.codec()) {
            case HUFFMAN -> parts(r).stream().mapToLong(TensorInfo::byteSize).sum();
            case CODED -> r.codedPartNames().stream().mapToLong(p -> stored(p).byteSize()).sum();
            case RAW, PASSTHROUGH -> stored(r.name()).byteSize();
        };
    }

    /** The coder that decodes {@code r}: its registered coder's name, "huffman", or null for raw and passthrough tensors. */
    public static String coderOf(TensorRecord r) {
        return switch (r.codec()) {
            case HUFFMAN -> "huffman";
            case CODED -> r.coder();
            case RAW, PASSTHROUGH -> null;
        };
    }

    /** The parts of a tensor of a registered coder, as slices of the mapped file, in the coder's order. */
    public CodedTensor coded(TensorRecord r) {
        if (r.codec() != TensorRecord.Codec.CODED) throw new IllegalArgumentException(r.name() + " is not coded by a registered coder");
        List<MemorySegment> parts = new ArrayList<>();
        for (String p : r.codedPartNames()) parts.add(file.data(stored(p)));
        return new CodedTensor(r.coder(), r.elements(), parts);
    }

    /** File offset of the first part of a coded tensor, for errors (also those of its GPU decoders). */
    public long codedOffset(TensorRecord r) {
        TensorInfo first = stored(r.codedPartNames().getFirst());
        return file.dataStart() + first.begin();
    }

    private List<TensorInfo> parts(TensorRecord r) {
        return List.of(stored(r.name() + ContainerFormat.TABLE), stored(r.name() + ContainerFormat.INDEX),
                stored(r.name() + ContainerFormat.PAYLOAD), stored(r.name() + ContainerFormat.PLANE));
    }

    /** The stored bytes of a raw or passthrough tensor, as a slice of the mapped file (CRC32C not checked). */
    public MemorySegment storedData(TensorRecord r) {
        if (r.codec() == TensorRecord.Codec.HUFFMAN) throw new IllegalArgumentException(r.name() + " is Huffman-coded: see encoded");
        if (r.codec() == TensorRecord.Codec.CODED) throw new IllegalArgumentException(r.name() + " is coded by " + r.coder() + ": see coded");
        return file.data(stored(r.name()));
    }

    /** The Weightless files of a model: {@code in} itself, or the shards of a sharded model (its folder or its index file). */
    public static List<Path> modelFiles(Path in) throws IOException {
        return Sources.of(in).files();
    }

    /** The coded parts of a Huffman tensor, as slices of the mapped file. */
    public EncodedTensor encoded(TensorRecord r) {
        if (r.codec() != TensorRecord.Codec.HUFFMAN) throw new IllegalArgumentException(r.name() + " is not Huffman-coded");
        List<TensorInfo> p = parts(r);
        return new EncodedTensor(r.elements(), r.chunkSymbols(), r.groupChunks(), r.crc32c(),
                part(p.get(0)), part(p.get(1)), part(p.get(2)), part(p.get(3)));
    }

    private EncodedTensor.Part part(TensorInfo t) {
        return new EncodedTensor.Part(file.data(t), file.dataStart() + t.begin());
    }

    /** Decodes {@code r} into {@code out} (its original byte size) and checks its CRC32C. */
    public void decode(TensorRecord r, MemorySegment out, CodecOptions options) {
        try {
            if (r.codec() == TensorRecord.Codec.HUFFMAN) {
                HuffmanDecoder.open(encoded(r)).decode(out, options);
            } else if (r.codec() == TensorRecord.Codec.CODED) {
                decodeCoded(r, out, options.threads());
                options.progress().accept(out.byteSize());
            } else {
                MemorySegment stored = file.data(stored(r.name()));
                out.copyFrom(stored);
                int crc = Crc32c.of(out);
                if (crc != r.crc32c()) throw new ChecksumMismatchException("tensor \"" + r.name() + "\"", r.crc32c(), crc);
                options.progress().accept(out.byteSize());
            }
        } catch (MalformedInputException e) {
            throw e.source() == null ? e.in(source(), 0) : e;
        } catch (ChecksumMismatchException e) {
            throw new ChecksumMismatchException(source() + ": tensor \"" + r.name() + "\"", e.expected(), e.actual());
        }
    }

    /** A coded tensor: the coder decodes (on the options' threads where it can split the work; its own checks), then the record's CRC32C of the original bytes is checked too. */
    private void decodeCoded(TensorRecord r, MemorySegment out, int threads) {
        MalformedInputException.verify(out.byteSize() == r.byteSize(), 0, "output of " + out.byteSize() + " bytes for tensor \"" + r.name() + "\"");
        try {
            Coders.byName(r.coder()).decode(coded(r), out, threads);
        } catch (MalformedInputException e) {
            // The coder's offset is within one of its parts: name the tensor and where its parts begin.
            throw new MalformedInputException(source(), codedOffset(r), "tensor \"" + r.name() + "\" (coder " + r.coder() + "): " + e.getMessage());
        } catch (IndexOutOfBoundsException | IllegalArgumentException | ArithmeticException e) {
            // A coder must report bad parts as MalformedInputException; should one slip through, it is still bad input, never a crash.
            throw new MalformedInputException(source(), codedOffset(r), "tensor \"" + r.name() + "\" (coder " + r.coder() + "): " + e);
        }
        int crc = Crc32c.of(out);
        if (crc != r.crc32c()) throw new ChecksumMismatchException("tensor \"" + r.name() + "\"", r.crc32c(), crc);
    }

    /** The exponent histogram of a BF16 tensor, from the coded stream or the stored bytes. */
    public long[] exponentHistogram(TensorRecord r, CodecOptions options) {
        if (r.dtype() != Dtype.BF16) throw new IllegalArgumentException(r.name() + " is not BF16");
        try {
            if (r.codec() == TensorRecord.Codec.HUFFMAN) return HuffmanDecoder.open(encoded(r)).exponentHistogram(options);
            if (r.codec() == TensorRecord.Codec.CODED) {
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment values = arena.allocate(Math.max(1, r.byteSize())).asSlice(0, r.byteSize());
                    decodeCoded(r, values, 1); // a confined segment: one thread
                    return Bf16.exponentHistogram(values);
                }
            }
        } catch (MalformedInputException e) {
            throw e.source() == null ? e.in(source(), 0) : e;
        } catch (ChecksumMismatchException e) {
            throw new ChecksumMismatchException(source() + ": tensor \"" + r.name() + "\"", e.expected(), e.actual());
        }
        return Bf16.exponentHistogram(file.data(stored(r.name())));
    }

    @Override
    public void close() { file.close(); }
}
