package dev.weightless.io.container;

import java.io.IOException;

/**
 * Lets tests interrupt a write at a known point, to check that nothing partial appears under the
 * final name. Set the system property {@code weightless.test.interrupt} to {@code fail:N} (throw after
 * N tensors) or {@code pause:N} (announce on stderr and wait to be killed). Unset, it does nothing.
 */
final class TestHooks {
    private static final String PROPERTY = "weightless.test.interrupt";

    private TestHooks() {}

    static void afterTensor(int written) throws IOException {
        String spec = System.getProperty(PROPERTY);
        if (spec == null) return;
        String[] parts = spec.split(":");
        if (parts.length != 2 || Integer.parseInt(parts[1]) != written) return;
        if (parts[0].equals("fail")) throw new IOException("write interrupted after " + written + " tensors (" + PROPERTY + ")");
        if (parts[0].equals("pause")) {
            System.err.println("weightless: paused after " + written + " tensors (" + PROPERTY + ")");
            System.err.flush();
            try {
                Thread.sleep(Long.MAX_VALUE);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while paused", e);
            }
        }
    }
}
