// Y[M x N] = X[M x K] . W^T for large M on Hopper: warp-specialised wgmma with both operands in shared memory,
// in clusters of two CTAs that share W. W [N x K] is read in the palette layout (tensorcore/LAYOUT.md, decoded
// exactly as palette_gemm.cu's patching kernel does) or as plain row-major BF16 (the bit-exactness reference
// and yardstick).
//
// CTA: 3 warpgroups, 128 W rows x BN X rows (BN = 64, 128 or 256); the two CTAs of a cluster cover the same
// 128 W rows and two consecutive blocks of BN X rows. Warpgroup 2 produces each K block (64 columns) into a
// ring of shared-memory stages, in wgmma's 128-byte-swizzled K-major layout: its own X rows by 16-byte
// cp.async, and half of W (64 rows: CTA rank r rows 64r .. 64r + 63), stored both into its own stage and
// into the other CTA's (distributed shared memory): in the palette mode each producer warp decodes one 16 x 64
// palette tile in registers (a lane's 8 weights of one row and column half are one 16-byte piece of the
// swizzled row), in the BF16 mode it loads the same pieces from global memory one block ahead. So each CTA
// decodes and reads half of W per K block (v3, one CTA per tile, decoded all 128 rows: its producer was the
// bottleneck of the palette mode, and X + W traffic from L2 of both modes; NOTES.md). Warpgroups 0 and 1
// consume: each issues four wgmma.m64nBNk16 per K block for its 64 W rows, A and B read by descriptors, and
// nothing else. mbarriers hand stages over: full (128 cp.async arrivals, 128 arrivals after the local stores,
// and one that expects the 8 KB the other CTA writes by st.async, which count themselves), empty (one per
// consumer warp of both CTAs, since both CTAs' producers write each stage). The epilogue rounds to BF16, stages the
// 128 x BN tile in shared memory and writes whole 16-byte pieces of Y rows. Both modes put the same bytes in
// the same shared memory for the same instructions, so they agree bit for bit.
//
// Parameters follow the task-graph runtime's convention (each array: device address, element count).
// Launch with 384 threads, (N / 128) * 2 * ceil(ceil(M / BN) / 2) CTAs (clusters of 2: __cluster_dims__) and
// sharedBytes<BN>() bytes of dynamic shared memory (WgmmaGemm in Java). N must be a multiple of 128, K of 128
// (consume() says why).
#include <cstdint>
#include <cuda_bf16.h>
#include "palette_tile.cuh"
#include "hopper.cuh"

// Experiment switches, measured as the w3 variants in NOTES.md (the defaults are the checked-in build; with one
// tile per producer warp since v4, WG_DECODE_PAIR no longer changes the code).
#ifndef WG_PRODUCER_FENCE
#define WG_PRODUCER_FENCE 0
#endif
#ifndef WG_CONSUMER_FENCE
#define WG_CONSUMER_FENCE 1
#endif
#ifndef WG_DECODE_PAIR      // 1: a producer warp's tiles decoded phase by phase side by side; 0: one after the other
#define WG_DECODE_PAIR 1
#endif

