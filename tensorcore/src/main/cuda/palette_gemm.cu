// Y[M x N] = X[M x K] . W^T with W [N x K] held in the palette layout (tensorcore/LAYOUT.md) by two kernels
// that differ only in how escaped exponents reach their lanes (paletteGemm*: ballots and ranks, variant 4;
// patchGemm*: a shared-memory patch by position, variant 5), the patching kernel's entries for the window coding
// (windowGemm*, windowBand16: 4-bit codes, tiles and X in the MMA fragment order, escapes patched in registers), and
// the same products reading W as plain row-major BF16 (bf16Gemm*, bf16Frag*), for the bit-exactness comparison. One warp decodes a 16 x 64
// tile straight into mma.sync.m16n8k16 A fragments (W rows are the MMA's M side, X rows its N side:
// "swap AB", so M = 1..8 wastes no tensor-core rows of W). A CTA of 8 warps owns one 16-row strip and
// one of `splits` slices of K; the warps' partial sums meet in shared memory in warp order, and with
// splits > 1 go to an FP32 workspace that the strip's last CTA adds in split order (finish): every sum
// has a fixed order, so the palette and BF16 kernels give bit-identical Y.
//
// Parameters follow the task-graph runtime's convention (tornado-tasks LaunchArguments): each array is
// its device address followed by its element count.
#include <cstdint>
#include <cuda_bf16.h>
#include "palette_tile.cuh"
#include "hopper.cuh"

