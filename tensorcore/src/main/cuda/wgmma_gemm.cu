// Y[M x N] = X[M x K] . W^T for large M on Hopper: warp-specialised wgmma. W [N x K] is read in the palette
// layout (tensorcore/LAYOUT.md, decoded exactly as palette_gemm.cu's patching kernel does) or as plain
// row-major BF16 (the bit-exactness reference and yardstick: same tiles, same instructions, same order).
//
// CTA: 3 warpgroups, 128 W rows x BN X rows (BN = 64, 128 or 256). Warpgroups 0 and 1 consume: each warp
// decodes its 16 x 64 palette tile (16 W rows, one K block) straight into registers, which are the A
// operand of wgmma.m64nBNk16 (W rows are wgmma's M side: a tile's rows per lane, made for mma.sync's A
// fragments, are already wgmma's; the decode cost amortises over BN rows of X); decoding block kb + 1
// overlaps the tensor cores' work on block kb (two register sets, wait_group 1). A tile lane holds columns
// 8t .. 8t + 7, wgmma's A fragment wants 2t, 2t + 1, 2t + 8, 2t + 9 (+ 16 per k step): four shuffles per
// 16 x 32 half-tile transpose the column pairs across each quad of lanes (transposeQuad), so X keeps its
// natural order (v1 transposed X instead, with 4-byte cp.async: about half as fast, NOTES.md). Warpgroup 2
// produces: it copies X (BN rows x 64 columns per K block) into a ring of shared-memory stages with 16-byte
// cp.async, in wgmma's 128-byte-swizzled K-major layout. mbarriers hand stages over (full: 128 producer
// arrivals when the copies land; empty: one per consumer warp). The epilogue rounds to BF16, stages the
// 128 x BN tile in shared memory and writes whole 16-byte pieces of Y rows. Every sum has one fixed order,
// so the palette and BF16 modes agree bit for bit.
//
// Parameters follow the task-graph runtime's convention (each array: device address, element count).
// Launch with 384 threads, (N / 128) * ceil(M / BN) CTAs and sharedBytes<BN>() bytes of dynamic shared
// memory (WgmmaGemm in Java). N must be a multiple of 128, K of 128 (consume() says why).
#include <cstdint>
#include <cuda_bf16.h>
#include "palette_tile.cuh"

