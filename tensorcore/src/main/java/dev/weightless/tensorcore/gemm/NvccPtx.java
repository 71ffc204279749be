package dev.weightless.tensorcore.gemm;

import dev.weightless.jit.kernel.TensorMap;
import dev.weightless.jit.ptx.PtxKernel;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** What the nvcc-built kernels of this package share: their PTX text and how a Java signature maps to an nvcc entry's parameters. */
final class NvccPtx {
    private NvccPtx() {}

    /** The entry named after {@code m} in {@code ptx}: the parameters after the context as nvcc names them ({@code NAME_param_i}). */
    static PtxKernel kernel(Method m, String ptx) {
        List<PtxKernel.Param> params = new ArrayList<>();
        Class<?>[] types = m.getParameterTypes();
        for (int i = 1; i < types.length; i++) {
            PtxKernel.Kind kind = types[i] == int.class ? PtxKernel.Kind.INT : types[i] == long.class ? PtxKernel.Kind.LONG
                    : types[i] == TensorMap.class ? PtxKernel.Kind.TENSOR_MAP : PtxKernel.Kind.ARRAY;
            params.add(new PtxKernel.Param(m.getName() + "_param_" + i, kind, types[i]));
        }
        return new PtxKernel(m.getName(), ptx, params);
    }

    /**
     * One checked-in PTX file and the class whose method signatures name its entries. The text is read on first use and kept;
     * {@code what} names the kernels in messages.
     */
    static final class Module {
        private final Class<?> signatures;
        private final String resource, override, what;
        private volatile String text;

        Module(Class<?> signatures, String resource, String override, String what) {
            this.signatures = signatures;
            this.resource = resource;
            this.override = override;
            this.what = what;
        }

        boolean declares(Method m) { return m.getDeclaringClass() == signatures; }

        /** The checked-in PTX text, or the file named by the module's override property. */
        String ptx() {
            String t = text;
            if (t == null) text = t = load(resource, override, what);
            return t;
        }

        /** The entry for a method of the signature class; a method of any other class is refused. */
        PtxKernel kernel(Method m) {
            if (!declares(m)) throw new IllegalArgumentException(m + " is not one of the " + what + " (" + signatures.getSimpleName() + ")");
            return NvccPtx.kernel(m, ptx());
        }

        /** What a signature's body throws: it never runs on the JVM. */
        UnsupportedOperationException nvccOnly() {
            return new UnsupportedOperationException(what + " run only as their nvcc PTX on a CUDA device (" + signatures.getSimpleName()
                    + " via FusedKernels.compiler()); the JVM executor cannot run tensor-core instructions");
        }
    }

    /**
     * The PTX text: the file named by system property {@code override} when it is set (timing and diagnosis
     * experiments; said on stderr, naming {@code what}), else the checked-in resource.
     */
    static String load(String resource, String override, String what) {
        String file = System.getProperty(override);
        if (file != null) {
            try {
                String text = Files.readString(Path.of(file));
                System.err.println("tensorcore: " + what + " from " + file + " (-D" + override + "), not the checked-in PTX");
                return text;
            } catch (IOException e) {
                throw new UncheckedIOException("reading -D" + override + "=" + file, e);
            }
        }
        try (InputStream in = NvccPtx.class.getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException(resource + " is missing from the classpath (tensorcore jar not built?)");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + resource, e);
        }
    }
}
