package dev.weightless.tasks;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Loaded modules for the whole process, keyed by device and the SHA-256 of the PTX text: the driver's
 * PTX-to-machine-code step costs milliseconds, so a second plan (or task) with the same kernel reuses
 * the module. A module belongs to its device's context, so closing the device evicts its entries.
 */
final class ModuleCache {
    private static final Map<Key, Object> MODULES = new ConcurrentHashMap<>();

    private ModuleCache() {}

    private record Key(Device device, String sha256) {}

    /** A loaded module and whether it came from the cache. */
    record Lookup(Object module, boolean cached) {}

    static Lookup module(Device device, Driver driver, String ptx) {
        Key key = new Key(device, sha256(ptx));
        Object cached = MODULES.get(key);
        if (cached != null) return new Lookup(cached, true);
        Object module = driver.loadModule(ptx);
        MODULES.put(key, module);
        return new Lookup(module, false);
    }

    /** Forgets (and unloads) the device's modules. */
    static void evict(Device device, Driver driver) {
        for (var it = MODULES.entrySet().iterator(); it.hasNext(); ) {
            var entry = it.next();
            if (entry.getKey().device() == device) {
                it.remove();
                driver.unloadModule(entry.getValue());
            }
        }
    }

    static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