namespace wgmma_gemm {

using namespace palette_tile;
using namespace hopper;

constexpr int CONSUMER_WARPS = 8;
// One producer warpgroup. Two (512 threads) would leave 128 registers per thread at launch, fewer than
// wgmma.m64n256k16's 128 accumulators and operands need (ptxas C7602), since ptxas compiles to the launch cap.
constexpr int PRODUCER_WARPS = 4;
constexpr int CLUSTER = 2;                            // CTAs sharing W in the paired entries (the solo ones: 1)
// 16-row palette tiles of a K block each producer warp decodes when C CTAs share W.
template <int C> __host__ __device__ constexpr int tilesPerWarp() { return 8 / PRODUCER_WARPS / C; }
constexpr int THREADS = 32 * (CONSUMER_WARPS + PRODUCER_WARPS);
constexpr int START_REGS = 65536 / THREADS / 8 * 8;   // registers per thread at launch: 168
constexpr int W_ROWS = 128;         // W rows per CTA: 2 consumer warpgroups x 64
constexpr int W_STAGE_BYTES = W_ROWS * 128;

template <int BN> struct Config;
// setmaxnreg moves registers between the warpgroups of the CTA only: the consumers' increase must fit in what
// the producer gives back from the 168 each thread starts with (384 threads, 64 K registers, rounded down to
// 8), so 2 x CONSUMER_REGS + PRODUCER_REGS <= 3 x 168 (first H200 run: 224 and 64 hung in setmaxnreg.inc).
// The consumers hold the accumulators (BN / 2) and addresses (BN = 256 spilled at 192), the producer one tile ahead.
template <> struct Config<64> { static constexpr int STAGES = 8; static constexpr int PRODUCER_REGS = 168; static constexpr int CONSUMER_REGS = 168; };
template <> struct Config<128> { static constexpr int STAGES = 6; static constexpr int PRODUCER_REGS = 152; static constexpr int CONSUMER_REGS = 176; };
template <> struct Config<256> { static constexpr int STAGES = 4; static constexpr int PRODUCER_REGS = 104; static constexpr int CONSUMER_REGS = 200; };
template <int BN> constexpr bool registersFit() { return 2 * Config<BN>::CONSUMER_REGS + Config<BN>::PRODUCER_REGS <= 3 * START_REGS; }
static_assert(registersFit<64>() && registersFit<128>() && registersFit<256>(), "setmaxnreg would wait forever");

// A stage: X (BN rows of 128 bytes), then W (128 rows of 128 bytes); both 1024-byte aligned.
template <int BN> __host__ __device__ constexpr int xStageBytes() { return BN * 128; }
template <int BN> __host__ __device__ constexpr int stageBytes() { return xStageBytes<BN>() + W_STAGE_BYTES; }
// Ring, then a 1 KB exponent buffer per tile of each producer warp, then 2 mbarriers per stage; 1 KB for aligning the ring.
template <int BN> __host__ __device__ constexpr int patchOffset() { return Config<BN>::STAGES * stageBytes<BN>(); }
template <int BN, int C> __host__ __device__ constexpr int barrierOffset() { return patchOffset<BN>() + PRODUCER_WARPS * tilesPerWarp<C>() * 1024; }
template <int BN, int C> __host__ __device__ constexpr int sharedBytes() { return barrierOffset<BN, C>() + Config<BN>::STAGES * 16 + 1024; }

// 16 bytes into this CTA's stage and the same bytes at the same place in the other CTA's, by an asynchronous
// store that counts its bytes on the other CTA's full barrier `remoteBar` (no fence, no arrival per thread).
__device__ __forceinline__ void storeBoth(uint32_t local, uint32_t remote, uint32_t remoteBar, uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
    asm volatile("st.shared.v4.b32 [%0], {%1,%2,%3,%4};" :: "r"(local), "r"(a), "r"(b), "r"(c), "r"(d) : "memory");
    asm volatile("st.async.shared::cluster.mbarrier::complete_tx::bytes.v4.b32 [%0], {%1,%2,%3,%4}, [%5];"
                 :: "r"(remote), "r"(a), "r"(b), "r"(c), "r"(d), "r"(remoteBar) : "memory");
}

__device__ __forceinline__ void copy16(uint32_t to, const void* from, int bytes) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;" :: "r"(to), "l"(from), "r"(bytes) : "memory");
}

// One palette tile as loaded from global memory, decoded one K block later.
struct PaletteRaw {
    uint32_t w0, w1, w2;   // 32 codes of 3 bits
    uint4 s0, s1;          // 32 sign|mantissa bytes
    uint2 palette;         // 8 exponent bytes
    uint32_t start, count; // the tile's escapes: list index of the first, and how many
    uint32_t at, e;        // position and exponent of escape start + lane (when it exists)
};