// A named namespace: an anonymous one gets a hash of the source path in its symbols, and the checked-in PTX
// must not depend on where the repository is cloned.
namespace palette_gemm {

using namespace palette_tile;

constexpr int WARPS = 8;

struct PaletteTile {
    uint32_t w0, w1, w2;   // 32 codes of 3 bits
    uint4 s0, s1;          // 32 sign|mantissa bytes: rows g and g + 8
    uint2 palette;         // 8 exponent bytes
    uint32_t escape;       // index of the tile's first escaped exponent
    uint32_t window;       // escape-list bytes 4 lane .. 4 lane + 3 counted from escape & ~3
};

struct Bf16Tile {
    uint4 r[4];            // row g chunk 0, row g chunk 1, row g+8 chunk 0, row g+8 chunk 1
};

__device__ __forceinline__ void mma(float (&c)[4], uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t b0, uint32_t b1) {
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
                 : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                 : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
}

#ifndef FRAG_SHUFFLE_MIN_MT
#define FRAG_SHUFFLE_MIN_MT 2   // from this many 8-row chunks of X, fragment-order X is loaded in 16-byte pieces and transposed
#endif

// Whether fragment-order X (FRAG) comes as 16-byte pieces transposed across the quad (fragX) rather than 4-byte loads: 4-byte
// loads measured as fast at 8 rows, but 50-80% slower at 16 (four times the L1 wavefronts: NOTES.md session 10).
template <int MT, bool FRAG> __host__ __device__ constexpr bool shuffledX() { return FRAG && MT >= FRAG_SHUFFLE_MIN_MT; }

// The tile's B fragments: X rows mBase + 8 mt + g, 16 bytes of each 32-column half (rows past M read a real
// row; their columns are never stored), from kCol = 64 kt + 8 t; FRAG (the window coding's fragment order, LAYOUT.md):
// the column pair 2t of each 8-column group, four 4-byte pieces per half, from kCol = 64 kt + 2 t (or, shuffledX,
// the 16 bytes from 64 kt + 8 t, put in order by fragX).
// PINNED: as volatile loads, which the compiler keeps where they are written (ahead of a decode).
template <int MT, bool PINNED = false, bool FRAG = false>
__device__ __forceinline__ void loadX(uint4 (&b)[2][MT], const uint16_t* __restrict__ x, int mBase, int M, int K, int kCol, int g) {
#pragma unroll
    for (int c = 0; c < 2; c++) {
#pragma unroll
        for (int mt = 0; mt < MT; mt++) {
            int m = min(mBase + mt * 8 + g, M - 1);
            const uint16_t* at = x + (size_t)m * K + kCol + 32 * c + (shuffledX<MT, FRAG>() ? 6 * (threadIdx.x & 3) : 0);
            if (FRAG && !shuffledX<MT, FRAG>()) {
                const uint32_t* p = reinterpret_cast<const uint32_t*>(at);
                if (PINNED) {
                    asm volatile("ld.global.nc.u32 %0, [%1];" : "=r"(b[c][mt].x) : "l"(p));
                    asm volatile("ld.global.nc.u32 %0, [%1];" : "=r"(b[c][mt].y) : "l"(p + 4));
                    asm volatile("ld.global.nc.u32 %0, [%1];" : "=r"(b[c][mt].z) : "l"(p + 8));
                    asm volatile("ld.global.nc.u32 %0, [%1];" : "=r"(b[c][mt].w) : "l"(p + 12));
                } else {
                    b[c][mt] = make_uint4(__ldg(p), __ldg(p + 4), __ldg(p + 8), __ldg(p + 12));
                }
            } else if (PINNED) {
                asm volatile("ld.global.nc.v4.u32 {%0,%1,%2,%3}, [%4];" : "=r"(b[c][mt].x), "=r"(b[c][mt].y), "=r"(b[c][mt].z), "=r"(b[c][mt].w) : "l"(at));
            } else {
                b[c][mt] = __ldg(reinterpret_cast<const uint4*>(at));
            }
        }
    }
}

// Shuffled fragment-order X (shuffledX) into order: each 16-byte piece transposed across the quad.
template <int MT, bool FRAG>
__device__ __forceinline__ void fragX(uint4 (&b)[2][MT]) {
    if constexpr (shuffledX<MT, FRAG>()) {
#pragma unroll
        for (int c = 0; c < 2; c++) {
#pragma unroll
            for (int mt = 0; mt < MT; mt++) {
                uint32_t q[4] = {b[c][mt].x, b[c][mt].y, b[c][mt].z, b[c][mt].w};
                transposeQuad(q, threadIdx.x & 3);
                b[c][mt] = make_uint4(q[0], q[1], q[2], q[3]);
            }
        }
    }
}

template <int MT>
__device__ __forceinline__ void multiplyWith(float (&acc)[MT][4], const uint32_t (&a)[4][4], const uint4 (&b)[2][MT]) {
#pragma unroll
    for (int c = 0; c < 2; c++) {
#pragma unroll
        for (int mt = 0; mt < MT; mt++) {
            mma(acc[mt], a[c][0], a[2 + c][0], a[c][1], a[2 + c][1], b[c][mt].x, b[c][mt].y);
            mma(acc[mt], a[c][2], a[2 + c][2], a[c][3], a[2 + c][3], b[c][mt].z, b[c][mt].w);
        }
    }
}

// The tile's 16 A registers: a[G][p], G = 2 * (row half) + chunk, p = pair of k (8t + 2p, 8t + 2p + 1; FRAG:
// 8p + 2t, 8p + 2t + 1). Every kernel feeds them to the same products in the same order.
template <int MT, bool FRAG = false>
__device__ __forceinline__ void multiply(float (&acc)[MT][4], const uint32_t (&a)[4][4], const uint16_t* __restrict__ x,
                                         int mBase, int M, int K, int kCol, int g) {
    uint4 b[2][MT];
    loadX<MT, false, FRAG>(b, x, mBase, M, K, kCol, g);
    fragX<MT, FRAG>(b);
    multiplyWith<MT>(acc, a, b);
}

__device__ __forceinline__ PaletteTile loadPalette(const uint8_t* tiles, const uint2* palettes, const uint8_t* escapes, size_t tile, uint32_t escape, int lane) {
    const uint8_t* base = tiles + tile * TILE_BYTES;
    PaletteTile t;
    t.w0 = load4(base + 4 * lane);
    t.w1 = load4(base + 128 + 4 * lane);
    t.w2 = load4(base + 256 + 4 * lane);
    t.s0 = load16(base + PLANE_OFFSET + 16 * lane);
    t.s1 = load16(base + PLANE_OFFSET + 512 + 16 * lane);
    t.palette = __ldg(palettes + tile);
    t.escape = escape;
    t.window = load4(escapes + (escape & ~3u) + 4 * lane);   // the list is padded by 128 bytes
    return t;
}

// Exponents of escaped weights, for a lane with at most 4 escapes, whose bytes are in `first4`: each
// escaped weight's rank among the lane's escapes is a prefix count of the escape flags (one multiply),
// and one prmt per 4 weights takes, byte by byte, the palette exponent (selector i) or escape byte
// `rank` (selector 4 + rank). Branch-free: about 12 operations per 8 weights.
__device__ __forceinline__ void patchEscapes(uint32_t (&e)[4][2], const uint32_t (&flags)[4], uint32_t first4) {
    uint32_t base = 0x44444444u;   // 4 + escapes in earlier groups, in every nibble
#pragma unroll
    for (int G = 0; G < 4; G++) {
        uint32_t ones = flags[G] >> 3;                      // 1 in each nibble that escapes
        uint32_t inclusive = ones * 0x11111111u;            // nibble i: escapes among nibbles 0..i (at most 4)
        uint32_t select = inclusive - ones + base;          // 4 + rank, in the escaping nibbles
        uint32_t mask = ones * 0xFu;
        base += (inclusive >> 28) * 0x11111111u;
        e[G][0] = prmt(e[G][0], first4, (0x3210u & ~mask) | (select & mask));
        e[G][1] = prmt(e[G][1], first4, (0x3210u & ~(mask >> 16)) | ((select >> 16) & (mask >> 16)));
    }
}

// The warp's 16 x 64 tile as A fragments.
__device__ __forceinline__ void decodePalette(const PaletteTile& t, const uint8_t* __restrict__ escapes, int lane, uint32_t (&a)[4][4]) {
    uint32_t sel[4], e[4][2];
    selectors(t.w0, t.w1, t.w2, sel);
    uint32_t flags[4];
    int count = 0;
#pragma unroll
    for (int G = 0; G < 4; G++) {   // paletteExponents, with each group's escape flags beside its exponents
        e[G][0] = prmt(t.palette.x, t.palette.y, sel[G]);
        e[G][1] = prmt(t.palette.x, t.palette.y, sel[G] >> 16);
        flags[G] = (sel[G] + 0x11111111u) & 0x88888888u;   // bit 3 of each nibble that holds 7
        count += __popc(flags[G]);
    }
#ifdef TC_EXPERIMENT_NO_ESCAPES   // timing experiment only: escaped weights keep palette entry 7 (wrong values)
    count = 0;
#endif
    // This lane's escapes follow those of the lanes before it. With at most 4 escapes per lane (nearly
    // always) the prefix is three ballots; the tile's escapes come from the prefetched 128-byte window.
    uint32_t b0 = __ballot_sync(0xFFFFFFFFu, count & 1), b1 = __ballot_sync(0xFFFFFFFFu, count & 2), b2 = __ballot_sync(0xFFFFFFFFu, count & 4);
    bool crowded = __any_sync(0xFFFFFFFFu, count > 4);
    if ((b0 | b1 | b2) != 0 || crowded) {
        uint32_t before;
        asm("mov.u32 %0, %%lanemask_lt;" : "=r"(before));
        int prefix = __popc(b0 & before) + 2 * __popc(b1 & before) + 4 * __popc(b2 & before);
        int total = __popc(b0) + 2 * __popc(b1) + 4 * __popc(b2);
        int offset = t.escape & 3;
        if (!crowded && offset + total <= 128) {
            int first = offset + prefix, q = first >> 2;
            uint32_t w0 = __shfl_sync(0xFFFFFFFFu, t.window, q & 31);
            uint32_t w1 = __shfl_sync(0xFFFFFFFFu, t.window, (q + 1) & 31);
            patchEscapes(e, flags, __funnelshift_r(w0, w1, 8 * (first & 3)));
        } else {
            // Rare: over 4 escapes in a lane or over 124 in the tile. Exact prefix, then one byte at a time.
            int inclusive = count;
#pragma unroll
            for (int d = 1; d < 32; d <<= 1) {
                int v = __shfl_up_sync(0xFFFFFFFFu, inclusive, d);
                if (lane >= d) inclusive += v;
            }
            const uint8_t* next = escapes + t.escape + (inclusive - count);
#pragma unroll
            for (int G = 0; G < 4; G++) {
                uint32_t mask = flags[G];
                while (mask) {
                    int nibble = (__ffs(mask) - 1) >> 2;
                    mask &= mask - 1;
                    uint32_t value = *next++;
                    int shift = 8 * (nibble & 3);
                    uint32_t keep = ~(0xFFu << shift);
                    if (nibble < 4) e[G][0] = (e[G][0] & keep) | (value << shift);
                    else e[G][1] = (e[G][1] & keep) | (value << shift);
                }
            }
        }
    }
    joinTile(t.s0, t.s1, e, a);
}

// The CTA's (strip, split, M chunk), its K tiles for this warp, and the shared-memory sum at the end.
struct Work {
    int band, strip, split, chunk, mBase, kBegin, kEnd;
};

// `rows`: the M chunk of a CTA, 8 MT; W: warps per CTA. A CTA multiplies a band of SPC strips, each by PARTS = W / SPC warps
// that take a part of the split's K tiles each (SPC = 8, the band kernels: the 8 warps walk the same K tiles, so
// each X fragment is read by 8 warps in a row and mostly hits L1); a warp past the last strip gets no tiles.
template <int SPC, int W = WARPS, bool CLUSTER = false>
__device__ __forceinline__ Work work(int N, int K, int M, int splits, int rows) {
    constexpr int PARTS = W / SPC;
    int strips = N / 16, bands = (strips + SPC - 1) / SPC, kTiles = K / 64;
    int b = blockIdx.x;
    Work w;
    if (CLUSTER) {   // a cluster is the splits of one band and chunk: the split is the CTA's rank in it
        w.split = b % splits;
        b /= splits;
        w.band = b % bands;
        w.chunk = b / bands;
    } else {
        w.band = b % bands;
        b /= bands;
        w.split = b % splits;
        w.chunk = b / splits;
    }
    w.mBase = w.chunk * rows;
    int warp = threadIdx.x >> 5;
    w.strip = w.band * SPC + warp / PARTS;
    int perSplit = (kTiles + splits - 1) / splits;
    int splitBegin = min(kTiles, w.split * perSplit), splitEnd = min(kTiles, splitBegin + perSplit);
    int perWarp = (splitEnd - splitBegin + PARTS - 1) / PARTS;
    w.kBegin = min(splitEnd, splitBegin + (warp % PARTS) * perWarp);
    w.kEnd = w.strip < strips ? min(splitEnd, w.kBegin + perWarp) : w.kBegin;
    return w;
}

// The cluster entries' finish (PUSH): the split CTAs store their sums into rank 0's inbox by st.async, counted in bytes on its
// barrier, and leave; rank 0 waits for the bytes alone. No cluster barrier at the end, and no round trip of remote loads: the pull
// finish (rank 0 reads the others' sums after a cluster barrier, and a second one keeps them resident until it has) took 1.3 us
// from a cluster's last warp to its end at 4 splits and 8 rows, and the push 3-12% off the 8-row kernels (NOTES.md session 16).
// At 16 rows with 8 splits the inbox (7 KB) would not fit beside the X slots: that entry pulls.
#ifndef PATCH_PUSH
#define PATCH_PUSH 1   // 0: every cluster entry pulls (the harness's A/B build)
#endif
template <int MT, int SPC, bool CLUSTER, int CS> __host__ __device__ constexpr bool pushes() {
    return PATCH_PUSH && CLUSTER && SPC == 1 && (MT == 1 || (MT == 2 && CS <= 4));
}

// Rank 0's inbox: a slot of the strip's MT x 8 x 16 sums per other split.
template <int MT, int CS>
struct Inbox {
    float sums[CS - 1][MT * 8 * 16];
    uint64_t full;   // completes when every other split's sums have landed
};

template <int MT, int CS>
__device__ __forceinline__ Inbox<MT, CS>& pushInbox() {
    __shared__ __align__(16) Inbox<MT, CS> inbox;   // one per CTA (static shared storage), in the kernels that push only
    return inbox;
}

// At the CTA's start: rank 0's barrier expects the others' bytes, and every CTA arrives on the cluster barrier that the finish
// waits on before it stores into rank 0's inbox (so the barrier is initialised by then).
template <int MT, int CS>
__device__ __forceinline__ void startPush(int split) {
    if (threadIdx.x == 0 && split == 0) {
        uint32_t full = hopper::smemAddress(&pushInbox<MT, CS>().full);
        hopper::barrierInit(full, 1);
        asm volatile("fence.mbarrier_init.release.cluster;" ::: "memory");
        hopper::arriveExpecting(full, (CS - 1) * MT * 8 * 16 * 4);
    }
    asm volatile("barrier.cluster.arrive.relaxed.aligned;" ::: "memory");
}

// The warps' partial sums meet in shared memory and are added in warp order.
// Split K: each CTA stores its sums in the FP32 workspace, and the last CTA of a band and M chunk to arrive
// (a counter after the workspace's sums, back to 0 once it is done) adds the splits' sums in split order and
// rounds them to BF16. One launch, and every sum in a fixed order, so the palette and BF16 kernels give
// bit-identical Y.
template <int MT, int SPC = 1, int W = WARPS, bool CLUSTER = false, int CS = 1>
__device__ __forceinline__ void finish(float (&acc)[MT][4], const Work& w, int M, int N, int splits, __nv_bfloat16* __restrict__ y, float* __restrict__ partial) {
    constexpr bool PUSH = pushes<MT, SPC, CLUSTER, CS>();
    __shared__ float sums[W][MT * 8][16];
    __shared__ float reduced[CLUSTER && !PUSH ? SPC * MT * 8 * 16 : 1];   // CLUSTER: this CTA's sums, which rank 0 reads
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, g = lane >> 2, t = lane & 3;
#pragma unroll
    for (int mt = 0; mt < MT; mt++) {
        sums[warp][mt * 8 + 2 * t][g] = acc[mt][0];
        sums[warp][mt * 8 + 2 * t + 1][g] = acc[mt][1];
        sums[warp][mt * 8 + 2 * t][g + 8] = acc[mt][2];
        sums[warp][mt * 8 + 2 * t + 1][g + 8] = acc[mt][3];
    }
    __syncthreads();
    int strips = N / 16;
    if constexpr (PUSH) {
        constexpr int VALUES = MT * 8 * 16;
        static_assert(VALUES <= W * 32, "one value per thread");
        Inbox<MT, CS>& inbox = pushInbox<MT, CS>();
        int i = threadIdx.x;
        float s = 0;
        if (i < VALUES) {
            s = sums[0][i >> 4][i & 15];
#pragma unroll
            for (int k = 1; k < W; k++) s += sums[k][i >> 4][i & 15];
        }
        asm volatile("barrier.cluster.wait.aligned;" ::: "memory");   // rank 0's barrier is ready (startPush)
        uint32_t full = hopper::smemAddress(&inbox.full);
        if (w.split != 0) {
            if (i < VALUES) {
                uint32_t at = hopper::peerAddress(hopper::smemAddress(&inbox.sums[w.split - 1][i]), 0), bar = hopper::peerAddress(full, 0);
                asm volatile("st.async.shared::cluster.mbarrier::complete_tx::bytes.f32 [%0], %1, [%2];" :: "r"(at), "f"(s), "r"(bar) : "memory");
            }
            return;
        }
        if (i >= VALUES) return;
        hopper::barrierWait(full, 0);
#pragma unroll
        for (int k = 1; k < CS; k++) s += inbox.sums[k - 1][i];   // split order, as the pull finish and the workspace path
        int row = w.mBase + (i >> 4);
        if (row < M && w.band < strips) y[(size_t)row * N + (size_t)w.band * 16 + (i & 15)] = __float2bfloat16_rn(s);
        return;
    }
    constexpr int PARTS = W / SPC;
    for (int i = threadIdx.x; i < SPC * MT * 8 * 16; i += blockDim.x) {
        int part = i / (MT * 8 * 16), m = (i >> 4) % (MT * 8), r = i & 15;
        float s = sums[part * PARTS][m][r];
#pragma unroll
        for (int k = 1; k < PARTS; k++) s += sums[part * PARTS + k][m][r];
        int row = w.mBase + m, strip = w.band * SPC + part;
        if (CLUSTER && !PUSH) {
            reduced[i] = s;
        } else if (row < M && strip < strips) {
            size_t n = (size_t)strip * 16 + r;
            if (splits == 1) y[(size_t)row * N + n] = __float2bfloat16_rn(s);
            else partial[((size_t)w.split * M + row) * N + n] = s;
        }
    }
    if constexpr (CLUSTER && !PUSH) {
        // The splits of this band and chunk are the cluster's CTAs: rank 0 adds the others' sums, read from their shared memory,
        // in split order (the order of the workspace path, so Y is the same bit for bit), and no CTA leaves before it has.
        hopper::clusterSync();
        if (w.split == 0) {
            uint32_t mine = hopper::smemAddress(reduced);
            for (int i = threadIdx.x; i < SPC * MT * 8 * 16; i += blockDim.x) {
                float v = reduced[i];
                for (int k = 1; k < splits; k++) {
                    float u;
                    asm volatile("ld.shared::cluster.f32 %0, [%1];" : "=f"(u) : "r"(hopper::peerAddress(mine + 4 * i, k)) : "memory");
                    v += u;
                }
                int row = w.mBase + (i >> 4) % (MT * 8), strip = w.band * SPC + i / (MT * 8 * 16);
                if (row < M && strip < strips) y[(size_t)row * N + (size_t)strip * 16 + (i & 15)] = __float2bfloat16_rn(v);
            }
        }
        hopper::clusterSync();
        return;
    }
    if (splits == 1) return;
    __shared__ bool last;
    __threadfence();   // this CTA's sums are visible to the GPU before it counts itself in
    __syncthreads();
    if (threadIdx.x == 0) {
        unsigned* counter = reinterpret_cast<unsigned*>(partial + (size_t)splits * M * N) + (size_t)w.chunk * strips + w.band;
        last = atomicAdd(counter, 1u) == (unsigned)splits - 1;
        if (last) *counter = 0;   // every other CTA of this band and chunk has counted itself: ready for the next launch
    }
    __syncthreads();
    if (!last) return;
    __threadfence();
    size_t total = (size_t)M * N;
    for (int i = threadIdx.x; i < SPC * MT * 8 * 16; i += blockDim.x) {
        int row = w.mBase + (i >> 4) % (MT * 8), strip = w.band * SPC + i / (MT * 8 * 16);
        if (row < M && strip < strips) {
            size_t at = (size_t)row * N + (size_t)strip * 16 + (i & 15);
            float s = __ldcg(partial + at);
            for (int k = 1; k < splits; k++) s += __ldcg(partial + k * total + at);
            y[at] = __float2bfloat16_rn(s);
        }
    }
}

template <int MT>
__device__ __forceinline__ void paletteStep(float (&acc)[MT][4], const PaletteTile& tile, const uint8_t* escapes, const uint16_t* x,
                                            const Work& w, int M, int K, int kt, int lane) {
    uint32_t a[4][4];
    decodePalette(tile, escapes, lane, a);
    multiply<MT>(acc, a, x, w.mBase, M, K, kt * 64 + 8 * (lane & 3), lane >> 2);
}

template <int MT>
__device__ void paletteGemm(const uint8_t* tiles, const uint2* palettes, const uint32_t* escapeStarts, const uint8_t* escapes,
                            const uint16_t* x, __nv_bfloat16* y, float* partial, int M, int N, int K, int splits) {
    Work w = work<1>(N, K, M, splits, MT * 8);
    if (w.mBase >= M) return;   // a grid larger than the work (CTA-uniform)
    int lane = threadIdx.x & 31;
    float acc[MT][4] = {};
    size_t tileRow = (size_t)w.strip * (K / 64);
    if (w.kBegin < w.kEnd) {
        // Escape starts of 32 tiles at a time, one per lane, so a tile's escape window loads with the tile.
        uint32_t starts = w.kBegin + lane < w.kEnd ? __ldg(escapeStarts + tileRow + w.kBegin + lane) : 0;
        auto load = [&](int kt) {
            int ahead = kt - w.kBegin;
            if (ahead != 0 && (ahead & 31) == 0) starts = kt + lane < w.kEnd ? __ldg(escapeStarts + tileRow + kt + lane) : 0;
            return loadPalette(tiles, palettes, escapes, tileRow + kt, __shfl_sync(0xFFFFFFFFu, starts, ahead & 31), lane);
        };
        // Two tiles in flight, in two sets of registers used in turn (no copies between them).
        PaletteTile even = load(w.kBegin), odd;
        for (int kt = w.kBegin; kt < w.kEnd; kt += 2) {
            if (kt + 1 < w.kEnd) odd = load(kt + 1);
            paletteStep<MT>(acc, even, escapes, x, w, M, K, kt, lane);
            if (kt + 1 >= w.kEnd) break;
            if (kt + 2 < w.kEnd) even = load(kt + 2);
            paletteStep<MT>(acc, odd, escapes, x, w, M, K, kt + 1, lane);
        }
    }
    finish<MT>(acc, w, M, N, splits, y, partial);
}

// ---- Variant 5: escapes patched through shared memory (LAYOUT.md, "Escape positions") ----
// The same tile, palette and escape list, plus each escape's position in the tile (its plane index,
// 16 (32 q + lane) + j % 16). The warp writes the palette exponents of its tile to shared memory in that
// order, every lane stores up to two of the tile's escapes at their positions (escape `lane` and
// `lane + 32`, loaded with the tile), and each lane reads its 32 exponents back: about 20 instructions
// per tile and lane whatever the escapes, and no per-lane prefix, ballot or rank.

#ifndef PATCH_SLOTS
#define PATCH_SLOTS 1   // escapes per lane loaded with the tile; the rest in a loop (2 measured slower: NOTES.md)
#endif

struct PatchTile {
    uint32_t w0, w1, w2;   // 32 codes of 3 bits (window coding: of 4 bits, with w3)
    uint32_t w3;
    uint4 s0, s1;          // 32 sign|mantissa bytes
    uint2 palette;         // 8 exponent bytes
    uint32_t start, count; // the tile's escapes: list index of the first, and how many
    uint32_t at0, at1;     // positions of escapes start + lane and start + 32 + lane (when they exist)
    uint32_t e0, e1;       // and their exponents
};

// WINDOW: the window coding (LAYOUT.md), whose palette entry is only its base byte.
template <bool WINDOW>
__device__ __forceinline__ PatchTile loadPatch(const uint8_t* tiles, const uint2* palettes, const uint16_t* positions, const uint8_t* escapes,
                                               size_t tile, uint32_t start, uint32_t end, int lane) {
    PatchTile t;
    if (WINDOW) {
        const uint8_t* base = tiles + tile * WINDOW_TILE_BYTES;
        uint4 c = load16(base + 16 * lane);
        t.w0 = c.x; t.w1 = c.y; t.w2 = c.z; t.w3 = c.w;
        t.s0 = load16(base + WINDOW_PLANE_OFFSET + 16 * lane);
        t.s1 = load16(base + WINDOW_PLANE_OFFSET + 512 + 16 * lane);
        t.palette.x = load4(palettes + tile);
        t.palette.y = 0;
    } else {
        const uint8_t* base = tiles + tile * TILE_BYTES;
        t.w0 = load4(base + 4 * lane);
        t.w1 = load4(base + 128 + 4 * lane);
        t.w2 = load4(base + 256 + 4 * lane);
        t.w3 = 0;
        t.s0 = load16(base + PLANE_OFFSET + 16 * lane);
        t.s1 = load16(base + PLANE_OFFSET + 512 + 16 * lane);
        t.palette = __ldg(palettes + tile);
    }
    t.start = start;
    t.count = end - start;
    t.at0 = t.at1 = t.e0 = t.e1 = 0;
    if (lane < t.count) { t.at0 = load2(positions + start + lane); t.e0 = load1(escapes + start + lane); }
#if PATCH_SLOTS > 1
    if (lane + 32 < t.count) { t.at1 = load2(positions + start + 32 + lane); t.e1 = load1(escapes + start + 32 + lane); }
#endif
    return t;
}

// The tile's escapes stored over their weights' exponents through the warp's buffer.
__device__ __forceinline__ void patchEscapes(const PatchTile& t, const uint16_t* __restrict__ positions, const uint8_t* __restrict__ escapes,
                                             uint8_t* buffer, int lane, uint32_t (&e)[4][2]) {
    storeExponents(buffer, lane, e);
    __syncwarp();
    if (lane < t.count) buffer[t.at0 & 1023] = (uint8_t)t.e0;
#if PATCH_SLOTS > 1
    if (lane + 32 < t.count) buffer[t.at1 & 1023] = (uint8_t)t.e1;
#endif
    for (uint32_t i = 32 * PATCH_SLOTS + lane; i < t.count; i += 32) buffer[positions[t.start + i] & 1023] = escapes[t.start + i];   // rare: over 64 escapes
    __syncwarp();
    readExponents(buffer, lane, e);
}

// Window coding: the tile's few escapes stored straight into the owning lane's exponent registers, one warp-wide step per
// escape (escape i's position and exponent from lane i, or past 32 from memory): no shared-memory round trip, so the kernels
// keep no exponent buffers. Position p is plane index 16 (32 (j / 16) + lane) + j % 16, and weight j's exponent is byte
// j % 4 of e[j / 8][(j / 4) % 2].
__device__ __forceinline__ void patchRegisters(const PatchTile& t, const uint16_t* __restrict__ positions, const uint8_t* __restrict__ escapes,
                                               int lane, uint32_t (&e)[4][2]) {
    for (uint32_t i = 0; i < t.count; i++) {
        uint32_t at = __shfl_sync(0xFFFFFFFFu, t.at0, i & 31), exponent = __shfl_sync(0xFFFFFFFFu, t.e0, i & 31);
        if (i >= 32) { at = positions[t.start + i]; exponent = escapes[t.start + i]; }   // rare: over 32 escapes
        at &= 1023;
        uint32_t j = ((at >> 9) << 4) | (at & 15), shift = 8 * (j & 3);
        // Branch-free, so that e stays in registers: only the owner's register j / 4 takes the byte.
        uint32_t mask = lane == (int)((at >> 4) & 31) ? 0xFFu << shift : 0u, value = exponent << shift;
#pragma unroll
        for (int r = 0; r < 8; r++) {
            uint32_t m = (j >> 2) == (uint32_t)r ? mask : 0u;
            e[r >> 1][r & 1] = (e[r >> 1][r & 1] & ~m) | (value & m);
        }
    }
}

template <bool WINDOW>
__device__ __forceinline__ void decodePatch(const PatchTile& t, const uint16_t* __restrict__ positions, const uint8_t* __restrict__ escapes,
                                            uint8_t* buffer, int lane, uint32_t (&a)[4][4]) {
    uint32_t e[4][2];
    if (WINDOW) {
        windowExponents(make_uint4(t.w0, t.w1, t.w2, t.w3), t.palette.x, e);
        patchRegisters(t, positions, escapes, lane, e);   // few tiles have any (t.count is the warp's)
    } else {
        uint32_t sel[4];
        selectors(t.w0, t.w1, t.w2, sel);
        paletteExponents(sel, t.palette, e);
#ifndef TC_EXPERIMENT_NO_ESCAPES   // timing experiment only: escaped weights keep palette entry 7 (wrong values)
        patchEscapes(t, positions, escapes, buffer, lane, e);
#endif
    }
    joinTile(t.s0, t.s1, e, a);
}

// Fragment-order X for 16 rows through shared memory: a warp's 2 KB slot holds X rows mBase .. mBase + 15 (past M: row
// M - 1) of one K tile, row r's 16-byte chunk j at chunk j ^ (r & 7) (ldmatrix's eight rows then hit distinct banks).
// stageX copies the next tile's X by cp.async (4 pieces per lane, one group); ldmatrixX gives b[c][mt] in fragment order,
// one ldmatrix.x4 per 8 rows and 32 columns (the 16-byte loads and quad transposes of shuffledX measured 5-23% slower
// than the palette coding's 16-byte loads at M = 16: NOTES.md session 10).
__device__ __forceinline__ uint32_t xChunk(uint32_t slot, int r, int j) { return slot + r * 128 + ((j ^ (r & 7)) << 4); }

// Piece `piece` (0..127: row piece / 8, 16-byte chunk piece % 8) of tile kt's X into the slot. A row past M is zero-filled
// (source size 0, nothing read; its products are never stored).
__device__ __forceinline__ void copyPiece(uint32_t slot, const uint16_t* x, int mBase, int M, int K, int kt, int piece) {
    int r = piece >> 3, j = piece & 7, row = mBase + r;
    const uint16_t* from = x + (size_t)min(row, M - 1) * K + kt * 64 + 8 * j;
#ifdef TC_X_CLAMP   // experiment: rows past M copied from row M - 1, as before session 12
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16;" :: "r"(xChunk(slot, r, j)), "l"(from) : "memory");
#else
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;" :: "r"(xChunk(slot, r, j)), "l"(from), "r"(row < M ? 16 : 0) : "memory");
#endif
}

// The slot's 128 pieces from thread `first` on, `step` apart (the band kernel's CTA: all its threads; a warp: stageWarpX).
__device__ __forceinline__ void stageX(uint32_t slot, const uint16_t* x, int mBase, int M, int K, int kt, int first, int step) {
    for (int piece = first; piece < 128; piece += step) copyPiece(slot, x, mBase, M, K, kt, piece);
    asm volatile("cp.async.commit_group;" ::: "memory");
}

// A warp's own slot: four pieces per lane (a fixed count, so the loop unrolls).
__device__ __forceinline__ void stageWarpX(uint32_t slot, const uint16_t* x, int mBase, int M, int K, int kt, int lane) {
#pragma unroll
    for (int i = 0; i < 4; i++) copyPiece(slot, x, mBase, M, K, kt, lane + 32 * i);
    asm volatile("cp.async.commit_group;" ::: "memory");
}

__device__ __forceinline__ void ldmatrixX(uint4 (&b)[2][2], uint32_t slot, int lane) {
#pragma unroll
    for (int c = 0; c < 2; c++) {
#pragma unroll
        for (int mt = 0; mt < 2; mt++) {
            // Lanes 8i .. 8i + 7 address the rows of matrix i: X rows 8 mt .. 8 mt + 7, columns 32 c + 8 i .. + 7.
            uint32_t at = xChunk(slot, 8 * mt + (lane & 7), 4 * c + (lane >> 3));
            asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];"
                         : "=r"(b[c][mt].x), "=r"(b[c][mt].y), "=r"(b[c][mt].z), "=r"(b[c][mt].w) : "r"(at) : "memory");
        }
    }
}

