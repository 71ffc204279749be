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
