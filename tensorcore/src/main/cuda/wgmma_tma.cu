// Y[M x N] = X[M x K] . W^T for large M on Hopper, fed by the tensor memory accelerator (TMA): versions w5b, w5c (split K) and w8a (split K
// at every tile) of the wgmma kernel (NOTES.md). W [N x K] is read in the palette layout (LAYOUT.md), in its palette or its window coding
// (tmaPatch*, tmaWindow*), or as plain row-major BF16 (tmaBf16_*: the bit-exactness reference and yardstick).
//
// CTA: 3 warpgroups, 128 W rows x BN X rows (BN = 64, 128 or 256). One thread of warpgroup 2 produces: per K
// block (64 columns) it loads X's BN rows into a ring stage by one TMA copy (128-byte swizzle, rows past M
// zero-filled), and W's 128 rows: in the coded modes the eight 16 x 64 tiles of the block (the window coding: one TMA copy through
// the tile map; the palette coding: one bulk copy of 1408 bytes each), in the BF16 mode one TMA copy (128-byte swizzle). The
// copies count their bytes on the stage's full barrier; no thread copies anything itself, so the producer
// warpgroup gives its registers to the consumers. Warpgroups 0 and 1 consume: each warp turns its strip's tile
// (16 W rows) into the A registers of wgmma.m64nBNk16 (W rows are wgmma's M side), decoding it from the stage
// as the patching kernel does (palette coding: escapes through a 1 KB exponent buffer per warp; window coding: the
// rare escapes through the warp's own tile in the stage; palettes and escapes from global memory, two blocks ahead);
// B is the stage's X by descriptor. Block kb + 1's A registers are made while the tensor cores work on block kb (two
// register sets, wgmma.wait_group 1); in the window coding at 64 X rows, blocks kb + 2 and kb + 3's while they work on kb and kb + 1
// (consumePairs: two decode chains in flight per warp). A palette-coded tile's lane holds columns 8t .. 8t + 7, wgmma's A fragment
// 2t, 2t + 1, 2t + 8, 2t + 9 (+ 16 per k step): four shuffles per 16 x 32 half-tile transpose the column pairs
// across each quad of lanes (transposeQuad), so X keeps its natural order; window-coded tiles are stored in the
// fragment order and need none.
// In the BF16 mode the wgmmas read A, W's rows in the stage, by descriptor: the same values in the same order,
// so the two modes' Y agree bit for bit. In the epilogue each consumer warp rounds its 16 W rows x BN X rows to
// BF16 and writes them as whole 32-byte pieces of Y rows through its own 512-byte buffer (storeWarpY).
// Persistent: a CTA takes units (a tile's slice of K) b, b + gridDim.x, ...; the producer runs on into the next unit
// while the consumers finish one, so a grid of one CTA per multiprocessor hides each tile's pipeline fill.
// The pair kernels (tmaWindowPair256, tmaBf16Pair_256) run two CTAs per cluster on adjacent W tiles that share X by multicast.
// The half kernels (tmaWindowHalf*, tmaBf16Half*) take 64 W rows per CTA instead, their two consumer warpgroups on alternate
// K blocks of the same rows, joined at the end (pairSum): wgmma keeps n = 256 on twice the tiles (NOTES.md, session 15).
//
// Parameters: X's tensor map (2-D {K, M}, BF16, box {64, BN}, 128-byte swizzle, zero fill); in the window entries the tile map (the
// tile array as a 2-D map of 8-byte elements, {K / 64 * 192, N / 16}: a row per strip of 16 W rows, its 1536-byte tiles side by side;
// box {192, WR / 16}: 8, 4 in the half kernels, 16 in the wide build; no swizzle: one request puts a block's tiles in the stage strip
// after strip); then arrays in the task-graph runtime's convention (device address, element count); the BF16 entries take W's tensor
// map ({K, N}, box {64, 128}, 128-byte swizzle) instead of the palette arrays; then Y, the split-K workspace and splits. Launch with
// 384 threads, any number of CTAs (best: min(units, multiprocessors), units = (N / 128) * ceil(M / BN) * splits) and
// sharedBytes<BN, MODE>() bytes of dynamic shared memory (WgmmaGemm in Java). N must be a multiple of 128, K of 128 * splits (consume()
// says why); with splits > 1 the workspace holds splits * tiles * BN * 128 floats and then one zeroed counter per tile.
#include <cstdint>
#include <cuda.h>
#include <cuda_bf16.h>
#include "palette_tile.cuh"
#include "hopper.cuh"

namespace wgmma_tma {

using namespace palette_tile;
using namespace hopper;

#ifdef TC_WIDE
// The wide build (session 19's w1; since session 20 wgmma_tma_wide.ptx, Kernel.WGMMA_TMA_WIDE in Java): four consumer warpgroups, 256 W
// rows per CTA: 640 threads start at 96 registers; setmaxnreg gives the consumers 112 and the producer 24 (512 x 112 + 128 x 24 <=
// 640 x 96). Only the 64-row entries are built.
constexpr int CONSUMER_WARPS = 16;
constexpr int THREADS = 640;
constexpr int W_ROWS = 256;
#else
constexpr int CONSUMER_WARPS = 8;
constexpr int THREADS = 384;
constexpr int W_ROWS = 128;         // W rows per CTA: 2 consumer warpgroups x 64
#endif
constexpr int CONSUMER_THREADS = CONSUMER_WARPS * 32;
constexpr int SHARED_LIMIT = 232448;   // the H200's opt-in dynamic shared memory per block (227 KB)
// setmaxnreg moves registers between the warpgroups of the CTA: what the warpgroups ask for must not exceed what the CTA started
// with (384 threads at 168 registers; TC_WIDE: 640 at 96), or setmaxnreg.inc waits forever (NOTES.md, w0).
#ifdef TC_WIDE
constexpr int PRODUCER_REGS = 24;
constexpr int CONSUMER_REGS = 112;
static_assert(CONSUMER_THREADS * CONSUMER_REGS + 128 * PRODUCER_REGS <= THREADS * 96, "setmaxnreg would wait forever");
#else
constexpr int PRODUCER_REGS = 40;
constexpr int CONSUMER_REGS = 232;
static_assert(2 * CONSUMER_REGS + PRODUCER_REGS <= 3 * 168, "setmaxnreg would wait forever");
#endif

enum class Mode { PALETTE, BF16, WINDOW };   // W in the palette layout's palette or window coding, or BF16

template <int BN> __host__ __device__ constexpr int xStageBytes() { return BN * 128; }
template <Mode MODE> __host__ __device__ constexpr int tileBytes() { return MODE == Mode::WINDOW ? WINDOW_TILE_BYTES : TILE_BYTES; }
// W's part of a stage: WR / 16 tiles (8: 11 or 12 KB) or WR BF16 rows of 128 bytes. All multiples of 1 KB, so every
// part stays 1024-byte aligned, as the 128-byte swizzle needs. WR: W rows per CTA, 128, or 64 in the half kernels.
template <Mode MODE, int WR = W_ROWS> __host__ __device__ constexpr int wStageBytes() { return MODE == Mode::BF16 ? WR * 128 : WR / 16 * tileBytes<MODE>(); }
// A buffer per consumer warp: the epilogue's 512 bytes (storeWarpY), which the palette coding's 1 KB exponent buffer
// holds; the window coding patches its rare escapes in the warp's own tile of the stage instead (read into registers
// by then), which keeps 5 stages at 256 rows.
constexpr int Y_CHUNK_BYTES = 512;   // 16 X rows x 16 W rows of BF16
template <Mode MODE> __host__ __device__ constexpr int bufferBytes() { return MODE == Mode::PALETTE ? 1024 : Y_CHUNK_BYTES; }
template <int BN, Mode MODE, int WR = W_ROWS> __host__ __device__ constexpr int stageBytes() { return xStageBytes<BN>() + wStageBytes<MODE, WR>(); }
// Ring, one buffer per consumer warp, 2 mbarriers per stage, 1 KB for aligning the ring: as many stages as fit
// (at most 8).
template <int BN, Mode MODE, int WR = W_ROWS> __host__ __device__ constexpr int stages() {
    int fit = (SHARED_LIMIT - 1024 - CONSUMER_WARPS * bufferBytes<MODE>() - 8 * 16) / stageBytes<BN, MODE, WR>();
    return fit < 8 ? fit : 8;
}
template <int BN, Mode MODE, int WR = W_ROWS> __host__ __device__ constexpr int bufferOffset() { return stages<BN, MODE, WR>() * stageBytes<BN, MODE, WR>(); }
template <int BN, Mode MODE, int WR = W_ROWS> __host__ __device__ constexpr int barrierOffset() { return bufferOffset<BN, MODE, WR>() + CONSUMER_WARPS * bufferBytes<MODE>(); }
template <int BN, Mode MODE, int WR = W_ROWS> __host__ __device__ constexpr int sharedBytes() { return barrierOffset<BN, MODE, WR>() + stages<BN, MODE, WR>() * 16 + 1024; }
#ifndef TC_WIDE
static_assert(sharedBytes<256, Mode::PALETTE>() <= SHARED_LIMIT && sharedBytes<256, Mode::BF16>() <= SHARED_LIMIT, "ring too large");
static_assert(sharedBytes<256, Mode::WINDOW>() <= SHARED_LIMIT && stages<256, Mode::WINDOW>() >= stages<256, Mode::PALETTE>(), "window ring");
static_assert(stages<256, Mode::BF16>() >= 4, "too few stages");
#else
static_assert(sharedBytes<64, Mode::BF16>() <= SHARED_LIMIT && stages<64, Mode::WINDOW>() >= 4 && stages<64, Mode::BF16>() >= 4, "wide ring");
#endif

__device__ __forceinline__ uint32_t loadShared4(uint32_t address) {
    uint32_t v;
    asm volatile("ld.shared.u32 %0, [%1];" : "=r"(v) : "r"(address));
    return v;
}

__device__ __forceinline__ uint4 loadShared16(uint32_t address) {
    uint4 v;
    asm volatile("ld.shared.v4.u32 {%0,%1,%2,%3}, [%4];" : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w) : "r"(address));
    return v;
}

// Box {64 columns, rows} of a 2-D tensor map at (column, row) into shared memory, counted on `bar`.
__device__ __forceinline__ void tmaLoad(uint32_t to, const CUtensorMap* map, int column, int row, uint32_t bar) {
    asm volatile("cp.async.bulk.tensor.2d.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3}], [%4];"
                 :: "r"(to), "l"(map), "r"(column), "r"(row), "r"(bar) : "memory");
}

// `bytes` contiguous bytes (a multiple of 16, both addresses 16-byte aligned) into shared memory, counted on `bar`.
__device__ __forceinline__ void bulkLoad(uint32_t to, const void* from, uint32_t bytes, uint32_t bar) {
    asm volatile("cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1], %2, [%3];"
                 :: "r"(to), "l"(from), "r"(bytes), "r"(bar) : "memory");
}

__device__ __forceinline__ void fenceRegisters(uint32_t (&a)[4][4]) {
#pragma unroll
    for (int i = 0; i < 16; i++) asm volatile("" : "+r"(a[i / 4][i % 4])::"memory");
}