#ifdef TC_TIMELINE   // harness-only (./h ramp): %globaltimer per CTA at its start (slot 0, thread 0; its SM in slot 2), at each warp's loop end
__device__ unsigned long long* tcTimeline;   // (slot 3 + warp, lane 0) and at its end (slot 1, thread 0): 12 slots per CTA
__device__ __forceinline__ void timelineMark(int i) {
    unsigned long long t;
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t) :: "memory");
    unsigned long long* at = tcTimeline + 12 * (size_t)blockIdx.x;
    if (i == 1) {
        if ((threadIdx.x & 31) == 0) at[3 + (threadIdx.x >> 5)] = t;
    } else if (threadIdx.x == 0) {
        at[i == 0 ? 0 : 1] = t;
        if (i == 0) { unsigned sm; asm volatile("mov.u32 %0, %%smid;" : "=r"(sm)); at[2] = sm; }
    }
}
#define TIMELINE_MARK(i) timelineMark(i)
#else
#define TIMELINE_MARK(i)
#endif

// AHEAD (the window coding at 16 rows, X staged through shared memory): each warp issues its next tile's loads right after this
// tile's decode, so they are in flight during its X wait and products; same products in the same order. Measured up to 9% faster
// at M = 16, the band kernel too (36 of 40 harness cases; at 8 rows, where X loads with the tile, 2-5% slower): NOTES.md session 12.
template <int MT, bool TWO, int SPC = 1, bool WINDOW = false, bool AHEAD = false, int W = WARPS, bool CLUSTER = false, int CS = 1>
__device__ void patchGemm(const uint8_t* tiles, const uint2* palettes, const uint32_t* escapeStarts, const uint8_t* escapes, const uint16_t* positions,
                          const uint16_t* x, __nv_bfloat16* y, float* partial, int M, int N, int K, int splits) {
    // Two 1 KB exponent buffers per warp, used by alternate tiles: a lane's store for tile i + 2 comes after
    // the warp's first __syncwarp of tile i + 1, which every lane reaches only after reading back tile i. The window
    // coding patches in registers: none.
    __shared__ __align__(16) uint8_t buffers[WINDOW ? 1 : W][2][WINDOW ? 16 : 1024];
    // The window coding at 16 rows of X: X through shared memory (stageX), two 2 KB slots per warp (the band kernel: a ring
    // of four per CTA).
    constexpr bool STAGED = WINDOW && MT == 2 && !TWO;
    __shared__ __align__(128) uint8_t xSlots[!STAGED ? 1 : SPC == WARPS ? 4 : 2 * W][STAGED ? 2048 : 16];
    TIMELINE_MARK(0);
    Work w = work<SPC, W, CLUSTER>(N, K, M, splits, MT * 8);
    if (w.mBase >= M) return;   // a grid larger than the work (CTA-uniform; in a cluster, cluster-uniform)
    if constexpr (pushes<MT, SPC, CLUSTER, CS>()) startPush<MT, CS>(w.split);
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    float acc[MT][4] = {};
    size_t tileRow = (size_t)w.strip * (K / 64);
    if (w.kBegin < w.kEnd) {
        // Escape starts and ends of 32 tiles at a time, one per lane.
        uint32_t starts = 0, ends = 0;
        auto load = [&](int kt) {
            int ahead = kt - w.kBegin;
            if ((ahead & 31) == 0 && kt + lane < w.kEnd) {
                starts = __ldg(escapeStarts + tileRow + kt + lane);
                ends = __ldg(escapeStarts + tileRow + kt + lane + 1);
            }
            return loadPatch<WINDOW>(tiles, palettes, positions, escapes, tileRow + kt, __shfl_sync(0xFFFFFFFFu, starts, ahead & 31),
                             __shfl_sync(0xFFFFFFFFu, ends, ahead & 31), lane);
        };
        auto step = [&](const PatchTile& t, int kt, int parity) {
            uint32_t a[4][4];
            decodePatch<WINDOW>(t, positions, escapes, buffers[WINDOW ? 0 : warp][parity], lane, a);
            multiply<MT, WINDOW>(acc, a, x, w.mBase, M, K, kt * 64 + (WINDOW ? 2 : 8) * (lane & 3), lane >> 2);
        };
        // The staged paths' decode of tile kt into a: with AHEAD, t holds that tile already and takes the next one's loads
        // as soon as it is decoded.
        auto decodeStaged = [&](PatchTile& t, int kt, uint32_t (&a)[4][4]) {
            if (!AHEAD) t = load(kt);
            decodePatch<WINDOW>(t, positions, escapes, buffers[0][0], lane, a);
            if (AHEAD && kt + 1 < w.kEnd) t = load(kt + 1);
        };
        if (TWO) {
            // Two tiles in flight, in two sets of registers used in turn.
            PatchTile even = load(w.kBegin), odd;
            for (int kt = w.kBegin; kt < w.kEnd; kt += 2) {
                if (kt + 1 < w.kEnd) odd = load(kt + 1);
                step(even, kt, 0);
                if (kt + 1 >= w.kEnd) break;
                if (kt + 2 < w.kEnd) even = load(kt + 2);
                step(odd, kt + 1, 1);
            }
        } else if constexpr (STAGED && SPC == WARPS) {
            // The band kernel: its warps walk the same K tiles, so the CTA shares a ring of four slots, each tile's X copied
            // by all its threads two tiles ahead. A barrier per tile: X(kt) has landed for everyone, and every warp is past
            // tile kt - 1, so the slot the next copy writes (last read at tile kt - 2) is free. Warps past the last strip take
            // no part.
            int active = min(WARPS, N / 16 - w.band * WARPS) * 32;
            uint32_t ring = static_cast<uint32_t>(__cvta_generic_to_shared(xSlots[0]));
            stageX(ring, x, w.mBase, M, K, w.kBegin, threadIdx.x, active);
            if (w.kBegin + 1 < w.kEnd) stageX(ring + 2048, x, w.mBase, M, K, w.kBegin + 1, threadIdx.x, active);
            else asm volatile("cp.async.commit_group;" ::: "memory");
            PatchTile t;
            if (AHEAD && w.kBegin < w.kEnd) t = load(w.kBegin);
            for (int kt = w.kBegin; kt < w.kEnd; kt++) {
                int i = kt - w.kBegin;
                if (kt + 2 < w.kEnd) stageX(ring + ((i + 2) & 3) * 2048, x, w.mBase, M, K, kt + 2, threadIdx.x, active);
                else asm volatile("cp.async.commit_group;" ::: "memory");   // an empty group: the wait below stays the same
                uint32_t a[4][4];
                decodeStaged(t, kt, a);
                asm volatile("cp.async.wait_group 2;" ::: "memory");
                asm volatile("bar.sync 1, %0;" :: "r"(active) : "memory");
                uint4 b[2][2];
                ldmatrixX(b, ring + (i & 3) * 2048, lane);
                multiplyWith<2>(reinterpret_cast<float (&)[2][4]>(acc), a, b);
            }
        } else if constexpr (STAGED) {
            // Two slots: the next tile's X is copied while this tile loads, decodes and multiplies.
            uint32_t slots = static_cast<uint32_t>(__cvta_generic_to_shared(xSlots[2 * warp]));
            stageWarpX(slots, x, w.mBase, M, K, w.kBegin, lane);
            PatchTile t;
            if (AHEAD) t = load(w.kBegin);
            for (int kt = w.kBegin; kt < w.kEnd; kt++) {
                int parity = (kt - w.kBegin) & 1;
                if (kt + 1 < w.kEnd) stageWarpX(slots + (parity ^ 1) * 2048, x, w.mBase, M, K, kt + 1, lane);
                else asm volatile("cp.async.commit_group;" ::: "memory");   // an empty group: the wait below stays the same
                uint32_t a[4][4];
                decodeStaged(t, kt, a);
                asm volatile("cp.async.wait_group 1;" ::: "memory");
                __syncwarp();   // every lane's pieces of this tile's X have landed
                uint4 b[2][2];
                ldmatrixX(b, slots + parity * 2048, lane);
                __syncwarp();   // every lane has read the slot before the copy issued next writes it
                multiplyWith<2>(reinterpret_cast<float (&)[2][4]>(acc), a, b);
            }
        } else {
            // One tile in registers: 54 registers at 8 rows of X, 64 at 16, no spills, 4 CTAs per SM (NOTES.md variant 8).
            for (int kt = w.kBegin; kt < w.kEnd; kt++) {
                PatchTile t = load(kt);
                if (MT == 1 || MT == 8) {
                    // X's fragments load with the tile, so their L2 latency passes under the tile's (ncu: the products
                    // waited on them for 8% of the stall samples at M = 1; 1-6% faster at 8 and 64 rows, slower at
                    // 16: NOTES.md variant 12).
                    uint4 b[2][MT];
                    loadX<MT, true, WINDOW>(b, x, w.mBase, M, K, kt * 64 + (WINDOW ? 2 : 8) * (lane & 3), lane >> 2);
                    uint32_t a[4][4];
                    decodePatch<WINDOW>(t, positions, escapes, buffers[WINDOW ? 0 : warp][(kt - w.kBegin) & 1], lane, a);
                    fragX<MT, WINDOW>(b);
                    multiplyWith<MT>(acc, a, b);
                } else {
                    step(t, kt, (kt - w.kBegin) & 1);
                }
            }
        }
    }
    TIMELINE_MARK(1);
    finish<MT, SPC, W, CLUSTER, CS>(acc, w, M, N, splits, y, partial);
    TIMELINE_MARK(2);
}