namespace wgmma_gemm {

using namespace palette_tile;

constexpr int CONSUMER_WARPS = 8;
constexpr int THREADS = 384;
constexpr int W_ROWS = 128;         // W rows per CTA: 2 consumer warpgroups x 64
constexpr int EPI_PITCH = 272;      // bytes per X row of the epilogue tile: 256 + 16 (no bank conflicts)

template <int BN> struct Config;
// setmaxnreg moves registers between the warpgroups of the CTA only: the consumers' increase must fit in what
// the producer gives back from the 168 each thread starts with (384 threads, 64 K registers, rounded down to
// 8), so 2 x CONSUMER_REGS + PRODUCER_REGS <= 3 x 168 (first H200 run: 224 and 64 hung in setmaxnreg.inc).
template <> struct Config<64> { static constexpr int STAGES = 8; static constexpr int PRODUCER_REGS = 40; static constexpr int CONSUMER_REGS = 232; };
template <> struct Config<128> { static constexpr int STAGES = 6; static constexpr int PRODUCER_REGS = 40; static constexpr int CONSUMER_REGS = 232; };
template <> struct Config<256> { static constexpr int STAGES = 4; static constexpr int PRODUCER_REGS = 40; static constexpr int CONSUMER_REGS = 232; };
template <int BN> constexpr bool registersFit() { return 2 * Config<BN>::CONSUMER_REGS + Config<BN>::PRODUCER_REGS <= 3 * 168; }
static_assert(registersFit<64>() && registersFit<128>() && registersFit<256>(), "setmaxnreg would wait forever");

template <int BN> __host__ __device__ constexpr int stageBytes() { return BN * 128; }
// X ring, then two 1 KB exponent buffers per consumer warp, then 2 mbarriers per stage; 1 KB for aligning the ring.
template <int BN> __host__ __device__ constexpr int patchOffset() { return Config<BN>::STAGES * stageBytes<BN>(); }
template <int BN> __host__ __device__ constexpr int barrierOffset() { return patchOffset<BN>() + CONSUMER_WARPS * 2 * 1024; }
template <int BN> __host__ __device__ constexpr int sharedBytes() { return barrierOffset<BN>() + Config<BN>::STAGES * 16 + 1024; }

// The tile gives lane t (of a quad) the column pairs 4t + p, p = 0..3, of each 32-column half; wgmma's A
// fragment wants lane t to hold pairs q * 4 + t, q = 0..3 (k 2t and 2t + 8 of two k16 steps). That is a 4 x 4
// transpose across the quad: two butterfly stages (lanes t ^ 2, then t ^ 1), each swapping the registers
// whose index bit differs from the lane's. Afterwards a[G][q] holds pair 4q + t (in the row and column half
// of G), so X can stay in its natural column order in shared memory.
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

__device__ __forceinline__ uint32_t smemAddress(const void* p) { return static_cast<uint32_t>(__cvta_generic_to_shared(p)); }

__device__ __forceinline__ void barrierInit(uint32_t bar, uint32_t count) {
    asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;" :: "r"(bar), "r"(count));
}

__device__ __forceinline__ void barrierArrive(uint32_t bar) {
    asm volatile("{\n.reg .b64 state;\nmbarrier.arrive.shared::cta.b64 state, [%0];\n}" :: "r"(bar) : "memory");
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

// d[32] += A (4 registers, m16n8k16 layout per warp) x B (descriptor): wgmma m64n64k16, BF16 in, FP32 out.
__device__ __forceinline__ void wgmma64(float (&d)[32], uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint64_t desc) {
    asm volatile("wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 {%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15,%16,%17,%18,%19,%20,%21,%22,%23,%24,%25,%26,%27,%28,%29,%30,%31}, {%32,%33,%34,%35}, %36, 1, 1, 1, 0;"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31])
                 : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "l"(desc));
}

// d[64] += A (4 registers, m16n8k16 layout per warp) x B (descriptor): wgmma m64n128k16, BF16 in, FP32 out.
__device__ __forceinline__ void wgmma128(float (&d)[64], uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint64_t desc) {
    asm volatile("wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 {%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15,%16,%17,%18,%19,%20,%21,%22,%23,%24,%25,%26,%27,%28,%29,%30,%31,%32,%33,%34,%35,%36,%37,%38,%39,%40,%41,%42,%43,%44,%45,%46,%47,%48,%49,%50,%51,%52,%53,%54,%55,%56,%57,%58,%59,%60,%61,%62,%63}, {%64,%65,%66,%67}, %68, 1, 1, 1, 0;"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]), "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]), "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]), "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]), "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63])
                 : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "l"(desc));
}