// W in the palette layout: producer warp p decodes the tiles of W rows 32p .. 32p + 31 of the CTA (two
// 16-row strips), one K block ahead of the stage it fills.
template <int C>
struct PaletteW {
    static constexpr int TILES_PER_WARP = tilesPerWarp<C>();
    const uint8_t* tiles;
    const uint2* palettes;
    const uint32_t* escapeStarts;
    const uint8_t* escapes;
    const uint16_t* positions;
    size_t tileRow[TILES_PER_WARP];       // first tile of each strip
    uint32_t starts[TILES_PER_WARP], ends[TILES_PER_WARP]; // escape starts and ends of 32 tiles of each strip, one per lane
    PaletteRaw raw[TILES_PER_WARP];       // the next block's tiles

    __device__ __forceinline__ PaletteRaw load(int i, int kb, int KB, int lane) {
        if ((kb & 31) == 0 && kb + lane < KB) {
            starts[i] = __ldg(escapeStarts + tileRow[i] + kb + lane);
            ends[i] = __ldg(escapeStarts + tileRow[i] + kb + lane + 1);
        }
        const uint8_t* base = tiles + (tileRow[i] + kb) * TILE_BYTES;
        PaletteRaw t;
        t.w0 = load4(base + 4 * lane);
        t.w1 = load4(base + 128 + 4 * lane);
        t.w2 = load4(base + 256 + 4 * lane);
        t.s0 = load16(base + PLANE_OFFSET + 16 * lane);
        t.s1 = load16(base + PLANE_OFFSET + 512 + 16 * lane);
        t.palette = __ldg(palettes + tileRow[i] + kb);
        t.start = __shfl_sync(0xFFFFFFFFu, starts[i], kb & 31);
        t.count = __shfl_sync(0xFFFFFFFFu, ends[i], kb & 31) - t.start;
        t.at = t.e = 0;
        if (lane < t.count) { t.at = load2(positions + t.start + lane); t.e = load1(escapes + t.start + lane); }
        return t;
    }

    // wBase: first W row of this CTA's half.
    __device__ __forceinline__ void bind(size_t wBase, int K, int pw, int KB, int lane) {
#pragma unroll
        for (int i = 0; i < TILES_PER_WARP; i++) tileRow[i] = (wBase + 16 * (TILES_PER_WARP * pw + i)) / 16 * (K / 64);
#pragma unroll
        for (int i = 0; i < TILES_PER_WARP; i++) raw[i] = load(i, 0, KB, lane);
    }

    // Stage `wStage` (row `half` of it) gets block kb's W rows 16 TILES_PER_WARP pw .. + 16 TILES_PER_WARP - 1 of this
    // CTA's half, decoded from `raw`, and so does the other CTA's stage (`peer` bytes further in the cluster window);
    // each strip's tile of block kb + 1 is loaded as soon as its registers are free (one tile in flight per strip).
    // The tiles' decodes go phase by phase side by side (WG_DECODE_PAIR), so their latencies overlap and the
    // warp synchronises once per phase, not once per tile.
    __device__ __forceinline__ void fill(uint32_t wStage, uint32_t peer, uint32_t peerFull, int half, int kb, int KB, int pw, int lane, uint8_t* buffers, int, size_t) {
#if WG_DECODE_PAIR
        uint32_t e[TILES_PER_WARP][4][2];
#pragma unroll
        for (int i = 0; i < TILES_PER_WARP; i++) exponents(raw[i], buffers + 1024 * i, lane, e[i]);
        __syncwarp();
#pragma unroll
        for (int i = 0; i < TILES_PER_WARP; i++) patch(raw[i], buffers + 1024 * i, lane);
        __syncwarp();
#pragma unroll
        for (int i = 0; i < TILES_PER_WARP; i++) readExponents(buffers + 1024 * i, lane, e[i]);
        __syncwarp();   // the buffers are written again by the next block's decode
#pragma unroll
        for (int i = 0; i < TILES_PER_WARP; i++) {
            uint32_t a[4][4];
            joinTile(raw[i].s0, raw[i].s1, e[i], a);
            if (kb + 1 < KB) raw[i] = load(i, kb + 1, KB, lane);
            store(wStage, peer, peerFull, half, pw, i, lane, a);
        }
#else
#pragma unroll
        for (int i = 0; i < TILES_PER_WARP; i++) {
            uint32_t e[4][2], a[4][4];
            exponents(raw[i], buffers + 1024 * i, lane, e);
            __syncwarp();
            patch(raw[i], buffers + 1024 * i, lane);
            __syncwarp();
            readExponents(buffers + 1024 * i, lane, e);
            __syncwarp();
            joinTile(raw[i].s0, raw[i].s1, e, a);
            if (kb + 1 < KB) raw[i] = load(i, kb + 1, KB, lane);
            store(wStage, peer, peerFull, half, pw, i, lane, a);
        }
#endif
    }

