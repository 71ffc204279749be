package dev.weightless.cli;

import dev.weightless.io.container.OnnxImport;
import dev.weightless.io.onnx.OnnxImporter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "import", mixinStandardHelpOptions = true, description = "Convert an ONNX model's FP32/FP16/BF16 initializers into a BF16 safetensors file (round to nearest even; NaN stays a quiet NaN).")
final class ImportCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODEL.onnx")
    Path onnx;

    @Mixin
    OutputOptions out;

    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        OnnxImporter.Result r = OnnxImport.run(onnx, out.path, out.force);
        spec.commandLine().getOut().printf("%s: %d tensors, %,d weights as BF16%s%n", out.path, r.tensorCount(), r.weightCount(),
                r.dropped().isEmpty() ? "" : "; left out (not floating point): " + String.join(", ", r.dropped()));
        return 0;
    }
}