// d[128] += A (4 registers, m16n8k16 layout per warp) x B (descriptor): wgmma m64n256k16, BF16 in, FP32 out.
__device__ __forceinline__ void wgmma256(float (&d)[128], uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint64_t desc) {
    asm volatile("wgmma.mma_async.sync.aligned.m64n256k16.f32.bf16.bf16 {%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15,%16,%17,%18,%19,%20,%21,%22,%23,%24,%25,%26,%27,%28,%29,%30,%31,%32,%33,%34,%35,%36,%37,%38,%39,%40,%41,%42,%43,%44,%45,%46,%47,%48,%49,%50,%51,%52,%53,%54,%55,%56,%57,%58,%59,%60,%61,%62,%63,%64,%65,%66,%67,%68,%69,%70,%71,%72,%73,%74,%75,%76,%77,%78,%79,%80,%81,%82,%83,%84,%85,%86,%87,%88,%89,%90,%91,%92,%93,%94,%95,%96,%97,%98,%99,%100,%101,%102,%103,%104,%105,%106,%107,%108,%109,%110,%111,%112,%113,%114,%115,%116,%117,%118,%119,%120,%121,%122,%123,%124,%125,%126,%127}, {%128,%129,%130,%131}, %132, 1, 1, 1, 0;"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]), "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]), "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]), "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]), "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63]), "+f"(d[64]), "+f"(d[65]), "+f"(d[66]), "+f"(d[67]), "+f"(d[68]), "+f"(d[69]), "+f"(d[70]), "+f"(d[71]), "+f"(d[72]), "+f"(d[73]), "+f"(d[74]), "+f"(d[75]), "+f"(d[76]), "+f"(d[77]), "+f"(d[78]), "+f"(d[79]), "+f"(d[80]), "+f"(d[81]), "+f"(d[82]), "+f"(d[83]), "+f"(d[84]), "+f"(d[85]), "+f"(d[86]), "+f"(d[87]), "+f"(d[88]), "+f"(d[89]), "+f"(d[90]), "+f"(d[91]), "+f"(d[92]), "+f"(d[93]), "+f"(d[94]), "+f"(d[95]), "+f"(d[96]), "+f"(d[97]), "+f"(d[98]), "+f"(d[99]), "+f"(d[100]), "+f"(d[101]), "+f"(d[102]), "+f"(d[103]), "+f"(d[104]), "+f"(d[105]), "+f"(d[106]), "+f"(d[107]), "+f"(d[108]), "+f"(d[109]), "+f"(d[110]), "+f"(d[111]), "+f"(d[112]), "+f"(d[113]), "+f"(d[114]), "+f"(d[115]), "+f"(d[116]), "+f"(d[117]), "+f"(d[118]), "+f"(d[119]), "+f"(d[120]), "+f"(d[121]), "+f"(d[122]), "+f"(d[123]), "+f"(d[124]), "+f"(d[125]), "+f"(d[126]), "+f"(d[127])
                 : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "l"(desc));
}

// One warp's share of a K block as loaded from global memory, decoded into A registers one block later.
struct PaletteRaw {
    uint32_t w0, w1, w2;   // 32 codes of 3 bits
    uint4 s0, s1;          // 32 sign|mantissa bytes
    uint2 palette;         // 8 exponent bytes
    uint32_t start, count; // the tile's escapes: list index of the first, and how many
    uint32_t at, e;        // position and exponent of escape start + lane (when it exists)
};

struct PaletteW {
    const uint8_t* tiles;
    const uint2* palettes;
    const uint32_t* escapeStarts;
    const uint8_t* escapes;
    const uint16_t* positions;
    size_t tileRow;        // first tile of this warp's 16-row strip
    uint32_t starts, ends; // escape starts and ends of 32 tiles, one per lane

    __device__ __forceinline__ void bind(size_t wRow, int K, int) { tileRow = wRow / 16 * (K / 64); }

    __device__ __forceinline__ PaletteRaw load(int kb, int KB, int lane) {
        if ((kb & 31) == 0 && kb + lane < KB) {
            starts = __ldg(escapeStarts + tileRow + kb + lane);
            ends = __ldg(escapeStarts + tileRow + kb + lane + 1);
        }
        const uint8_t* base = tiles + (tileRow + kb) * TILE_BYTES;
        PaletteRaw t;
        t.w0 = load4(base + 4 * lane);
        t.w1 = load4(base + 128 + 4 * lane);
        t.w2 = load4(base + 256 + 4 * lane);
        t.s0 = load16(base + PLANE_OFFSET + 16 * lane);
        t.s1 = load16(base + PLANE_OFFSET + 512 + 16 * lane);
        t.palette = __ldg(palettes + tileRow + kb);
        t.start = __shfl_sync(0xFFFFFFFFu, starts, kb & 31);
        t.count = __shfl_sync(0xFFFFFFFFu, ends, kb & 31) - t.start;
        t.at = t.e = 0;
        if (lane < t.count) { t.at = load2(positions + t.start + lane); t.e = load1(escapes + t.start + lane); }
        return t;
    }

