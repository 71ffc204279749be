// Pieces shared by palette_gemm.cu and wgmma_gemm.cu: the palette tile's size (LAYOUT.md), read-only global
// loads that skip L1 (each W byte is read once per CTA), and the join of exponent and plane bytes into BF16.
#pragma once
#include <cstdint>

namespace palette_tile {

constexpr int TILE_BYTES = 1408;   // 384 bytes of codes (3 words x 32 lanes) + 1024 sign|mantissa bytes
constexpr int PLANE_OFFSET = 384;

__device__ __forceinline__ uint4 load16(const void* p) {
    uint4 v;
    asm volatile("ld.global.nc.L1::no_allocate.v4.u32 {%0,%1,%2,%3}, [%4];" : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w) : "l"(p));
    return v;
}

__device__ __forceinline__ uint32_t load4(const void* p) {
    uint32_t v;
    asm volatile("ld.global.nc.L1::no_allocate.u32 %0, [%1];" : "=r"(v) : "l"(p));
    return v;
}

__device__ __forceinline__ uint32_t load2(const void* p) {
    unsigned short v;
    asm volatile("ld.global.nc.L1::no_allocate.u16 %0, [%1];" : "=h"(v) : "l"(p));
    return v;
}

__device__ __forceinline__ uint32_t load1(const void* p) {
    unsigned short v;
    asm volatile("ld.global.nc.L1::no_allocate.u8 %0, [%1];" : "=h"(v) : "l"(p));
    return v;
}

__device__ __forceinline__ uint32_t prmt(uint32_t a, uint32_t b, uint32_t selector) {
    uint32_t d;
    asm("prmt.b32 %0, %1, %2, %3;" : "=r"(d) : "r"(a), "r"(b), "r"(selector));
    return d;
}

// Two BF16 values from exponent and stored plane bytes: [plane0, exp0, plane1, exp1] rotated right by one
// bit puts each mantissa under its exponent and moves the partner-stored sign bits into place (one prmt and
// one funnel shift per two weights).
__device__ __forceinline__ uint32_t join(uint32_t plane, uint32_t exps, uint32_t selector) {
    uint32_t w = prmt(plane, exps, selector);
    return __funnelshift_r(w, w, 1);
}

}  // namespace palette_tile