    // a[G]: row g + 8 (G / 2) of the strip, columns 32 (G % 2) + 8t .. + 7: piece 4 (G % 2) + t of that row.
    __device__ __forceinline__ static void store(uint32_t wStage, uint32_t peer, uint32_t peerFull, int half, int pw, int i, int lane, const uint32_t (&a)[4][4]) {
        int g = lane >> 2, t = lane & 3;
#pragma unroll
        for (int G = 0; G < 4; G++) {
            int row = 64 * half + 16 * (TILES_PER_WARP * pw + i) + g + 8 * (G >> 1);
            uint32_t at = swizzled(wStage, row, 4 * (G & 1) + t);
            if constexpr (C == 2) storeBoth(at, at + peer, peerFull, a[G][0], a[G][1], a[G][2], a[G][3]);
            else asm volatile("st.shared.v4.b32 [%0], {%1,%2,%3,%4};" :: "r"(at), "r"(a[G][0]), "r"(a[G][1]), "r"(a[G][2]), "r"(a[G][3]) : "memory");
        }
    }

    // The decode in the patching kernel's steps (LAYOUT.md): each weight's palette exponent (code 7 reads entry 7,
    // 0) into registers and the lane's 32 bytes of the 1 KB exponent buffer; escapes stored at their positions;
    // the patched exponents read back; exponents joined with the plane bytes into a[G][p]: G = 2 * (row half) +
    // (column half), p = pair of columns 8t + 2p, 8t + 2p + 1.
    __device__ __forceinline__ static void exponents(const PaletteRaw& t, uint8_t* buffer, int lane, uint32_t (&e)[4][2]) {
        uint32_t sel[4];
        selectors(t.w0, t.w1, t.w2, sel);
        paletteExponents(sel, t.palette, e);
        storeExponents(buffer, lane, e);
    }

    __device__ __forceinline__ void patch(const PaletteRaw& t, uint8_t* buffer, int lane) const {
        if (lane < t.count) buffer[t.at & 1023] = (uint8_t)t.e;
        for (uint32_t i = 32 + lane; i < t.count; i += 32) buffer[positions[t.start + i] & 1023] = escapes[t.start + i];   // rare: over 32 escapes
    }

};

// Plain BF16 W: the producer loads this CTA's half of each K block one block ahead (16-byte pieces: thread p
// holds piece p % 8 of rows p / 8 + 16 i of the half) and stores it into both CTAs' stages, as the palette
// mode stores its decoded tiles.
template <int C>
struct Bf16W {
    static constexpr int PIECES = 8 / C;   // 16-byte pieces per producer thread and K block
    const uint16_t* w;
    uint4 next[PIECES];

    __device__ __forceinline__ void load(int kb, int K, size_t wBase, int p) {
#pragma unroll
        for (int i = 0; i < PIECES; i++) next[i] = load16(w + (wBase + (p >> 3) + 16 * i) * K + kb * 64 + 8 * (p & 7));
    }

    __device__ __forceinline__ void bind(size_t wBase, int K, int pw, int, int lane) { load(0, K, wBase, 32 * pw + lane); }

