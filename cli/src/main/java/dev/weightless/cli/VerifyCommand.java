package dev.weightless.cli;

import dev.weightless.io.container.Verifier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "verify", mixinStandardHelpOptions = true, description = "Check that COMPRESSED decodes to exactly the tensors of ORIGINAL. Exit 0 only if every tensor is bit-exact.")
final class VerifyCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "ORIGINAL")
    Path original;

    @Parameters(index = "1", paramLabel = "COMPRESSED")
    Path compressed;

    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Verifier.Report r = new Verifier(common.codec(), common.progress()).verify(original, compressed);
        for (String problem : r.problems()) spec.commandLine().getErr().println("weightless: " + problem);
        if (!r.exact()) return Main.EXIT_MISMATCH;
        spec.commandLine().getOut().printf("bit-exact: %d tensors, %,d bytes%n", r.tensors(), r.bytes());
        return 0;
    }
}
