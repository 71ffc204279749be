package dev.weightless.bench;

import com.github.luben.zstd.Zstd;
import dev.weightless.codec.Entropy;
import dev.weightless.codec.coder.Coder;
import dev.weightless.codec.coder.Coders;
import dev.weightless.io.json.Json;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The ratio-against-decode-speed chart of the coder lab: one point per coder and for zstd 3/19, at the
 * single-thread decode GB/s that a CoderBenchmark JMH run measured (its JSON result file) and the coded
 * size of the real MiniLM weights (computed here, every part counted). Peers that publish only a ratio,
 * on other models, are drawn as labelled horizontal lines, with the exponent-only bound measured here.
 * Run: bench/bench.sh CoderBenchmark -rf json -rff coders.json, then bench/bench.sh chart coders.json chart.png
 */
public final class CoderChart {
    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private CoderChart() {}

    public static void main(String[] args) throws IOException {
        if (args.length != 2) throw new IllegalArgumentException("usage: chart JMH_RESULT.json OUT.png");
        Map<String, Double> decodeMs = decodeTimes(Path.of(args[0]));
        Map<String, Double> ratio = new LinkedHashMap<>();
        double bound;
        long bf16Bytes = 0;
        try (Arena arena = Arena.ofShared()) {
            List<MemorySegment> tensors = BenchData.minilmTensors(arena);
            long[] exponents = new long[256];
            for (MemorySegment t : tensors) {
                bf16Bytes += t.byteSize();
                for (long i = 0; i < t.byteSize() / 2; i++) exponents[(t.get(SHORT_LE, 2 * i) >>> 7) & 0xFF]++;
            }
            bound = (8 + Entropy.bits(exponents)) / 16;
            for (String name : decodeMs.keySet()) {
                long coded = 0;
                for (MemorySegment t : tensors) {
                    if (name.startsWith("zstd-")) {
                        coded += Zstd.compress(t.asByteBuffer(), Integer.parseInt(name.substring(5))).remaining();
                    } else {
                        Coder c = Coders.byName(name);
                        try (Arena a = Arena.ofConfined()) {
                            coded += c.encode(t, a).encodedBytes();
                        }
                    }
                }
                ratio.put(name, (double) coded / bf16Bytes);
            }
        }
        Map<String, Double> gbps = new LinkedHashMap<>();
        for (var e : decodeMs.entrySet()) gbps.put(e.getKey(), bf16Bytes / (e.getValue() * 1e-3) / 1e9);
        for (String name : gbps.keySet()) {
            System.out.printf(Locale.ROOT, "%-9s %.3f%%  %.3f GB/s%n", name, 100 * ratio.get(name), gbps.get(name));
        }
        draw(gbps, ratio, bound, Path.of(args[1]));
        System.out.println("wrote " + args[1]);
    }

    /** ms/op of CoderBenchmark.decode per coder, from a JMH JSON result file. */
    @SuppressWarnings("unchecked")
    static Map<String, Double> decodeTimes(Path json) throws IOException {
        Map<String, Double> ms = new LinkedHashMap<>();
        for (Object o : (List<Object>) Json.parse(Files.readAllBytes(json))) {
            Map<String, Object> run = (Map<String, Object>) o;
            if (!String.valueOf(run.get("benchmark")).endsWith("CoderBenchmark.decode")) continue;
            String coder = (String) ((Map<String, Object>) run.get("params")).get("coder");
            Map<String, Object> metric = (Map<String, Object>) run.get("primaryMetric");
            if (!"ms/op".equals(metric.get("scoreUnit"))) throw new IllegalArgumentException(json + ": expected ms/op, got " + metric.get("scoreUnit"));
            ms.put(coder, ((Number) metric.get("score")).doubleValue());
        }
        if (ms.isEmpty()) throw new IllegalArgumentException(json + " holds no CoderBenchmark.decode result");
        return ms;
    }

