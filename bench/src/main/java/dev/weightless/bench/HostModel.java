package dev.weightless.bench;

import dev.weightless.codec.coder.CodedTensor;
import dev.weightless.codec.coder.Coder;
import dev.weightless.codec.coder.Coders;
import dev.weightless.io.onnx.BundledModel;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Carries the benchmarks' model to a machine without the model jar or a network (the GPU host, whose CPU the
 * single-core figures are quoted for): {@code pack FOLDER FILE} codes the BF16 safetensors file of
 * {@link BundledModel} (converted into FOLDER if missing), all of its bytes as one {@code rans-ctx} tensor, about
 * 30 MB instead of 45; {@code unpack FILE FOLDER} decodes it there into FOLDER, where {@link BenchData} finds it,
 * and checks the published SHA-256 of its tensor data. Layout: u64 file size, u64 part count, then each part as
 * u64 size and bytes (little-endian). Run by bench/host-jmh-package.sh and its run script.
 */
public final class HostModel {
    private static final String CODER = "rans-ctx";
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

    private HostModel() {}

    public static void main(String[] args) throws IOException {
        if (args.length == 3 && args[0].equals("pack")) pack(Path.of(args[1]), Path.of(args[2]));
        else if (args.length == 3 && args[0].equals("unpack")) unpack(Path.of(args[1]), Path.of(args[2]));
        else {
            System.err.println("usage: HostModel pack FOLDER FILE | unpack FILE FOLDER");
            System.exit(2);
        }
    }

    private static void pack(Path folder, Path file) throws IOException {
        Path model = BundledModel.bf16(folder);
        Coder c = Coders.byName(CODER);
        try (Arena arena = Arena.ofConfined(); FileChannel in = FileChannel.open(model)) {
            long size = in.size();
            // The coder takes whole BF16 values: an odd file gets one zero byte, cut off again by unpack.
            MemorySegment bytes = arena.allocate(size + (size & 1));
            MemorySegment.copy(in.map(FileChannel.MapMode.READ_ONLY, 0, size, arena), 0, bytes, 0, size);
            CodedTensor coded = c.encode(bytes, arena);
            long total = 16;
            for (MemorySegment p : coded.parts()) total = Math.addExact(total, 8 + p.byteSize());
            MemorySegment out = arena.allocate(total);
            out.set(U64, 0, size);
            out.set(U64, 8, coded.parts().size());
            long at = 16;
            for (MemorySegment p : coded.parts()) {
                out.set(U64, at, p.byteSize());
                MemorySegment.copy(p, 0, out, at + 8, p.byteSize());
                at += 8 + p.byteSize();
            }
            Files.write(file, out.toArray(ValueLayout.JAVA_BYTE));
            System.out.printf("HostModel: %s (%d bytes) → %s (%d bytes, %s)%n", model, size, file, total, CODER);
        }
    }

    private static void unpack(Path file, Path folder) throws IOException {
        Coder c = Coders.byName(CODER);
        try (Arena arena = Arena.ofConfined(); FileChannel ch = FileChannel.open(file)) {
            MemorySegment in = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            if (in.byteSize() < 16) throw new IOException(file + ": " + in.byteSize() + " bytes, shorter than the 16-byte header");
            long size = in.get(U64, 0), parts = in.get(U64, 8);
            if (size < 0 || parts != c.partNames().size()) throw new IOException(file + ": file size " + size + ", " + parts + " parts; " + CODER + " has " + c.partNames().size());
            List<MemorySegment> list = new ArrayList<>();
            long at = 16;
            for (long i = 0; i < parts; i++) {
                if (at + 8 > in.byteSize()) throw new IOException(file + ": part " + i + " at byte " + at + " runs past the end");
                long n = in.get(U64, at);
                if (n < 0 || n > in.byteSize() - at - 8) throw new IOException(file + ": part " + i + " at byte " + at + " has " + n + " bytes, past the end");
                list.add(in.asSlice(at + 8, n));
                at += 8 + n;
            }
            if (at != in.byteSize()) throw new IOException(file + ": " + (in.byteSize() - at) + " bytes after the last part");
            MemorySegment out = arena.allocate(size + (size & 1));
            c.decode(new CodedTensor(CODER, out.byteSize() / 2, list), out);
            Files.createDirectories(folder);
            Path model = folder.resolve(BundledModel.BF16_FILE);
            try (FileChannel w = FileChannel.open(model, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
                java.nio.ByteBuffer b = out.asSlice(0, size).asByteBuffer();
                while (b.hasRemaining()) w.write(b);
            }
            String sha = BundledModel.sha256OfTensorData(model);
            if (!sha.equals(BundledModel.BF16_SHA256)) throw new IOException(model + ": tensor data SHA-256 " + sha + ", expected " + BundledModel.BF16_SHA256);
            System.out.printf("HostModel: %s → %s (%d bytes), tensor data SHA-256 %s as published%n", file, model, size, sha);
        }
    }
}
