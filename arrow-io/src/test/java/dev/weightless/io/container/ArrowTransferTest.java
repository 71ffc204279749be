package dev.weightless.io.container;

import dev.weightless.codec.CodecOptions;
import dev.weightless.codec.MalformedInputException;
import dev.weightless.io.RealModel;
import dev.weightless.io.arrow.ArrowMemory;
import dev.weightless.io.arrow.TensorBatch;
import dev.weightless.io.arrow.TensorBatchReader;
import dev.weightless.io.arrow.TensorBatchSchema;
import dev.weightless.io.arrow.TensorBatchWriter;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Export to Arrow IPC and back on the real MiniLM weights; every Arrow job checks its allocator for leaks on close. */
class ArrowTransferTest {
    private static final CodecOptions OPTIONS = CodecOptions.defaults().withThreads(2);

    @TempDir
    static Path dir;
    private static Path compressed;

    @BeforeAll
    static void compress() throws IOException {
        compressed = dir.resolve("model.wl");
        new Compressor(OPTIONS, false, Progress.NONE).compress(RealModel.bf16(), compressed);
    }

    @Test
    void exportThenImportRebuildsTheWeightlessFileByteForByte() throws IOException {
        Path arrow = dir.resolve("a.arrow"), fromPlain = dir.resolve("plain.arrow"), back = dir.resolve("back.wl"), restored = dir.resolve("restored");
        assertEquals(101, ArrowTransfer.export(compressed, arrow, false, OPTIONS, Progress.NONE));
        // A plain safetensors file is compressed on the way: the same Arrow file.
        assertEquals(101, ArrowTransfer.export(RealModel.bf16(), fromPlain, false, OPTIONS, Progress.NONE));
        assertEquals(-1, Files.mismatch(arrow, fromPlain));
        try (var files = Files.list(dir)) {
            assertFalse(files.anyMatch(p -> p.getFileName().toString().contains("tmp")), "a temporary was left behind");
        }
        assertEquals(101, ArrowTransfer.importFile(arrow, back, false));
        assertEquals(-1, Files.mismatch(compressed, back));
        new Decompressor(OPTIONS, false, Progress.NONE).decompress(back, restored);
        assertEquals(-1, Files.mismatch(RealModel.bf16(), restored));
    }

    @Test
    void theStatisticsTableHasOneRowPerTensor() throws Exception {
        Inspector.Report report = new Inspector(OPTIONS, Progress.NONE).inspect(compressed);
        Path stats = dir.resolve("stats.arrow");
        StatisticsExport.write(report, stats, false, compressed);
        try (BufferAllocator job = ArrowMemory.job(); FileChannel ch = FileChannel.open(stats, StandardOpenOption.READ);
             ArrowFileReader reader = new ArrowFileReader(ch, job)) {
            assertTrue(reader.loadNextBatch());
            VectorSchemaRoot root = reader.getVectorSchemaRoot();
            assertEquals(report.rows().size(), root.getRowCount());
            for (int i = 0; i < root.getRowCount(); i++) {
                Inspector.Row r = report.rows().get(i);
                assertEquals(r.name(), new String(((VarCharVector) root.getVector("name")).get(i), StandardCharsets.UTF_8));
                assertEquals(r.ratio(), ((Float8Vector) root.getVector("ratio")).get(i));
                assertEquals(r.entropy(), ((Float8Vector) root.getVector("entropy")).get(i));
            }
            assertEquals(Long.toString(report.compressedBytes()), root.getSchema().getCustomMetadata().get("compressed_bytes"));
            assertFalse(reader.loadNextBatch());
        }
    }

    @Test
    void aFileWithCodedTensorsTravelsInLayout2ByteForByte() throws IOException {
        Path coded = dir.resolve("model-rans.wl"), arrow = dir.resolve("rans.arrow"), back = dir.resolve("rans-back.wl");
        new Compressor(OPTIONS, false, Progress.NONE).coding(CoderChoice.of("rans")).compress(RealModel.bf16(), coded);
        assertEquals(101, ArrowTransfer.export(coded, arrow, false, OPTIONS, Progress.NONE));
        try (BufferAllocator job = ArrowMemory.job(); TensorBatchReader r = TensorBatchReader.open(arrow, job)) {
            assertTrue(r.coded());
            assertEquals("2", r.metadata().get(TensorBatchSchema.LAYOUT_KEY));
            int codedBatches = 0;
            for (int i = 0; i < r.count(); i++) {
                TensorBatch t = r.read(i);
                if (!t.codec().equals("coded")) continue;
                codedBatches++;
                assertEquals("rans", t.coder());
                assertEquals(4, t.parts().size());
                assertTrue(t.code() == null && t.data() == null);
            }
            assertTrue(codedBatches > 90, codedBatches + " coded tensors");
        }
        assertEquals(101, ArrowTransfer.importFile(arrow, back, false));
        assertEquals(-1, Files.mismatch(coded, back));
        // A version-2 file's metadata in a layout-1 schema is refused: the two go together.
        Path mixed = dir.resolve("mixed.arrow");
        try (CompressedFile file = CompressedFile.open(coded); BufferAllocator job = ArrowMemory.job();
             FileChannel ch = FileChannel.open(mixed, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
             TensorBatchWriter w = new TensorBatchWriter(job, new LinkedHashMap<>(file.metadata()), ch)) {
            w.finish();
        }
        MalformedInputException e = assertThrows(MalformedInputException.class, () -> ArrowTransfer.importFile(mixed, dir.resolve("mixed.wl"), false));
        assertTrue(e.getMessage().contains("format version 2 in Arrow layout 1"), e.getMessage());
    }

    @Test
    void aBatchThatContradictsItsRecordIsRejected() throws IOException {
        Path arrow = dir.resolve("edited.arrow");
        try (CompressedFile file = CompressedFile.open(compressed); BufferAllocator job = ArrowMemory.job();
             FileChannel ch = FileChannel.open(arrow, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            Map<String, String> meta = new LinkedHashMap<>(file.metadata());
            try (TensorBatchWriter w = new TensorBatchWriter(job, meta, ch)) {
                for (TensorRecord r : file.tensors()) {
                    var e = file.encoded(r);
                    // The first tensor claims another CRC32C than its record.
                    int crc = r == file.tensors().getFirst() ? r.crc32c() ^ 1 : r.crc32c();
                    w.write(new TensorBatch(r.name(), r.dtype().name(), r.shape(), r.codec().id(), crc, r.chunkSymbols(), r.groupChunks(),
                            e.table().bytes(), e.index().bytes(), e.payload().bytes(), e.plane().bytes(), null));
                }
                w.finish();
            }
        }
        Path out = dir.resolve("edited.wl");
        MalformedInputException e = assertThrows(MalformedInputException.class, () -> ArrowTransfer.importFile(arrow, out, false));
        assertTrue(e.getMessage().startsWith(arrow.toString()) && e.getMessage().contains("does not match"), e.getMessage());
        assertFalse(Files.exists(out));
        try (BufferAllocator job = ArrowMemory.job(); TensorBatchReader r = TensorBatchReader.open(arrow, job)) {
            assertEquals(101, r.count()); // the file itself is readable: only its content is inconsistent
        }
    }
}
