package dev.weightless.io.container;

import dev.weightless.codec.Bf16;
import dev.weightless.codec.CodecOptions;
import dev.weightless.codec.Entropy;
import dev.weightless.io.safetensors.Dtype;
import dev.weightless.io.safetensors.SafetensorsFile;
import dev.weightless.io.safetensors.TensorInfo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Statistics of a Weightless file or model (or of a plain safetensors one, as a preview): per tensor
 * the exponent entropy, bits per weight and ratio; in total the ratio and the exponent-only bound
 * (8 + H) / 16 that no coder of the exponent alone can beat.
 */
public final class Inspector {
    /**
     * One tensor. {@code coder} is the coder that decodes it ("huffman" or a registered coder's name;
     * "-" for raw, passthrough and uncompressed tensors); {@code entropy} is H(exponent) in bits, NaN for
     * other dtypes; {@code storedBytes} is all the bytes its parts take.
     */
    public record Row(String file, String name, Dtype dtype, long elements, String codec, String coder, long originalBytes,
                      long storedBytes, double entropy) {
        public double bitsPerWeight() { return elements == 0 ? 0 : storedBytes * 8.0 / elements; }

        public double ratio() { return originalBytes == 0 ? 1 : (double) storedBytes / originalBytes; }
    }

    /**
     * Totals: whole files, and BF16 tensors alone next to two exponent-only bounds: (8 + H) / 16 with
     * H the entropy of all BF16 exponents together ({@code bf16Bound}, the usual figure), and
     * Σ n·(8 + H_t) / Σ 16·n with each tensor's own entropy ({@code bf16TensorBound}, lower, since
     * per-tensor codes adapt to each tensor).
     */
    public record Report(boolean compressed, List<Row> rows, long originalBytes, long compressedBytes,
                         long bf16OriginalBytes, long bf16StoredBytes, double bf16Entropy, double bf16Bound, double bf16TensorBound) {
        public double ratio() { return originalBytes == 0 ? 1 : (double) compressedBytes / originalBytes; }

        public double bf16Ratio() { return bf16OriginalBytes == 0 ? 1 : (double) bf16StoredBytes / bf16OriginalBytes; }
    }

    private final CodecOptions codec;
    private final Progress progress;
    private final long[] allExponents = new long[256];

    public Inspector(CodecOptions codec, Progress progress) {
        this.codec = codec;
        this.progress = progress;
    }

    public Report inspect(Path in) throws IOException {
        List<Path> files = Sources.of(in).files();
        List<Row> rows = new ArrayList<>();
        long original = 0, stored = 0;
        boolean compressed = true;
        for (Path f : files) {
            stored += Files.size(f);
            boolean weightless;
            try (SafetensorsFile file = SafetensorsFile.open(f)) {
                weightless = CompressedFile.isWeightless(file);
                if (!weightless) {
                    compressed = false;
                    original += Files.size(f);
                    rows.addAll(plainRows(file));
                }
            }
            if (weightless) {
                try (CompressedFile c = CompressedFile.open(f)) {
                    original += c.originalFileSize();
                    rows.addAll(compressedRows(c));
                }
            }
        }
        long bf16Original = 0, bf16Stored = 0;
        double boundBits = 0;
        for (Row r : rows) {
            if (r.dtype() != Dtype.BF16) continue;
            bf16Original += r.originalBytes();
            bf16Stored += r.storedBytes();
            boundBits += r.elements() * (8 + r.entropy());
        }
        double tensorBound = bf16Original == 0 ? 1 : boundBits / 8 / bf16Original;
        double h = Entropy.bits(allExponents);
        return new Report(compressed, List.copyOf(rows), original, stored, bf16Original, bf16Stored, h, (8 + h) / 16, tensorBound);
    }

    private List<Row> compressedRows(CompressedFile c) {
        String name = c.path().getFileName().toString();
        progress.begin("inspect " + name, c.tensors().stream().filter(r -> r.dtype() == Dtype.BF16).mapToLong(TensorRecord::byteSize).sum());
        List<Row> rows = new ArrayList<>();
        for (TensorRecord r : c.tensors()) {
            double h = Double.NaN;
            if (r.dtype() == Dtype.BF16) {
                h = entropy(c.exponentHistogram(r, codec));
                progress.advance(r.byteSize());
            }
            rows.add(new Row(name, r.name(), r.dtype(), r.elements(), r.codec().id(),
                    Objects.requireNonNullElse(CompressedFile.coderOf(r), "-"), r.byteSize(), c.storedBytes(r), h));
        }
        progress.end();
        return rows;
    }

    /** The tensor's exponent entropy; also adds its histogram to the whole model's. */
    private double entropy(long[] histogram) {
        for (int i = 0; i < 256; i++) allExponents[i] += histogram[i];
        return Entropy.bits(histogram);
    }

    private List<Row> plainRows(SafetensorsFile file) {
        String name = file.path().getFileName().toString();
        List<Row> rows = new ArrayList<>();
        for (TensorInfo t : file.tensors()) {
            double h = t.dtype() == Dtype.BF16 ? entropy(Bf16.exponentHistogram(file.data(t))) : Double.NaN;
            rows.add(new Row(name, t.name(), t.dtype(), t.elementCount(), "none", "-", t.byteSize(), t.byteSize(), h));
        }
        return rows;
    }
}