    __device__ __forceinline__ void fill(uint32_t wStage, uint32_t peer, uint32_t peerFull, int half, int kb, int KB, int pw, int lane, uint8_t*, int K, size_t wBase) {
        int p = 32 * pw + lane;
#pragma unroll
        for (int i = 0; i < PIECES; i++) {
            uint32_t at = swizzled(wStage, 64 * half + (p >> 3) + 16 * i, p & 7);
            if constexpr (C == 2) storeBoth(at, at + peer, peerFull, next[i].x, next[i].y, next[i].z, next[i].w);
            else asm volatile("st.shared.v4.b32 [%0], {%1,%2,%3,%4};" :: "r"(at), "r"(next[i].x), "r"(next[i].y), "r"(next[i].z), "r"(next[i].w) : "memory");
        }
        if (kb + 1 < KB) load(kb + 1, K, wBase, p);
    }
};

// One K block of a consumer warpgroup: wait for the stage, four k16 steps of wgmma.m64nBNk16 (A: this
// warpgroup's 64 W rows, B: the BN X rows, both advanced 32 bytes per step inside the swizzled rows), and
// hand the previous block's stage back once its wgmmas are done (wait_group 1).
template <int BN, int C>
__device__ __forceinline__ void consumeBlock(float (&acc)[BN / 2], int kb, int KB, uint32_t ring, uint32_t bars, uint32_t peer, int wg, int lane) {
    constexpr int S = Config<BN>::STAGES;
    int s = kb % S;
    barrierWait(bars + 8 * s, (kb / S) & 1);
#if WG_CONSUMER_FENCE
    // Stage written by cp.async and st.shared (generic proxy); the tensor cores read it through the async proxy.
    asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
#endif
    uint32_t x = ring + s * stageBytes<BN>();
    uint32_t w = x + xStageBytes<BN>() + wg * (64 * 128);
    fenceOperands(acc);
    wgmmaFence();
#pragma unroll
    for (int kk = 0; kk < 4; kk++) wgmma<BN>(acc, descriptor(w + 32 * kk), descriptor(x + 32 * kk));
    wgmmaCommit();
    fenceOperands(acc);
    // The last block drains here, inside the loop: with wait_group 0 only after the loop, ptxas (13.0) moved
    // the epilogue's reads of the accumulators above it (seen in the SASS of the first H200 runs: wrong Y).
    if (kb + 1 < KB) wgmmaWait<1>();
    else wgmmaWait<0>();
    fenceOperands(acc);
    if (kb > 0 && lane == 0) {   // both CTAs' producers write each stage: both hear that it is free
        uint32_t empty = bars + 8 * (S + (kb - 1) % S);
        barrierArrive(empty);
        if constexpr (C == 2) remoteArrive(empty + peer);
    }
}

template <int BN, int C>
__device__ __forceinline__ void consume(uint8_t* smem, uint32_t ring, uint32_t bars, uint32_t peer, __nv_bfloat16* y, int M, int N, int K, int mBase, int nBase) {
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;   // warps 0..7, warpgroups 0 and 1
    int KB = K / 64;
    float acc[BN / 2];
#pragma unroll
    for (int i = 0; i < BN / 2; i++) asm volatile("mov.b32 %0, 0;" : "=f"(acc[i]));   // no copies of one zero (C7514)
    // K blocks in pairs: a loop exit after an odd block made ptxas serialize every wgmma (C7514, v1), so the
    // kernel takes K in multiples of 128.
    for (int kb = 0; kb < KB; kb += 2) {
        consumeBlock<BN, C>(acc, kb, KB, ring, bars, peer, warp >> 2, lane);
        consumeBlock<BN, C>(acc, kb + 1, KB, ring, bars, peer, warp >> 2, lane);
    }
    wgmmaWait<0>();
    fenceOperands(acc);
    // Every stage has been consumed (so the producer is done with the ring): the ring holds the BF16 tile.
    storeY<BN>(acc, smem, y, M, N, mBase, nBase, warp, lane);
}

