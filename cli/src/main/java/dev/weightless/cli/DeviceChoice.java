package dev.weightless.cli;

import dev.weightless.tasks.Device;

import java.io.PrintWriter;

/** {@code --device gpu|cpu|auto}, shared by compress and decompress: open the GPU, or say why the CPU does the work. */
final class DeviceChoice {
    enum Where { gpu, cpu, auto }

    private DeviceChoice() {}

    /**
     * The GPU, or null for the CPU ({@code cpu}, or {@code auto} finding none); {@code gpu} without one fails with
     * the reason. {@code work} names what the device does ("decoding", "encoding") in the messages.
     */
    static Device open(Where where, String work, boolean quiet, PrintWriter err) {
        if (where == Where.cpu) return null;
        String why = Device.whyUnavailable().orElse(null);
        if (why == null) {
            try {
                Device d = Device.open();
                if (!quiet) err.println("weightless: " + work + " on the GPU: " + d);
                return d;
            } catch (RuntimeException | LinkageError e) {
                why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            }
        }
        why = why.lines().findFirst().orElse(why);
        if (where == Where.gpu) throw new IllegalStateException("--device gpu: no usable CUDA device: " + why);
        if (!quiet) err.println("weightless: " + work + " on the CPU (no GPU: " + why + ")");
        return null;
    }
}
