package dev.weightless.tasks;

/**
 * Device memory holding one host array's copy. It stays allocated across executions and is shared:
 * every plan (and every {@link Device#buffer} call) that uses the same host array object gets this
 * buffer and holds it once; each holder closes it once, and the memory is freed when the last does.
 */
public final class DeviceBuffer implements AutoCloseable {
    private final Device device;
    private final Object hostArray;
    private final long address;
    private final long bytes;
    private int holders = 1;

    DeviceBuffer(Device device, Object hostArray, long address, long bytes) {
        this.device = device;
        this.hostArray = hostArray;
        this.address = address;
        this.bytes = bytes;
    }

    /** The device address (what a kernel receives). */
    public long address() { return address; }

    public long bytes() { return bytes; }

    public long elementCount() { return HostArrays.elementCount(hostArray); }

    public Object hostArray() { return hostArray; }

    /** Copies the host array to the device now; returns the time it took in nanoseconds. */
    public long copyFromHost() { return device.copyToDevice(this); }

    /** Copies the device's contents into the host array now; returns the time it took in nanoseconds. */
    public long copyToHost() { return device.copyToHost(this); }

    public boolean isLive() { return holders > 0; }

    /** Lets go of one hold; the memory is freed when no holder is left. */
    @Override
    public void close() { device.release(this); }

    int holders() { return holders; }

    void hold() { holders++; }

    /** One holder fewer; true when none is left. */
    boolean letGo() {
        if (holders == 0) throw new IllegalStateException(this + " was already freed");
        return --holders == 0;
    }

    void forget() { holders = 0; }

    @Override
    public String toString() {
        return "DeviceBuffer[" + HostArrays.describe(hostArray) + ", " + bytes + " bytes, " + holders + (holders == 1 ? " holder]" : " holders]");
    }
}