// FRAG: the window kernels' twin, feeding W and X to the products in their fragment order.
template <int MT, int SPC = 1, bool FRAG = false, int W = WARPS>
__device__ void bf16Gemm(const uint16_t* weights, const uint16_t* x, __nv_bfloat16* y, float* partial, int M, int N, int K, int splits) {
    Work w = work<SPC, W>(N, K, M, splits, MT * 8);
    if (w.mBase >= M) return;   // a grid larger than the work (CTA-uniform)
    int lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
    float acc[MT][4] = {};
    const uint16_t* row0 = weights + ((size_t)w.strip * 16 + g) * K + 8 * t;
    const uint16_t* row8 = row0 + (size_t)8 * K;
    if (w.kBegin < w.kEnd) {
        Bf16Tile next;
        int k = w.kBegin * 64;
        next.r[0] = load16(row0 + k); next.r[1] = load16(row0 + k + 32); next.r[2] = load16(row8 + k); next.r[3] = load16(row8 + k + 32);
        for (int kt = w.kBegin; kt < w.kEnd; kt++) {
            Bf16Tile cur = next;
            if (kt + 1 < w.kEnd) {
                k = (kt + 1) * 64;
                next.r[0] = load16(row0 + k); next.r[1] = load16(row0 + k + 32); next.r[2] = load16(row8 + k); next.r[3] = load16(row8 + k + 32);
            }
            uint32_t a[4][4];
#pragma unroll
            for (int G = 0; G < 4; G++) { a[G][0] = cur.r[G].x; a[G][1] = cur.r[G].y; a[G][2] = cur.r[G].z; a[G][3] = cur.r[G].w; }
            if (FRAG) transposeTile(a, lane);   // W's 16-byte pieces into fragment order (4-byte loads of W measured 2x slower)
            multiply<MT, FRAG>(acc, a, x, w.mBase, M, K, kt * 64 + (FRAG ? 2 : 8) * t, g);
        }
    }
    finish<MT, SPC, W>(acc, w, M, N, splits, y, partial);
}

}  // namespace palette_gemm

