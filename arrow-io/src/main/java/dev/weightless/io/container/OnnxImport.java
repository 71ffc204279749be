package dev.weightless.io.container;

import dev.weightless.io.onnx.OnnxImporter;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/** ONNX to BF16 safetensors, written with the same all-or-nothing guarantee as the other outputs. */
public final class OnnxImport {
    private OnnxImport() {}

    public static OnnxImporter.Result run(Path onnx, Path out, boolean replace) throws IOException {
        AtomicOutput.requireNotInput(out, onnx);
        return AtomicOutput.writeFile(out, replace, dst -> {
            try (FileChannel channel = dst.openChannel()) {
                return OnnxImporter.convert(onnx, channel);
            }
        });
    }
}