    // Block 0 decoded into `a`, block 1's tile loaded (returned).
    __device__ __forceinline__ PaletteRaw first(int KB, int lane, uint8_t* buffer, uint32_t (&a)[4][4]) {
        PaletteRaw t = load(0, KB, lane);
        decode(t, buffer, lane, a);
        if (KB > 1) t = load(1, KB, lane);
        return t;
    }

    // Block kb decoded from `t` into `a`; block kb + 1's tile loaded into `t`.
    __device__ __forceinline__ void prepare(PaletteRaw& t, int kb, int KB, uint8_t* buffer, int lane, uint32_t (&a)[4][4]) {
        decode(t, buffer, lane, a);
        if (kb + 1 < KB) t = load(kb + 1, KB, lane);
    }

    // The tile as A registers a[G][p]: G = 2 * (row half) + (column half), p = pair of columns 8t + 2p, 8t + 2p + 1
    // (LAYOUT.md). Escapes are patched through the warp's 1 KB exponent buffer, as patchGemm does.
    __device__ __forceinline__ void decode(const PaletteRaw& t, uint8_t* buffer, int lane, uint32_t (&a)[4][4]) const {
        uint32_t sel[4] = {t.w0 & 0x77777777u, t.w1 & 0x77777777u, t.w2 & 0x77777777u,
                           ((t.w0 >> 3) & 0x11111111u) | ((t.w1 >> 2) & 0x22222222u) | ((t.w2 >> 1) & 0x44444444u)};
        uint32_t e[4][2];
#pragma unroll
        for (int G = 0; G < 4; G++) {
            e[G][0] = prmt(t.palette.x, t.palette.y, sel[G]);   // code 7 reads entry 7 (0): patched below
            e[G][1] = prmt(t.palette.x, t.palette.y, sel[G] >> 16);
        }
        uint4* mine = reinterpret_cast<uint4*>(buffer) + lane;
        mine[0] = make_uint4(e[0][0], e[0][1], e[1][0], e[1][1]);    // weights 0..15: plane index 16 lane + j
        mine[32] = make_uint4(e[2][0], e[2][1], e[3][0], e[3][1]);   // weights 16..31: 512 + 16 lane + j - 16
        __syncwarp();
        if (lane < t.count) buffer[t.at & 1023] = (uint8_t)t.e;
        for (uint32_t i = 32 + lane; i < t.count; i += 32) buffer[positions[t.start + i] & 1023] = escapes[t.start + i];   // rare: over 32 escapes
        __syncwarp();
        uint4 lo = mine[0], hi = mine[32];
        e[0][0] = lo.x; e[0][1] = lo.y; e[1][0] = lo.z; e[1][1] = lo.w;
        e[2][0] = hi.x; e[2][1] = hi.y; e[3][0] = hi.z; e[3][1] = hi.w;
        const uint32_t plane[4][2] = {{t.s0.x, t.s0.y}, {t.s0.z, t.s0.w}, {t.s1.x, t.s1.y}, {t.s1.z, t.s1.w}};
#pragma unroll
        for (int G = 0; G < 4; G++) {
            a[G][0] = join(plane[G][0], e[G][0], 0x5140u);
            a[G][1] = join(plane[G][0], e[G][0], 0x7362u);
            a[G][2] = join(plane[G][1], e[G][1], 0x5140u);
            a[G][3] = join(plane[G][1], e[G][1], 0x7362u);
        }
        transposeTile(a, lane);
    }
};

