package dev.weightless.tasks;

import java.lang.foreign.MemorySegment;

/**
 * Device memory holding one host array's copy. It stays allocated across executions and is shared:
 * every plan (and every {@link Device#buffer} call) that uses the same host array object gets this
 * buffer and holds it once; each holder closes it once, and the memory is freed when the last does.
 * A buffer from {@link Device#allocate} has no host array: it is filled and read by range.
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

    public long elementCount() { return HostArrays.elementCount(hostArray()); }

    /** The host array whose copy this is; fails for a device-only buffer. */
    public Object hostArray() {
        if (hostArray instanceof DeviceOnly) throw new IllegalStateException(this + " has no host array: it was made by Device.allocate");
        return hostArray;
    }

    /** The key it is known by on its device: its host array, or the marker of a device-only buffer. */
    Object key() { return hostArray; }

    /** Copies the host array to the device now; returns the time it took in nanoseconds. */
    public long copyFromHost() { return device.copyToDevice(this); }

    /** Copies the device's contents into the host array now; returns the time it took in nanoseconds. */
    public long copyToHost() { return device.copyToHost(this); }

    /** Copies all of {@code source} into this buffer from byte {@code byteOffset} on; returns nanoseconds. */
    public long copyFrom(MemorySegment source, long byteOffset) { return device.copyToDevice(this, byteOffset, source); }

    /** Fills all of {@code target} from this buffer's bytes from {@code byteOffset} on; returns nanoseconds. */
    public long copyTo(MemorySegment target, long byteOffset) { return device.copyToHost(this, byteOffset, target); }

    public boolean isLive() { return holders > 0; }

    /** Lets go of one hold; the memory is freed when no holder is left. */
    @Override
    public void close() { device.release(this); }

    int holders() { return holders; }

    boolean on(Device d) { return device == d; }

    void hold() { holders++; }

    /** One holder fewer; true when none is left. */
    boolean letGo() {
        if (holders == 0) throw new IllegalStateException(this + " was already freed");
        return --holders == 0;
    }

    void forget() { holders = 0; }

    @Override
    public String toString() {
        String of = hostArray instanceof DeviceOnly ? "device only" : HostArrays.describe(hostArray);
        return "DeviceBuffer[" + of + ", " + bytes + " bytes, " + holders + (holders == 1 ? " holder]" : " holders]");
    }

    /** The key of a device-only buffer: a fresh object per allocation. */
    static final class DeviceOnly {
        private final long bytes;

        DeviceOnly(long bytes) { this.bytes = bytes; }

        @Override
        public String toString() { return "device-only " + bytes + " bytes"; }
    }
}
