package dev.weightless.jit.ptx;

import java.util.Set;

import static dev.weightless.jit.ptx.JavaKind.INT;
import static dev.weightless.jit.ptx.JavaKind.LONG;

/** KernelContext: thread ids from special registers, barriers, and dispatch of its other methods. */
final class ContextEmitter {
    private static final String INT_ARRAY = "Ldev/weightless/jit/kernel/IntArray;";
    private static final String LONG_ARRAY = "Ldev/weightless/jit/kernel/LongArray;";
    private static final Set<String> FIELDS = Set.of("globalIdx", "globalSize", "localIdx", "localSize", "groupIdx", "groups", "laneId");

    private final MethodTranslator t;
    private final MemoryEmitter memory;
    private final AtomicEmitter atomics;
    private final WarpEmitter warp;

    ContextEmitter(MethodTranslator t, MemoryEmitter memory) {
        this.t = t;
        this.memory = memory;
        this.atomics = new AtomicEmitter(t, memory);
        this.warp = new WarpEmitter(t);
    }

    /** A read of one of the context's id fields (one-dimensional launches: the x components). */
    void field(String name) {
        if (!FIELDS.contains(name)) throw t.refuse("KernelContext field " + name);
        t.popReference();
        switch (name) {
            case "globalIdx" -> {
                String group = special("%ctaid.x"), size = special("%ntid.x"), local = special("%tid.x");
                t.emit("mad.lo.s32 " + t.push(INT) + ", " + group + ", " + size + ", " + local + ";");
            }
            case "globalSize" -> {
                String groups = special("%nctaid.x"), size = special("%ntid.x");
                t.emit("mul.lo.s32 " + t.push(INT) + ", " + groups + ", " + size + ";");
            }
            case "localIdx" -> t.emit("mov.u32 " + t.push(INT) + ", %tid.x;");
            case "localSize" -> t.emit("mov.u32 " + t.push(INT) + ", %ntid.x;");
            case "groupIdx" -> t.emit("mov.u32 " + t.push(INT) + ", %ctaid.x;");
            case "groups" -> t.emit("mov.u32 " + t.push(INT) + ", %nctaid.x;");
            default -> t.emit("mov.u32 " + t.push(INT) + ", %laneid;");
        }
    }

    private String special(String register) {
        String r = t.temp(RegType.B32);
        t.emit("mov.u32 " + r + ", " + register + ";");
        return r;
    }

    void invoke(String name, String descriptor) {
        switch (name + descriptor) {
            case "barrier()V" -> {
                t.popReference();
                t.emit("bar.sync 0;");
            }
            case "syncWarp()V" -> {
                t.popReference();
                t.emit("bar.warp.sync -1;");
            }
            case "sharedIntArray(I)[I", "sharedLongArray(I)[J", "sharedFloatArray(I)[F", "sharedShortArray(I)[S", "sharedByteArray(I)[B" ->
                    memory.allocateShared(Element.ofSharedMethod(name));
            // Adds wrap around, so the unsigned forms serve ints and longs alike; max and min are signed.
            case "atomicAdd([III)I" -> atomics.shared("add.u32", INT, 1);
            case "atomicAdd(" + INT_ARRAY + "JI)I" -> atomics.global("add.u32", INT, 1);
            case "atomicAdd([JIJ)J" -> atomics.shared("add.u64", LONG, 1);
            case "atomicAdd(" + LONG_ARRAY + "JJ)J" -> atomics.global("add.u64", LONG, 1);
            case "atomicMax([III)I" -> atomics.shared("max.s32", INT, 1);
            case "atomicMax(" + INT_ARRAY + "JI)I" -> atomics.global("max.s32", INT, 1);
            case "atomicMin([III)I" -> atomics.shared("min.s32", INT, 1);
            case "atomicMin(" + INT_ARRAY + "JI)I" -> atomics.global("min.s32", INT, 1);
            case "atomicCas([IIII)I" -> atomics.shared("cas.b32", INT, 2);
            case "atomicCas(" + INT_ARRAY + "JII)I" -> atomics.global("cas.b32", INT, 2);
            case "atomicExchange([III)I" -> atomics.shared("exch.b32", INT, 1);
            case "atomicExchange(" + INT_ARRAY + "JI)I" -> atomics.global("exch.b32", INT, 1);
            // Clamp operands as CUDA's __shfl_*_sync use for a full 32-lane width: out-of-warp sources give the own value.
            case "shuffleDown(II)I" -> warp.shuffle("down", "0x1f");
            case "shuffleUp(II)I" -> warp.shuffle("up", "0x0");
            case "shuffleXor(II)I" -> warp.shuffle("bfly", "0x1f");
            case "shuffle(II)I" -> warp.shuffle("idx", "0x1f");
            case "ballot(Z)I" -> warp.ballot();
            case "any(Z)Z" -> warp.vote("any");
            case "all(Z)Z" -> warp.vote("all");
            default -> throw t.refuse("call to KernelContext." + name + descriptor);
        }
    }
}