struct Bf16W {
    const uint16_t* row0;  // W row g of this warp's strip, column 8t (W itself until bind)
    const uint16_t* row8;  // row g + 8

    __device__ __forceinline__ void bind(size_t wRow, int K, int lane) {
        row0 += (wRow + (lane >> 2)) * K + 8 * (lane & 3);
        row8 = row0 + (size_t)8 * K;
    }

    // Plain BF16 needs no decode: each block's A registers are loaded straight from W.
    // The same registers as a palette tile's, then the same transpose: the two modes feed wgmma identically.
    __device__ __forceinline__ void load(int kb, uint32_t (&a)[4][4], int lane) const {
        int k = kb * 64;
        uint4 r[4] = {load16(row0 + k), load16(row0 + k + 32), load16(row8 + k), load16(row8 + k + 32)};
#pragma unroll
        for (int G = 0; G < 4; G++) { a[G][0] = r[G].x; a[G][1] = r[G].y; a[G][2] = r[G].z; a[G][3] = r[G].w; }
        transposeTile(a, lane);
    }

    __device__ __forceinline__ int first(int, int lane, uint8_t*, uint32_t (&a)[4][4]) { load(0, a, lane); return 0; }

    __device__ __forceinline__ void prepare(int&, int kb, int, uint8_t*, int lane, uint32_t (&a)[4][4]) { load(kb, a, lane); }
};

template <int BN> __device__ __forceinline__ void wgmma(float (&d)[BN / 2], uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint64_t desc);
template <> __device__ __forceinline__ void wgmma<64>(float (&d)[32], uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint64_t desc) { wgmma64(d, a0, a1, a2, a3, desc); }
template <> __device__ __forceinline__ void wgmma<128>(float (&d)[64], uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint64_t desc) { wgmma128(d, a0, a1, a2, a3, desc); }
template <> __device__ __forceinline__ void wgmma<256>(float (&d)[128], uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint64_t desc) { wgmma256(d, a0, a1, a2, a3, desc); }

// Keeps the compiler from moving or reading accumulator registers across the asynchronous wgmma.
template <int R> __device__ __forceinline__ void fenceOperands(float (&d)[R]) {
#pragma unroll
    for (int i = 0; i < R; i++) asm volatile("" : "+f"(d[i])::"memory");
}

__device__ __forceinline__ void fenceOperands(uint32_t (&a)[4][4]) {
#pragma unroll
    for (int i = 0; i < 16; i++) asm volatile("" : "+r"(a[i / 4][i % 4])::"memory");
}

// One K block of a consumer warpgroup: wait for X, four k16 steps on the block's A registers `a`, and while
// the tensor cores work, retire the previous block (its stage goes back to the producer, its registers
// `next` are free) and make block kb + 1's A registers in `next`. After transposeTile, k step 2c + s of a
// 64-column block takes columns 16 (2c + s) + 2t, + 1 and + 8, + 9: X's own order.
template <int BN, class W, class Raw>
__device__ __forceinline__ void consumeBlock(float (&acc)[BN / 2], uint32_t (&a)[4][4], uint32_t (&next)[4][4], W& w, Raw& raw, int kb, int KB,
                                             uint8_t* buffer, uint32_t ring, uint32_t bars, int lane) {
    constexpr int S = Config<BN>::STAGES;
    int s = kb % S;
    barrierWait(bars + 8 * s, (kb / S) & 1);
    // The stage was written by cp.async (generic proxy); the tensor cores read it through the async proxy.
    asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
    uint32_t stage = ring + s * stageBytes<BN>();
    fenceOperands(acc);
    fenceOperands(a);
    wgmmaFence();
#pragma unroll
    for (int kk = 0; kk < 4; kk++) {
        int c = kk >> 1, p = 2 * (kk & 1);
        wgmma<BN>(acc, a[c][p], a[2 + c][p], a[c][p + 1], a[2 + c][p + 1], descriptor(stage + 32 * kk));
    }
    wgmmaCommit();
    fenceOperands(acc);
#ifndef WG_NO_A_FENCE
    fenceOperands(a);
#endif
#ifdef WG_WAIT0   // experiment: no wgmma group left in flight
    wgmmaWait<0>();
#else
    // The last block drains here, inside the loop: with wait_group 0 only after the loop, ptxas (13.0) moved
    // the epilogue's reads of the accumulators above it (seen in the SASS of the first H200 runs: wrong Y).
    if (kb + 1 < KB) wgmmaWait<1>();
    else wgmmaWait<0>();
#endif
    fenceOperands(next);
    if (kb > 0 && lane == 0) barrierArrive(bars + 8 * (S + (kb - 1) % S));
    if (kb + 1 < KB) w.prepare(raw, kb + 1, KB, buffer, lane, next);
}

