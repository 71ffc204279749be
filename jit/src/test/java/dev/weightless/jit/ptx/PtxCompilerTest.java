package dev.weightless.jit.ptx;


import dev.weightless.jit.kernel.FloatArray;
import dev.weightless.jit.kernel.IntArray;
import dev.weightless.jit.kernel.KernelMethod;
import dev.weightless.jit.kernel.LongArray;
import dev.weightless.jit.samples.SampleKernels;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The PTX's shape and the details that assemble either way but must be right on the GPU. */
class PtxCompilerTest {
    private static String ptx(Class<?> owner, String kernel) { return PtxCompiler.compile(KernelMethod.of(owner, kernel)).ptx(); }

    private static void assertContains(String ptx, String regex) {
        assertTrue(Pattern.compile(regex, Pattern.MULTILINE).matcher(ptx).find(), () -> "no match for " + regex + " in\n" + ptx);
    }

    @Test
    void headerEntryAndParameters() {
        PtxKernel k = PtxCompiler.compile(KernelMethod.of(SampleKernels.class, "mix"));
        assertEquals("SampleKernels_mix", k.entry());
        assertEquals(List.of(new PtxKernel.Param("p0", PtxKernel.Kind.ARRAY, IntArray.class),
                new PtxKernel.Param("p1", PtxKernel.Kind.ARRAY, LongArray.class),
                new PtxKernel.Param("p2", PtxKernel.Kind.ARRAY, FloatArray.class)), k.params());
        assertContains(k.ptx(), "^\\.version 8\\.0\\n\\.target sm_90\\n\\.address_size 64$");
        assertContains(k.ptx(), "^\\.visible \\.entry SampleKernels_mix\\(\\n\\t\\.param \\.u64 p0,\\n\\t\\.param \\.u64 p0_n,\\n\\t\\.param \\.u64 p1,");
        assertContains(k.ptx(), "cvta\\.to\\.global\\.u64 %rd0, %rd0;");
    }

    @Test
    void scalarParametersKeepTheirTypes() {
        PtxKernel k = PtxCompiler.compile(KernelMethod.of(CompilerKernels.class, "floatMath"));
        assertEquals(PtxKernel.Kind.FLOAT, k.params().get(3).kind());
        assertEquals(PtxKernel.Kind.DOUBLE, k.params().get(4).kind());
        assertContains(k.ptx(), "\\.param \\.f32 p3,\\n\\t\\.param \\.f64 p4\\n\\)");
        PtxKernel narrow = PtxCompiler.compile(KernelMethod.of(CompilerKernels.class, "narrow"));
        assertEquals(new PtxKernel.Param("p4", PtxKernel.Kind.INT, short.class), narrow.params().get(4));
        assertContains(narrow.ptx(), "ld\\.param\\.s32 %r\\d+, \\[p4\\];");
        PtxKernel longs = PtxCompiler.compile(KernelMethod.of(CompilerKernels.class, "longMath"));
        assertEquals(new PtxKernel.Param("p3", PtxKernel.Kind.LONG, long.class), longs.params().get(3));
        assertContains(longs.ptx(), "ld\\.param\\.s64 %rd\\d+, \\[p3\\];");
    }

    @Test
    void sharedArraysHaveTheirByteSizes() {
        String ptx = ptx(CompilerKernels.class, "sharedAndWarp");
        for (String decl : List.of("smem0[256]", "smem1[1024]", "smem2[512]", "smem3[256]", "smem4[16]")) {
            assertContains(ptx, "^\\t\\.shared \\.align 8 \\.b8 " + Pattern.quote(decl) + ";$");
        }
        assertContains(ptx, "ld\\.shared\\.s16 ");
        assertContains(ptx, "ld\\.shared\\.s8 ");
        assertContains(ptx, "atom\\.shared\\.add\\.u64 ");
        assertContains(ptx, "atom\\.shared\\.cas\\.b32 %r\\d+, \\[smem4\\+12\\], -1, 7;");
        assertContains(ptx(SampleKernels.class, "exponentHistogram"), "\\.shared \\.align 8 \\.b8 smem0\\[1024\\];");
    }

