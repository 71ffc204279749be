package dev.weightless.io.container;

import dev.weightless.codec.CodecOptions;
import dev.weightless.codec.EncodedTensor;
import dev.weightless.codec.MalformedInputException;
import dev.weightless.io.arrow.ArrowMemory;
import dev.weightless.io.arrow.TensorBatch;
import dev.weightless.io.arrow.TensorBatchReader;
import dev.weightless.io.arrow.TensorBatchSchema;
import dev.weightless.io.arrow.TensorBatchWriter;
import dev.weightless.io.safetensors.Dtype;
import dev.weightless.io.safetensors.SafetensorsFile;
import dev.weightless.io.safetensors.SafetensorsWriter;
import org.apache.arrow.memory.BufferAllocator;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A Weightless file to an Arrow IPC file (one record batch per tensor, arrow-io/ARROW.md) and back.
 * Export writes the stored parts straight from the mapped file; import rebuilds the Weightless file
 * byte for byte (the container's metadata travels in the Arrow schema), so decompressing it restores
 * the original model exactly. Both write through a temporary renamed into place when complete.
 */
public final class ArrowTransfer {
    /** The container metadata entries an export carries, in the order the Compressor writes them. */
    private static final List<String> KEYS = List.of(ContainerFormat.FORMAT_KEY, ContainerFormat.ORIGINAL_HEADER_KEY,
            ContainerFormat.TENSORS_KEY, ContainerFormat.CRC_KEY);

    private ArrowTransfer() {}

    /**
     * Exports {@code in}, a Weightless file or a plain safetensors file (compressed first, into a
     * temporary beside {@code out}), to {@code out}; returns the number of tensors.
     */
    public static int export(Path in, Path out, boolean replace, CodecOptions codec, Progress progress) throws IOException {
        Sources src = Sources.of(in);
        if (src.sharded()) throw new IOException(in + ": a sharded model; export-arrow takes one file (export each shard)");
        AtomicOutput.requireNotInput(out, in);
        boolean weightless;
        try (SafetensorsFile probe = SafetensorsFile.open(src.file())) {
            weightless = CompressedFile.isWeightless(probe);
        }
        Path temporary = null;
        try {
            Path source = src.file();
            if (!weightless) {
                temporary = Files.createTempFile(out.toAbsolutePath().getParent(), "." + out.getFileName() + ".", ".wl-tmp");
                new Compressor(codec, true, progress).compress(source, temporary);
                source = temporary;
            }
            Path from = source;
            return AtomicOutput.writeFile(out, replace, dst -> {
                // Closed in reverse: the writer (and its channel), then the job's allocator (leak check), then the mapping.
                try (CompressedFile file = CompressedFile.open(from); BufferAllocator job = ArrowMemory.job();
                     FileChannel channel = dst.openChannel();
                     TensorBatchWriter writer = new TensorBatchWriter(job, metadata(file), channel, ContainerFormat.versionFor(file.tensors()) == ContainerFormat.VERSION_CODED)) {
                    for (TensorRecord r : file.tensors()) writer.write(batch(file, r));
                    writer.finish();
                    return file.tensors().size();
                }
            });
        } finally {
            if (temporary != null) Files.deleteIfExists(temporary);
        }
    }

    private static Map<String, String> metadata(CompressedFile file) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String k : KEYS) m.put(k, file.metadata().get(k));
        return m;
    }

    private static TensorBatch batch(CompressedFile file, TensorRecord r) {
        String dtype = r.dtype().name(), codec = r.codec().id();
        if (r.codec() == TensorRecord.Codec.HUFFMAN) {
            EncodedTensor e = file.encoded(r);
            return new TensorBatch(r.name(), dtype, r.shape(), codec, r.crc32c(), r.chunkSymbols(), r.groupChunks(),
                    e.table().bytes(), e.index().bytes(), e.payload().bytes(), e.plane().bytes(), null);
        }
        if (r.codec() == TensorRecord.Codec.CODED) {
            return new TensorBatch(r.name(), dtype, r.shape(), codec, r.crc32c(), 0, 0, null, null, null, null, null, r.coder(), file.coded(r).parts());
        }
        return new TensorBatch(r.name(), dtype, r.shape(), codec, r.crc32c(), 0, 0, null, null, null, null, file.storedData(r));
    }

    /** Rebuilds the Weightless file {@code out} from the Arrow IPC file {@code in}; returns the number of tensors. */
    public static int importFile(Path in, Path out, boolean replace) throws IOException {
        AtomicOutput.requireNotInput(out, in);
        String source = in.toString();
        int count = AtomicOutput.writeFile(out, replace, dst -> {
            try (BufferAllocator job = ArrowMemory.job(); TensorBatchReader reader = TensorBatchReader.open(in, job)) {
                Map<String, String> meta = new LinkedHashMap<>();
                for (String k : KEYS) {
                    String v = reader.metadata().get(k);
                    if (v == null) throw new MalformedInputException(source, 0, "schema metadata lacks " + k);
                    meta.put(k, v);
                }
                int version = ContainerFormat.checkVersion(source, 0, meta.get(ContainerFormat.FORMAT_KEY));
                // Layout 2 carries coded tensors, and only version 2 files have them: each goes with the other.
                if ((version == ContainerFormat.VERSION_CODED) != reader.coded()) {
                    throw new MalformedInputException(source, 0, "format version " + version + " in Arrow layout "
                            + reader.metadata().get(TensorBatchSchema.LAYOUT_KEY) + ": version 2 files are exported in layout 2, version 1 in layout 1");
                }
                ContainerFormat.checkCrc(source, 0, meta.get(ContainerFormat.CRC_KEY), meta.get(ContainerFormat.ORIGINAL_HEADER_KEY),
                        meta.get(ContainerFormat.TENSORS_KEY));
                List<TensorRecord> records;
                try {
                    records = CompressedFile.parseRecords(meta.get(ContainerFormat.TENSORS_KEY));
                } catch (MalformedInputException e) {
                    throw e.in(source, 0);
                }
                MalformedInputException.verify(reader.count() == records.size(), 0,
                        reader.count() + " record batches for " + records.size() + " tensor records");
                // The header comes first and needs every part's size: one pass for sizes, one to copy.
                SafetensorsWriter.Builder builder = SafetensorsWriter.builder().metadata(meta);
                for (int i = 0; i < records.size(); i++) {
                    TensorRecord r = records.get(i);
                    TensorBatch t = checked(reader, i, r);
                    if (r.codec() == TensorRecord.Codec.HUFFMAN) {
                        builder.tensor(r.name() + ContainerFormat.TABLE, Dtype.U8, t.code().byteSize())
                                .tensor(r.name() + ContainerFormat.INDEX, Dtype.U8, t.index().byteSize())
                                .tensor(r.name() + ContainerFormat.PAYLOAD, Dtype.U8, t.exp().byteSize())
                                .tensor(r.name() + ContainerFormat.PLANE, Dtype.U8, t.sm().byteSize());
                    } else if (r.codec() == TensorRecord.Codec.CODED) {
                        List<String> names = r.codedPartNames();
                        for (int k = 0; k < names.size(); k++) builder.tensor(names.get(k), Dtype.U8, t.parts().get(k).byteSize());
                    } else {
                        MalformedInputException.verify(t.data().byteSize() == r.byteSize(), reader.offset(i),
                                "tensor \"" + r.name() + "\" has " + t.data().byteSize() + " bytes, its shape needs " + r.byteSize());
                        builder.tensor(r.name(), r.dtype(), r.shape());
                    }
                }
                try (FileChannel channel = dst.openChannel()) {
                    SafetensorsWriter writer = builder.open(channel);
                    for (int i = 0; i < records.size(); i++) {
                        TensorRecord r = records.get(i);
                        TensorBatch t = checked(reader, i, r);
                        if (r.codec() == TensorRecord.Codec.HUFFMAN) {
                            writer.write(r.name() + ContainerFormat.TABLE, t.code());
                            writer.write(r.name() + ContainerFormat.INDEX, t.index());
                            writer.write(r.name() + ContainerFormat.PAYLOAD, t.exp());
                            writer.write(r.name() + ContainerFormat.PLANE, t.sm());
                        } else if (r.codec() == TensorRecord.Codec.CODED) {
                            List<String> names = r.codedPartNames();
                            for (int k = 0; k < names.size(); k++) writer.write(names.get(k), t.parts().get(k));
                        } else {
                            writer.write(r.name(), t.data());
                        }
                    }
                    writer.finish();
                }
            } catch (MalformedInputException e) {
                throw e.source() == null ? e.in(source, 0) : e;
            } catch (IllegalStateException | IllegalArgumentException e) {
                // A part whose size changed between the two passes, or a name used twice.
                throw new MalformedInputException(source, 0, e.getMessage());
            }
            // The rebuilt file must open as a Weightless file (parts present, sizes consistent).
            try (CompressedFile check = CompressedFile.open(dst.path())) {
                return check.tensors().size();
            } catch (MalformedInputException e) {
                throw new MalformedInputException(source, 0, "does not describe a valid Weightless file: " + e.reason());
            }
        });
        return count;
    }

    /** Batch {@code i}, which must describe record {@code r} and carry exactly the parts its codec stores. */
    private static TensorBatch checked(TensorBatchReader reader, int i, TensorRecord r) {
        TensorBatch t = reader.read(i);
        boolean huffman = r.codec() == TensorRecord.Codec.HUFFMAN, coded = r.codec() == TensorRecord.Codec.CODED;
        boolean same = t.name().equals(r.name()) && t.dtype().equals(r.dtype().name()) && Arrays.equals(t.shape(), r.shape())
                && t.codec().equals(r.codec().id()) && t.crc32c() == r.crc32c()
                && t.chunkSymbols() == r.chunkSymbols() && t.groupChunks() == r.groupChunks() && Objects.equals(t.coder(), r.coder());
        if (!same) throw new MalformedInputException(reader.offset(i), "record batch " + i + " (\"" + t.name() + "\") does not match tensor record \"" + r.name() + "\"");
        boolean noLayout1Parts = t.code() == null && t.index() == null && t.exp() == null && t.sm() == null;
        boolean parts = huffman
                ? t.code() != null && t.index() != null && t.exp() != null && t.sm() != null && t.data() == null && t.parts().isEmpty()
                : coded
                ? noLayout1Parts && t.data() == null && t.parts().size() == r.codedPartNames().size()
                : noLayout1Parts && t.data() != null && t.parts().isEmpty();
        if (!parts) throw new MalformedInputException(reader.offset(i), "record batch " + i + " (\"" + r.name() + "\") does not hold the parts codec " + r.codec().id() + " stores");
        return t;
    }
}
