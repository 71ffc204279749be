// Hopper pieces shared by the wgmma kernels (wgmma_gemm.cu, wgmma_tma.cu): shared-memory addresses, mbarriers,
// cluster helpers, wgmma's fences and groups, and the 128-byte-swizzled K-major layout wgmma reads.
#pragma once
#include <cstdint>

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

// Keeps the compiler from moving or reading accumulator registers across the asynchronous wgmma.
template <int R> __device__ __forceinline__ void fenceOperands(float (&d)[R]) {
#pragma unroll
    for (int i = 0; i < R; i++) asm volatile("" : "+f"(d[i])::"memory");
}

// Byte address of 16-byte piece `piece` (0..7) of row `row` in a 128-byte-swizzled K-major block.
__device__ __forceinline__ uint32_t swizzled(uint32_t base, int row, int piece) { return base + row * 128 + ((piece ^ (row & 7)) << 4); }

}  // namespace hopper
