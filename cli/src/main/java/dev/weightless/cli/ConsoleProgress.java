package dev.weightless.cli;

import dev.weightless.io.container.Progress;

import java.io.Console;
import java.io.PrintStream;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A progress bar on stderr with rate and time left. It appears only once a phase has run for a
 * second; on a terminal it redraws in place, elsewhere (logs, pipes) it prints a line every 10 seconds.
 */
final class ConsoleProgress implements Progress {
    private static final long SHOW_AFTER_NANOS = 1_000_000_000L;
    private final PrintStream out;
    private final boolean terminal;
    private final AtomicLong done = new AtomicLong();
    private volatile String task = "";
    private volatile long total;
    private volatile long started;
    private long lastDraw;
    private boolean drawn;

    ConsoleProgress(PrintStream out) {
        this.out = out;
        Console console = System.console();
        this.terminal = console != null && console.isTerminal();
    }

    @Override
    public synchronized void begin(String task, long total) {
        this.task = task;
        this.total = Math.max(total, 1);
        this.started = System.nanoTime();
        this.done.set(0);
        this.lastDraw = started;
        this.drawn = false;
    }

    @Override
    public void advance(long amount) {
        long now = System.nanoTime();
        done.addAndGet(amount);
        if (now - started < SHOW_AFTER_NANOS || now - lastDraw < (terminal ? 100_000_000L : 10_000_000_000L)) return;
        synchronized (this) {
            if (now - lastDraw < 100_000_000L) return;
            lastDraw = now;
            draw(now);
        }
    }

    @Override
    public synchronized void end() {
        long now = System.nanoTime();
        if (drawn || (now - started >= SHOW_AFTER_NANOS && !terminal)) {
            done.set(total);
            draw(now);
            if (terminal) out.println();
        }
    }

    private void draw(long now) {
        long d = Math.min(done.get(), total);
        double fraction = (double) d / total;
        double seconds = (now - started) / 1e9;
        double rate = d / Math.max(seconds, 1e-9);
        long left = rate > 0 ? (long) Math.ceil((total - d) / rate) : 0;
        int width = 30, filled = (int) (fraction * width);
        String bar = "#".repeat(filled) + "-".repeat(width - filled);
        String line = String.format("%s [%s] %3.0f%% %7.1f MB/s  %s", task, bar, fraction * 100, rate / 1e6,
                d >= total ? String.format("%.1fs", seconds) : "ETA " + left + "s");
        out.print(terminal ? "\r" + line : line + System.lineSeparator());
        out.flush();
        drawn = true;
    }
}