// d[32] += A (4 registers per thread: this warp's 16 W rows, mma.sync's A fragment) x B (descriptor: 64 X rows).
__device__ __forceinline__ void wgmmaRegs64(float (&d)[32], uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint64_t b) {
    asm volatile("wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 {%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15,%16,%17,%18,%19,%20,%21,%22,%23,%24,%25,%26,%27,%28,%29,%30,%31}, {%32,%33,%34,%35}, %36, 1, 1, 1, 0;"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31])
                 : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "l"(b));
}

// d[64] += A (4 registers per thread: this warp's 16 W rows, mma.sync's A fragment) x B (descriptor: 128 X rows).
__device__ __forceinline__ void wgmmaRegs128(float (&d)[64], uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint64_t b) {
    asm volatile("wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 {%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15,%16,%17,%18,%19,%20,%21,%22,%23,%24,%25,%26,%27,%28,%29,%30,%31,%32,%33,%34,%35,%36,%37,%38,%39,%40,%41,%42,%43,%44,%45,%46,%47,%48,%49,%50,%51,%52,%53,%54,%55,%56,%57,%58,%59,%60,%61,%62,%63}, {%64,%65,%66,%67}, %68, 1, 1, 1, 0;"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]), "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]), "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]), "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]), "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63])
                 : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "l"(b));
}

// d[128] += A (4 registers per thread: this warp's 16 W rows, mma.sync's A fragment) x B (descriptor: 256 X rows).
__device__ __forceinline__ void wgmmaRegs256(float (&d)[128], uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint64_t b) {
    asm volatile("wgmma.mma_async.sync.aligned.m64n256k16.f32.bf16.bf16 {%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15,%16,%17,%18,%19,%20,%21,%22,%23,%24,%25,%26,%27,%28,%29,%30,%31,%32,%33,%34,%35,%36,%37,%38,%39,%40,%41,%42,%43,%44,%45,%46,%47,%48,%49,%50,%51,%52,%53,%54,%55,%56,%57,%58,%59,%60,%61,%62,%63,%64,%65,%66,%67,%68,%69,%70,%71,%72,%73,%74,%75,%76,%77,%78,%79,%80,%81,%82,%83,%84,%85,%86,%87,%88,%89,%90,%91,%92,%93,%94,%95,%96,%97,%98,%99,%100,%101,%102,%103,%104,%105,%106,%107,%108,%109,%110,%111,%112,%113,%114,%115,%116,%117,%118,%119,%120,%121,%122,%123,%124,%125,%126,%127}, {%128,%129,%130,%131}, %132, 1, 1, 1, 0;"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]), "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]), "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]), "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]), "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63]), "+f"(d[64]), "+f"(d[65]), "+f"(d[66]), "+f"(d[67]), "+f"(d[68]), "+f"(d[69]), "+f"(d[70]), "+f"(d[71]), "+f"(d[72]), "+f"(d[73]), "+f"(d[74]), "+f"(d[75]), "+f"(d[76]), "+f"(d[77]), "+f"(d[78]), "+f"(d[79]), "+f"(d[80]), "+f"(d[81]), "+f"(d[82]), "+f"(d[83]), "+f"(d[84]), "+f"(d[85]), "+f"(d[86]), "+f"(d[87]), "+f"(d[88]), "+f"(d[89]), "+f"(d[90]), "+f"(d[91]), "+f"(d[92]), "+f"(d[93]), "+f"(d[94]), "+f"(d[95]), "+f"(d[96]), "+f"(d[97]), "+f"(d[98]), "+f"(d[99]), "+f"(d[100]), "+f"(d[101]), "+f"(d[102]), "+f"(d[103]), "+f"(d[104]), "+f"(d[105]), "+f"(d[106]), "+f"(d[107]), "+f"(d[108]), "+f"(d[109]), "+f"(d[110]), "+f"(d[111]), "+f"(d[112]), "+f"(d[113]), "+f"(d[114]), "+f"(d[115]), "+f"(d[116]), "+f"(d[117]), "+f"(d[118]), "+f"(d[119]), "+f"(d[120]), "+f"(d[121]), "+f"(d[122]), "+f"(d[123]), "+f"(d[124]), "+f"(d[125]), "+f"(d[126]), "+f"(d[127])
                 : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "l"(b));
}

template <int BN> __device__ __forceinline__ void wgmmaRegs(float (&d)[BN / 2], uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint64_t b);
template <> __device__ __forceinline__ void wgmmaRegs<64>(float (&d)[32], uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint64_t b) { wgmmaRegs64(d, a0, a1, a2, a3, b); }
template <> __device__ __forceinline__ void wgmmaRegs<128>(float (&d)[64], uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint64_t b) { wgmmaRegs128(d, a0, a1, a2, a3, b); }
template <> __device__ __forceinline__ void wgmmaRegs<256>(float (&d)[128], uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint64_t b) { wgmmaRegs256(d, a0, a1, a2, a3, b); }

// Loads that leave their register alone when `when` is false, straight into 32-bit registers: a 16-bit output
// converted afterwards, or a load under a branch merged by a select, makes the warp wait for the load right there.
__device__ __forceinline__ uint32_t loadIf(bool when, const uint16_t* p) {
    uint32_t v;
    asm volatile("{\n.reg .pred p;\nsetp.ne.u32 p, %2, 0;\nmov.u32 %0, 0;\n@p ld.global.nc.L1::no_allocate.u16 %0, [%1];\n}" : "=r"(v) : "l"(p), "r"((uint32_t)when));
    return v;
}

__device__ __forceinline__ uint32_t loadIf(bool when, const uint8_t* p) {
    uint32_t v;
    asm volatile("{\n.reg .pred p;\nsetp.ne.u32 p, %2, 0;\nmov.u32 %0, 0;\n@p ld.global.nc.L1::no_allocate.u8 %0, [%1];\n}" : "=r"(v) : "l"(p), "r"((uint32_t)when));
    return v;
}

__device__ __forceinline__ uint32_t loadIf(bool when, const uint32_t* p) {
    uint32_t v;
    asm volatile("{\n.reg .pred p;\nsetp.ne.u32 p, %2, 0;\nmov.u32 %0, 0;\n@p ld.global.nc.u32 %0, [%1];\n}" : "=r"(v) : "l"(p), "r"((uint32_t)when));
    return v;
}

__device__ __forceinline__ uint2 loadIf(bool when, const uint2* p) {
    uint2 v;
    asm volatile("{\n.reg .pred p;\nsetp.ne.u32 p, %3, 0;\nmov.u32 %0, 0;\nmov.u32 %1, 0;\n@p ld.global.nc.v2.u32 {%0, %1}, [%2];\n}" : "=r"(v.x), "=r"(v.y) : "l"(p), "r"((uint32_t)when));
    return v;
}

// What the consumers need of a block's escapes besides the tile: the palette, and escape `first + lane`.
struct Escapes {
    uint2 palette;
    uint32_t first, count;   // the block's escapes: list index of the first, and how many
    uint32_t at, e;          // position and exponent of escape first + lane (when it exists)
};

// Palette mode: the warp's tile of each block lies in the stage (the producer's bulk copies); palettes and escapes
// come from global memory two blocks before their decode, through per-lane windows of 32 blocks (the next window
// loaded 16 blocks before it is needed). A block's escapes sit in slot (block % 2) from their fetch to their
// decode: a register copy of a loaded value would wait for the load (NOTES.md, w6). STRIDE: the warp decodes every
// STRIDE-th K block of its strip (2 in the half kernels, whose warpgroups take alternate blocks); kb counts its own blocks.
template <bool WINDOW, int STRIDE = 1>
struct PaletteW {
    static constexpr Mode MODE = WINDOW ? Mode::WINDOW : Mode::PALETTE;
    const uint2* palettes;
    const uint32_t* escapeStarts;
    const uint8_t* escapes;
    const uint16_t* positions;
    size_t tileRow;          // the warp's first tile (of its strip)
    uint2 palette;           // lane i: block 32 w + i's palette, escape start and end (window w)
    uint32_t start, end;
    uint2 nextPalette;       // the same for window w + 1
    uint32_t nextStart, nextEnd;
    Escapes ahead[2];        // ahead[b % 2]: block b's, for the next two blocks to decode
    uint32_t withEscapes;    // bit i: block 32 w + i has escapes (window w)

    __device__ __forceinline__ void window(int kb, int KB, int lane) {
        bool in = kb + lane < KB;
        size_t at = in ? tileRow + (size_t)(kb + lane) * STRIDE : tileRow;
        nextPalette = loadIf(in, palettes + at);
        nextStart = loadIf(in, escapeStarts + at);
        nextEnd = loadIf(in, escapeStarts + at + 1);
    }

    __device__ __forceinline__ Escapes fetch(int kb, int KB, int lane) {
        if ((kb & 31) == 0) {
            palette = nextPalette;
            start = nextStart;
            end = nextEnd;
            withEscapes = __ballot_sync(0xFFFFFFFFu, end != start);
        }
        if ((kb & 31) == 16) window(kb + 16, KB, lane);
        Escapes x;
        // Most blocks have no escapes (window coding: ~14% of tiles have any): skip their shuffles, address arithmetic and loads.
        x.palette.x = __shfl_sync(0xFFFFFFFFu, palette.x, kb & 31);
        if constexpr (!WINDOW) x.palette.y = __shfl_sync(0xFFFFFFFFu, palette.y, kb & 31);
        x.count = 0;
        if ((withEscapes >> (kb & 31)) & 1) {
            x.first = __shfl_sync(0xFFFFFFFFu, start, kb & 31);
            x.count = __shfl_sync(0xFFFFFFFFu, end, kb & 31) - x.first;
            bool mine = lane < x.count;
            uint32_t at = mine ? x.first + lane : x.first;
            x.at = loadIf(mine, positions + at);
            x.e = loadIf(mine, escapes + at);
        }
        return x;
    }

    // firstTile: the strip's tile of this warp's first K block.
    __device__ __forceinline__ void bind(size_t firstTile, int KB, int lane) {
        tileRow = firstTile;
        window(0, KB, lane);
        ahead[0] = fetch(0, KB, lane);
        ahead[1] = fetch(1, KB, lane);   // KB is even
    }

    // A window-coded block's escapes into its exponents e (few blocks have any): the round trip through the stage's tile itself,
    // whose bytes every lane holds (its shared loads already issued).
    __device__ __forceinline__ void patchWindow(uint32_t tile, const Escapes& x, int lane, uint32_t (&e)[4][2]) {
        uint8_t* own = static_cast<uint8_t*>(__cvta_shared_to_generic(tile));
        asm volatile("" ::: "memory");   // the loads above stay above these stores
        storeExponents(own, lane, e);    // over the lane's own codes and plane piece
        __syncwarp();
        if (lane < x.count) own[x.at & 1023] = (uint8_t)x.e;
        for (uint32_t i = 32 + lane; i < x.count; i += 32) own[positions[x.first + i] & 1023] = escapes[x.first + i];   // rare: over 32 escapes
        __syncwarp();
        readExponents(own, lane, e);
        // These generic writes come before the TMA's next write of the stage (async proxy).
        asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
    }

