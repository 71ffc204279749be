package dev.weightless.jit.ptx;

/** The PTX virtual register files the compiler uses; ptxas allocates the real registers. */
enum RegType {
    PRED("%p", ".pred"),
    B32("%r", ".b32"),
    B64("%rd", ".b64"),
    F32("%f", ".f32"),
    F64("%fd", ".f64");

    final String prefix;
    final String declaration;

    RegType(String prefix, String declaration) {
        this.prefix = prefix;
        this.declaration = declaration;
    }
}
