package dev.weightless.tensorcore.gemm;

import dev.weightless.jit.kernel.KernelContext;
import dev.weightless.jit.kernel.KernelMethod;
import dev.weightless.jit.ptx.PtxKernel;
import org.junit.jupiter.api.Test;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/** Each task signature has a PTX entry of its name whose parameters are the runtime's marshalling of the signature. */
class FusedKernelsTest {
    @Test
    void everySignatureHasAMatchingPtxEntry() {
        String ptx = FusedKernels.ptx();
        int checked = 0;
        for (Method m : FusedKernels.class.getDeclaredMethods()) {
            if (!Modifier.isPublic(m.getModifiers()) || m.getParameterCount() == 0 || m.getParameterTypes()[0] != KernelContext.class) continue;
            PtxKernel kernel = FusedKernels.compiler().apply(KernelMethod.of(FusedKernels.class, m.getName()));
            long expected = kernel.params().stream().mapToInt(p -> p.kind() == PtxKernel.Kind.ARRAY ? 2 : 1).sum();
            Matcher entry = Pattern.compile("\\.entry " + m.getName() + "\\(([^)]*)\\)").matcher(ptx);
            assertTrue(entry.find(), "no .entry " + m.getName() + " in the PTX");
            long params = Arrays.stream(entry.group(1).split(",")).filter(s -> s.contains(".param")).count();
            assertEquals(expected, params, m.getName() + ": PTX parameters");
            checked++;
        }
        assertEquals(33, checked, "kernels: 4 patching, 4 palette, 4 window, 4 + 4 BF16 twins, the band kernel, its window entry and their BF16 twins, the narrow kernel and its twin, 3 + 3 cluster kernels (8 and 16 rows), spin");
    }

    @Test
    void bodiesRefuseToRunOffTheGpu() throws Exception {
        Method m = Arrays.stream(FusedKernels.class.getMethods()).filter(x -> x.getName().equals("spin")).findFirst().orElseThrow();
        InvocationTargetException e = assertThrows(InvocationTargetException.class, () -> m.invoke(null, null, 1L));
        assertInstanceOf(UnsupportedOperationException.class, e.getCause());
        assertThrows(IllegalArgumentException.class, () -> FusedKernels.compiler().apply(KernelMethod.of(FusedKernelsTest.class, "everySignatureHasAMatchingPtxEntry")));
    }
}