    @Test
    void shufflesUseCudaClampsAndTheFullWarp() {
        // sum's loop (d = 16, 8, .., 1) is unrolled: the offsets are immediates.
        assertContains(ptx(SampleKernels.class, "sum"), "shfl\\.sync\\.down\\.b32 %r\\d+, %r\\d+, 8, 0x1f, 0xffffffff;");
        String ptx = ptx(CompilerKernels.class, "sharedAndWarp");
        assertContains(ptx, "shfl\\.sync\\.up\\.b32 %r\\d+, %r\\d+, 1, 0x0, 0xffffffff;");
        assertContains(ptx, "shfl\\.sync\\.bfly\\.b32 %r\\d+, %r\\d+, 16, 0x1f, 0xffffffff;");
        assertContains(ptx, "shfl\\.sync\\.idx\\.b32 %r\\d+, %r\\d+, 0, 0x1f, 0xffffffff;");
        assertContains(ptx, "vote\\.sync\\.any\\.pred %p\\d+, %p\\d+, 0xffffffff;");
    }

    @Test
    void narrowLoadsSignExtendAndShiftsMaskTheirCount() {
        assertContains(ptx(SampleKernels.class, "exponentHistogram"), "ld\\.global\\.s16 %r\\d+");
        String narrow = ptx(CompilerKernels.class, "narrow");
        assertContains(narrow, "ld\\.global\\.s8 %r\\d+");
        assertContains(narrow, "st\\.global\\.b8 ");
        assertContains(narrow, "st\\.global\\.b16 ");
        assertContains(narrow, "and\\.b32 (%r\\d+), %r\\d+, 31;\\n\\tshl\\.b32 %r\\d+, %r\\d+, \\1;");
        assertContains(narrow, "cvt\\.s32\\.s8 ");
        assertContains(narrow, "cvt\\.s32\\.s16 ");
        assertContains(narrow, "cvt\\.u32\\.u16 ");
        assertContains(ptx(CompilerKernels.class, "longMath"), "and\\.b32 (%r\\d+), %r\\d+, 63;\\n\\tshr\\.s64 %rd\\d+, %rd\\d+, \\1;");
    }

    @Test
    void floatArithmeticIsRoundedToNearestAndNeverContracted() {
        String ptx = ptx(CompilerKernels.class, "floatMath");
        assertFalse(Pattern.compile("\\b(add|sub|mul|div)\\.f(32|64) ").matcher(ptx).find(), "float arithmetic without .rn");
        assertContains(ptx, "min\\.NaN\\.f32 ");
        assertContains(ptx, "max\\.NaN\\.f32 ");
        assertContains(ptx, "cvt\\.rzi\\.s32\\.f32 ");
        assertContains(ptx, "cvt\\.rzi\\.s64\\.f64 ");
        assertContains(ptx, "sqrt\\.rn\\.f64 ");
        assertContains(ptx, "fma\\.rn\\.f32 ");
    }

    @Test
    void cachedCompileGivesTheSameKernelOnce() {
        KernelMethod sum = KernelMethod.of(SampleKernels.class, "sum");
        PtxKernel first = PtxCompiler.compileCached(sum);
        assertSame(first, PtxCompiler.compileCached(KernelMethod.of(SampleKernels.class, "sum")));
        assertEquals(PtxCompiler.compile(sum).ptx(), first.ptx());
    }

    @Test
    void comparisonsFollowedByABranchAreOneSetp() {
        String ptx = ptx(SampleKernels.class, "compare");
        // javac's fcmpg/fcmpl before an if: NaN must take the branch exactly when Java's -1/0/1 result would.
        assertContains(ptx, "setp\\.geu\\.f32 "); // p < q: fcmpg, ifge skips (NaN gives 1: skips)
        assertContains(ptx, "setp\\.ltu\\.f32 "); // p >= q: fcmpl, iflt skips (NaN gives -1: skips)
        assertContains(ptx, "setp\\.neu\\.f64 "); // dp == dq: dcmpl, ifne skips
        assertContains(ptx, "setp\\.eq\\.f32 ");  // p != q: fcmpl, ifeq skips (NaN is not equal: runs)
        assertFalse(ptx.contains("selp.s32"), "no -1/0/1 value is built when a branch consumes it at once");
    }

