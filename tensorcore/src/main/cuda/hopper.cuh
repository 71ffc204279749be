// Hopper pieces shared by the wgmma kernels (wgmma_gemm.cu, wgmma_tma.cu; palette_gemm.cu's cluster finish too): shared-memory addresses, mbarriers,
// cluster helpers, wgmma with both operands in shared memory, its fences and groups, the 128-byte-swizzled
// K-major layout it reads, and the consumers' epilogue.
#pragma once
#include <cstdint>
#include <cuda_bf16.h>

namespace hopper {

__device__ __forceinline__ uint32_t smemAddress(const void* p) { return static_cast<uint32_t>(__cvta_generic_to_shared(p)); }

__device__ __forceinline__ void barrierInit(uint32_t bar, uint32_t count) {
    asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;" :: "r"(bar), "r"(count));
}

__device__ __forceinline__ void barrierArrive(uint32_t bar) {
    asm volatile("{\n.reg .b64 state;\nmbarrier.arrive.shared::cta.b64 state, [%0];\n}" :: "r"(bar) : "memory");
}

// Arrival on the other CTA's barrier (a shared::cluster address). Default semantics (release, CTA scope): a
// release at cluster scope costs a memory barrier that waits for the thread's loads in flight (run w4a: the
// whole pipeline stalled on it, NOTES.md); the consumers' arrivals follow wgmma.wait_group, so the stage's
// reads are complete.
__device__ __forceinline__ void remoteArrive(uint32_t bar) {
    asm volatile("mbarrier.arrive.shared::cluster.b64 _, [%0];" :: "r"(bar) : "memory");
}

// This thread's arrival on a barrier of its CTA that also expects `bytes` of asynchronous stores (st.async).
__device__ __forceinline__ void arriveExpecting(uint32_t bar, uint32_t bytes) {
    asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;" :: "r"(bar), "r"(bytes) : "memory");
}

// The shared::cluster address of the other CTA's byte at this CTA's shared address.
__device__ __forceinline__ uint32_t peerAddress(uint32_t address, uint32_t peer) {
    uint32_t d;
    asm volatile("mapa.shared::cluster.u32 %0, %1, %2;" : "=r"(d) : "r"(address), "r"(peer));
    return d;
}

__device__ __forceinline__ void clusterSync() {
    asm volatile("barrier.cluster.arrive.release.aligned;\nbarrier.cluster.wait.acquire.aligned;" ::: "memory");
}

__device__ __forceinline__ void barrierWait(uint32_t bar, uint32_t parity) {
    asm volatile("{\n.reg .pred done;\nWAIT_%=:\n"
                 "mbarrier.try_wait.parity.shared::cta.b64 done, [%0], %1;\n"
                 "@!done bra WAIT_%=;\n}" :: "r"(bar), "r"(parity) : "memory");
}

__device__ __forceinline__ void wgmmaFence() { asm volatile("wgmma.fence.sync.aligned;" ::: "memory"); }
__device__ __forceinline__ void wgmmaCommit() { asm volatile("wgmma.commit_group.sync.aligned;" ::: "memory"); }
template <int N> __device__ __forceinline__ void wgmmaWait() { asm volatile("wgmma.wait_group.sync.aligned %0;" :: "n"(N) : "memory"); }

// Shared-memory matrix descriptor of a K-major operand in the 128-byte swizzle: start address, leading
// byte offset (unused for this swizzle: 1), stride byte offset 1024 (8 rows of 128 bytes), layout type 1.
__device__ __forceinline__ uint64_t descriptor(uint32_t address) {
    return (uint64_t)((address & 0x3FFFF) >> 4) | (1ull << 16) | (64ull << 32) | (1ull << 62);
}

// The same descriptor in two halves: the low word (address field and leading byte offset), to which an offset / 16 adds without
// carrying out of the 14-bit address field while address + offset stays below 256 KB (every shared-memory address does), and
// descriptorOf joining a low word with the constant high word. Lets a loop advance descriptors by adds (NOTES.md, session 19).
__device__ __forceinline__ uint32_t descriptorLow(uint32_t address) { return ((address & 0x3FFFF) >> 4) | (1u << 16); }
__device__ __forceinline__ uint64_t descriptorOf(uint32_t low) { return (uint64_t)low | (64ull << 32) | (1ull << 62); }

// Keeps the compiler from moving or reading accumulator registers across the asynchronous wgmma.
template <int R> __device__ __forceinline__ void fenceOperands(float (&d)[R]) {
#pragma unroll
    for (int i = 0; i < R; i++) asm volatile("" : "+f"(d[i])::"memory");
}

// Byte address of 16-byte piece `piece` (0..7) of row `row` in a 128-byte-swizzled K-major block.
__device__ __forceinline__ uint32_t swizzled(uint32_t base, int row, int piece) { return base + row * 128 + ((piece ^ (row & 7)) << 4); }

// d[32] += A (descriptor: 64 W rows) x B (descriptor: 64 X rows): wgmma m64n64k16, both from shared memory.
__device__ __forceinline__ void wgmma64(float (&d)[32], uint64_t a, uint64_t b) {
    asm volatile("wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 {%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15,%16,%17,%18,%19,%20,%21,%22,%23,%24,%25,%26,%27,%28,%29,%30,%31}, %32, %33, 1, 1, 1, 0, 0;"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31])
                 : "l"(a), "l"(b));
}

