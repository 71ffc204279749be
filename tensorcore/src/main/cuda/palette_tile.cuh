// Pieces shared by palette_gemm.cu and wgmma_gemm.cu: the palette tile's size (LAYOUT.md), read-only global
// loads that skip L1 (each W byte is read once per CTA), and the join of exponent and plane bytes into BF16.
#pragma once
#include <cstdint>

namespace palette_tile {

constexpr int TILE_BYTES = 1408;   // 384 bytes of codes (3 words x 32 lanes) + 1024 sign|mantissa bytes
constexpr int PLANE_OFFSET = 384;
// The window coding (LAYOUT.md): 4-bit codes, 512 bytes, then the same plane.
constexpr int WINDOW_TILE_BYTES = 1536;
constexpr int WINDOW_PLANE_OFFSET = 512;

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


// A lane's 32 palette selectors, one nibble per weight in four groups of 8 (LAYOUT.md): groups 0..2 are the code
// words' nibbles already, group 3 gathers their spare top bits.
__device__ __forceinline__ void selectors(uint32_t w0, uint32_t w1, uint32_t w2, uint32_t (&sel)[4]) {
    sel[0] = w0 & 0x77777777u;
    sel[1] = w1 & 0x77777777u;
    sel[2] = w2 & 0x77777777u;
    sel[3] = ((w0 >> 3) & 0x11111111u) | ((w1 >> 2) & 0x22222222u) | ((w2 >> 1) & 0x44444444u);
}

// Each weight's palette exponent: e[G][h] holds weights 8G + 4h .. + 3 (code 7 reads entry 7, 0: escapes are
// patched in afterwards).
__device__ __forceinline__ void paletteExponents(const uint32_t (&sel)[4], uint2 palette, uint32_t (&e)[4][2]) {
#pragma unroll
    for (int G = 0; G < 4; G++) {
        e[G][0] = prmt(palette.x, palette.y, sel[G]);
        e[G][1] = prmt(palette.x, palette.y, sel[G] >> 16);
    }
}

// Window coding: each weight's exponent is the tile's base plus its 4-bit code (code 15, the escape, gives base + 15:
// patched afterwards). Word G's low nibbles are weights 8G .. 8G + 3, its high nibbles 8G + 4 .. 8G + 7, so e[G][h]
// groups the weights as paletteExponents does; base <= 240 keeps every byte from carrying into the next.
__device__ __forceinline__ void windowExponents(uint4 codes, uint32_t base, uint32_t (&e)[4][2]) {
    uint32_t bases = (base & 0xFFu) * 0x01010101u;
    const uint32_t w[4] = {codes.x, codes.y, codes.z, codes.w};
#pragma unroll
    for (int G = 0; G < 4; G++) {
        e[G][0] = (w[G] & 0x0F0F0F0Fu) + bases;
        e[G][1] = ((w[G] >> 4) & 0x0F0F0F0Fu) + bases;
    }
}

// The palette coding gives lane t (of a quad) the column pairs 4t + p, p = 0..3, of each 32-column half; the MMAs'
// fragments want lane t to hold pairs 4q + t, q = 0..3 (k 2t and 2t + 8 of two k16 steps), the window coding's order. That is a 4 x 4
// transpose across the quad: two butterfly stages (lanes t ^ 2, then t ^ 1), each swapping the registers
// whose index bit differs from the lane's.
__device__ __forceinline__ void transposeQuad(uint32_t (&x)[4], int t) {
    bool t1 = t & 2, t0 = t & 1;
#pragma unroll
    for (int p0 = 0; p0 < 2; p0++) {
        uint32_t send = t1 ? x[p0] : x[2 + p0];
        uint32_t got = __shfl_xor_sync(0xFFFFFFFFu, send, 2);
        if (t1) x[p0] = got; else x[2 + p0] = got;
    }
#pragma unroll
    for (int p1 = 0; p1 < 4; p1 += 2) {
        uint32_t send = t0 ? x[p1] : x[p1 + 1];
        uint32_t got = __shfl_xor_sync(0xFFFFFFFFu, send, 1);
        if (t0) x[p1] = got; else x[p1 + 1] = got;
    }
}

__device__ __forceinline__ void transposeTile(uint32_t (&a)[4][4], int lane) {
#pragma unroll
    for (int G = 0; G < 4; G++) transposeQuad(a[G], lane & 3);
}

// The lane's 32 exponents into its place in a warp's 1 KB exponent buffer, in plane order (weights 0..15 at
// 16 lane + j, weights 16..31 at 512 + 16 lane + j - 16), where escapes are stored at their positions.
__device__ __forceinline__ void storeExponents(uint8_t* buffer, int lane, const uint32_t (&e)[4][2]) {
    uint4* mine = reinterpret_cast<uint4*>(buffer) + lane;
    mine[0] = make_uint4(e[0][0], e[0][1], e[1][0], e[1][1]);
    mine[32] = make_uint4(e[2][0], e[2][1], e[3][0], e[3][1]);
}

// The lane's 32 exponents back from the exponent buffer, patched.
__device__ __forceinline__ void readExponents(const uint8_t* buffer, int lane, uint32_t (&e)[4][2]) {
    const uint4* mine = reinterpret_cast<const uint4*>(buffer) + lane;
    uint4 lo = mine[0], hi = mine[32];
    e[0][0] = lo.x; e[0][1] = lo.y; e[1][0] = lo.z; e[1][1] = lo.w;
    e[2][0] = hi.x; e[2][1] = hi.y; e[3][0] = hi.z; e[3][1] = hi.w;
}

// The tile's A registers from the lane's plane pieces and exponents: a[G][p], G = 2 * (row half) + (column half),
// p = pair of columns 8t + 2p, 8t + 2p + 1 (LAYOUT.md).
__device__ __forceinline__ void joinTile(uint4 s0, uint4 s1, const uint32_t (&e)[4][2], uint32_t (&a)[4][4]) {
    const uint32_t plane[4][2] = {{s0.x, s0.y}, {s0.z, s0.w}, {s1.x, s1.y}, {s1.z, s1.w}};
#pragma unroll
    for (int G = 0; G < 4; G++) {
        a[G][0] = join(plane[G][0], e[G][0], 0x5140u);
        a[G][1] = join(plane[G][0], e[G][0], 0x7362u);
        a[G][2] = join(plane[G][1], e[G][1], 0x5140u);
        a[G][3] = join(plane[G][1], e[G][1], 0x7362u);
    }
}

}  // namespace palette_tile
