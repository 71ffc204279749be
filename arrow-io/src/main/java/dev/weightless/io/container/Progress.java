package dev.weightless.io.container;

/** Receives progress of long work. {@link #advance} may be called from several threads. */
public interface Progress {
    Progress NONE = new Progress() {
        @Override public void begin(String task, long total) {}
        @Override public void advance(long amount) {}
        @Override public void end() {}
    };

    /** A new phase of {@code total} units (bytes) starts. */
    void begin(String task, long total);

    void advance(long amount);

    /** The phase is over. */
    void end();
}