// d[64] += A (descriptor: 64 W rows) x B (descriptor: 128 X rows): wgmma m64n128k16, both from shared memory.
__device__ __forceinline__ void wgmma128(float (&d)[64], uint64_t a, uint64_t b) {
    asm volatile("wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 {%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15,%16,%17,%18,%19,%20,%21,%22,%23,%24,%25,%26,%27,%28,%29,%30,%31,%32,%33,%34,%35,%36,%37,%38,%39,%40,%41,%42,%43,%44,%45,%46,%47,%48,%49,%50,%51,%52,%53,%54,%55,%56,%57,%58,%59,%60,%61,%62,%63}, %64, %65, 1, 1, 1, 0, 0;"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]), "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]), "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]), "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]), "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63])
                 : "l"(a), "l"(b));
}

// d[128] += A (descriptor: 64 W rows) x B (descriptor: 256 X rows): wgmma m64n256k16, both from shared memory.
__device__ __forceinline__ void wgmma256(float (&d)[128], uint64_t a, uint64_t b) {
    asm volatile("wgmma.mma_async.sync.aligned.m64n256k16.f32.bf16.bf16 {%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15,%16,%17,%18,%19,%20,%21,%22,%23,%24,%25,%26,%27,%28,%29,%30,%31,%32,%33,%34,%35,%36,%37,%38,%39,%40,%41,%42,%43,%44,%45,%46,%47,%48,%49,%50,%51,%52,%53,%54,%55,%56,%57,%58,%59,%60,%61,%62,%63,%64,%65,%66,%67,%68,%69,%70,%71,%72,%73,%74,%75,%76,%77,%78,%79,%80,%81,%82,%83,%84,%85,%86,%87,%88,%89,%90,%91,%92,%93,%94,%95,%96,%97,%98,%99,%100,%101,%102,%103,%104,%105,%106,%107,%108,%109,%110,%111,%112,%113,%114,%115,%116,%117,%118,%119,%120,%121,%122,%123,%124,%125,%126,%127}, %128, %129, 1, 1, 1, 0, 0;"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]), "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]), "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]), "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]), "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63]), "+f"(d[64]), "+f"(d[65]), "+f"(d[66]), "+f"(d[67]), "+f"(d[68]), "+f"(d[69]), "+f"(d[70]), "+f"(d[71]), "+f"(d[72]), "+f"(d[73]), "+f"(d[74]), "+f"(d[75]), "+f"(d[76]), "+f"(d[77]), "+f"(d[78]), "+f"(d[79]), "+f"(d[80]), "+f"(d[81]), "+f"(d[82]), "+f"(d[83]), "+f"(d[84]), "+f"(d[85]), "+f"(d[86]), "+f"(d[87]), "+f"(d[88]), "+f"(d[89]), "+f"(d[90]), "+f"(d[91]), "+f"(d[92]), "+f"(d[93]), "+f"(d[94]), "+f"(d[95]), "+f"(d[96]), "+f"(d[97]), "+f"(d[98]), "+f"(d[99]), "+f"(d[100]), "+f"(d[101]), "+f"(d[102]), "+f"(d[103]), "+f"(d[104]), "+f"(d[105]), "+f"(d[106]), "+f"(d[107]), "+f"(d[108]), "+f"(d[109]), "+f"(d[110]), "+f"(d[111]), "+f"(d[112]), "+f"(d[113]), "+f"(d[114]), "+f"(d[115]), "+f"(d[116]), "+f"(d[117]), "+f"(d[118]), "+f"(d[119]), "+f"(d[120]), "+f"(d[121]), "+f"(d[122]), "+f"(d[123]), "+f"(d[124]), "+f"(d[125]), "+f"(d[126]), "+f"(d[127])
                 : "l"(a), "l"(b));
}