    // Block kb's A registers from the warp's tile, tile `slot` of the stage's W part (LAYOUT.md: a[G][p], G = 2 * (row half) +
    // (column half), p = pair of columns 8t + 2p, 8t + 2p + 1, then transposed); block kb + 2's escapes fetched into
    // the slot (kb % 2 = SLOT) block kb's leave.
    template <int SLOT>
    __device__ __forceinline__ void decode(int kb, int KB, uint32_t wStage, int slot, uint8_t* buffer, int lane, uint32_t (&a)[4][4]) {
        uint32_t tile = wStage + slot * tileBytes<MODE>();
        const Escapes& x = ahead[SLOT];
        uint4 s0, s1;
        uint32_t e[4][2];
        if constexpr (WINDOW) {
            uint4 c = loadShared16(tile + 16 * lane);
            s0 = loadShared16(tile + WINDOW_PLANE_OFFSET + 16 * lane);
            s1 = loadShared16(tile + WINDOW_PLANE_OFFSET + 512 + 16 * lane);
            windowExponents(c, x.palette.x, e);
            if (x.count != 0) patchWindow(tile, x, lane, e);
        } else {
            uint32_t w0 = loadShared4(tile + 4 * lane), w1 = loadShared4(tile + 128 + 4 * lane), w2 = loadShared4(tile + 256 + 4 * lane);
            s0 = loadShared16(tile + PLANE_OFFSET + 16 * lane); s1 = loadShared16(tile + PLANE_OFFSET + 512 + 16 * lane);
            uint32_t sel[4];
            selectors(w0, w1, w2, sel);
            paletteExponents(sel, x.palette, e);
            storeExponents(buffer, lane, e);
            __syncwarp();
            if (lane < x.count) buffer[x.at & 1023] = (uint8_t)x.e;
            for (uint32_t i = 32 + lane; i < x.count; i += 32) buffer[positions[x.first + i] & 1023] = escapes[x.first + i];   // rare: over 32 escapes
            __syncwarp();
            readExponents(buffer, lane, e);
            __syncwarp();   // the buffer is written again by the next block's decode
        }
        joinTile(s0, s1, e, a);
        if constexpr (!WINDOW) transposeTile(a, lane);   // the window coding's tiles are in wgmma's fragment order already
        if (kb + 2 < KB) ahead[SLOT] = fetch(kb + 2, KB, lane);
    }
};

// The window decode of blocks kb (escape slot 0) and kb + 1 (slot 1), tile `slot` of each stage, side by side, phase by phase
// (both tiles' shared loads, both exponent sets, the rare escape patches, both joins), so that a warp has two independent chains in
// flight (NOTES.md, session 26); then blocks kb + 2 and kb + 3's escapes fetched into the slots. The same values as two decode calls.
template <class W>
__device__ __forceinline__ void decodeTwo(W& w, int kb, int KB, uint32_t stage0, uint32_t stage1, int slot, int lane, uint32_t (&a0)[4][4], uint32_t (&a1)[4][4]) {
    static_assert(W::MODE == Mode::WINDOW, "the window coding only");
    uint32_t t0 = stage0 + slot * WINDOW_TILE_BYTES, t1 = stage1 + slot * WINDOW_TILE_BYTES;
    uint4 c0 = loadShared16(t0 + 16 * lane), c1 = loadShared16(t1 + 16 * lane);
    uint4 p0 = loadShared16(t0 + WINDOW_PLANE_OFFSET + 16 * lane), p1 = loadShared16(t1 + WINDOW_PLANE_OFFSET + 16 * lane);
    uint4 q0 = loadShared16(t0 + WINDOW_PLANE_OFFSET + 512 + 16 * lane), q1 = loadShared16(t1 + WINDOW_PLANE_OFFSET + 512 + 16 * lane);
    uint32_t e0[4][2], e1[4][2];
    windowExponents(c0, w.ahead[0].palette.x, e0);
    windowExponents(c1, w.ahead[1].palette.x, e1);
    if (w.ahead[0].count != 0) w.patchWindow(t0, w.ahead[0], lane, e0);
    if (w.ahead[1].count != 0) w.patchWindow(t1, w.ahead[1], lane, e1);
    joinTile(p0, q0, e0, a0);
    joinTile(p1, q1, e1, a1);
    if (kb + 2 < KB) w.ahead[0] = w.fetch(kb + 2, KB, lane);
    if (kb + 3 < KB) w.ahead[1] = w.fetch(kb + 3, KB, lane);
}

// BF16 mode: the stage holds W's 128 rows of the block (TMA, 128-byte swizzle), which the wgmmas read as A by
// descriptor: no registers to make. Its A values and their order are the palette mode's, so the products agree bit
// for bit (checked by the benches); reading A from shared memory is what this yardstick gains over register A
// (NOTES.md, w5: 725 against 646 TFLOP/s on 4096 x 4096 at M = 4096).
struct Bf16W {
    static constexpr Mode MODE = Mode::BF16;

    __device__ __forceinline__ void bind(size_t, int, int) {}

    template <int SLOT>
    __device__ __forceinline__ void decode(int, int, uint32_t, int, uint8_t*, int, uint32_t (&)[4][4]) {}
};

// A consumer's place in the ring: the stage of its next block and the parity its full barrier completes with, kept
// as counters across units (no division by S per block). STEP: ring blocks from one of the warpgroup's blocks to its
// next (2 in the half kernels, whose warpgroups take alternate blocks).
template <int STEP = 1>
struct RingPosition {
    int stage;
    uint32_t parity;
    uint32_t held;   // the empty barrier of the warpgroup's previous block's stage, which it releases next
    int peer;        // the pair kernels: the other CTA's rank in the cluster, whose producer also waits for this stage; else -1
    // The stage of the previous block goes back to its producer (and the pair's other producer, which fills half of its X).
    __device__ __forceinline__ void release() const {
        barrierArrive(held);
        if (peer >= 0) remoteArrive(peerAddress(held, peer));
    }
    __device__ __forceinline__ void advance(int S) {
#pragma unroll
        for (int i = 0; i < STEP; i++) {
            if (++stage == S) { stage = 0; parity ^= 1; }
        }
    }
};

// One K block of a consumer warpgroup: four k16 steps on the block's A registers `a` and the stage's X (its full
// barrier was waited for before `a` was made); while the tensor cores work, retire the previous block (its stage
// goes back to the producer, its registers `next` are free), wait for block kb + 1's stage and make
// its A registers in `next`. After transposeTile, k step 2c + s of a block takes columns 16 (2c + s) + 2t, + 1
// and + 8, + 9: X's own order. `at`: block kb's stage on entry, block kb + 1's on return (kb counts the warpgroup's
// own blocks). WR: W rows per CTA (W_ROWS; 64 in the half kernels, where both warpgroups multiply the same 64 rows).
template <int BN, int SLOT, class W, int WR = W_ROWS>
__device__ __forceinline__ void consumeBlock(float (&acc)[BN / 2], uint32_t (&a)[4][4], uint32_t (&next)[4][4], W& w, RingPosition<W_ROWS / WR>& at, int kb, int KB,
                                             uint8_t* buffer, uint32_t ring, uint32_t bars, int warp, int lane) {
    constexpr int S = stages<BN, W::MODE, WR>();
    // The stage's X descriptor from the ring's (loop-invariant) by one multiply-add: every address of the ring is below 256 KB, so
    // its descriptor's 14-bit address field is the ring's plus the offset / 16, with no carry out (hopper.cuh, descriptor).
    uint32_t xLo = descriptorLow(ring) + at.stage * (stageBytes<BN, W::MODE, WR>() >> 4);
    fenceOperands(acc);
    fenceRegisters(a);
    wgmmaFence();
#pragma unroll
    for (int kk = 0; kk < 4; kk++) {
        int c = kk >> 1, p = 2 * (kk & 1);
        if constexpr (W::MODE == Mode::BF16) wgmma<BN>(acc, descriptorOf(xLo + ((xStageBytes<BN>() + (WR == W_ROWS ? (warp >> 2) * 64 * 128 : 0) + 32 * kk) >> 4)), descriptorOf(xLo + 2 * kk));
        else wgmmaRegs<BN>(acc, a[c][p], a[2 + c][p], a[c][p + 1], a[2 + c][p + 1], descriptorOf(xLo + 2 * kk));
    }
    wgmmaCommit();
    fenceOperands(acc);
    fenceRegisters(a);
    // The last block drains here, inside the loop: with wait_group 0 only after the loop, ptxas (13.0) moved the
    // epilogue's reads of the accumulators above it (NOTES.md, w1).
    if (kb + 1 < KB) wgmmaWait<1>();
    else wgmmaWait<0>();
    fenceRegisters(next);
    // The arrival (release semantics) waits for the arriving thread's loads in flight: lane 31, which loads escapes
    // only in tiles with 32 or more, not lane 0, which nearly always has block kb + 2's in flight (NOTES.md, w6).
    if (kb > 0 && lane == 31) at.release();
    at.held = bars + 8 * (S + at.stage);
    at.advance(S);
    if (kb + 1 < KB) {
        barrierWait(bars + 8 * at.stage, at.parity);
        w.template decode<SLOT ^ 1>(kb + 1, KB, ring + at.stage * stageBytes<BN, W::MODE, WR>() + xStageBytes<BN>(), WR == W_ROWS ? warp : warp & 3, buffer, lane, next);
    }
}

// consumeBlock for two blocks a step (the window coding, W_ROWS rows): the wgmmas of blocks kb and kb + 1 (A in a[0], a[1]) as one
// group, then, while they run, the previous step's two stages released and blocks kb + 2 and kb + 3 decoded side by side (decodeTwo)
// into next. The same products in the same order as consumeBlock's, so Y is the twin's bit for bit. `at` and held1: block kb's and
// kb + 1's stages on entry, kb + 2's and kb + 3's on return.
template <int BN, class W>
__device__ __forceinline__ void consumeTwo(float (&acc)[BN / 2], uint32_t (&a)[2][4][4], uint32_t (&next)[2][4][4], W& w, RingPosition<1>& at, uint32_t& held1,
                                           int kb, int KB, uint32_t ring, uint32_t bars, int warp, int lane) {
    constexpr int S = stages<BN, W::MODE>();
    int s1 = at.stage + 1 == S ? 0 : at.stage + 1;
    uint32_t x0 = descriptorLow(ring) + at.stage * (stageBytes<BN, W::MODE>() >> 4), x1 = descriptorLow(ring) + s1 * (stageBytes<BN, W::MODE>() >> 4);
    fenceOperands(acc);
    fenceRegisters(a[0]);
    fenceRegisters(a[1]);
    wgmmaFence();
#pragma unroll
    for (int kk = 0; kk < 4; kk++) {
        int c = kk >> 1, p = 2 * (kk & 1);
        wgmmaRegs<BN>(acc, a[0][c][p], a[0][2 + c][p], a[0][c][p + 1], a[0][2 + c][p + 1], descriptorOf(x0 + 2 * kk));
    }
#pragma unroll
    for (int kk = 0; kk < 4; kk++) {
        int c = kk >> 1, p = 2 * (kk & 1);
        wgmmaRegs<BN>(acc, a[1][c][p], a[1][2 + c][p], a[1][c][p + 1], a[1][2 + c][p + 1], descriptorOf(x1 + 2 * kk));
    }
    wgmmaCommit();
    fenceOperands(acc);
    fenceRegisters(a[0]);
    fenceRegisters(a[1]);
    if (kb + 2 < KB) wgmmaWait<1>();
    else wgmmaWait<0>();
    fenceRegisters(next[0]);
    fenceRegisters(next[1]);
    if (kb > 0 && lane == 31) {   // the previous step's two stages
        RingPosition<1> second = at;
        second.held = held1;
        at.release();
        second.release();
    }
    at.held = bars + 8 * (S + at.stage);
    held1 = bars + 8 * (S + s1);
    at.advance(S);
    at.advance(S);
    if (kb + 2 < KB) {
        int t1 = at.stage + 1 == S ? 0 : at.stage + 1;
        uint32_t p1 = at.stage + 1 == S ? at.parity ^ 1 : at.parity;
        barrierWait(bars + 8 * at.stage, at.parity);
        barrierWait(bars + 8 * t1, p1);
        decodeTwo(w, kb + 2, KB, ring + at.stage * stageBytes<BN, W::MODE>() + xStageBytes<BN>(), ring + t1 * stageBytes<BN, W::MODE>() + xStageBytes<BN>(), warp, lane, next[0], next[1]);
    }
}