template <int BN, class W>
__device__ __forceinline__ void consume(W w, uint8_t* smem, uint32_t ring, uint32_t bars, __nv_bfloat16* y, int M, int N, int K, int mBase, int nBase) {
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;   // warps 0..7, warpgroups 0 and 1
    int KB = K / 64;
    uint8_t* buffers = smem + patchOffset<BN>() + warp * 2048;
    float acc[BN / 2];
#pragma unroll
    for (int i = 0; i < BN / 2; i++) asm volatile("mov.b32 %0, 0;" : "=f"(acc[i]));   // no copies of one zero (C7514)
    uint32_t even[4][4], odd[4][4];
    auto raw = w.first(KB, lane, buffers, even);   // block 0 in `even`, block 1's tile in `raw`
    // KB is even: a loop exit after an odd block (or a separate last block) makes ptxas serialize every
    // wgmma (C7514), so the kernel takes K in multiples of 128.
    for (int kb = 0; kb < KB; kb += 2) {
        consumeBlock<BN>(acc, even, odd, w, raw, kb, KB, buffers + 1024, ring, bars, lane);
        consumeBlock<BN>(acc, odd, even, w, raw, kb + 1, KB, buffers, ring, bars, lane);
    }
    wgmmaWait<0>();
    fenceOperands(acc);
    // Every stage has been consumed (so the producer is done with the ring): the ring holds the BF16 tile.
    asm volatile("bar.sync 1, 256;" ::: "memory");
    int g = lane >> 2, t = lane & 3;
    uint8_t* tile = smem;
    int n0 = 16 * warp + g;   // W row in the CTA (warp 4..7 are warpgroup 1: rows 64..127)
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

// The producer warpgroup: X rows mBase .. mBase + BN - 1, columns of K block kb, into stage kb % STAGES, in
// wgmma's 128-byte-swizzled K-major layout, by 16-byte cp.async copies (no registers held, every stage in
// flight): one instruction of a warp copies 4 rows, lane i piece i % 8 of row i / 8. Rows past M are
// zero-filled. The stage's full barrier completes when every producer thread's copies have landed
// (cp.async.mbarrier.arrive.noinc: one arrival per thread).
template <int BN>
__device__ __forceinline__ void produce(const uint16_t* x, uint32_t ring, uint32_t bars, int M, int K, int mBase) {
    constexpr int S = Config<BN>::STAGES;
    int lane = threadIdx.x & 31, warp = (threadIdx.x >> 5) - 8;   // producer warps 0..3
    int piece = lane & 7, rowInGroup = lane >> 3;
    int KB = K / 64;
    for (int kb = 0; kb < KB; kb++) {
        int s = kb % S;
        if (kb >= S) barrierWait(bars + 8 * (S + s), ((kb / S) + 1) & 1);
        uint32_t stage = ring + s * stageBytes<BN>();
#pragma unroll 4
        for (int row = 4 * warp + rowInGroup; row < BN; row += 16) {
            int m = mBase + row;
            const uint16_t* from = x + (size_t)min(m, M - 1) * K + kb * 64 + 8 * piece;   // a real address even when zero-filled
            uint32_t to = stage + row * 128 + ((piece ^ (row & 7)) << 4);
            asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;" :: "r"(to), "l"(from), "r"(m < M ? 16 : 0) : "memory");
        }
#ifdef WG_SYNC_PRODUCER   // experiment: the producer waits for its copies and fences before arriving
        asm volatile("cp.async.wait_all;" ::: "memory");
        asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
        barrierArrive(bars + 8 * s);
#else
        asm volatile("cp.async.mbarrier.arrive.noinc.shared::cta.b64 [%0];" :: "r"(bars + 8 * s) : "memory");
#endif
    }
    asm volatile("cp.async.wait_all;" ::: "memory");
}

template <int BN, class W>
__device__ __forceinline__ void gemm(W w, const uint16_t* x, __nv_bfloat16* y, int M, int N, int K) {
    extern __shared__ uint8_t shared[];
    constexpr int S = Config<BN>::STAGES;
    // The 128-byte swizzle repeats every 1024 bytes and is computed from address bits: align the ring to 1024.
    uint8_t* smem = shared + ((1024 - (smemAddress(shared) & 1023)) & 1023);
    uint32_t ring = smemAddress(smem);
    uint32_t bars = ring + barrierOffset<BN>();   // full[S] then empty[S]
    int mBlocks = (M + BN - 1) / BN;
    int mBase = (blockIdx.x % mBlocks) * BN, nBase = (blockIdx.x / mBlocks) * W_ROWS;
    if (threadIdx.x == 0) {
        for (int s = 0; s < S; s++) {
            barrierInit(bars + 8 * s, 128);
            barrierInit(bars + 8 * (S + s), CONSUMER_WARPS);
        }
        asm volatile("fence.mbarrier_init.release.cluster;" ::: "memory");
    }
    __syncthreads();
    if (threadIdx.x >= 256) {
        asm volatile("setmaxnreg.dec.sync.aligned.u32 %0;" :: "n"(Config<BN>::PRODUCER_REGS));
        produce<BN>(x, ring, bars, M, K, mBase);
    } else {
        asm volatile("setmaxnreg.inc.sync.aligned.u32 %0;" :: "n"(Config<BN>::CONSUMER_REGS));
        int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
        size_t wRow = (size_t)nBase + 16 * warp;   // first W row of this warp's strip
        w.bind(wRow, K, lane);
        consume<BN>(w, smem, ring, bars, y, M, N, K, mBase, nBase);
    }
}

}  // namespace wgmma_gemm

using namespace wgmma_gemm;

#define WGMMA_ENTRIES(BN)                                                                                                     \
    extern "C" __global__ void __launch_bounds__(THREADS, 1) wgmmaPatch##BN(                                                  \
        const uint8_t* tiles, long long, const uint2* palettes, long long, const uint32_t* escapeStarts, long long,          \
        const uint8_t* escapes, long long, const uint16_t* positions, long long, const uint16_t* x, long long,               \
        __nv_bfloat16* y, long long, int M, int N, int K) {                                                                   \
        PaletteW w{tiles, palettes, escapeStarts, escapes, positions, 0, 0, 0};                                               \
        gemm<BN>(w, x, y, M, N, K);                                                                                           \
    }                                                                                                                         \
    extern "C" __global__ void __launch_bounds__(THREADS, 1) wgmmaBf16_##BN(                                                  \
        const uint16_t* weights, long long, const uint16_t* x, long long, __nv_bfloat16* y, long long, int M, int N, int K) { \
        Bf16W w{weights, weights};                                                                                            \
        gemm<BN>(w, x, y, M, N, K);                                                                                           \
    }

WGMMA_ENTRIES(64)
WGMMA_ENTRIES(128)
WGMMA_ENTRIES(256)
