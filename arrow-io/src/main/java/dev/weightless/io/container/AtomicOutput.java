package dev.weightless.io.container;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * Output that appears under its final name only when complete: it is written to a temporary file or
 * folder beside the target and renamed into place by {@link #commit}. Closed without a commit, the
 * temporary is deleted. A process killed mid-write leaves at most a temporary named
 * {@code .NAME.weightless-tmp-*}, never a partial file under the final name.
 */
final class AtomicOutput implements AutoCloseable {
    private final Path target;
    private final Path temporary;
    private final boolean directory;
    private final boolean replace;
    private boolean committed;

    private AtomicOutput(Path target, Path temporary, boolean directory, boolean replace) {
        this.target = target;
        this.temporary = temporary;
        this.directory = directory;
        this.replace = replace;
    }

    /** A file output; {@code replace} allows overwriting an existing file (never an input, see {@link #requireNotInput}). */
    static AtomicOutput file(Path target, boolean replace) throws IOException {
        if (Files.isDirectory(target)) throw new IOException(target + ": is a folder; the output here is a file");
        Path parent = prepare(target, replace);
        Path tmp = parent.resolve(temporaryName(target));
        Files.createFile(tmp);
        return new AtomicOutput(target, tmp, false, replace);
    }

    /** What writes an output's content. */
    interface Body<T> {
        T write(AtomicOutput out) throws IOException;
    }

    /** Writes the file {@code target} with {@code body} and commits it; on failure nothing appears under its name. */
    static <T> T writeFile(Path target, boolean replace, Body<T> body) throws IOException {
        try (AtomicOutput out = file(target, replace)) {
            T result = body.write(out);
            out.commit();
            return result;
        }
    }

    /** A folder output, for sharded models. */
    static AtomicOutput directory(Path target, boolean replace) throws IOException {
        if (Files.exists(target) && !Files.isDirectory(target)) throw new IOException(target + ": is a file; the output here is a folder");
        Path parent = prepare(target, replace);
        Path tmp = parent.resolve(temporaryName(target));
        Files.createDirectory(tmp);
        return new AtomicOutput(target, tmp, true, replace);
    }

    private static Path prepare(Path target, boolean replace) throws IOException {
        Path absolute = target.toAbsolutePath();
        Path parent = absolute.getParent();
        if (parent == null || !Files.isDirectory(parent)) throw new NoSuchFileException(target.toString(), null, "folder " + parent + " does not exist");
        if (Files.exists(target) && !replace) throw new FileAlreadyExistsException(target.toString(), null, "exists already (pass --force to replace it)");
        return parent;
    }

    private static String temporaryName(Path target) {
        return "." + target.getFileName() + ".weightless-tmp-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1);
    }

    /**
     * Refuses an output that is an input or a folder holding one, whatever --force says: replacing it
     * would destroy the input, which is never touched.
     */
    static void requireNotInput(Path output, Path... inputs) throws IOException {
        if (!Files.exists(output)) return;
        Path out = output.toRealPath();
        for (Path in : inputs) {
            if (!Files.exists(in)) continue;
            Path real = in.toRealPath();
            if (real.equals(out)) throw new IOException(output + ": output is the same as the input " + in);
            if (real.startsWith(out)) throw new IOException(output + ": output holds the input " + in);
        }
    }

    /** Where to write: the temporary file, or the temporary folder. */
    Path path() { return temporary; }

    FileChannel openChannel() throws IOException {
        if (directory) throw new IllegalStateException("a folder output has no single channel");
        return FileChannel.open(temporary, StandardOpenOption.WRITE);
    }

    /** Flushes the temporary to disk and renames it to the target. */
    void commit() throws IOException {
        if (directory) {
            try (Stream<Path> files = Files.list(temporary)) {
                for (Path f : (Iterable<Path>) files::iterator) sync(f);
            }
            if (replace && Files.exists(target)) {
                Path old = target.toAbsolutePath().getParent().resolve(temporaryName(target) + "-old");
                Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
                Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE);
                deleteTree(old);
            } else {
                Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE);
            }
        } else {
            sync(temporary);
            if (replace) Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            else Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE);
        }
        committed = true;
    }

    private static void sync(Path file) throws IOException {
        try (FileChannel c = FileChannel.open(file, StandardOpenOption.WRITE)) {
            c.force(true);
        }
    }

    @Override
    public void close() throws IOException {
        if (!committed) deleteTree(temporary);
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) return;
        try (Stream<Path> all = Files.walk(root)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }
}