// A CTA's share of K: `splits` slices of KB blocks each, this CTA's slice from block kb0; with more than one, the
// FP32 sums of each slice go to `partial` (slice-major, then tile, then the tile's BN x 128 values in the accumulators'
// fragment order: float4 q of consumer thread t at q * CONSUMER_THREADS + t), followed by one counter per tile that the slices' CTAs
// count up; the last adds the slices in order and writes Y.
struct Split {
    int splits, split, kb0, KB;
    size_t tile, tiles;
    float* partial;
    bool meet;   // the meet entries: every slice of the tile has its CTA resident at once, they meet and share the adds (meetSum)

    __device__ __forceinline__ float* slice(int s, int BN) const { return partial + ((size_t)s * tiles + tile) * (size_t)(BN * W_ROWS); }
    __device__ __forceinline__ uint32_t* counter(int BN) const { return reinterpret_cast<uint32_t*>(partial + (size_t)splits * tiles * (size_t)(BN * W_ROWS)) + tile; }
};

// A consumer warp's FP32 sums (its 16 W rows, wgmma's fragments: W row g and g + 8, X rows 2t and 2t + 1 of each 8) into a
// BN x PITCH array, X row-major; `strip`: the warp's 16 W rows in the tile. X rows 8 I0 .. 8 I1 - 1 only (the half
// kernels' warpgroups each hold half of them).
template <int BN, int PITCH, int I0 = 0, int I1 = BN / 8>
__device__ __forceinline__ void storeSums(const float (&acc)[BN / 2], float* to, int strip, int lane) {
    int g = lane >> 2, t = lane & 3, n0 = 16 * strip + g;
#pragma unroll
    for (int i = I0; i < I1; i++) {
        int m = 8 * i + 2 * t;
        to[m * PITCH + n0] = acc[4 * i];
        to[(m + 1) * PITCH + n0] = acc[4 * i + 1];
        to[m * PITCH + n0 + 8] = acc[4 * i + 2];
        to[(m + 1) * PITCH + n0 + 8] = acc[4 * i + 3];
    }
}

#ifdef TC_MEET_TIMELINE   // harness-only (./h meetline): %globaltimer of each meet CTA's thread 0 at its start (0), its main
__device__ unsigned long long* tcMeetLine;   // loop's end (1), its slice stored (2), all slices met (3) and its share added (4); between 1
                                             // and 2: all its warps past the main loop (5), thread 0's stores issued (6), its fence (7)
__device__ __forceinline__ void meetMark(int i) {
    if (threadIdx.x == 0 && tcMeetLine) {
        unsigned long long t;
        asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t) :: "memory");
        tcMeetLine[8 * (size_t)blockIdx.x + i] = t;
    }
}
#define MEET_MARK(i) meetMark(i)
#else
#define MEET_MARK(i)
#endif

// With K split: this CTA's sums to its slice, in the fragment order (each warp's stores whole 512-byte runs); thread 0 then
// publishes them (publishSlice) before counting the CTA in. OWN (meetSum): chunks c0 .. c1 - 1 (float4s 2 c0 .. 2 c1 - 1) to
// `own` instead.
template <int BN, bool OWN = false>
__device__ __forceinline__ void writeSlice(const float (&acc)[BN / 2], const Split& split, float4* own = nullptr, int c0 = 0, int c1 = 0) {
    float4* to = reinterpret_cast<float4*>(split.slice(split.split, BN)) + threadIdx.x;
#pragma unroll
    for (int q = 0; q < BN / 8; q++) {
        float4 v = make_float4(acc[4 * q], acc[4 * q + 1], acc[4 * q + 2], acc[4 * q + 3]);
        if (OWN && (q >> 1) >= c0 && (q >> 1) < c1) own[(q - 2 * c0) * CONSUMER_THREADS + threadIdx.x] = v;
        else to[q * CONSUMER_THREADS] = v;
    }
    if (OWN) MEET_MARK(6);
    asm volatile("bar.sync 1, %0;" :: "n"(CONSUMER_THREADS) : "memory");   // every consumer thread's sums are issued
}

// Thread 0 after writeSlice's barrier: one GPU-scope fence publishes every consumer thread's stores before the count that follows
// (a fence is cumulative, and their stores came before the barrier; a cooperative grid's sync works the same way). A fence in
// every thread, as before session 23, waited for each thread's own stores and cost the meet 0.5-0.7 us more (NOTES.md, session 23, m6).
__device__ __forceinline__ void publishSlice() {
    __threadfence();
    MEET_MARK(7);
}

// The slice written, a count on the tile's counter. True for the tile's last CTA (it resets the counter for the next launch),
// which then makes Y with sumWarpY; the others are done.
template <int BN>
__device__ __forceinline__ bool storeSlice(const float (&acc)[BN / 2], const Split& split) {
    writeSlice<BN>(acc, split);
    __shared__ uint32_t lastFlag;   // not the ring: the producer is filling it for the next unit
    volatile uint32_t* last = &lastFlag;
    if (threadIdx.x == 0) {
        publishSlice();
        uint32_t* counter = split.counter(BN);
        bool isLast = atomicAdd(counter, 1u) == (uint32_t)split.splits - 1;
        if (isLast) *counter = 0;
        *last = isLast;
    }
    asm volatile("bar.sync 1, %0;" :: "n"(CONSUMER_THREADS) : "memory");
    bool isLast = *last;
    if (isLast) __threadfence();
    return isLast;
}

// Split K in a cluster (the cluster entries): a split tile's S slices are the S CTAs of one cluster, and a slice is its CTA's
// last unit, so the ring is idle once the CTA's last block is consumed. Each CTA writes its sums there (X row-major, 132 floats per row: 128 W
// values and 4 of padding, which puts the quads' rows 2t on distinct banks), and after a cluster barrier CTA r makes rows
// r BN / S .. (r + 1) BN / S of Y from all S CTAs' sums, read through distributed shared memory and added in slice order
// from 0, as sumWarpY adds the workspace's: Y is the same bit for bit as the workspace path's (and its BF16 twin's).
// No workspace stores, fence, counter or L2 reads, and the adds are spread over the cluster instead of one CTA.
// WR = 64 (the half kernels): 68 floats per X row, and each warpgroup stores the half of the X rows it holds (pairSum).
template <int WR> __host__ __device__ constexpr int sumPitch() { return WR + 4; }
template <int BN, int S, int WR = W_ROWS>
__device__ __forceinline__ void clusterSum(const float (&acc)[BN / 2], uint8_t* ring, int slice, __nv_bfloat16* y, int M, int N, int mBase, int nBase, int warp, int lane) {
    constexpr int PITCH = sumPitch<WR>(), SHIFT = WR == 256 ? 5 : WR == 128 ? 4 : 3;   // pieces per X row: 1 << SHIFT
    constexpr int ROWS = BN / S, PIECES = ROWS << SHIFT;   // a piece: 8 W values of one X row (16 bytes of Y)
    static_assert(PIECES % CONSUMER_THREADS == 0, "a trip count the same for every consumer thread");
    float* sums = reinterpret_cast<float*>(ring);
    asm volatile("bar.sync 1, %0;" :: "n"(CONSUMER_THREADS) : "memory");   // both warpgroups' wgmmas (and pairSum's reads) are done with the ring
    if constexpr (WR == W_ROWS) storeSums<BN, PITCH>(acc, sums, warp, lane);
    else if (warp < 4) storeSums<BN, PITCH, 0, BN / 16>(acc, sums, warp, lane);
    else storeSums<BN, PITCH, BN / 16, BN / 8>(acc, sums, warp - 4, lane);
    asm volatile("barrier.cluster.arrive.release.aligned;\nbarrier.cluster.wait.acquire.aligned;" ::: "memory");
    for (int i = 0; i < PIECES / CONSUMER_THREADS; i++) {
        int c = threadIdx.x + CONSUMER_THREADS * i;
        int row = slice * ROWS + (c >> SHIFT), piece = c & ((1 << SHIFT) - 1), m = mBase + row;
        uint32_t mine = smemAddress(sums + row * PITCH + 8 * piece);
        float v[8] = {0, 0, 0, 0, 0, 0, 0, 0};
#pragma unroll
        for (int s = 0; s < S; s++) {
            uint32_t at;
            float4 lo, hi;
            asm volatile("mapa.shared::cluster.u32 %0, %1, %2;" : "=r"(at) : "r"(mine), "r"(s));
            asm volatile("ld.shared::cluster.v4.f32 {%0, %1, %2, %3}, [%4];" : "=f"(lo.x), "=f"(lo.y), "=f"(lo.z), "=f"(lo.w) : "r"(at) : "memory");
            asm volatile("ld.shared::cluster.v4.f32 {%0, %1, %2, %3}, [%4];" : "=f"(hi.x), "=f"(hi.y), "=f"(hi.z), "=f"(hi.w) : "r"(at + 16) : "memory");
            v[0] += lo.x; v[1] += lo.y; v[2] += lo.z; v[3] += lo.w;
            v[4] += hi.x; v[5] += hi.y; v[6] += hi.z; v[7] += hi.w;
        }
        if (m < M) {
            __nv_bfloat162 p[4] = {__floats2bfloat162_rn(v[0], v[1]), __floats2bfloat162_rn(v[2], v[3]),
                                   __floats2bfloat162_rn(v[4], v[5]), __floats2bfloat162_rn(v[6], v[7])};
            *reinterpret_cast<uint4*>(y + (size_t)m * N + nBase + 8 * piece) = *reinterpret_cast<const uint4*>(p);
        }
    }
    // No CTA leaves (and frees its shared memory) while another may still read its sums.
    asm volatile("barrier.cluster.arrive.release.aligned;\nbarrier.cluster.wait.acquire.aligned;" ::: "memory");
}