// The producer warpgroup, per K block kb: waits for stage kb % STAGES to be free in both CTAs, copies X rows
// mBase .. mBase + BN - 1 (columns of block kb) into it by 16-byte cp.async (one instruction of a warp copies 4
// rows, lane i piece i % 8 of row i / 8; rows past M zero-filled), fills its half of W in both CTAs (w.fill),
// then arrives on the stage's full barrier twice: once after its shared-memory stores, once when its copies
// land (cp.async.mbarrier.arrive.noinc). The consumers' proxy fence after their wait makes the generic-proxy
// writes visible to wgmma (a fence here, WG_PRODUCER_FENCE, waited for the producer's loads in flight: run w3).
template <int BN, int C, class W>
__device__ __forceinline__ void produce(W& w, const uint16_t* x, uint8_t* buffers, uint32_t ring, uint32_t bars, uint32_t peer, int half, int M, int K, int mBase, size_t wBase) {
    constexpr int S = Config<BN>::STAGES;
    int lane = threadIdx.x & 31, pw = (threadIdx.x >> 5) - CONSUMER_WARPS;   // producer warps 0 .. PRODUCER_WARPS - 1
    int piece = lane & 7, rowInGroup = lane >> 3;
    int KB = K / 64;
    w.bind(wBase, K, pw, KB, lane);
    for (int kb = 0; kb < KB; kb++) {
        int s = kb % S;
        if (kb >= S) barrierWait(bars + 8 * (S + s), ((kb / S) + 1) & 1);
        // This phase of the stage's full barrier gets the other CTA's half of W by st.async: 64 rows of 128 bytes.
        if constexpr (C == 2) {
            if (pw == 0 && lane == 0) arriveExpecting(bars + 8 * s, 64 * 128);
        }
        uint32_t stage = ring + s * stageBytes<BN>();
#pragma unroll 4
        for (int row = 4 * pw + rowInGroup; row < BN; row += 4 * PRODUCER_WARPS) {
            int m = mBase + row;
            const uint16_t* from = x + (size_t)min(m, M - 1) * K + kb * 64 + 8 * piece;   // a real address even when zero-filled
            copy16(swizzled(stage, row, piece), from, m < M ? 16 : 0);
        }
        w.fill(stage + xStageBytes<BN>(), peer, bars + 8 * s + peer, half, kb, KB, pw, lane, buffers, K, wBase);
#if WG_PRODUCER_FENCE
        asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
#endif
        barrierArrive(bars + 8 * s);
        asm volatile("cp.async.mbarrier.arrive.noinc.shared::cta.b64 [%0];" :: "r"(bars + 8 * s) : "memory");
    }
    asm volatile("cp.async.wait_all;" ::: "memory");
}