using namespace palette_gemm;

// The ballot kernel holds two tiles in registers; capping registers keeps 3 CTAs (M chunks of 8 or 16) or
// 2 CTAs (32, 64) on a multiprocessor, which measured faster than fewer CTAs without spills. The patching
// kernel holds one (54 registers at 8 rows, 64 at 16: 4 CTAs fit; its caps below only bound the compiler).
#define PALETTE_ENTRY(MT, NAME)                                                                                            \
    extern "C" __global__ void __launch_bounds__(WARPS * 32, MT <= 2 ? 3 : 2) NAME(                                                      \
        const uint8_t* tiles, long long, const uint2* palettes, long long, const uint32_t* escapeStarts, long long,     \
        const uint8_t* escapes, long long, const uint16_t* x, long long, __nv_bfloat16* y, long long, float* partial,   \
        long long, int M, int N, int K, int splits) {                                                                    \
        paletteGemm<MT>(tiles, palettes, escapeStarts, escapes, x, y, partial, M, N, K, splits);                         \
    }
#ifndef PATCH_TWO_MAX_MT
#define PATCH_TWO_MAX_MT 0   // two tiles in registers up to this many 8-row chunks of X, else one (one measured faster: NOTES.md variant 8)
#endif
#ifndef PATCH_CTAS
#define PATCH_CTAS 3    // CTAs per SM for M chunks of 8 (a register cap only: 4 fit; caps for 5 or 6 measured slower: NOTES.md 8b)
#endif
#ifndef PATCH_CTAS16
#define PATCH_CTAS16 4  // and of 16 (3 measured the same: NOTES.md variant 8)
#endif
#define PATCH_ENTRY(MT, NAME)                                                                                              \
    extern "C" __global__ void __launch_bounds__(WARPS * 32, MT == 1 ? PATCH_CTAS : MT == 2 ? PATCH_CTAS16 : 2) NAME(                                                      \
        const uint8_t* tiles, long long, const uint2* palettes, long long, const uint32_t* escapeStarts, long long,     \
        const uint8_t* escapes, long long, const uint16_t* positions, long long, const uint16_t* x, long long,          \
        __nv_bfloat16* y, long long, float* partial, long long, int M, int N, int K, int splits) {                       \
        patchGemm<MT, (MT <= PATCH_TWO_MAX_MT)>(tiles, palettes, escapeStarts, escapes, positions, x, y, partial, M, N, K, splits); \
    }