// The warp's part of Y (its 16 W rows: 32 bytes of each of the tile's BN X rows), 16 X rows at a time through its
// 512-byte buffer: stmatrix.trans turns the accumulators' fragments (W row g, X rows 2t, 2t + 1) into X rows of 8
// W values, and each lane writes one 16-byte piece, so every 32-byte sector of Y is written whole. No barrier with
// the other warps, and nothing of the ring: the producer already fills it for the next unit. The halves of a row
// swap places every 4 rows, which keeps stmatrix's eight rows of a matrix on distinct banks. n0: the warp's first W row.
struct WarpY {
    uint32_t to, from;
    __nv_bfloat16* column;
    int readRow;

    __device__ __forceinline__ WarpY(uint32_t buffer, __nv_bfloat16* y, int n0, int lane) {
        int q = lane >> 3, row = 8 * (q >> 1) + (lane & 7), half = q & 1;   // the row this lane addresses for stmatrix
        to = buffer + row * 32 + ((half ^ ((row >> 2) & 1)) << 4);
        readRow = lane >> 1;
        int readHalf = lane & 1;
        from = buffer + readRow * 32 + ((readHalf ^ ((readRow >> 2) & 1)) << 4);
        column = y + n0 + 8 * readHalf;
    }

    // X rows 16 c .. 16 c + 15 from v, the lane's 8 sums of them in the fragment order (accumulators 8 c .. 8 c + 7).
    __device__ __forceinline__ void chunk(const float* v, int c, int M, int N, int mBase) {
        uint32_t r[4];
#pragma unroll
        for (int i = 0; i < 4; i++) {
            __nv_bfloat162 pair = __floats2bfloat162_rn(v[2 * i], v[2 * i + 1]);
            r[i] = *reinterpret_cast<uint32_t*>(&pair);
        }
        asm volatile("stmatrix.sync.aligned.m8n8.x4.trans.shared.b16 [%0], {%1, %2, %3, %4};" :: "r"(to), "r"(r[0]), "r"(r[1]), "r"(r[2]), "r"(r[3]) : "memory");
        __syncwarp();
        uint4 y16 = loadShared16(from);
        int m = mBase + 16 * c + readRow;
        if (m < M) *reinterpret_cast<uint4*>(column + (size_t)m * N) = y16;
        __syncwarp();   // every lane has read the buffer before the next chunk's stmatrix
    }
};

// C0 .. C1 - 1: the chunks of 16 X rows to write (the half kernels' warpgroups each write half).
template <int BN, int C0 = 0, int C1 = BN / 16>
__device__ __forceinline__ void storeWarpY(const float (&acc)[BN / 2], uint32_t buffer, __nv_bfloat16* y, int M, int N, int mBase, int n0, int lane) {
    WarpY out(buffer, y, n0, lane);
#pragma unroll
    for (int c = C0; c < C1; c++) out.chunk(acc + 8 * c, c, M, N, mBase);
}

// Chunks c .. c + U - 1 of 16 X rows (past `last`: chunk `last` again, unused) of this consumer thread's fragments, added up from
// every slice in slice order from 0. Four slices' loads asked for before their adds: 128 KB in flight per CTA with U = 4 (32 KB
// before: NOTES.md session 15, f1); the accumulators are dead by then, so their registers hold the loads. With fewer than 4
// slices left the spare loads read slice s0 again, unused: loads under a branch made ptxas spill up to 2.7 KB in the unsplit entries.
// OWN (meetSum): this CTA's own slice, of its share from chunk own0 on, comes from `own` in shared memory, not the workspace.
template <int BN, int U, bool OWN = false>
__device__ __forceinline__ void addSlices(const Split& split, int c, int last, float (&v)[U][8], const float4* own = nullptr, int own0 = 0) {
#pragma unroll
    for (int u = 0; u < U; u++) {
#pragma unroll
        for (int i = 0; i < 8; i++) v[u][i] = 0;
    }
    // A trip count the same for every thread (NOTES.md, session 11: a thread-dependent one made the persistent loop divergent).
    for (int s0 = 0; s0 < split.splits; s0 += 4) {
        float4 p[4][U][2];
#pragma unroll
        for (int d = 0; d < 4; d++) {
            int s = s0 + d < split.splits ? s0 + d : s0;
            const float4* from = reinterpret_cast<const float4*>(split.slice(s, BN)) + threadIdx.x;
#pragma unroll
            for (int u = 0; u < U; u++) {
                int chunk = min(c + u, last);
                if (OWN && s == split.split) {   // the same for every thread of the CTA
                    p[d][u][0] = own[(2 * (chunk - own0)) * CONSUMER_THREADS + threadIdx.x];
                    p[d][u][1] = own[(2 * (chunk - own0) + 1) * CONSUMER_THREADS + threadIdx.x];
                } else {
                    p[d][u][0] = __ldcg(from + (2 * chunk) * CONSUMER_THREADS);
                    p[d][u][1] = __ldcg(from + (2 * chunk + 1) * CONSUMER_THREADS);
                }
            }
        }
#pragma unroll
        for (int d = 0; d < 4; d++) {
            if (s0 + d >= split.splits) break;
#pragma unroll
            for (int u = 0; u < U; u++) {
                v[u][0] += p[d][u][0].x; v[u][1] += p[d][u][0].y; v[u][2] += p[d][u][0].z; v[u][3] += p[d][u][0].w;
                v[u][4] += p[d][u][1].x; v[u][5] += p[d][u][1].y; v[u][6] += p[d][u][1].z; v[u][7] += p[d][u][1].w;
            }
        }
    }
}

// The last CTA of a split tile: each consumer thread adds its fragments' sums from every slice (addSlices, four chunks of 16
// X rows at a time) and its warp writes them as storeWarpY does.
template <int BN>
__device__ __forceinline__ void sumWarpY(const Split& split, uint32_t buffer, __nv_bfloat16* y, int M, int N, int mBase, int n0, int lane) {
    constexpr int U = BN / 16 < 4 ? BN / 16 : 4;   // chunks at a time
    WarpY out(buffer, y, n0, lane);
#pragma unroll
    for (int c0 = 0; c0 < BN / 16; c0 += U) {
        float v[U][8];
        addSlices<BN, U>(split, c0, BN / 16 - 1, v);
#pragma unroll
        for (int u = 0; u < U; u++) out.chunk(v[u], c0 + u, M, N, mBase);
    }
}

// Chunks c0 .. c1 - 1 of a split tile's Y, U at a time, added up from every slice (addSlices; this CTA's own from `own`) and
// written as storeWarpY does.
template <int BN, int U>
__device__ __forceinline__ void addShare(const Split& split, int c0, int c1, const float4* own, uint32_t buffer, __nv_bfloat16* y, int M, int N, int mBase, int n0, int lane) {
    WarpY out(buffer, y, n0, lane);
    for (int g = c0; g < c1; g += U) {
        float v[U][8];
        addSlices<BN, U, true>(split, g, c1 - 1, v, own, c0);
#pragma unroll
        for (int u = 0; u < U; u++) {
            if (g + u < c1) out.chunk(v[u], g + u, M, N, mBase);
        }
    }
}

// The meet entries' finish of a split tile: its S CTAs all store their slices, count themselves in on the tile's counter and wait
// until all S have; then CTA s adds the slices of chunks s C / S .. (s + 1) C / S - 1 only (C = BN / 16 chunks of 16 X rows), in
// slice order from 0 as sumWarpY does, so Y is the same bit for bit, and writes them. Each CTA reads BN x 128 x 4 bytes however
// many slices, where sumWarpY's one CTA reads S times that, after the others have gone; and the share it adds of its own slice
// never leaves the SM: it goes to the ring, idle once the CTA's one unit is consumed, not to the workspace (so each CTA writes and
// reads (S - 1) / S of its slice's bytes there). The counter: arrivals in its low 16 bits,
// departures in its high 16; the last to leave sets it back to 0 for the next launch. Waiting on the other CTAs needs them all
// resident at once: a CTA per unit (gemm traps otherwise), launched cooperatively (the driver refuses a grid the GPU cannot hold).
template <int BN>
__device__ __forceinline__ void meetSum(const float (&acc)[BN / 2], const Split& split, uint8_t* ring, uint32_t buffer, __nv_bfloat16* y, int M, int N, int mBase, int n0, int lane) {
    constexpr int C = BN / 16;
    int c0 = split.split * C / split.splits, c1 = (split.split + 1) * C / split.splits;
    float4* own = reinterpret_cast<float4*>(ring);
    MEET_MARK(1);
    asm volatile("bar.sync 1, %0;" :: "n"(CONSUMER_THREADS) : "memory");   // both warpgroups' wgmmas are done with the ring
    MEET_MARK(5);
    writeSlice<BN, true>(acc, split, own, c0, c1);
    MEET_MARK(2);
    uint32_t* counter = split.counter(BN);
    if (threadIdx.x == 0) {
        publishSlice();
        atomicAdd(counter, 1u);
        uint32_t seen;
        do {
            asm volatile("ld.acquire.gpu.global.u32 %0, [%1];" : "=r"(seen) : "l"(counter) : "memory");
        } while ((seen & 0xFFFFu) < (uint32_t)split.splits);
        __threadfence();   // and, as a grid's sync, the other CTAs' slices before every consumer thread's loads after the barrier
    }
    asm volatile("bar.sync 1, %0;" :: "n"(CONSUMER_THREADS) : "memory");
    MEET_MARK(3);
    // As sumWarpY over this CTA's share only: four chunks at a time, or two or one where the share is that small (a wider
    // batch would load the share's last chunk again from every slice).
    if (C >= 4 && c1 - c0 >= 4) addShare<BN, 4>(split, c0, c1, own, buffer, y, M, N, mBase, n0, lane);
    else if (C >= 2 && c1 - c0 >= 2) addShare<BN, 2>(split, c0, c1, own, buffer, y, M, N, mBase, n0, lane);
    else addShare<BN, 1>(split, c0, c1, own, buffer, y, M, N, mBase, n0, lane);
    asm volatile("bar.sync 1, %0;" :: "n"(CONSUMER_THREADS) : "memory");   // every thread of this CTA has read the slices
    MEET_MARK(4);
    if (threadIdx.x == 0) {
        uint32_t before = atomicAdd(counter, 0x10000u);
        if ((before >> 16) == (uint32_t)split.splits - 1) atomicExch(counter, 0u);   // the tile's last CTA to leave
    }
}

