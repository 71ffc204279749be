package dev.weightless.codec.coder;

import dev.weightless.codec.palette.PaletteCoder;
import dev.weightless.codec.rans.RansCoder;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The registry: every coder by name. A new coder is one class plus one line here. */
public final class Coders {
    private static final Map<String, Coder> BY_NAME = new LinkedHashMap<>();

    static {
        register(new HuffmanCoder());
        register(RansCoder.exponentOnly());
        register(RansCoder.withMantissaContext());
        register(new PaletteCoder());
    }

    private Coders() {}

    private static void register(Coder c) {
        if (BY_NAME.putIfAbsent(c.name(), c) != null) throw new IllegalStateException("two coders named " + c.name());
    }

    /** The coder called {@code name}; an unknown name is an {@link IllegalArgumentException} listing the known ones. */
    public static Coder byName(String name) {
        Coder c = BY_NAME.get(name);
        if (c == null) throw new IllegalArgumentException("unknown coder '" + name + "'; known: " + String.join(", ", BY_NAME.keySet()));
        return c;
    }

    /** All coders, in registration order. */
    public static List<Coder> all() { return List.copyOf(BY_NAME.values()); }
}