// The same kernel on the window coding (LAYOUT.md), with the same caps; its BF16 twins are bf16Frag*.
#define WINDOW_ENTRY(MT, NAME)                                                                                             \
    extern "C" __global__ void __launch_bounds__(WARPS * 32, MT == 1 ? PATCH_CTAS : MT == 2 ? PATCH_CTAS16 : 2) NAME(                                                      \
        const uint8_t* tiles, long long, const uint2* palettes, long long, const uint32_t* escapeStarts, long long,     \
        const uint8_t* escapes, long long, const uint16_t* positions, long long, const uint16_t* x, long long,          \
        __nv_bfloat16* y, long long, float* partial, long long, int M, int N, int K, int splits) {                       \
        patchGemm<MT, (MT <= PATCH_TWO_MAX_MT), 1, true, MT == 2>(tiles, palettes, escapeStarts, escapes, positions, x, y, partial, M, N, K, splits); \
    }
#define BF16_ENTRY(MT, NAME)                                                                                               \
    extern "C" __global__ void __launch_bounds__(WARPS * 32) NAME(                                                      \
        const uint16_t* weights, long long, const uint16_t* x, long long, __nv_bfloat16* y, long long, float* partial,  \
        long long, int M, int N, int K, int splits) {                                                                    \
        bf16Gemm<MT>(weights, x, y, partial, M, N, K, splits);                                                           \
    }

