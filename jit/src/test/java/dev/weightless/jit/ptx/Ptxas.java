package dev.weightless.jit.ptx;

import java.io.File;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/** Finds NVIDIA's PTX assembler: on PATH, else bin/ptxas in the newest cuda* folder under /usr/local. */
final class Ptxas {
    private Ptxas() {}

    static Optional<Path> find() {
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(File.pathSeparator)) {
                Path p = Path.of(dir, "ptxas");
                if (Files.isExecutable(p)) return Optional.of(p);
            }
        }
        List<Path> installs = new ArrayList<>();
        try (DirectoryStream<Path> cudas = Files.newDirectoryStream(Path.of("/usr/local"), "cuda*")) {
            cudas.forEach(installs::add);
        } catch (IOException e) {
            return Optional.empty();
        }
        return installs.stream().sorted(Comparator.reverseOrder()).map(d -> d.resolve("bin/ptxas")).filter(Files::isExecutable).findFirst();
    }
}
