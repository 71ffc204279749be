package dev.weightless.jit.ptx;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.MethodModel;
import java.util.HashMap;
import java.util.Map;

/** Class files read as resources through the kernel class's loader and parsed with java.lang.classfile, once each. */
final class ClassFiles {
    private final Class<?> anchor;
    private final Map<String, ClassModel> parsed = new HashMap<>();

    ClassFiles(Class<?> anchor) { this.anchor = anchor; }

    ClassModel load(String internalName) {
        ClassModel model = parsed.get(internalName);
        if (model != null) return model;
        try (InputStream in = anchor.getResourceAsStream("/" + internalName + ".class")) {
            if (in == null) throw new IllegalStateException("class file of " + internalName.replace('/', '.') + " not found from " + anchor.getName());
            model = ClassFile.of().parse(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException("reading the class file of " + internalName, e);
        }
        parsed.put(internalName, model);
        return model;
    }

    /** The method a static call to {@code owner.name descriptor} resolves to: declared in owner or a superclass; null if none. */
    Found find(String owner, String name, String descriptor) {
        for (String c = owner; c != null; ) {
            ClassModel model = load(c);
            for (MethodModel m : model.methods()) {
                if (m.methodName().equalsString(name) && m.methodType().equalsString(descriptor)) return new Found(c, m);
            }
            c = model.superclass().map(s -> s.asInternalName()).orElse(null);
            if ("java/lang/Object".equals(c)) c = null;
        }
        return null;
    }

    record Found(String owner, MethodModel method) {}
}