PALETTE_ENTRY(1, paletteGemm8)
PALETTE_ENTRY(2, paletteGemm16)
PALETTE_ENTRY(4, paletteGemm32)
PALETTE_ENTRY(8, paletteGemm64)
// The band kernels (16 rows of X): a CTA multiplies 8 strips over the same K tiles, one warp each (work);
// measured 4% faster than patchGemm16 on 128256 x 4096 at M = 16, slower where 8-strip bands leave too few CTAs.
#define BAND_ENTRY(MT, NAME, BF16_NAME)                                                                                  \
    extern "C" __global__ void __launch_bounds__(WARPS * 32, PATCH_CTAS16) NAME(                                         \
        const uint8_t* tiles, long long, const uint2* palettes, long long, const uint32_t* escapeStarts, long long,     \
        const uint8_t* escapes, long long, const uint16_t* positions, long long, const uint16_t* x, long long,          \
        __nv_bfloat16* y, long long, float* partial, long long, int M, int N, int K, int splits) {                       \
        patchGemm<MT, false, WARPS>(tiles, palettes, escapeStarts, escapes, positions, x, y, partial, M, N, K, splits);  \
    }                                                                                                                    \
    extern "C" __global__ void __launch_bounds__(WARPS * 32) BF16_NAME(                                                 \
        const uint16_t* weights, long long, const uint16_t* x, long long, __nv_bfloat16* y, long long, float* partial,  \
        long long, int M, int N, int K, int splits) {                                                                    \
        bf16Gemm<MT, WARPS>(weights, x, y, partial, M, N, K, splits);                                                    \
    }

PATCH_ENTRY(1, patchGemm8)
PATCH_ENTRY(2, patchGemm16)
PATCH_ENTRY(4, patchGemm32)
PATCH_ENTRY(8, patchGemm64)
BF16_ENTRY(1, bf16Gemm8)
BF16_ENTRY(2, bf16Gemm16)
BF16_ENTRY(4, bf16Gemm32)
BF16_ENTRY(8, bf16Gemm64)
BAND_ENTRY(2, patchBand16, bf16Band16)
WINDOW_ENTRY(1, windowGemm8)
WINDOW_ENTRY(2, windowGemm16)
WINDOW_ENTRY(4, windowGemm32)
WINDOW_ENTRY(8, windowGemm64)
// The window kernels' BF16 twins (fragment order).
#define FRAG_ENTRY(MT, SPC, NAME)                                                                                          \
    extern "C" __global__ void __launch_bounds__(WARPS * 32) NAME(                                                      \
        const uint16_t* weights, long long, const uint16_t* x, long long, __nv_bfloat16* y, long long, float* partial,  \
        long long, int M, int N, int K, int splits) {                                                                    \
        bf16Gemm<MT, SPC, true>(weights, x, y, partial, M, N, K, splits);                                                \
    }