    @Test
    void longIndexesStayLong() {
        String ptx = ptx(SampleKernels.class, "sum");
        assertContains(ptx, "cvt\\.s64\\.s32 %rd\\d+, %r\\d+;");
        assertContains(ptx, "setp\\.ge\\.s64 %p\\d+, %rd\\d+, %rd\\d+;"); // i >= in.size(): lcmp and ifge as one setp
        // The element address is a shift and an add (ptxas makes them one LEA pair), not a 64-bit multiply-add.
        assertContains(ptx, "shl\\.b64 (%rd\\d+), %rd\\d+, 2;\\n\\tadd\\.s64 %rd\\d+, %rd0, \\1;");
        assertFalse(ptx.contains("mad.lo.s64"), "no 64-bit multiply for an element address");
        assertContains(ptx, "atom\\.global\\.add\\.u64 %rd\\d+, \\[%rd2\\], %rd\\d+;");
    }

    @Test
    void sharedElementAddressesAreShiftAndAdd() {
        String ptx = ptx(SampleKernels.class, "blockScan");
        assertContains(ptx, "shl\\.b32 (%r\\d+), %r\\d+, 2;\\n\\tadd\\.s32 (%r\\d+), %r\\d+, \\1;\\n\\t(ld|st)\\.shared\\.b32 .*\\[\\2\\]");
        assertFalse(Pattern.compile("mad\\.lo\\.s32 %r\\d+, %r\\d+, 4,").matcher(ptx).find(), "no multiply for a shared element address");
    }

    @Test
    void countedLoopsAreUnrolledAndOthersKept() {
        String ptx = ptx(SampleKernels.class, "bitsAndLoops");
        // The shuffle loop's offsets became immediates: 16, 8, 4, 2, 1, in order.
        assertContains(ptx, "(?s)shfl\\.sync\\.bfly\\.b32 %r\\d+, %r\\d+, 16,.*, 8,.*, 4,.*, 2,.*, 1, 0x1f");
        assertEquals(5, count(ptx, "shfl.sync.bfly.b32"));
        assertEquals(5, count(ptx, "shf.r.wrap.b32"));
        assertEquals(8, count(ptx, "shf.l.wrap.b32")); // four funnelShiftLeft, four Integer.rotateLeft
        assertEquals(4, count(ptx, "shf.r.clamp.b32"));
        assertEquals(4, count(ptx, "prmt.b32")); // three unrolled, one in the kept loop
        // k * 0x1111 for k = 7 folded into an immediate after unrolling.
        assertContains(ptx, ", 30583;");
        // Only the loop with a run-time bound still branches backwards.
        assertEquals(1, backwardBranches(ptx));
        // branchy's loop has 64 trips and a break: kept.
        assertTrue(backwardBranches(ptx(CompilerKernels.class, "controlFlow")) >= 1);
    }

    private static int count(String text, String what) {
        int n = 0;
        for (int at = text.indexOf(what); at >= 0; at = text.indexOf(what, at + 1)) n++;
        return n;
    }

    /** Branches to a label that appears earlier in the text. */
    private static int backwardBranches(String ptx) {
        java.util.Set<String> seen = new java.util.HashSet<>();
        int n = 0;
        for (String line : ptx.lines().toList()) {
            if (line.endsWith(":")) seen.add(line.substring(0, line.length() - 1));
            var m = Pattern.compile("bra (\\S+);").matcher(line);
            if (m.find() && seen.contains(m.group(1))) n++;
        }
        return n;
    }

    @Test
    void helpersAreInlined() {
        String ptx = ptx(CompilerKernels.class, "helpers");
        assertContains(ptx, "// inlined dev\\.weightless\\.jit\\.ptx\\.CompilerKernels\\.clamp\\(III\\)I");
        assertContains(ptx, "// inlined dev\\.weightless\\.jit\\.ptx\\.CompilerKernels\\.square\\(I\\)I");
        assertFalse(ptx.contains("\tcall"), "no calls remain");
    }

    @Test
    void compilationIsDeterministic() {
        for (KernelMethod k : TestKernels.all()) assertEquals(PtxCompiler.compile(k).ptx(), PtxCompiler.compile(k).ptx(), k.name());
    }
}