// The half kernels' finish of a tile: both warpgroups hold sums over alternate K blocks of the same 64 W rows x BN X rows.
// Each hands the other, through the ring (idle once the CTA's one unit is consumed), the sums of the X rows the other keeps
// (warpgroup 0 keeps rows 0 .. BN / 2 - 1, 1 the rest) and adds the other's to its own: a + b == b + a, so Y does not
// depend on which warpgroup adds.
template <int BN>
__device__ __forceinline__ void pairSum(float (&acc)[BN / 2], uint8_t* ring, int group) {
    constexpr int HALF = BN / 4;   // a thread's sums of one half of the X rows
    float4* swap = reinterpret_cast<float4*>(ring);   // [2][HALF / 4][128]: what each warpgroup gives
    int t = threadIdx.x & 127;
    asm volatile("bar.sync 1, %0;" :: "n"(CONSUMER_THREADS) : "memory");   // both warpgroups' wgmmas have read the ring
    float4* given = swap + group * (HALF / 4) * 128;
    const float4* taken = swap + (group ^ 1) * (HALF / 4) * 128;
    if (group == 0) {
#pragma unroll
        for (int i = 0; i < HALF / 4; i++) given[i * 128 + t] = make_float4(acc[HALF + 4 * i], acc[HALF + 4 * i + 1], acc[HALF + 4 * i + 2], acc[HALF + 4 * i + 3]);
    } else {
#pragma unroll
        for (int i = 0; i < HALF / 4; i++) given[i * 128 + t] = make_float4(acc[4 * i], acc[4 * i + 1], acc[4 * i + 2], acc[4 * i + 3]);
    }
    asm volatile("bar.sync 1, %0;" :: "n"(CONSUMER_THREADS) : "memory");
    if (group == 0) {
#pragma unroll
        for (int i = 0; i < HALF / 4; i++) {
            float4 v = taken[i * 128 + t];
            acc[4 * i] += v.x; acc[4 * i + 1] += v.y; acc[4 * i + 2] += v.z; acc[4 * i + 3] += v.w;
        }
    } else {
#pragma unroll
        for (int i = 0; i < HALF / 4; i++) {
            float4 v = taken[i * 128 + t];
            acc[HALF + 4 * i] += v.x; acc[HALF + 4 * i + 1] += v.y; acc[HALF + 4 * i + 2] += v.z; acc[HALF + 4 * i + 3] += v.w;
        }
    }
}

// Whether consume takes the window coding's blocks two a step (consumePairs): at 64 X rows, where a block's products are shortest
// (at 128 the issue run's 128-row candidates took 0.2-3.9% longer with it, at 256 a second A set spills: NOTES.md, session 26), not
// in the half kernels, and not in the wide build (at its 112 registers a consumer thread ptxas spills and serializes the wgmmas).
template <int BN, Mode MODE, int WR>
constexpr bool PAIRED = MODE == Mode::WINDOW && WR == W_ROWS && BN == 64 && CONSUMER_WARPS == 8;

// A unit's blocks one a step (consumeBlock), from `at` (left at the unit's last stage, still held), into acc. KB is even: a loop
// exit after an odd block (or a separate last block) makes ptxas serialize every wgmma (C7514), so the kernel takes K in multiples
// of 128 (of 256 in the half kernels).
template <int BN, class W, int WR>
__device__ __forceinline__ void consumeSingles(float (&acc)[BN / 2], W& w, RingPosition<W_ROWS / WR>& at, int KB, int strip, uint8_t* buffer, uint32_t ring, uint32_t bars,
                                               int warp, int lane) {
    uint32_t even[4][4], odd[4][4];
    barrierWait(bars + 8 * at.stage, at.parity);
    w.template decode<0>(0, KB, ring + at.stage * stageBytes<BN, W::MODE, WR>() + xStageBytes<BN>(), strip, buffer, lane, even);
    for (int kb = 0; kb < KB; kb += 2) {
        consumeBlock<BN, 0, W, WR>(acc, even, odd, w, at, kb, KB, buffer, ring, bars, warp, lane);
        consumeBlock<BN, 1, W, WR>(acc, odd, even, w, at, kb + 1, KB, buffer, ring, bars, warp, lane);
    }
    wgmmaWait<0>();
    fenceOperands(acc);
}

// A unit's blocks two a step (consumeTwo; KB a multiple of 4: two steps a loop trip, the register sets swapping by name), from `at`
// (left at the unit's last stage but one, still held; the last one is released here). The same products in the same order as
// consumeSingles', so Y is the same bit for bit.
template <int BN, class W>
__device__ __forceinline__ void consumePairs(float (&acc)[BN / 2], W& w, RingPosition<1>& at, int KB, uint32_t ring, uint32_t bars, int warp, int lane) {
    constexpr int S = stages<BN, W::MODE>();
    uint32_t p[2][4][4], q[2][4][4], held1 = 0;
    int t1 = at.stage + 1 == S ? 0 : at.stage + 1;
    barrierWait(bars + 8 * at.stage, at.parity);
    barrierWait(bars + 8 * t1, at.stage + 1 == S ? at.parity ^ 1 : at.parity);
    decodeTwo(w, 0, KB, ring + at.stage * stageBytes<BN, W::MODE>() + xStageBytes<BN>(), ring + t1 * stageBytes<BN, W::MODE>() + xStageBytes<BN>(), warp, lane, p[0], p[1]);
    for (int kb = 0; kb < KB; kb += 4) {
        consumeTwo<BN>(acc, p, q, w, at, held1, kb, KB, ring, bars, warp, lane);
        consumeTwo<BN>(acc, q, p, w, at, held1, kb + 2, KB, ring, bars, warp, lane);
    }
    fenceOperands(acc);
    RingPosition<1> last = at;   // block KB - 1's stage (held1); consume releases at's, block KB - 2's
    last.held = held1;
    if (lane == 31) last.release();
}

// One unit (a tile's slice of K) of the consumer warps, from ring position `at` (left at the next unit's). CLUSTER: the
// tile's CLUSTER slices are one cluster's CTAs (clusterSum). WR = 64 (the half kernels): warpgroup g takes the unit's blocks
// g, g + 2, ... (KB / 2 of them), its warp w the strip's tile w & 3, and pairSum joins the two; one unit per CTA.
template <int BN, int CLUSTER, class W, int WR = W_ROWS>
__device__ __forceinline__ void consume(W& w, uint8_t* smem, uint32_t ring, uint32_t bars, const Split& split, RingPosition<W_ROWS / WR>& at, __nv_bfloat16* y, int M, int N, int K, int mBase, int nBase) {
    constexpr int S = stages<BN, W::MODE, WR>();
    constexpr bool HALF = WR != W_ROWS;
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;   // warps 0..7, warpgroups 0 and 1
    int group = HALF ? warp >> 2 : 0, strip = HALF ? warp & 3 : warp;
    int KB = HALF ? split.KB / 2 : split.KB;
    uint8_t* buffer = smem + bufferOffset<BN, W::MODE, WR>() + warp * bufferBytes<W::MODE>();
    w.bind(((size_t)nBase + 16 * strip) / 16 * (K / 64) + split.kb0 + group, KB, lane);
    float acc[BN / 2];
#pragma unroll
    for (int i = 0; i < BN / 2; i++) asm volatile("mov.b32 %0, 0;" : "=f"(acc[i]));   // no copies of one zero (C7514)
    if constexpr (PAIRED<BN, W::MODE, WR>) {
        if (KB % 4 == 0) consumePairs<BN>(acc, w, at, KB, ring, bars, warp, lane);
        else consumeSingles<BN, W, WR>(acc, w, at, KB, strip, buffer, ring, bars, warp, lane);
    } else {
        consumeSingles<BN, W, WR>(acc, w, at, KB, strip, buffer, ring, bars, warp, lane);
    }
    // The unit's last stage goes back to the producer before the epilogue, which does not touch the ring.
    if (lane == 31) at.release();
    if constexpr (HALF) {
        pairSum<BN>(acc, smem, group);
        if (CLUSTER > 1 && split.splits > 1) clusterSum<BN, CLUSTER, WR>(acc, smem, split.split, y, M, N, mBase, nBase, warp, lane);
        else if (group == 0) storeWarpY<BN, 0, BN / 32>(acc, smemAddress(buffer), y, M, N, mBase, nBase + 16 * strip, lane);
        else storeWarpY<BN, BN / 32, BN / 16>(acc, smemAddress(buffer), y, M, N, mBase, nBase + 16 * strip, lane);
        return;
    }
    if (CLUSTER > 1 && split.splits > 1) {
        clusterSum<BN, CLUSTER>(acc, smem, split.split, y, M, N, mBase, nBase, warp, lane);
        return;
    }
    if (split.splits > 1) {
        if (split.meet) {
            meetSum<BN>(acc, split, smem, smemAddress(buffer), y, M, N, mBase, nBase + 16 * warp, lane);
            return;
        }
        if (storeSlice<BN>(acc, split)) sumWarpY<BN>(split, smemAddress(buffer), y, M, N, mBase, nBase + 16 * warp, lane);
        return;
    }
    storeWarpY<BN>(acc, smemAddress(buffer), y, M, N, mBase, nBase + 16 * warp, lane);
}

// The pair kernels' X copy (gemmPair): half of X's box, into both CTAs' stage at the same offset (.multicast::cluster).
__device__ __forceinline__ void tmaLoadBoth(uint32_t to, const CUtensorMap* map, int column, int row, uint32_t bar) {
    asm volatile("cp.async.bulk.tensor.2d.shared::cluster.global.mbarrier::complete_tx::bytes.multicast::cluster [%0], [%1, {%2, %3}], [%4], %5;"
                 :: "r"(to), "l"(map), "r"(column), "r"(row), "r"(bar), "h"((uint16_t)3) : "memory");
}

// The producer (one thread), for one unit: per K block, once the consumers have released the stage, its full barrier
// expects the stage's bytes, then X's box and W are requested: the window coding's WR / 16 tiles of the block by one request through
// the tile map (with 8 bulk copies instead, the 64-row kernel without its decode took 0.0263 ms where the map takes 0.0162: NOTES.md,
// session 25, t3), the palette coding's by WR / 16 bulk copies, BF16 W as a box of WR rows.
// It runs up to S blocks ahead of the consumers, into the next unit while they finish this one. PAIR (gemmPair): X's map
// has a box of BN / 2 rows, and this CTA (`rank` in its cluster) copies its half into both CTAs' stage.
template <int BN, Mode MODE, int WR = W_ROWS, bool PAIR = false>
__device__ __forceinline__ void produce(const CUtensorMap* xMap, const CUtensorMap* wMap, const uint8_t* tiles, uint32_t ring, uint32_t bars, const Split& split, int it0, int K, int mBase, int nBase, int rank = 0) {
    constexpr int S = stages<BN, MODE, WR>();
    int KB = split.KB, kb0 = split.kb0;
    size_t tile0 = (size_t)nBase / 16 * (K / 64) + kb0;   // the CTA's first strip's tile of its first block
    for (int kb = 0; kb < KB; kb++) {
        int it = it0 + kb, s = it % S;
        if (it >= S) barrierWait(bars + 8 * (S + s), ((it / S) + 1) & 1);
        uint32_t stage = ring + s * stageBytes<BN, MODE, WR>(), full = bars + 8 * s;
        arriveExpecting(full, stageBytes<BN, MODE, WR>());
        if constexpr (PAIR) tmaLoadBoth(stage + rank * (BN / 2) * 128, xMap, 64 * (kb0 + kb), mBase + rank * (BN / 2), full);
        else tmaLoad(stage, xMap, 64 * (kb0 + kb), mBase, full);
        if constexpr (MODE == Mode::BF16) {
            tmaLoad(stage + xStageBytes<BN>(), wMap, 64 * (kb0 + kb), nBase, full);
        } else if (wMap != nullptr) {   // the window entries: the block's WR / 16 tiles, one per strip, by one request (the tile map)
            tmaLoad(stage + xStageBytes<BN>(), wMap, (kb0 + kb) * (tileBytes<MODE>() / 8), nBase / 16, full);
        } else {
#pragma unroll
            for (int i = 0; i < WR / 16; i++) bulkLoad(stage + xStageBytes<BN>() + i * tileBytes<MODE>(), tiles + (tile0 + (size_t)i * (K / 64) + kb) * tileBytes<MODE>(), tileBytes<MODE>(), full);
        }
    }
}