FRAG_ENTRY(1, 1, bf16Frag8)
FRAG_ENTRY(2, 1, bf16Frag16)
FRAG_ENTRY(4, 1, bf16Frag32)
FRAG_ENTRY(8, 1, bf16Frag64)
FRAG_ENTRY(2, WARPS, bf16FragBand16)
extern "C" __global__ void __launch_bounds__(WARPS * 32, PATCH_CTAS16) windowBand16(
    const uint8_t* tiles, long long, const uint2* palettes, long long, const uint32_t* escapeStarts, long long,
    const uint8_t* escapes, long long, const uint16_t* positions, long long, const uint16_t* x, long long,
    __nv_bfloat16* y, long long, float* partial, long long, int M, int N, int K, int splits) {
    patchGemm<2, false, WARPS, true, true>(tiles, palettes, escapeStarts, escapes, positions, x, y, partial, M, N, K, splits);
}

// The 8-row window kernel with 4 warps per CTA: each strip's K split among 4 warps, so twice the CTAs fit on a multiprocessor
// (8 at 64 registers) and a shape whose strips fill them once runs in one wave (14336 x 4096: 896 CTAs on 1056 slots): 3-6% faster
// there at M = 1 and 4, slower on the 4096-row shapes (NOTES.md session 13). 5 warps at 7 CTAs per SM (chains of 13 tiles instead of 16:
// PATCH_NARROW_WARPS=5 PATCH_NARROW_CTAS=7) came out 1-3% faster or slower from one device call to the next, in the harness and through
// Java alike (sessions 29, 30): no gain.
// Its BF16 twin is bf16FragNarrow8.
#ifndef PATCH_NARROW_WARPS
#define PATCH_NARROW_WARPS 4
#endif
#ifndef PATCH_NARROW_CTAS
#define PATCH_NARROW_CTAS 8
#endif
constexpr int NARROW_WARPS = PATCH_NARROW_WARPS;
extern "C" __global__ void __launch_bounds__(NARROW_WARPS * 32, PATCH_NARROW_CTAS) windowNarrow8(
    const uint8_t* tiles, long long, const uint2* palettes, long long, const uint32_t* escapeStarts, long long,
    const uint8_t* escapes, long long, const uint16_t* positions, long long, const uint16_t* x, long long,
    __nv_bfloat16* y, long long, float* partial, long long, int M, int N, int K, int splits) {
    patchGemm<1, false, 1, true, false, NARROW_WARPS>(tiles, palettes, escapeStarts, escapes, positions, x, y, partial, M, N, K, splits);
}
extern "C" __global__ void __launch_bounds__(NARROW_WARPS * 32) bf16FragNarrow8(
    const uint16_t* weights, long long, const uint16_t* x, long long, __nv_bfloat16* y, long long, float* partial, long long, int M, int N, int K, int splits) {
    bf16Gemm<1, 1, true, NARROW_WARPS>(weights, x, y, partial, M, N, K, splits);
}

// The 8- and 16-row window kernels with K split in S = 2, 4 or 8, each strip's S CTAs one cluster: the others push their sums into rank
// 0's inbox (finish, PUSH; at 16 rows with 8 splits rank 0 reads them from their shared memory) and rank 0 adds them in split order, so
// no workspace, fence or counter, and Y is the same bit for bit as
// windowGemm8's / windowGemm16's (and bf16Frag8's / bf16Frag16's) at S splits. At 8 rows 4-7% faster than the workspace path where
// the schedule splits K (NOTES.md session 13); the 16-row entries keep windowGemm16's next-tile loads (AHEAD) and CTA cap.
#define CLUSTER_ENTRY(MT, S, NAME)                                                                                         \
    extern "C" __global__ void __cluster_dims__(S, 1, 1) __launch_bounds__(WARPS * 32, MT == 1 ? PATCH_CTAS : PATCH_CTAS16) NAME( \
        const uint8_t* tiles, long long, const uint2* palettes, long long, const uint32_t* escapeStarts, long long,     \
        const uint8_t* escapes, long long, const uint16_t* positions, long long, const uint16_t* x, long long,          \
        __nv_bfloat16* y, long long, float* partial, long long, int M, int N, int K, int splits) {                       \
        patchGemm<MT, false, 1, true, MT == 2, WARPS, true, S>(tiles, palettes, escapeStarts, escapes, positions, x, y, partial, M, N, K, splits); \
    }
CLUSTER_ENTRY(1, 2, windowCluster8x2)
CLUSTER_ENTRY(1, 4, windowCluster8x4)
CLUSTER_ENTRY(1, 8, windowCluster8x8)
CLUSTER_ENTRY(2, 2, windowCluster16x2)
CLUSTER_ENTRY(2, 4, windowCluster16x4)
CLUSTER_ENTRY(2, 8, windowCluster16x8)

#ifdef TC_EXPERIMENTS   // harness-only entries (bench/tensorcore/wgmma-harness, ./h ahead): the 16-row window kernels without AHEAD
extern "C" __global__ void __launch_bounds__(WARPS * 32, PATCH_CTAS16) windowGemm16Late(
    const uint8_t* tiles, long long, const uint2* palettes, long long, const uint32_t* escapeStarts, long long,
    const uint8_t* escapes, long long, const uint16_t* positions, long long, const uint16_t* x, long long,
    __nv_bfloat16* y, long long, float* partial, long long, int M, int N, int K, int splits) {
    patchGemm<2, false, 1, true, false>(tiles, palettes, escapeStarts, escapes, positions, x, y, partial, M, N, K, splits);
}
extern "C" __global__ void __launch_bounds__(WARPS * 32, PATCH_CTAS16) windowBand16Late(
    const uint8_t* tiles, long long, const uint2* palettes, long long, const uint32_t* escapeStarts, long long,
    const uint8_t* escapes, long long, const uint16_t* positions, long long, const uint16_t* x, long long,
    __nv_bfloat16* y, long long, float* partial, long long, int M, int N, int K, int splits) {
    patchGemm<2, false, WARPS, true, false>(tiles, palettes, escapeStarts, escapes, positions, x, y, partial, M, N, K, splits);
}
// ./h ramp (session 16): the narrow kernel (4 warps per CTA) with a strip's S splits in one cluster, pushing their sums into rank 0.
#define NARROW_CLUSTER_ENTRY(S, NAME)                                                                                      \
    extern "C" __global__ void __cluster_dims__(S, 1, 1) __launch_bounds__(NARROW_WARPS * 32, 8) NAME(                    \
        const uint8_t* tiles, long long, const uint2* palettes, long long, const uint32_t* escapeStarts, long long,     \
        const uint8_t* escapes, long long, const uint16_t* positions, long long, const uint16_t* x, long long,          \
        __nv_bfloat16* y, long long, float* partial, long long, int M, int N, int K, int splits) {                       \
        patchGemm<1, false, 1, true, false, NARROW_WARPS, true, S>(tiles, palettes, escapeStarts, escapes, positions, x, y, partial, M, N, K, splits); \
    }
NARROW_CLUSTER_ENTRY(2, windowNarrowCluster8x2)
NARROW_CLUSTER_ENTRY(4, windowNarrowCluster8x4)
#endif

// Keeps one thread busy for `cycles` clock cycles: a benchmark queues it first, so that the launches it
// times are all enqueued before the GPU reaches them and their events measure the kernels, not the host.
extern "C" __global__ void spin(long long cycles) {
    long long start = clock64();
    while (clock64() - start < cycles) {
    }
}
