package dev.weightless.cli;

import dev.weightless.io.container.Inspector;
import dev.weightless.io.json.Json;
import dev.weightless.io.safetensors.Dtype;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** Renders an inspect report as a table or as JSON. */
final class InspectFormat {
    private InspectFormat() {}

    static String table(Inspector.Report r) {
        StringBuilder s = new StringBuilder();
        int width = Math.max(6, r.rows().stream().mapToInt(x -> x.name().length()).max().orElse(6));
        s.append(String.format(Locale.ROOT, "%-" + width + "s  %-5s %12s  %-11s %-8s %8s %9s %8s%n", "tensor", "dtype", "elements", "codec", "coder", "H(exp)", "bits/wt", "ratio"));
        for (Inspector.Row row : r.rows()) {
            s.append(String.format(Locale.ROOT, "%-" + width + "s  %-5s %,12d  %-11s %-8s %8s %9.3f %7.2f%%%n", row.name(), row.dtype(), row.elements(),
                    row.codec().equals("raw") ? "raw (kept)" : row.codec(), row.coder(),
                    Double.isNaN(row.entropy()) ? "-" : String.format(Locale.ROOT, "%.3f", row.entropy()), row.bitsPerWeight(), 100 * row.ratio()));
        }
        s.append(String.format(Locale.ROOT, "%ntotal: %d tensors, %,d bytes -> %,d bytes, ratio %.2f%%%s%n", r.rows().size(), r.originalBytes(),
                r.compressedBytes(), 100 * r.ratio(), r.compressed() ? "" : " (not compressed: a preview)"));
        if (r.bf16OriginalBytes() > 0) {
            s.append(String.format(Locale.ROOT, "BF16 tensors: %,d bytes -> %,d bytes, ratio %.2f%%%n", r.bf16OriginalBytes(), r.bf16StoredBytes(), 100 * r.bf16Ratio()));
            Map<String, Long> coders = new TreeMap<>();
            for (Inspector.Row row : r.rows()) if (row.dtype() == Dtype.BF16) coders.merge(row.codec().equals("raw") ? "raw" : row.coder(), 1L, Long::sum);
            s.append("BF16 tensors by coder: ").append(coders.entrySet().stream().map(e -> e.getKey() + " " + e.getValue())
                    .collect(Collectors.joining(", "))).append(System.lineSeparator());
            s.append(String.format(Locale.ROOT, "exponent-only bound (8 + H) / 16 = %.2f%% with H = %.3f bits over all BF16 weights; %.2f%% with each tensor's own H%n",
                    100 * r.bf16Bound(), r.bf16Entropy(), 100 * r.bf16TensorBound()));
        }
        return s.toString();
    }

    static String json(Path file, Inspector.Report r) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("file", file.toString());
        root.put("compressed", r.compressed());
        List<Map<String, Object>> tensors = r.rows().stream().map(row -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("file", row.file());
            m.put("name", row.name());
            m.put("dtype", row.dtype().name());
            m.put("elements", row.elements());
            m.put("codec", row.codec());
            m.put("coder", row.coder().equals("-") ? null : row.coder());
            m.put("original_bytes", row.originalBytes());
            m.put("stored_bytes", row.storedBytes());
            m.put("exponent_entropy", Double.isNaN(row.entropy()) ? null : row.entropy());
            m.put("bits_per_weight", row.bitsPerWeight());
            m.put("ratio", row.ratio());
            return m;
        }).toList();
        root.put("tensors", tensors);
        Map<String, Object> total = new LinkedHashMap<>();
        total.put("tensors", (long) r.rows().size());
        total.put("original_bytes", r.originalBytes());
        total.put("compressed_bytes", r.compressedBytes());
        total.put("ratio", r.ratio());
        total.put("bf16_original_bytes", r.bf16OriginalBytes());
        total.put("bf16_stored_bytes", r.bf16StoredBytes());
        total.put("bf16_ratio", r.bf16Ratio());
        total.put("bf16_exponent_entropy", r.bf16Entropy());
        total.put("bf16_exponent_bound", r.bf16Bound());
        total.put("bf16_per_tensor_bound", r.bf16TensorBound());
        root.put("total", total);
        return Json.write(root) + System.lineSeparator();
    }
}
