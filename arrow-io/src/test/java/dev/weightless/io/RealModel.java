package dev.weightless.io;

import dev.weightless.io.onnx.OnnxImporter;
import dev.weightless.io.safetensors.SafetensorsFile;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * all-MiniLM-L6-v2 from the test classpath, copied and converted to BF16 once under
 * {@code target/real-model/}. Files appear only by atomic rename, so one that exists is complete.
 */
public final class RealModel {
    public static final String RESOURCE = "/all-minilm-l6-v2.onnx";
    public static final Path DIR = Path.of(System.getProperty("basedir", "."), "target", "real-model");
    public static final Path ONNX = DIR.resolve("all-minilm-l6-v2.onnx");
    public static final Path BF16 = DIR.resolve("all-minilm-l6-v2.bf16.safetensors");

    private RealModel() {}

    /** The ONNX model, copied out of its jar on first use. */
    public static synchronized Path onnx() {
        try {
            if (Files.notExists(ONNX)) {
                Files.createDirectories(DIR);
                Path tmp = Files.createTempFile(DIR, "onnx", ".tmp");
                try {
                    try (InputStream in = RealModel.class.getResourceAsStream(RESOURCE)) {
                        if (in == null) throw new IllegalStateException(RESOURCE + " is not on the test classpath");
                        Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                    }
                    Files.move(tmp, ONNX, StandardCopyOption.ATOMIC_MOVE);
                } finally {
                    Files.deleteIfExists(tmp);
                }
            }
            return ONNX;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The model's initializers as a BF16 safetensors file, converted on first use or when invalid. */
    public static synchronized Path bf16() {
        try {
            if (!isValid(BF16)) {
                Path onnx = onnx();
                Path tmp = Files.createTempFile(DIR, "bf16", ".tmp");
                try {
                    try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                        OnnxImporter.convert(onnx, out);
                    }
                    Files.move(tmp, BF16, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } finally {
                    Files.deleteIfExists(tmp);
                }
            }
            return BF16;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean isValid(Path file) throws IOException {
        if (Files.notExists(file)) return false;
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            return !f.tensors().isEmpty();
        } catch (RuntimeException invalid) {
            return false;
        }
    }
}