template <int BN> __device__ __forceinline__ void wgmma(float (&d)[BN / 2], uint64_t a, uint64_t b);
template <> __device__ __forceinline__ void wgmma<64>(float (&d)[32], uint64_t a, uint64_t b) { wgmma64(d, a, b); }
template <> __device__ __forceinline__ void wgmma<128>(float (&d)[64], uint64_t a, uint64_t b) { wgmma128(d, a, b); }
template <> __device__ __forceinline__ void wgmma<256>(float (&d)[128], uint64_t a, uint64_t b) { wgmma256(d, a, b); }

constexpr int EPI_PITCH = 272;   // bytes per X row of the epilogue tile: 256 + 16 (no bank conflicts)

// The epilogue of the wgmma kernels' two consumer warpgroups (threads 0..255, named barrier 1): the accumulators of
// a 128 W rows x BN X rows tile (wgmma's m64nBN layout per warpgroup) rounded to BF16 into `smem`, X row by X row,
// then written as whole 16-byte pieces of Y's rows mBase .. (those below M), columns nBase .. nBase + 127. Every
// thread must be done with `smem` (the ring) before: the first barrier waits for all of them.
template <int BN>
__device__ __forceinline__ void storeY(const float (&acc)[BN / 2], uint8_t* smem, __nv_bfloat16* y, int M, int N, int mBase, int nBase, int warp, int lane) {
    asm volatile("bar.sync 1, 256;" ::: "memory");
    int g = lane >> 2, t = lane & 3;
    uint8_t* tile = smem;
    int n0 = 16 * warp + g;   // W row in the CTA (warps 4..7 are warpgroup 1: rows 64..127)
#pragma unroll
    for (int i = 0; i < BN / 8; i++) {
        int m = 8 * i + 2 * t;
        *reinterpret_cast<__nv_bfloat16*>(tile + m * EPI_PITCH + 2 * n0) = __float2bfloat16_rn(acc[4 * i]);
        *reinterpret_cast<__nv_bfloat16*>(tile + (m + 1) * EPI_PITCH + 2 * n0) = __float2bfloat16_rn(acc[4 * i + 1]);
        *reinterpret_cast<__nv_bfloat16*>(tile + m * EPI_PITCH + 2 * (n0 + 8)) = __float2bfloat16_rn(acc[4 * i + 2]);
        *reinterpret_cast<__nv_bfloat16*>(tile + (m + 1) * EPI_PITCH + 2 * (n0 + 8)) = __float2bfloat16_rn(acc[4 * i + 3]);
    }
    asm volatile("bar.sync 1, 256;" ::: "memory");
    for (int i = threadIdx.x; i < BN * 16; i += 256) {
        int row = i >> 4, piece = i & 15, m = mBase + row;
        if (m < M) *reinterpret_cast<uint4*>(y + (size_t)m * N + nBase + 8 * piece) = *reinterpret_cast<const uint4*>(tile + row * EPI_PITCH + 16 * piece);
    }
}

}  // namespace hopper