// C = 2: a cluster of two CTAs sharing W (the mapping below); C = 1: one CTA per 128 x BN tile (v3's kernel).
template <int BN, int C, class W>
__device__ __forceinline__ void gemm(W w, const uint16_t* x, __nv_bfloat16* y, int M, int N, int K) {
    extern __shared__ uint8_t shared[];
    constexpr int S = Config<BN>::STAGES;
    // The 128-byte swizzle repeats every 1024 bytes and is computed from address bits: align the ring to 1024.
    uint8_t* smem = shared + ((1024 - (smemAddress(shared) & 1023)) & 1023);
    uint32_t ring = smemAddress(smem);
    uint32_t bars = ring + barrierOffset<BN, C>();   // full[S] then empty[S]
    uint32_t rank = 0, peer = 0;
    int mBlocks = (M + BN - 1) / BN, mBase, nBase;
    if constexpr (C == 2) {
        asm("mov.u32 %0, %%cluster_ctarank;" : "=r"(rank));
        // The cluster (CTAs 2c, 2c + 1) covers W rows nBase .. + 127 and X blocks 2j, 2j + 1 (a CTA past M computes
        // zeros and writes nothing, but still produces its half of W for the other).
        int mPairs = (mBlocks + 1) / 2, pair = blockIdx.x >> 1;
        mBase = (2 * (pair % mPairs) + (int)rank) * BN;
        nBase = (pair / mPairs) * W_ROWS;
        peer = peerAddress(ring, rank ^ 1) - ring;   // add to a local shared address: the other CTA's
    } else {
        mBase = (blockIdx.x % mBlocks) * BN;
        nBase = (blockIdx.x / mBlocks) * W_ROWS;
    }
    if (threadIdx.x == 0) {
        for (int s = 0; s < S; s++) {
            // cp.async arrivals, arrivals after the stores, and (paired) one expecting the other CTA's bytes
            barrierInit(bars + 8 * s, 2 * 32 * PRODUCER_WARPS + (C == 2 ? 1 : 0));
            barrierInit(bars + 8 * (S + s), C * CONSUMER_WARPS);
        }
        asm volatile("fence.mbarrier_init.release.cluster;" ::: "memory");
    }
    if constexpr (C == 2) clusterSync();   // both CTAs' barriers exist before either arrives on the other's
    else __syncthreads();
    if (threadIdx.x >= 256) {
        asm volatile("setmaxnreg.dec.sync.aligned.u32 %0;" :: "n"(Config<BN>::PRODUCER_REGS));
        uint8_t* buffers = smem + patchOffset<BN>() + ((threadIdx.x >> 5) - CONSUMER_WARPS) * tilesPerWarp<C>() * 1024;
        produce<BN, C>(w, x, buffers, ring, bars, peer, (int)rank, M, K, mBase, (size_t)nBase + 64 * rank);
    } else {
        asm volatile("setmaxnreg.inc.sync.aligned.u32 %0;" :: "n"(Config<BN>::CONSUMER_REGS));
        consume<BN, C>(smem, ring, bars, peer, y, M, N, K, mBase, nBase);
    }
    // The other CTA may still arrive on this CTA's empty barriers: neither leaves before both are done.
    if constexpr (C == 2) clusterSync();
}

}  // namespace wgmma_gemm

using namespace wgmma_gemm;

// Paired entries (clusters of 2 CTAs sharing W) and solo ones (one CTA per tile, no cluster: better where a
// single block of X rows would leave each cluster's second CTA idle, NOTES.md).
#define WGMMA_ENTRIES(BN, NAME, C, CLUSTER_ATTRIBUTE)                                                                         \
    extern "C" __global__ void __launch_bounds__(THREADS, 1) CLUSTER_ATTRIBUTE wgmma##NAME##Patch##BN(                        \
        const uint8_t* tiles, long long, const uint2* palettes, long long, const uint32_t* escapeStarts, long long,          \
        const uint8_t* escapes, long long, const uint16_t* positions, long long, const uint16_t* x, long long,               \
        __nv_bfloat16* y, long long, int M, int N, int K) {                                                                   \
        PaletteW<C> w{tiles, palettes, escapeStarts, escapes, positions};                                                     \
        gemm<BN, C>(w, x, y, M, N, K);                                                                                        \
    }                                                                                                                         \
    extern "C" __global__ void __launch_bounds__(THREADS, 1) CLUSTER_ATTRIBUTE wgmma##NAME##Bf16_##BN(                        \
        const uint16_t* weights, long long, const uint16_t* x, long long, __nv_bfloat16* y, long long, int M, int N, int K) { \
        Bf16W<C> w{weights, {}};                                                                                              \
        gemm<BN, C>(w, x, y, M, N, K);                                                                                        \
    }

#define PAIRED __cluster_dims__(CLUSTER, 1, 1)
#define SOLO
WGMMA_ENTRIES(64, , 2, PAIRED)
WGMMA_ENTRIES(128, , 2, PAIRED)
WGMMA_ENTRIES(256, , 2, PAIRED)
WGMMA_ENTRIES(64, Solo, 1, SOLO)
WGMMA_ENTRIES(128, Solo, 1, SOLO)
WGMMA_ENTRIES(256, Solo, 1, SOLO)