// WR: W rows per CTA, W_ROWS, or 64 in the half kernels (consume), which take one unit per CTA and K in multiples of 256 per slice.
// meet (the meet entries, CLUSTER 1 and WR W_ROWS only): a split tile's slices add their sums together (meetSum), a CTA per unit.
template <int BN, class W, int CLUSTER = 1, int WR = W_ROWS>
__device__ __forceinline__ void gemm(W w, const CUtensorMap* xMap, const CUtensorMap* wMap, const uint8_t* coded, __nv_bfloat16* y, float* partial, int M, int N, int K, int splits, bool meet = false) {
    extern __shared__ uint8_t shared[];
    constexpr Mode MODE = W::MODE;
    constexpr int S = stages<BN, MODE, WR>();
    // The 128-byte swizzle repeats every 1024 bytes and is computed from address bits: align the ring to 1024.
    uint8_t* smem = shared + ((1024 - (smemAddress(shared) & 1023)) & 1023);
    uint32_t ring = smemAddress(smem);
    uint32_t bars = ring + barrierOffset<BN, MODE, WR>();   // full[S] then empty[S]
    // Units: per tile (WR W rows x BN X rows; X blocks fastest) its `splits` slices of K, adjacent. CTA b takes units
    // b, b + gridDim.x, ...: one each when the grid has a CTA per unit; a grid of one CTA per multiprocessor
    // (persistent) fills the ring for its next unit while it finishes the last.
    int mBlocks = (M + BN - 1) / BN, KB = K / 64 / splits;
    int tiles = mBlocks * (N / WR), units = tiles * splits;
    auto unitSplit = [&](int unit) {
        int tile = unit / splits, slice = unit % splits;
        return Split{splits, slice, slice * KB, KB, (size_t)tile, (size_t)tiles, partial, meet};
    };
    static_assert(CLUSTER == 1 || BN * sumPitch<WR>() * 4 <= S * stageBytes<BN, MODE, WR>(), "the sums fit in the ring");
    static_assert(WR == W_ROWS || BN * 256 <= S * stageBytes<BN, MODE, WR>(), "pairSum's exchange fits in the ring");
    static_assert(BN * W_ROWS * 2 <= S * stageBytes<BN, MODE, WR>(), "meetSum's own share (at most half a slice) fits in the ring");
    if (WR != W_ROWS && ((int)gridDim.x != units || KB % 4 != 0)) asm volatile("trap;");
    if (meet && (CLUSTER != 1 || WR != W_ROWS || (int)gridDim.x != units)) asm volatile("trap;");
    if (meet) MEET_MARK(0);
    // In clusters: first `whole` tiles one CTA each (b, b + G, ...), then the tail's, each cut in CLUSTER slices that are one
    // cluster's CTAs (cluster c takes tail tile c); a CTA's slice is its last unit, so the ring is idle for the sums. With a
    // CTA per unit (G = units) every tile is in the tail; with a smaller grid the tail is the last, partial round of tiles
    // (tiles % G) when one cluster each covers it, else none. Refuse any other launch.
    int whole = 0, tail = tiles;
    if constexpr (CLUSTER > 1) {
        int G = gridDim.x, left = tiles % G;
        tail = left <= G / CLUSTER ? left : 0;
        whole = tiles - tail;
        if (splits != CLUSTER || G % CLUSTER != 0) asm volatile("trap;");
    }
    auto tailSplit = [&]() {
        int slice = blockIdx.x % CLUSTER;
        return Split{CLUSTER, slice, slice * KB, KB, 0, 0, nullptr};
    };
    bool inTail = (int)blockIdx.x / CLUSTER < tail;
    int tailTile = whole + blockIdx.x / CLUSTER;
    if (threadIdx.x == 0) {
        for (int s = 0; s < S; s++) {
            barrierInit(bars + 8 * s, 1);                                  // the producer's arrival with its bytes
            barrierInit(bars + 8 * (S + s), WR == W_ROWS ? CONSUMER_WARPS : 4);   // the consuming warpgroup's warps
        }
        asm volatile("fence.mbarrier_init.release.cluster;" ::: "memory");   // visible to the TMA unit's arrivals
    }
    __syncthreads();
    if (threadIdx.x >= CONSUMER_THREADS) {
        asm volatile("setmaxnreg.dec.sync.aligned.u32 %0;" :: "n"(PRODUCER_REGS));
        if (threadIdx.x != CONSUMER_THREADS) return;
        if constexpr (CLUSTER > 1) {
            int it0 = 0;
            for (int tile = blockIdx.x; tile < whole; tile += gridDim.x, it0 += K / 64) {
                produce<BN, MODE, WR>(xMap, wMap, coded, ring, bars, Split{1, 0, 0, K / 64, 0, 0, nullptr}, it0, K, (tile % mBlocks) * BN, (tile / mBlocks) * WR);
            }
            if (inTail) produce<BN, MODE, WR>(xMap, wMap, coded, ring, bars, tailSplit(), it0, K, (tailTile % mBlocks) * BN, (tailTile / mBlocks) * WR);
        } else {
            for (int unit = blockIdx.x, it0 = 0; unit < units; unit += gridDim.x, it0 += KB) {
                int tile = unit / splits;
                produce<BN, MODE, WR>(xMap, wMap, coded, ring, bars, unitSplit(unit), it0, K, (tile % mBlocks) * BN, (tile / mBlocks) * WR);
            }
        }
    } else {
        asm volatile("setmaxnreg.inc.sync.aligned.u32 %0;" :: "n"(CONSUMER_REGS));
        RingPosition<W_ROWS / WR> at{WR == W_ROWS ? 0 : (int)(threadIdx.x >> 7), 0, 0, -1};   // the half kernels' warpgroup g: block g first
        if constexpr (CLUSTER > 1) {
            for (int tile = blockIdx.x; tile < whole; tile += gridDim.x) {
                consume<BN, CLUSTER, W, WR>(w, smem, ring, bars, Split{1, 0, 0, K / 64, 0, 0, nullptr}, at, y, M, N, K, (tile % mBlocks) * BN, (tile / mBlocks) * WR);
            }
            if (inTail) consume<BN, CLUSTER, W, WR>(w, smem, ring, bars, tailSplit(), at, y, M, N, K, (tailTile % mBlocks) * BN, (tailTile / mBlocks) * WR);
        } else {
            for (int unit = blockIdx.x; unit < units; unit += gridDim.x) {
                int tile = unit / splits;
                consume<BN, CLUSTER, W, WR>(w, smem, ring, bars, unitSplit(unit), at, y, M, N, K, (tile % mBlocks) * BN, (tile / mBlocks) * WR);
            }
        }
    }
}


// The pair kernels (tmaWindowPair256, tmaBf16Pair_256; NOTES.md session 24, p2): W tiles in pairs sharing X by multicast,
// K unsplit, persistent. A cluster's two CTAs take adjacent W tiles (128 rows each) of the same BN X rows; each loads half of
// X's box (xMap's box is {64, BN / 2}) into both CTAs' stage (.multicast::cluster; both halves count on each CTA's full
// barrier), and every consumer warp releases the stage to both producers (the empty barriers count both CTAs' warps). X is
// read from L2 once per pair instead of once per tile; each CTA's products are the unpaired kernel's, so Y is the same bit for bit.
template <int BN, class W>
__device__ __forceinline__ void gemmPair(W w, const CUtensorMap* xMap, const CUtensorMap* wMap, const uint8_t* coded, __nv_bfloat16* y, int M, int N, int K, int splits) {
    extern __shared__ uint8_t shared[];
    constexpr Mode MODE = W::MODE;
    constexpr int S = stages<BN, MODE>();
    uint8_t* smem = shared + ((1024 - (smemAddress(shared) & 1023)) & 1023);
    uint32_t ring = smemAddress(smem);
    uint32_t bars = ring + barrierOffset<BN, MODE>();
    int rank = blockIdx.x & 1, cluster = blockIdx.x >> 1, clusters = gridDim.x >> 1;
    int mBlocks = (M + BN - 1) / BN, KB = K / 64, pairs = mBlocks * (N / (2 * W_ROWS));
    if (splits != 1 || (gridDim.x & 1) || N % (2 * W_ROWS) != 0) asm volatile("trap;");
    if (threadIdx.x == 0) {
        for (int s = 0; s < S; s++) {
            barrierInit(bars + 8 * s, 1);
            barrierInit(bars + 8 * (S + s), 2 * CONSUMER_WARPS);   // both CTAs' consumer warps
        }
        asm volatile("fence.mbarrier_init.release.cluster;" ::: "memory");
    }
    clusterSync();   // the other CTA's barriers exist before any multicast lands on them
    if (threadIdx.x >= CONSUMER_THREADS) {
        asm volatile("setmaxnreg.dec.sync.aligned.u32 %0;" :: "n"(PRODUCER_REGS));
        if (threadIdx.x != CONSUMER_THREADS) return;
        int it = 0;
        for (int p = cluster; p < pairs; p += clusters, it += KB) {
            int mBase = (p % mBlocks) * BN, nBase = ((p / mBlocks) * 2 + rank) * W_ROWS;
            produce<BN, MODE, W_ROWS, true>(xMap, wMap, coded, ring, bars, Split{1, 0, 0, KB, 0, 0, nullptr}, it, K, mBase, nBase, rank);
        }
        // The CTA stays until both CTAs' consumers have released every stage: the other CTA's consumers arrive on its barriers.
        for (int i = 0; i < S; i++, it++) {
            if (it >= S) barrierWait(bars + 8 * (S + it % S), ((it / S) + 1) & 1);
        }
    } else {
        asm volatile("setmaxnreg.inc.sync.aligned.u32 %0;" :: "n"(CONSUMER_REGS));
        RingPosition<1> at{0, 0, 0, rank ^ 1};
        for (int p = cluster; p < pairs; p += clusters) {
            int mBase = (p % mBlocks) * BN, nBase = ((p / mBlocks) * 2 + rank) * W_ROWS;
            consume<BN, 1, W>(w, smem, ring, bars, Split{1, 0, 0, KB, 0, 0, nullptr}, at, y, M, N, K, mBase, nBase);
        }
    }
}

}  // namespace wgmma_tma

using namespace wgmma_tma;

