package dev.weightless.tensorcore.gemm;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The checked-in PTX is what nvcc makes of the checked-in source (src/main/cuda/build.sh regenerates it). */
class PtxRegenerationTest {
    @Test
    void checkedInPtxMatchesTheSource() throws IOException, InterruptedException { check("palette_gemm"); }

    @Test
    void checkedInWgmmaPtxMatchesTheSource() throws IOException, InterruptedException { check("wgmma_gemm"); }

    @Test
    void checkedInTmaPtxMatchesTheSource() throws IOException, InterruptedException { check("wgmma_tma"); }

    @Test
    void checkedInWideTmaPtxMatchesTheSource() throws IOException, InterruptedException { check("wgmma_tma", "wgmma_tma_wide", "-DTC_WIDE"); }

    private static void check(String source) throws IOException, InterruptedException { check(source, source, null); }

    /** The PTX {@code ptx}.ptx against nvcc's output for {@code source}.cu, with the macro {@code define} when not null. */
    private static void check(String source, String ptx, String define) throws IOException, InterruptedException {
        Optional<Path> nvcc = nvcc();
        if (nvcc.isEmpty()) System.err.println("SKIPPING PtxRegenerationTest (" + ptx + "): no nvcc on PATH or under /usr/local/cuda*/bin: the checked-in PTX is not compared with its source");
        Assumptions.assumeTrue(nvcc.isPresent(), "no nvcc on PATH or under /usr/local/cuda*/bin");
        Path module = Path.of(System.getProperty("basedir", "."));
        Path out = Files.createTempFile(ptx, ".ptx");
        try {
            List<String> command = new ArrayList<>(List.of(nvcc.get().toString(), "-ptx", "-arch=compute_90a"));
            if (define != null) command.add(define);
            command.addAll(List.of(module.resolve("src/main/cuda/" + source + ".cu").toString(), "-o", out.toString()));
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String log = new String(p.getInputStream().readAllBytes());
            assertEquals(0, p.waitFor(), "nvcc failed:\n" + log);
            String checkedIn = Files.readString(module.resolve("src/main/resources/tensorcore/" + ptx + ".ptx"));
            assertEquals(checkedIn, Files.readString(out), "src/main/resources/tensorcore/" + ptx + ".ptx is stale: run src/main/cuda/build.sh (with the same nvcc) and commit the result");
        } finally {
            Files.deleteIfExists(out);
        }
    }

    static Optional<Path> nvcc() throws IOException {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, "nvcc");
            if (Files.isExecutable(p)) return Optional.of(p);
        }
        Path local = Path.of("/usr/local");
        if (!Files.isDirectory(local)) return Optional.empty();
        try (Stream<Path> s = Files.list(local)) {
            return s.filter(d -> d.getFileName().toString().startsWith("cuda")).map(d -> d.resolve("bin/nvcc")).filter(Files::isExecutable).sorted().findFirst();
        }
    }
}