    private static void draw(Map<String, Double> gbps, Map<String, Double> ratio, double bound, Path out) throws IOException {
        int w = 960, h = 620, left = 80, right = 300, top = 70, bottom = 70;
        double xMax = Math.ceil(gbps.values().stream().mapToDouble(Double::doubleValue).max().orElse(1) * 1.15 * 10) / 10;
        double yMin = 64, yMax = Math.max(80, Math.ceil(100 * ratio.values().stream().mapToDouble(Double::doubleValue).max().orElse(0.8) + 1));
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        int pw = w - left - right, ph = h - top - bottom;
        java.util.function.DoubleUnaryOperator px = x -> left + x / xMax * pw;
        java.util.function.DoubleUnaryOperator py = y -> top + (yMax - y) / (yMax - yMin) * ph;
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        // Grid and axes.
        for (double x = 0; x <= xMax + 1e-9; x += xMax > 2 ? 0.5 : 0.1) {
            int X = (int) px.applyAsDouble(x);
            g.setColor(new Color(230, 230, 230));
            g.drawLine(X, top, X, top + ph);
            g.setColor(Color.DARK_GRAY);
            g.drawString(String.format(Locale.ROOT, "%.1f", x), X - 10, top + ph + 18);
        }
        for (double y = yMin; y <= yMax + 1e-9; y += 2) {
            int Y = (int) py.applyAsDouble(y);
            g.setColor(new Color(230, 230, 230));
            g.drawLine(left, Y, left + pw, Y);
            g.setColor(Color.DARK_GRAY);
            g.drawString(String.format(Locale.ROOT, "%.0f%%", y), left - 40, Y + 4);
        }
        g.setColor(Color.BLACK);
        g.drawRect(left, top, pw, ph);
        g.drawString("single-thread CPU decode, GB/s of BF16 (JMH)", left + pw / 2 - 130, h - 25);
        g.drawString("size, % of BF16 bytes (lower is better)", 10, top - 12);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        g.drawString("all-MiniLM-L6-v2 in BF16: ratio against decode speed", left, 24);
        // Reference lines: the bound measured here, peers' reported ratios (other models, speeds not measured here).
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        Map<String, Double> lines = new LinkedHashMap<>();
        lines.put(String.format(Locale.ROOT, "exponent-only bound, this model (%.2f%%)", 100 * bound), 100 * bound);
        lines.put("DFloat11, reported on Llama-3.1-8B (67.8%)", 67.8);
        lines.put("ZipNN, reported (66.3%)", 66.3);
        lines.put("BigSmall, self-reported (65.6%)", 65.6);
        lines.put("zstd -9, reported (~77%)", 77.0);
        g.setStroke(new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
        int labelY = top - 20;
        List<Map.Entry<String, Double>> byHeight = lines.entrySet().stream().sorted((a, b) -> Double.compare(b.getValue(), a.getValue())).toList();
        for (var e : byHeight) {
            int Y = (int) py.applyAsDouble(e.getValue());
            g.setColor(e.getKey().startsWith("exponent") ? new Color(200, 60, 60) : new Color(120, 120, 200));
            g.drawLine(left, Y, left + pw, Y);
            g.drawString(e.getKey(), left + pw + 10, Math.max(labelY, Y + 4));
            labelY = Math.max(labelY, Y + 4) + 16;
        }
        g.setStroke(new BasicStroke(1f));
        List<java.awt.Rectangle> taken = new java.util.ArrayList<>();
        for (String name : gbps.keySet()) {
            int X = (int) px.applyAsDouble(gbps.get(name)), Y = (int) py.applyAsDouble(100 * ratio.get(name));
            g.setColor(name.startsWith("zstd") ? new Color(110, 110, 110) : new Color(20, 110, 60));
            g.fillOval(X - 5, Y - 5, 10, 10);
            g.setColor(Color.BLACK);
            String label = String.format(Locale.ROOT, "%s %.2f%%", name, 100 * ratio.get(name));
            java.awt.Rectangle box = new java.awt.Rectangle(X + 8, Y - 18, g.getFontMetrics().stringWidth(label), 14);
            while (taken.stream().anyMatch(box::intersects)) box.translate(0, 15); // labels of nearby points step down
            taken.add(box);
            g.drawString(label, box.x, box.y + 12);
        }
        g.dispose();
        ImageIO.write(image, "png", out.toFile());
    }
}