#define TMA_ENTRIES(BN)                                                                            \
    extern "C" __global__ void __launch_bounds__(THREADS, 1) tmaPatch##BN(                           \
        const __grid_constant__ CUtensorMap xMap, const uint8_t* tiles, long long, const uint2* palettes, long long,          \
        const uint32_t* escapeStarts, long long, const uint8_t* escapes, long long, const uint16_t* positions, long long,     \
        __nv_bfloat16* y, long long, float* partial, long long, int M, int N, int K, int splits) {                            \
        PaletteW<false> w{palettes, escapeStarts, escapes, positions, 0, {}, 0, 0, {}};                                        \
        gemm<BN>(w, &xMap, nullptr, tiles, y, partial, M, N, K, splits);                                                       \
    }                                                                                                                          \
    extern "C" __global__ void __launch_bounds__(THREADS, 1) tmaWindow##BN(                          \
        const __grid_constant__ CUtensorMap xMap, const __grid_constant__ CUtensorMap tileMap, const uint8_t* tiles, long long,  \
        const uint2* palettes, long long, const uint32_t* escapeStarts, long long, const uint8_t* escapes, long long,         \
        const uint16_t* positions, long long, __nv_bfloat16* y, long long, float* partial, long long, int M, int N, int K,     \
        int splits) {                                                                                                          \
        PaletteW<true> w{palettes, escapeStarts, escapes, positions, 0, {}, 0, 0, {}};                                         \
        gemm<BN>(w, &xMap, &tileMap, tiles, y, partial, M, N, K, splits);                                                       \
    }                                                                                                                          \
    extern "C" __global__ void __launch_bounds__(THREADS, 1) tmaBf16_##BN(                           \
        const __grid_constant__ CUtensorMap xMap, const __grid_constant__ CUtensorMap wMap, __nv_bfloat16* y, long long,      \
        float* partial, long long, int M, int N, int K, int splits) {                                                         \
        gemm<BN>(Bf16W{}, &xMap, &wMap, nullptr, y, partial, M, N, K, splits);                                                 \
    }

TMA_ENTRIES(64)
#ifndef TC_WIDE
TMA_ENTRIES(128)
TMA_ENTRIES(256)

// The window coding with K split and a tile's slices meeting through the workspace to share the adds (meetSum), and its BF16
// twin: one CTA per unit, all resident at once (a cooperative launch); Y is the same bit for bit as tmaWindow's and tmaBf16_'s
// at the same splits. 128 and 256 X rows only: with 64 it lost to the workspace finish in every cell (NOTES.md session 21, m).
#define TMA_MEET_ENTRIES(BN)                                                                                                   \
    extern "C" __global__ void __launch_bounds__(THREADS, 1) tmaWindowMeet##BN(                                                \
        const __grid_constant__ CUtensorMap xMap, const __grid_constant__ CUtensorMap tileMap, const uint8_t* tiles, long long,  \
        const uint2* palettes, long long, const uint32_t* escapeStarts, long long, const uint8_t* escapes, long long,         \
        const uint16_t* positions, long long, __nv_bfloat16* y, long long, float* partial, long long, int M, int N, int K,     \
        int splits) {                                                                                                          \
        PaletteW<true> w{palettes, escapeStarts, escapes, positions, 0, {}, 0, 0, {}};                                         \
        gemm<BN>(w, &xMap, &tileMap, tiles, y, partial, M, N, K, splits, true);                                                 \
    }                                                                                                                          \
    extern "C" __global__ void __launch_bounds__(THREADS, 1) tmaBf16Meet_##BN(                                                 \
        const __grid_constant__ CUtensorMap xMap, const __grid_constant__ CUtensorMap wMap, __nv_bfloat16* y, long long,      \
        float* partial, long long, int M, int N, int K, int splits) {                                                         \
        gemm<BN>(Bf16W{}, &xMap, &wMap, nullptr, y, partial, M, N, K, splits, true);                                           \
    }
TMA_MEET_ENTRIES(128)
TMA_MEET_ENTRIES(256)
#endif

#ifndef TC_WIDE
// The pair kernels (gemmPair): 256 X rows, clusters of 2 on adjacent W tiles sharing X, K unsplit (splits must be 1), any even
// grid (best: min(tiles, multiprocessors) rounded down to even); n a multiple of 256. Y the same bit for bit as tmaWindow256's.
extern "C" __global__ void __cluster_dims__(2, 1, 1) __launch_bounds__(THREADS, 1) tmaWindowPair256(
    const __grid_constant__ CUtensorMap xMap, const __grid_constant__ CUtensorMap tileMap, const uint8_t* tiles, long long,
    const uint2* palettes, long long, const uint32_t* escapeStarts, long long, const uint8_t* escapes, long long,
    const uint16_t* positions, long long, __nv_bfloat16* y, long long, float*, long long, int M, int N, int K, int splits) {
    PaletteW<true> w{palettes, escapeStarts, escapes, positions, 0, {}, 0, 0, {}};
    gemmPair<256>(w, &xMap, &tileMap, tiles, y, M, N, K, splits);
}
extern "C" __global__ void __cluster_dims__(2, 1, 1) __launch_bounds__(THREADS, 1) tmaBf16Pair_256(
    const __grid_constant__ CUtensorMap xMap, const __grid_constant__ CUtensorMap wMap, __nv_bfloat16* y, long long,
    float*, long long, int M, int N, int K, int splits) {
    gemmPair<256>(Bf16W{}, &xMap, &wMap, nullptr, y, M, N, K, splits);
}
#endif

// The window coding with K split in S = 2 or 4 and a tile's slices one cluster (clusterSum), and its BF16 twin: launch with
// splits = S on a grid that is a multiple of S: one CTA per unit (tiles * S; then Y is the same bit for bit as tmaWindow's
// and tmaBf16_'s at S splits), or fewer, and then only the tiles of the last, partial round are split (see gemm).
#define TMA_CLUSTER_ENTRY(BN, S)                                                                                               \
    extern "C" __global__ void __cluster_dims__(S, 1, 1) __launch_bounds__(THREADS, 1) tmaWindowCluster##BN##x##S(               \
        const __grid_constant__ CUtensorMap xMap, const __grid_constant__ CUtensorMap tileMap, const uint8_t* tiles, long long,  \
        const uint2* palettes, long long, const uint32_t* escapeStarts, long long, const uint8_t* escapes, long long,         \
        const uint16_t* positions, long long, __nv_bfloat16* y, long long, float* partial, long long, int M, int N, int K,     \
        int splits) {                                                                                                          \
        PaletteW<true> w{palettes, escapeStarts, escapes, positions, 0, {}, 0, 0, {}};                                         \
        gemm<BN, PaletteW<true>, S>(w, &xMap, &tileMap, tiles, y, partial, M, N, K, splits);                                    \
    }                                                                                                                          \
    extern "C" __global__ void __cluster_dims__(S, 1, 1) __launch_bounds__(THREADS, 1) tmaBf16Cluster##BN##x##S(                 \
        const __grid_constant__ CUtensorMap xMap, const __grid_constant__ CUtensorMap wMap, __nv_bfloat16* y, long long,      \
        float* partial, long long, int M, int N, int K, int splits) {                                                         \
        gemm<BN, Bf16W, S>(Bf16W{}, &xMap, &wMap, nullptr, y, partial, M, N, K, splits);                                       \
    }
TMA_CLUSTER_ENTRY(64, 2)
TMA_CLUSTER_ENTRY(64, 4)
#ifndef TC_WIDE
TMA_CLUSTER_ENTRY(128, 2)
TMA_CLUSTER_ENTRY(128, 4)
TMA_CLUSTER_ENTRY(256, 2)
TMA_CLUSTER_ENTRY(256, 4)

// The half kernels (WR = 64: gemm, consume, pairSum): a CTA multiplies 64 W rows by BN X rows, its two consumer warpgroups taking
// alternate K blocks of the same rows, so wgmma keeps its widest shape (m64n256, where register A costs least: NOTES.md session 15)
// on twice the 128-row kernel's tiles, for the shapes whose tiles leave SMs idle. One CTA per unit; K a multiple of 256 per slice;
// K split in S = 2 or 4 only as one cluster per tile (clusterSum). The BF16 twins read W by a tensor map with a box of 64 rows.
extern "C" __global__ void __launch_bounds__(THREADS, 1) tmaWindowHalf256(
    const __grid_constant__ CUtensorMap xMap, const __grid_constant__ CUtensorMap tileMap, const uint8_t* tiles, long long,
    const uint2* palettes, long long, const uint32_t* escapeStarts, long long, const uint8_t* escapes, long long,
    const uint16_t* positions, long long, __nv_bfloat16* y, long long, float* partial, long long, int M, int N, int K, int splits) {
    PaletteW<true, 2> w{palettes, escapeStarts, escapes, positions, 0, {}, 0, 0, {}};
    gemm<256, PaletteW<true, 2>, 1, 64>(w, &xMap, &tileMap, tiles, y, partial, M, N, K, splits);
}
extern "C" __global__ void __launch_bounds__(THREADS, 1) tmaBf16Half_256(
    const __grid_constant__ CUtensorMap xMap, const __grid_constant__ CUtensorMap wMap, __nv_bfloat16* y, long long,
    float* partial, long long, int M, int N, int K, int splits) {
    gemm<256, Bf16W, 1, 64>(Bf16W{}, &xMap, &wMap, nullptr, y, partial, M, N, K, splits);
}
#define TMA_HALF_CLUSTER_ENTRY(BN, S)                                                                                          \
    extern "C" __global__ void __cluster_dims__(S, 1, 1) __launch_bounds__(THREADS, 1) tmaWindowHalfCluster##BN##x##S(           \
        const __grid_constant__ CUtensorMap xMap, const __grid_constant__ CUtensorMap tileMap, const uint8_t* tiles, long long,  \
        const uint2* palettes, long long, const uint32_t* escapeStarts, long long, const uint8_t* escapes, long long,         \
        const uint16_t* positions, long long, __nv_bfloat16* y, long long, float* partial, long long, int M, int N, int K,     \
        int splits) {                                                                                                          \
        PaletteW<true, 2> w{palettes, escapeStarts, escapes, positions, 0, {}, 0, 0, {}};                                      \
        gemm<BN, PaletteW<true, 2>, S, 64>(w, &xMap, &tileMap, tiles, y, partial, M, N, K, splits);                             \
    }                                                                                                                          \
    extern "C" __global__ void __cluster_dims__(S, 1, 1) __launch_bounds__(THREADS, 1) tmaBf16HalfCluster##BN##x##S(             \
        const __grid_constant__ CUtensorMap xMap, const __grid_constant__ CUtensorMap wMap, __nv_bfloat16* y, long long,      \
        float* partial, long long, int M, int N, int K, int splits) {                                                         \
        gemm<BN, Bf16W, S, 64>(Bf16W{}, &xMap, &wMap, nullptr, y, partial, M, N, K, splits);                                   \
    }
TMA_HALF_CLUSTER_ENTRY(256, 2)
TMA_HALF_CLUSTER_ENTRY(256, 4)
#endif
