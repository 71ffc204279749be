package dev.weightless.jit.ptx;

import dev.weightless.jit.kernel.KernelMethod;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.InputStream;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.CodeElement;
import java.lang.classfile.Instruction;
import java.lang.classfile.MethodModel;
import java.lang.classfile.Opcode;
import java.lang.classfile.attribute.CodeAttribute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each refused construct, from a kernel in RefusedKernels: the exception names the construct, the
 * method and the bytecode index, which the test finds independently in the class file (the first
 * instruction with the given opcode; HANDLER: the first exception handler; ENTRY: index 0).
 */
class PtxRefusalTest {
    private static final String OWNER = "dev.weightless.jit.ptx.RefusedKernels";

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', textBlock = """
            allocatesObject          | object allocation (new java.lang.StringBuilder) | allocatesObject   | NEW
            allocatesArray           | array allocation                                | allocatesArray    | NEWARRAY
            multiDimensional         | multi-dimensional array                         | multiDimensional  | MULTIANEWARRAY
            concatenates             | invokedynamic (string concatenation)            | concatenates      | INVOKEDYNAMIC
            usesLambda               | invokedynamic (lambda or method reference)      | usesLambda        | INVOKEDYNAMIC
            throwsException          | athrow (throwing an exception)                  | throwsException   | ATHROW
            catchesException         | exception handler (try/catch/finally)           | catchesException  | HANDLER
            synchronizes             | monitor (synchronized block)                    | synchronizes      | MONITORENTER
            testsType                | instanceof                                      | testsType         | INSTANCEOF
            castsType                | checkcast                                       | castsType         | CHECKCAST
            readsStaticField         | static field read dev.weightless.jit.ptx.RefusedKernels.counter  | readsStaticField  | GETSTATIC
            readsStaticFieldInUnrolledLoop | static field read dev.weightless.jit.ptx.RefusedKernels.counter | readsStaticFieldInUnrolledLoop | GETSTATIC
            writesStaticField        | static field write dev.weightless.jit.ptx.RefusedKernels.counter | writesStaticField | PUTSTATIC
            callsHostMethod          | call to dev.weightless.jit.kernel.IntArray.segment()             | callsHostMethod   | INVOKEVIRTUAL
            callsObjectMethod        | call to java.lang.Object.hashCode()I (invokevirtual)              | callsObjectMethod | INVOKEVIRTUAL
            callsLibrary             | call to java.lang.Math.sin(D)D                  | callsLibrary      | INVOKESTATIC
            recurses                 | recursion                                       | factorial         | INVOKESTATIC
            sharedLengthNotConstant  | shared array with non-constant length           | sharedLengthNotConstant | INVOKEVIRTUAL
            sharedInLoop             | shared array allocated in a loop                | sharedInLoop      | INVOKEVIRTUAL
            sharedTooLarge           | shared arrays over 232448 bytes per block       | sharedTooLarge    | INVOKEVIRTUAL
            heapArrayParameter       | Java heap array parameter (int[]                | heapArrayParameter | ENTRY
            floatRemainder           | floating-point remainder (frem)                 | floatRemainder    | FREM
            nullReference            | null reference                                  | nullReference     | ACONST_NULL
            comparesReferences       | reference comparison (if_acmpne)                | comparesReferences | IF_ACMPNE
            choosesArrayAtRunTime    | merge of different array references             | choosesArrayAtRunTime | INVOKEVIRTUAL
            stringConstant           | constant of type String                         | stringConstant    | LDC
            helperReturnsReference   | returning a reference                           | helperReturnsReference | INVOKESTATIC
            synchronizedHelper       | synchronized method                             | synchronizedHelper | INVOKESTATIC
            helperAllocates          | array allocation                                | allocating        | NEWARRAY
            l2FetchSizeNotConstant   | L2 fetch size that is not the constant 64, 128 or 256 | l2FetchSizeNotConstant | INVOKEVIRTUAL
            l2FetchSizeNotAllowed    | L2 fetch size that is not the constant 64, 128 or 256 | l2FetchSizeNotAllowed | INVOKEVIRTUAL
            """)
    void refusesWithConstructMethodAndIndex(String kernel, String construct, String where, String at) throws IOException {
        UnsupportedConstructException e = assertThrows(UnsupportedConstructException.class,
                () -> PtxCompiler.compile(KernelMethod.of(RefusedKernels.class, kernel)));
        MethodModel method = method(where);
        String display = OWNER + "." + where + method.methodType().stringValue();
        assertTrue(e.construct().contains(construct), () -> "construct: " + e.construct());
        assertEquals(display, e.method());
        assertEquals(expectedIndex(method, at), e.bytecodeIndex(), e::getMessage);
        assertTrue(e.getMessage().contains(e.construct()) && e.getMessage().contains(display) && e.getMessage().contains("bytecode index " + e.bytecodeIndex()), e::getMessage);
    }

    @Test
    void instanceMethodsAreNotKernels() {
        // KernelMethod refuses them before the compiler sees one; the compiler re-checks for safety.
        assertThrows(IllegalArgumentException.class, () -> KernelMethod.of(RefusedKernels.class, "instanceKernel"));
    }

    private static int expectedIndex(MethodModel method, String at) {
        CodeAttribute code = (CodeAttribute) method.code().orElseThrow();
        if (at.equals("ENTRY")) return 0;
        if (at.equals("HANDLER")) return code.labelToBci(code.exceptionHandlers().getFirst().handler());
        Opcode opcode = Opcode.valueOf(at);
        int bci = 0;
        for (CodeElement e : code) {
            if (e instanceof Instruction i) {
                if (i.opcode() == opcode) return bci;
                bci += i.sizeInBytes();
            }
        }
        throw new AssertionError("no " + at + " in " + method.methodName());
    }

    private static MethodModel method(String name) throws IOException {
        try (InputStream in = RefusedKernels.class.getResourceAsStream("RefusedKernels.class")) {
            ClassModel model = ClassFile.of().parse(in.readAllBytes());
            return model.methods().stream().filter(m -> m.methodName().equalsString(name)).findFirst().orElseThrow();
        }
    }
}
