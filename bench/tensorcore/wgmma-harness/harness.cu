// Standalone harness for tensorcore's wgmma kernels (NOTES.md, versions w3 to w8): correctness and timing of
// wgmma_tma.cu ("tma": TMA-fed, A from registers) beside
// wgmma_gemm.cu ("v4", compiled in v4.cu) and cuBLAS. Small products against a float reference (palette == BF16
// bit for bit, every Y element written), then CUDA-event timings (median of 7 x 10 launches [min..max]). The
// palette layout is written by a host encoder that follows LAYOUT.md (per-tile palettes); the v4 kernel decoding
// it bit-identically to its BF16 mode checks the encoder. Usage: ./h small | quick | time | split | persist | tcluster | smallm | ahead | cluster | ramp | narrow | jit | power | ncu | cublas | wide | meetline (run-on-gpu.sh; README.md).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <cmath>
#include <vector>
#include <algorithm>
#include <string>
#include <functional>
#include <chrono>
#include <memory>
#include <cuda_runtime.h>
#include <cuda.h>
#include "wgmma_tma.cu"
#ifndef NO_CUBLAS
#include <cublas_v2.h>
#endif

#define CK(x) do { cudaError_t e_ = (x); if (e_ != cudaSuccess) { printf("CUDA error %s at %s:%d\n", cudaGetErrorString(e_), __FILE__, __LINE__); exit(2); } } while (0)

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static double urand() { rng = rng * 6364136223846793005ull + 1442695040888963407ull; return ((rng >> 11) + 0.5) / 9007199254740992.0; }
static double nrand() { return sqrt(-2 * log(urand())) * cos(6.283185307179586 * urand()); }
static uint16_t bf16(float f) { uint32_t u; memcpy(&u, &f, 4); return (uint16_t)((u + 0x7FFF + ((u >> 16) & 1)) >> 16); }
static float fromBf16(uint16_t h) { uint32_t u = (uint32_t)h << 16; float f; memcpy(&f, &u, 4); return f; }

struct Palette { std::vector<uint8_t> tiles, palettes, escapes; std::vector<uint32_t> starts; std::vector<uint16_t> positions; };

static Palette encode(const std::vector<uint16_t>& w, int N, int K) {
    Palette p; int KB = K / 64; size_t T = (size_t)N / 16 * KB;
    p.tiles.assign(T * 1408, 0); p.palettes.assign(T * 8, 0); p.starts.assign(T + 1, 0);
    for (size_t tile = 0; tile < T; tile++) {
        size_t s = tile / KB, kt = tile % KB;
        int hist[256] = {0};
        auto at = [&](int l, int j) { int g = l / 4, t = l % 4; int row = g + 8 * (j / 16), col = 32 * ((j / 8) % 2) + 8 * t + j % 8; return w[(16 * s + row) * K + 64 * kt + col]; };
        for (int l = 0; l < 32; l++) for (int j = 0; j < 32; j++) hist[(at(l, j) >> 7) & 0xFF]++;
        int order[256], n = 0; for (int i = 0; i < 256; i++) if (hist[i]) order[n++] = i;
        std::stable_sort(order, order + n, [&](int a, int b) { return hist[a] > hist[b]; });
        for (int i = 0; i < 256 && n < 7; i++) if (!hist[i]) order[n++] = i;   // unused exponents fill the slots left
        uint8_t* pal = &p.palettes[tile * 8]; for (int i = 0; i < 7; i++) pal[i] = order[i]; pal[7] = 0;
        uint8_t* tb = &p.tiles[tile * 1408];
        p.starts[tile] = p.escapes.size();
        for (int l = 0; l < 32; l++) {
            uint32_t word[3] = {0, 0, 0};
            for (int j = 0; j < 32; j++) {
                uint16_t v = at(l, j), partner = at(l, j ^ 1);
                int e = (v >> 7) & 0xFF, code = 7;
                for (int i = 0; i < 7; i++) if (pal[i] == e) { code = i; break; }
                if (j < 24) word[j / 8] |= (uint32_t)code << (4 * (j % 8));
                else for (int b = 0; b < 3; b++) if ((code >> b) & 1) word[b] |= 1u << (4 * (j - 24) + 3);
                int pos = 16 * (32 * (j / 16) + l) + j % 16;
                tb[384 + pos] = (uint8_t)(((v & 0x7F) << 1) | (partner >> 15));
                if (code == 7) { p.escapes.push_back(e); p.positions.push_back(pos); }
            }
            for (int b = 0; b < 3; b++) memcpy(tb + 4 * (32 * b + l), &word[b], 4);
        }
    }
    p.starts[T] = p.escapes.size();
    return p;
}

// The window coding (LAYOUT.md): per tile the base b in 0..240 whose window b .. b + 14 holds most exponents (ties to
// the smaller b), 4-bit codes (15: escape), the plane at byte 512, weights in wgmma's fragment order (lane t: the
// column pair 2t of each 8-column group).
static Palette encodeWindow(const std::vector<uint16_t>& w, int N, int K) {
    Palette p; int KB = K / 64; size_t T = (size_t)N / 16 * KB;
    p.tiles.assign(T * 1536, 0); p.palettes.assign(T * 8, 0); p.starts.assign(T + 1, 0);
    for (size_t tile = 0; tile < T; tile++) {
        size_t s = tile / KB, kt = tile % KB;
        int hist[256] = {0};
        auto at = [&](int l, int j) { int g = l / 4, t = l % 4; int row = g + 8 * (j / 16), col = 8 * ((j % 16) / 2) + 2 * t + j % 2; return w[(16 * s + row) * K + 64 * kt + col]; };
        for (int l = 0; l < 32; l++) for (int j = 0; j < 32; j++) hist[(at(l, j) >> 7) & 0xFF]++;
        int base = 0, best = -1;
        for (int b = 0; b <= 240; b++) { int c = 0; for (int i = 0; i < 15; i++) c += hist[b + i]; if (c > best) { best = c; base = b; } }
        p.palettes[tile * 8] = (uint8_t)base;
        uint8_t* tb = &p.tiles[tile * 1536];
        p.starts[tile] = p.escapes.size();
        for (int l = 0; l < 32; l++) {
            for (int j = 0; j < 32; j++) {
                uint16_t v = at(l, j), partner = at(l, j ^ 1);
                int e = (v >> 7) & 0xFF, code = e - base >= 0 && e - base <= 14 ? e - base : 15;
                tb[16 * l + 4 * (j / 8) + j % 4] |= (uint8_t)(code << (4 * ((j % 8) / 4)));
                int pos = 16 * (32 * (j / 16) + l) + j % 16;
                tb[512 + pos] = (uint8_t)(((v & 0x7F) << 1) | (partner >> 15));
                if (code == 15) { p.escapes.push_back(e); p.positions.push_back(pos); }
            }
        }
    }
    p.starts[T] = p.escapes.size();
    return p;
}

template <class T> static T* up(const std::vector<T>& v, size_t pad = 0) { T* d; CK(cudaMalloc(&d, v.size() * sizeof(T) + pad + 16)); CK(cudaMemset(d, 0, v.size() * sizeof(T) + pad + 16)); CK(cudaMemcpy(d, v.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice)); return d; }

// One coding of W on the device: its five parts, the share of escaped weights and the bytes of all parts.
struct Coded { uint8_t *tiles, *pals, *esc; uint32_t* starts; uint16_t* pos; double escFrac; size_t bytes; };
struct DevW { uint16_t* bf; uint8_t *tiles, *pals, *esc; uint32_t* starts; uint16_t* pos; double escFrac; Coded win; };

static Coded upCoded(const Palette& p, int N, int K) {
    Coded c; c.tiles = up(p.tiles); c.pals = up(p.palettes); c.esc = up(p.escapes, 128); c.starts = up(p.starts); c.pos = up(p.positions, 256);
    c.escFrac = (double)p.escapes.size() / ((double)N * K);
    c.bytes = p.tiles.size() + p.palettes.size() + p.starts.size() * 4 + p.escapes.size() * 3;
    return c;
}

static void freeCoded(Coded& c) { cudaFree(c.tiles); cudaFree(c.pals); cudaFree(c.esc); cudaFree(c.starts); cudaFree(c.pos); }

static DevW upload(const std::vector<uint16_t>& w, int N, int K) {
    Palette p = encode(w, N, K);
    DevW d; d.bf = up(w); d.tiles = up(p.tiles); d.pals = up(p.palettes); d.esc = up(p.escapes, 128); d.starts = up(p.starts); d.pos = up(p.positions, 256);
    d.escFrac = (double)p.escapes.size() / ((double)N * K);
    d.win = upCoded(encodeWindow(w, N, K), N, K);
    return d;
}

static void freeW(DevW& d) { cudaFree(d.bf); cudaFree(d.tiles); cudaFree(d.pals); cudaFree(d.esc); cudaFree(d.starts); cudaFree(d.pos); freeCoded(d.win); }

enum Kind { V4_BF, V4_PAL, TMA_BF, TMA_PAL, TMA_WIN };
static const char* kname(Kind k) { static const char* n[] = {"v4-bf16", "v4-pal", "tma-bf16", "tma-pal", "tma-win"}; return n[k]; }

// v4.cu: wgmma_gemm.cu's paired kernels (its names clash with wgmma_tma.cu's in one translation unit).
void launchV4(bool palette, int BN, const uint16_t* bf, const uint8_t* tiles, const uint2* pals, const uint32_t* starts, const uint8_t* esc,
              const uint16_t* pos, const uint16_t* x, __nv_bfloat16* y, int M, int N, int K);

// X or BF16 W as a 2-D tensor map: {cols, rows}, box {64, boxRows}, 128-byte swizzle, zero fill past the edges.
static CUtensorMap tensorMap(const void* base, int cols, int rows, int boxRows) {
    CUtensorMap m;
    cuuint64_t dims[2] = {(cuuint64_t)cols, (cuuint64_t)rows}, strides[1] = {(cuuint64_t)cols * 2};
    cuuint32_t box[2] = {64, (cuuint32_t)boxRows}, steps[2] = {1, 1};
    CUresult r = cuTensorMapEncodeTiled(&m, CU_TENSOR_MAP_DATA_TYPE_BFLOAT16, 2, const_cast<void*>(base), dims, strides, box, steps,
                                        CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_128B, CU_TENSOR_MAP_L2_PROMOTION_L2_256B,
                                        CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
    if (r != CUDA_SUCCESS) { printf("cuTensorMapEncodeTiled failed: %d\n", (int)r); exit(2); }
    return m;
}

// The window coding's tile array as the TMA window entries take it: a 2-D map of 8-byte elements (a row per strip of 16 W rows: its
// K / 64 tiles of 1536 bytes side by side), box {192, wr / 16}: a block's tiles for wr W rows in one request (WgmmaGemm.tileMap in Java).
static CUtensorMap tilesMap(const void* tiles, int N, int K, int wr = wgmma_tma::W_ROWS) {
    CUtensorMap m;
    cuuint64_t dims[2] = {(cuuint64_t)(K / 64) * 192, (cuuint64_t)(N / 16)}, strides[1] = {(cuuint64_t)(K / 64) * 1536};
    cuuint32_t box[2] = {192, (cuuint32_t)wr / 16}, steps[2] = {1, 1};
    CUresult r = cuTensorMapEncodeTiled(&m, CU_TENSOR_MAP_DATA_TYPE_UINT64, 2, const_cast<void*>(tiles), dims, strides, box, steps,
                                        CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_NONE, CU_TENSOR_MAP_L2_PROMOTION_L2_256B,
                                        CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
    if (r != CUDA_SUCCESS) { printf("cuTensorMapEncodeTiled (tiles) failed: %d\n", (int)r); exit(2); }
    return m;
}

// The split-K workspace (slices, then counters that the kernel leaves at zero). Zeroed again whenever its layout
// changes: the counters then sit where another layout's slices left values (a first run without this left Y unwritten).
static float* workspace(size_t floats) {
    static float* w = nullptr; static size_t size = 0, last = 0;
    if (floats > size) { if (w) cudaFree(w); CK(cudaMalloc(&w, floats * 4)); size = floats; last = 0; }
    if (floats != last) { CK(cudaMemset(w, 0, size * 4)); last = floats; }
    return w;
}

#ifdef TC_WIDE   // session 19's experiment build of wgmma_tma.cu: only its 64-row entries exist (256 W rows per CTA); the names below only link
#define tmaPatch128 tmaPatch64
#define tmaPatch256 tmaPatch64
#define tmaWindow128 tmaWindow64
#define tmaWindow256 tmaWindow64
#define tmaBf16_128 tmaBf16_64
#define tmaBf16_256 tmaBf16_64
#define tmaWindowCluster128x2 tmaWindowCluster64x2
#define tmaWindowCluster256x2 tmaWindowCluster64x2
#define tmaWindowCluster128x4 tmaWindowCluster64x4
#define tmaWindowCluster256x4 tmaWindowCluster64x4
#define tmaBf16Cluster128x2 tmaBf16Cluster64x2
#define tmaBf16Cluster256x2 tmaBf16Cluster64x2
#define tmaBf16Cluster128x4 tmaBf16Cluster64x4
#define tmaBf16Cluster256x4 tmaBf16Cluster64x4
#define tmaWindowHalf256 tmaWindow64
#define tmaWindowHalfCluster256x2 tmaWindowCluster64x2
#define tmaWindowHalfCluster256x4 tmaWindowCluster64x4
#define tmaBf16Half_256 tmaBf16_64
#define tmaBf16HalfCluster256x2 tmaBf16Cluster64x2
#define tmaBf16HalfCluster256x4 tmaBf16Cluster64x4
#endif

static int gCap = 0;   // the tma kernels' grid: one CTA per unit (0), or at most this many (persistent)
static bool gCluster = false;   // split K through the cluster entries (tmaWindowCluster, tmaBf16Cluster): one CTA per unit, or gCap CTAs (tail)
static bool gHalf = false;   // BN = 256: the half kernels (64 W rows per CTA, tmaWindowHalf256 and its cluster entries), one CTA per unit

// The half kernels: 64 W rows x 256 X rows per CTA, K split in 1, 2 or 4 (2 and 4 as one cluster per tile).
static void launchHalf(Kind kind, const DevW& w, const uint16_t* x, __nv_bfloat16* y, int M, int N, int K, int splits) {
#ifdef TC_WIDE
    printf("a TC_WIDE build has no half kernels\n"); exit(2);
#endif
    int ctas = (N / 64) * ((M + 255) / 256) * splits;
    CUtensorMap xMap = tensorMap(x, K, M, 256);
    if (kind == TMA_WIN) {
        int sh = wgmma_tma::sharedBytes<256, wgmma_tma::Mode::WINDOW, 64>();
        auto f = splits == 1 ? tmaWindowHalf256 : splits == 2 ? tmaWindowHalfCluster256x2 : tmaWindowHalfCluster256x4;
        CK(cudaFuncSetAttribute(f, cudaFuncAttributeMaxDynamicSharedMemorySize, sh));
        const Coded& c = w.win;
        f<<<ctas, 384, sh>>>(xMap, tilesMap(c.tiles, N, K, 64), c.tiles, 0, (const uint2*)c.pals, 0, c.starts, 0, c.esc, 0, c.pos, 0, y, 0, nullptr, 0, M, N, K, splits);
    } else {
        int sh = wgmma_tma::sharedBytes<256, wgmma_tma::Mode::BF16, 64>();
        CUtensorMap wMap = tensorMap(w.bf, K, N, 64);
        auto f = splits == 1 ? tmaBf16Half_256 : splits == 2 ? tmaBf16HalfCluster256x2 : tmaBf16HalfCluster256x4;
        CK(cudaFuncSetAttribute(f, cudaFuncAttributeMaxDynamicSharedMemorySize, sh));
        f<<<ctas, 384, sh>>>(xMap, wMap, y, 0, nullptr, 0, M, N, K, splits);
    }
}

template <int BN> static void launchTma(Kind kind, const DevW& w, const uint16_t* x, __nv_bfloat16* y, int M, int N, int K, int splits) {
    if (BN == 256 && gHalf) { launchHalf(kind, w, x, y, M, N, K, splits); return; }
#ifdef TC_WIDE
    if (BN != 64) { printf("a TC_WIDE build has only 64-row tiles\n"); exit(2); }
#endif
    constexpr int WR = wgmma_tma::W_ROWS, THREADS = wgmma_tma::THREADS;
    int tiles = (N / WR) * ((M + BN - 1) / BN), ctas = gCap ? std::min(tiles * splits, gCap) : tiles * splits;
    float* partial = workspace((size_t)splits * tiles * BN * WR + tiles);
    CUtensorMap xMap = tensorMap(x, K, M, BN);
    if (kind == TMA_PAL) {
        int sh = wgmma_tma::sharedBytes<BN, wgmma_tma::Mode::PALETTE>();
        auto f = BN == 64 ? tmaPatch64 : BN == 128 ? tmaPatch128 : tmaPatch256;
        CK(cudaFuncSetAttribute(f, cudaFuncAttributeMaxDynamicSharedMemorySize, sh));
        f<<<ctas, THREADS, sh>>>(xMap, w.tiles, 0, (const uint2*)w.pals, 0, w.starts, 0, w.esc, 0, w.pos, 0, y, 0, partial, 0, M, N, K, splits);
    } else if (kind == TMA_WIN) {
        int sh = wgmma_tma::sharedBytes<BN, wgmma_tma::Mode::WINDOW>();
        auto f = BN == 64 ? tmaWindow64 : BN == 128 ? tmaWindow128 : tmaWindow256;
        if (gCluster) {
            f = splits == 2 ? (BN == 64 ? tmaWindowCluster64x2 : BN == 128 ? tmaWindowCluster128x2 : tmaWindowCluster256x2)
                            : (BN == 64 ? tmaWindowCluster64x4 : BN == 128 ? tmaWindowCluster128x4 : tmaWindowCluster256x4);
            ctas = gCap ? gCap : tiles * splits;   // a capped grid: only the last, partial round of tiles split (the tail)
        }
        const Coded& c = w.win;
        CK(cudaFuncSetAttribute(f, cudaFuncAttributeMaxDynamicSharedMemorySize, sh));
        f<<<ctas, THREADS, sh>>>(xMap, tilesMap(c.tiles, N, K), c.tiles, 0, (const uint2*)c.pals, 0, c.starts, 0, c.esc, 0, c.pos, 0, y, 0, partial, 0, M, N, K, splits);
    } else {
        int sh = wgmma_tma::sharedBytes<BN, wgmma_tma::Mode::BF16>();
        CUtensorMap wMap = tensorMap(w.bf, K, N, WR);
        auto f = BN == 64 ? tmaBf16_64 : BN == 128 ? tmaBf16_128 : tmaBf16_256;
        if (gCluster) {
            f = splits == 2 ? (BN == 64 ? tmaBf16Cluster64x2 : BN == 128 ? tmaBf16Cluster128x2 : tmaBf16Cluster256x2)
                            : (BN == 64 ? tmaBf16Cluster64x4 : BN == 128 ? tmaBf16Cluster128x4 : tmaBf16Cluster256x4);
            ctas = gCap ? gCap : tiles * splits;
        }
        CK(cudaFuncSetAttribute(f, cudaFuncAttributeMaxDynamicSharedMemorySize, sh));
        f<<<ctas, THREADS, sh>>>(xMap, wMap, y, 0, partial, 0, M, N, K, splits);
    }
}

// sm.cu: palette_gemm.cu's kernels (kind 0 BF16, 1 palette, 2 window, 3 BF16 in the window kernels' fragment order).
void launchCluster(int S, const void* w, const void* pals, const uint32_t* starts, const uint8_t* esc, const uint16_t* pos,
                   const uint16_t* x, __nv_bfloat16* y, float* partial, int M, int N, int K, int mt = 1);
void launchLate(bool band, const void* w, const void* pals, const uint32_t* starts, const uint8_t* esc, const uint16_t* pos,
                const uint16_t* x, __nv_bfloat16* y, float* partial, int M, int N, int K, int splits);
void launchSmall(int kind, int mt, bool band, const void* w, const void* pals, const uint32_t* starts, const uint8_t* esc, const uint16_t* pos,
                 const uint16_t* x, __nv_bfloat16* y, float* partial, int M, int N, int K, int splits);

void launchNarrow(bool twin, const void* w, const void* pals, const uint32_t* starts, const uint8_t* esc, const uint16_t* pos,
                  const uint16_t* x, __nv_bfloat16* y, float* partial, int M, int N, int K, int splits);
int narrowSteal();
void narrowInfo(int& threads, int& regs, int& local, int& perSm);
void launchNarrowCluster(int S, const void* w, const void* pals, const uint32_t* starts, const uint8_t* esc, const uint16_t* pos,
                         const uint16_t* x, __nv_bfloat16* y, float* partial, int M, int N, int K);
bool setTimeline(unsigned long long* to);
void launchStream(const void* p, size_t bytes, unsigned* sink, int ctas);
void launchEmpty(int ctas, int threads);
void launchSpin(long long cycles);

static int gSplits = 1;   // split K of the tma kernels in launch()

static void launch(Kind k, int BN, const DevW& w, const uint16_t* x, __nv_bfloat16* y, int M, int N, int K) {
    bool pal = k == V4_PAL || k == TMA_PAL;
    if (k == V4_BF || k == V4_PAL) launchV4(pal, BN, w.bf, w.tiles, (const uint2*)w.pals, w.starts, w.esc, w.pos, x, y, M, N, K);
    else if (BN == 64) launchTma<64>(k, w, x, y, M, N, K, gSplits);
    else if (BN == 128) launchTma<128>(k, w, x, y, M, N, K, gSplits);
    else launchTma<256>(k, w, x, y, M, N, K, gSplits);
}

__global__ void reference(const uint16_t* x, const uint16_t* w, float* y, int M, int N, int K) {
    int n = blockIdx.x * blockDim.x + threadIdx.x, m = blockIdx.y;
    if (n >= N) return;
    float s = 0;
    for (int k = 0; k < K; k++) s += __uint_as_float((uint32_t)x[(size_t)m * K + k] << 16) * __uint_as_float((uint32_t)w[(size_t)n * K + k] << 16);
    y[(size_t)m * N + n] = s;
}

// Y (count BF16 values) after one launch by `launch` into a poisoned Y (0xFFFF, a NaN: an element still 0xFFFF was not written).
static std::vector<uint16_t> poisonedRun(__nv_bfloat16* y, size_t count, const std::function<void()>& launch) {
    CK(cudaMemset(y, 0xFF, count * 2));
    launch();
    CK(cudaGetLastError()); CK(cudaDeviceSynchronize());
    std::vector<uint16_t> h(count); CK(cudaMemcpy(h.data(), y, h.size() * 2, cudaMemcpyDeviceToHost));
    return h;
}

static std::vector<uint16_t> run(Kind k, int BN, const DevW& w, const uint16_t* x, __nv_bfloat16* y, int M, int N, int K) {
    return poisonedRun(y, (size_t)M * N, [&]() { launch(k, BN, w, x, y, M, N, K); });
}

static double relErr(const std::vector<uint16_t>& a, const std::vector<float>& ref, long& nan) {
    double num = 0, den = 0; nan = 0;
    for (size_t i = 0; i < a.size(); i++) { float v = fromBf16(a[i]); if (std::isnan(v)) { nan++; continue; } double d = v - ref[i]; num += d * d; den += (double)ref[i] * ref[i]; }
    return sqrt(num / den);
}

static std::vector<uint16_t> randomW(int N, int K, bool wide) {
    static std::vector<uint16_t> table;   // 2^16 normal samples, std 0.02: drawn once, then indexed (fast for large W)
    if (table.empty()) { table.resize(65536); for (auto& v : table) v = bf16((float)(nrand() * 0.02)); }
    std::vector<uint16_t> w((size_t)N * K);
    for (auto& v : w) {
        if (wide) v = bf16((float)(nrand() * 0.02 * pow(2.0, (int)(urand() * 40) - 20)));
        else { rng = rng * 6364136223846793005ull + 1442695040888963407ull; v = table[rng >> 48]; }
    }
    return w;
}

static int failures = 0;

// Per-launch times in ms, sorted, of 7 runs of 10 event-timed launches of fn after 3 warm-up launches: [3] is the median.
static cudaEvent_t timerEvent(int i) {
    static cudaEvent_t e[2];
    if (!e[0]) { cudaEventCreate(&e[0]); cudaEventCreate(&e[1]); }
    return e[i];
}

// BURST set: each round of 10 launches waits behind sm.cu's spin kernel (one thread, FusedGemmCheck's 10 M cycles, about 5 ms), the GPU
// near idle, so that a burst starts below the power limit, as the issue's benches time; else rounds run back to back. Session 17: at
// M >= 1024 back-to-back rounds run at the power limit, where the same kernel's time moved up to 15% between rounds of one call.
static bool gBurst = false;

// ISOLATED set (session 29): each launch timed on its own, as the issue run's benches time them (FusedGemmCheck, torch_compare.py): after
// launchTimes' warm-up, 21 launches queued behind one spin, an event pair around each, and the 7 values returned are the sorted times' min, 3/20, 7/20, median,
// 13/20, 17/20 and max, so that [0], [3] and [6] stay the min, median and max. The harness's rounds of 10 back-to-back launches ranked
// a kernel differently from the issue run in session 29 (the narrow kernel with 5 warps per CTA: 2% faster here, 2-3% slower there).
static bool gIsolated = false;

template <class F> static std::vector<double> isolatedTimes(F fn) {
    constexpr int N = 21;
    static cudaEvent_t e[2 * N];
    if (!e[0]) for (auto& v : e) cudaEventCreate(&v);
    launchSpin(10000000);
    for (int i = 0; i < N; i++) { cudaEventRecord(e[2 * i]); fn(); cudaEventRecord(e[2 * i + 1]); }
    cudaEventSynchronize(e[2 * N - 1]);
    std::vector<double> all;
    for (int i = 0; i < N; i++) { float ms_; cudaEventElapsedTime(&ms_, e[2 * i], e[2 * i + 1]); all.push_back(ms_); }
    std::sort(all.begin(), all.end());
    return {all[0], all[3], all[7], all[10], all[13], all[17], all[20]};
}

template <class F> static std::vector<double> launchTimes(F fn) {
    for (int i = 0; i < 3; i++) fn();   // warm-up
    if (gIsolated) return isolatedTimes(fn);
    cudaEvent_t a = timerEvent(0), b = timerEvent(1);
    std::vector<double> t;
    for (int r = 0; r < 7; r++) {
        if (gBurst) launchSpin(10000000);
        cudaEventRecord(a); for (int i = 0; i < 10; i++) fn(); cudaEventRecord(b); cudaEventSynchronize(b); float ms_; cudaEventElapsedTime(&ms_, a, b); t.push_back(ms_ / 10);
    }
    std::sort(t.begin(), t.end());
    return t;
}

#ifndef NO_CUBLAS
// cuBLAS's Y = X . W^T timed as launchTimes does, each launch on the next of the n BF16 copies of W (bfs[r++ % n]), so that L2 cannot
// hold W between launches.
static std::vector<double> cublasRotated(cublasHandle_t h, const std::vector<uint16_t*>& bfs, int n, int& r, const uint16_t* x, __nv_bfloat16* y,
                                         int M, int N, int K) {
    return launchTimes([&]() { float al = 1, be = 0; cublasGemmEx(h, CUBLAS_OP_T, CUBLAS_OP_N, N, M, K, &al, bfs[r++ % n], CUDA_R_16BF, K, x, CUDA_R_16BF, K, &be, y, CUDA_R_16BF, N, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT); });
}
#endif

// A small product's W (both codings), X and Y on the device and its float reference on the host; free() releases them.
struct SmallCase {
    DevW d; uint16_t* x; __nv_bfloat16* y; std::vector<float> ref;
    SmallCase(int N, int K, int M, bool wide) {
        auto w = randomW(N, K, wide);
        std::vector<uint16_t> xh((size_t)M * K); for (auto& v : xh) v = bf16((float)nrand());
        d = upload(w, N, K); x = up(xh); CK(cudaMalloc(&y, (size_t)M * N * 2));
        float* yr; CK(cudaMalloc(&yr, (size_t)M * N * 4));
        reference<<<dim3((N + 127) / 128, M), 128>>>(x, d.bf, yr, M, N, K); CK(cudaDeviceSynchronize());
        ref.resize((size_t)M * N); CK(cudaMemcpy(ref.data(), yr, ref.size() * 4, cudaMemcpyDeviceToHost));
        cudaFree(yr);
    }
    void free() { freeW(d); cudaFree(x); cudaFree(y); }
};

// A timing mode's shape: W random (the common exponents), uploaded in both codings, X of `rows` random rows and a Y for as many;
// free() releases them. (No reference: the timing modes check their kernels against each other.)
struct ShapeCase {
    DevW d; uint16_t* x; __nv_bfloat16* y;
    ShapeCase(int N, int K, int rows) : d(upload(randomW(N, K, false), N, K)) {
        std::vector<uint16_t> xh((size_t)rows * K); for (auto& v : xh) v = bf16((float)nrand());
        x = up(xh); CK(cudaMalloc(&y, (size_t)rows * N * 2));
    }
    void free() { freeW(d); cudaFree(x); cudaFree(y); }
};

#ifndef NO_CUBLAS
// The yardstick: cuBLAS's median ms for the case's Y = X W^T at M rows (BF16, FP32 accumulation, W as uploaded).
static double cublasMs(cublasHandle_t h, const ShapeCase& c, int M, int N, int K) {
    return launchTimes([&]() { float al = 1, be = 0; cublasGemmEx(h, CUBLAS_OP_T, CUBLAS_OP_N, N, M, K, &al, c.d.bf, CUDA_R_16BF, K, c.x, CUDA_R_16BF, K, &be, c.y, CUDA_R_16BF, N, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT); })[3];
}
#endif

// Batch sizes from the comma list in environment variable `name` (e.g. PERSIST_MS=1024,4096), else `defaults`.
static std::vector<int> envMs(const char* name, std::vector<int> defaults) {
    const char* only = getenv(name);
    if (!only) return defaults;
    std::vector<int> ms;
    for (const char* p = only; *p; ) { ms.push_back(atoi(p)); while (*p && *p != ',') p++; if (*p) p++; }
    return ms;
}

static void small(int N, int K, int M, bool wide) {
    SmallCase c(N, K, M, wide);
    DevW& d = c.d; uint16_t* x = c.x; __nv_bfloat16* y = c.y; const std::vector<float>& ref = c.ref;
    for (int BN : {64, 128, 256}) {
        auto vb = run(V4_BF, BN, d, x, y, M, N, K), vp = run(V4_PAL, BN, d, x, y, M, N, K);
        if (vb != vp) { failures++; printf("v4 mismatch: palette != BF16 (encoder or v4 wrong)\n"); }
        for (int splits : {1, 2, 4}) {
            if (splits > 1 && (K / 64) % (2 * splits) != 0) continue;
            gSplits = splits;
            Kind bk = TMA_BF;
            auto tb = run(bk, BN, d, x, y, M, N, K), tp = run((Kind)(bk + 1), BN, d, x, y, M, N, K), tw = run(TMA_WIN, BN, d, x, y, M, N, K);
            gCap = 3;   // persistent: three CTAs take every unit in turn
            auto cb = run(bk, BN, d, x, y, M, N, K), cp = run((Kind)(bk + 1), BN, d, x, y, M, N, K), cw = run(TMA_WIN, BN, d, x, y, M, N, K);
            gCap = 0;
            bool clusterSame = true;   // split K summed in a cluster: the same Y as the workspace path's
            if (splits > 1) {
                gCluster = true;
                clusterSame = run(TMA_WIN, BN, d, x, y, M, N, K) == tb && run(TMA_BF, BN, d, x, y, M, N, K) == tb;
                if (splits == 2) {   // the tail on a grid of 4 CTAs: window == its BF16 twin, within 1e-2 of the reference
                    gCap = 4;
                    auto tw4 = run(TMA_WIN, BN, d, x, y, M, N, K), tb4 = run(TMA_BF, BN, d, x, y, M, N, K);
                    long nan4; double e4 = relErr(tb4, ref, nan4);
                    bool ok4 = tw4 == tb4 && e4 < 1e-2 && nan4 == 0;
                    int tiles = (N / 128) * ((M + BN - 1) / BN), left = tiles % 4;
                    printf("small %5dx%5d M=%4d BN=%3d tail in clusters of 2 on 4 CTAs (%d of %d tiles split): err %.2e nan %ld win==bf16 %d %s\n", N, K, M, BN,
                           left <= 2 ? left : 0, tiles, e4, nan4, (int)(tw4 == tb4), ok4 ? "PASS" : "FAIL");
                    if (!ok4) failures++;
                    gCap = 0;
                }
                gCluster = false;
            }
            long nan; double e = relErr(tb, ref, nan);
            bool exact = tb == tp && tb == tw && tb == cb && tb == cp && tb == cw && clusterSame, ok = exact && e < 1e-2 && nan == 0;
            if (!ok) failures++;
            printf("small %5dx%5d M=%4d BN=%3d %s %-9s splits %d: err %.2e nan %ld pal==bf16 %d win==bf16 %d ==v4 %d persistent(3 CTAs) bf16/pal/win==bf16 %d%d%d cluster==bf16 %d  esc %.3f%% win esc %.4f%%  %s\n",
                   N, K, M, BN, wide ? "wide" : "    ", kname(bk), splits, e, nan, (int)(tb == tp), (int)(tb == tw), (int)(tb == vb), (int)(tb == cb), (int)(tb == cp), (int)(tb == cw), (int)clusterSame, 100 * d.escFrac, 100 * d.win.escFrac, ok ? "PASS" : "FAIL");
        }
        gSplits = 1;
    }
    c.free();
}

// The half kernels' small products: window == its BF16 twin bit for bit at every split, within 1e-2 of the float reference, every
// element written (Y poisoned first).
static void smallHalf(int N, int K, int M, bool wide) {
    SmallCase c(N, K, M, wide);
    DevW& d = c.d; uint16_t* x = c.x; __nv_bfloat16* y = c.y; const std::vector<float>& ref = c.ref;
    gHalf = true;
    for (int splits : {1, 2, 4}) {
        if ((K / 64) % (4 * splits) != 0) continue;
        gSplits = splits;
        auto tb = run(TMA_BF, 256, d, x, y, M, N, K), tw = run(TMA_WIN, 256, d, x, y, M, N, K);
        long nan; double e = relErr(tb, ref, nan);
        bool ok = tb == tw && e < 1e-2 && nan == 0;
        if (!ok) failures++;
        printf("small half %5dx%5d M=%4d %s splits %d: err %.2e nan %ld win==bf16 %d  win esc %.4f%%  %s\n", N, K, M, wide ? "wide" : "    ", splits, e, nan,
               (int)(tb == tw), 100 * d.win.escFrac, ok ? "PASS" : "FAIL");
    }
    gHalf = false; gSplits = 1;
    c.free();
}

// ncuBn > 0: one launch of each TMA kernel at that tile height (BF16, palette, window) for ncu, nothing timed or checked.
static void timeShape(int N, int K, std::vector<int> ms, int ncuBn) {
    bool ncuOnly = ncuBn > 0;
    auto w = randomW(N, K, false);
    DevW d = upload(w, N, K);
    int Mmax = *std::max_element(ms.begin(), ms.end());
    std::vector<uint16_t> xh((size_t)Mmax * K); for (auto& v : xh) v = bf16((float)nrand());
    uint16_t* x = up(xh); __nv_bfloat16* y; CK(cudaMalloc(&y, (size_t)Mmax * N * 2));
#ifndef NO_CUBLAS
    cublasHandle_t h; cublasCreate(&h);
#endif
    for (int M : ms) {
        double flops = 2.0 * M * N * K;
        std::vector<uint16_t> cub;
#ifndef NO_CUBLAS
        auto cublasRun = [&]() { float al = 1, be = 0; cublasGemmEx(h, CUBLAS_OP_T, CUBLAS_OP_N, N, M, K, &al, d.bf, CUDA_R_16BF, K, x, CUDA_R_16BF, K, &be, y, CUDA_R_16BF, N, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT); };
#endif
        auto timeIt = [&](auto fn, const char* name, int BN) {
            if (ncuOnly) { fn(); CK(cudaDeviceSynchronize()); return 0.0; }   // under ncu: one launch of each kernel
            std::vector<double> t = launchTimes(fn);
            printf("time %6dx%5d M=%4d %-9s BN=%3d: %.4f ms [%.4f..%.4f] %6.0f TFLOP/s\n", N, K, M, name, BN, t[3], t[0], t[6], flops / t[3] / 1e9);
            return t[3];
        };
#ifndef NO_CUBLAS
        if (!ncuOnly) { timeIt(cublasRun, "cublas", 0); cub.resize((size_t)M * N); CK(cudaMemcpy(cub.data(), y, cub.size() * 2, cudaMemcpyDeviceToHost)); }
#endif
        std::vector<int> bns = M >= 1024 ? std::vector<int>{128, 256} : std::vector<int>{64, 128, 256};
        if (ncuOnly) bns = {ncuBn};
        for (int BN : bns) {
            for (Kind k : {TMA_BF, TMA_PAL, TMA_WIN}) {
                timeIt([&]() { launch(k, BN, d, x, y, M, N, K); }, kname(k), BN);
            }
            if (!ncuOnly) {
                Kind bk = TMA_BF;
                auto nb = run(bk, BN, d, x, y, M, N, K), np = run((Kind)(bk + 1), BN, d, x, y, M, N, K), nw = run(TMA_WIN, BN, d, x, y, M, N, K);
                double num = 0, den = 0; long nan = 0;
                for (size_t i = 0; i < nb.size() && !cub.empty(); i++) { float v = fromBf16(nb[i]), c = fromBf16(cub[i]); if (std::isnan(v)) nan++; else { num += (double)(v - c) * (v - c); den += (double)c * c; } }
                bool ok = nb == np && nb == nw && nan == 0 && (cub.empty() || sqrt(num / den) < 1e-2);
                if (!ok) failures++;
                printf("check %6dx%5d M=%4d BN=%3d %-9s: pal==bf16 %d win==bf16 %d nan %ld err vs cublas %.2e %s\n", N, K, M, BN, kname(bk), (int)(nb == np), (int)(nb == nw), nan, cub.empty() ? -1.0 : sqrt(num / den), ok ? "PASS" : "FAIL");
            }
        }
    }
    freeW(d); cudaFree(x); cudaFree(y);
}

// Copies of a device buffer, so that timed launches can rotate over more bytes than L2 holds.
template <class T> static std::vector<T*> copies(T* first, size_t bytes, int n) {
    std::vector<T*> c{first};
    for (int i = 1; i < n; i++) { T* d; CK(cudaMalloc(&d, bytes + 256)); CK(cudaMemcpy(d, first, bytes, cudaMemcpyDeviceToDevice)); c.push_back(d); }
    return c;
}

// A timing shape's W: random, uploaded in both codings, with copies of the BF16 weights (bfs) and the window tiles (wt), n of each
// (>= 192 MB of window tiles), that the timed launches rotate over; free() releases the copies and W.
// Whether the shape N x K is among those SHAPES names (e.g. SHAPES=4096x14336,1024x4096), or SHAPES is unset.
static bool shapeWanted(int N, int K) {
    const char* only = getenv("SHAPES");
    return !only || strstr(only, (std::to_string(N) + "x" + std::to_string(K)).c_str());
}

struct Rotated {
    DevW d; int n; std::vector<uint16_t*> bfs; std::vector<uint8_t*> wt;
    Rotated(int N, int K) : d(upload(randomW(N, K, false), N, K)), n(std::max(1, (int)ceil(192e6 / (double)d.win.bytes))),
        bfs(copies(d.bf, (size_t)N * K * 2, n)), wt(copies(d.win.tiles, (size_t)N / 16 * (K / 64) * 1536, n)) {}
    void free() { for (int i = 1; i < n; i++) { cudaFree(bfs[i]); cudaFree(wt[i]); } freeW(d); }
};

// The mma.sync kernels at M <= 64 on the palette and window codings beside their BF16 twin and cuBLAS, W rotated over
// >= 192 MB of copies; Y of both codings checked against the twin bit for bit. Splits and kernels: the schedule's.
static void smallM() {
    struct Case { int N, K, M, splits; bool band; };
    const Case cases[] = {{128256, 4096, 1, 1, false}, {128256, 4096, 16, 1, true}, {4096, 14336, 1, 2, false}, {4096, 14336, 16, 2, false},
                          {14336, 4096, 1, 1, false}, {14336, 4096, 16, 1, false}, {4096, 4096, 1, 2, false}, {4096, 4096, 16, 1, false},
                          {1024, 4096, 1, 5, false}, {1024, 4096, 16, 4, false}, {4096, 4096, 64, 1, false}, {14336, 4096, 64, 1, false}};
#ifndef NO_CUBLAS
    cublasHandle_t h; cublasCreate(&h);
#endif
    int lastN = 0, lastK = 0; DevW d{}; int n = 1;
    std::vector<uint16_t*> bfs; std::vector<uint8_t*> pt, wt;
    size_t palBytes = 0, winBytes = 0;
    for (const Case& c : cases) {
        if (c.N != lastN || c.K != lastK) {
            if (lastN) { for (int i = 1; i < n; i++) { cudaFree(bfs[i]); cudaFree(pt[i]); cudaFree(wt[i]); } freeW(d); }
            auto w = randomW(c.N, c.K, false);
            d = upload(w, c.N, c.K);
            size_t T = (size_t)c.N / 16 * (c.K / 64);
            palBytes = T * (1408 + 8 + 4) + (size_t)(d.escFrac * c.N * c.K) * 3; winBytes = d.win.bytes;
            n = std::max(1, (int)ceil(192e6 / (double)palBytes));
            bfs = copies(d.bf, (size_t)c.N * c.K * 2, n); pt = copies(d.tiles, T * 1408, n); wt = copies(d.win.tiles, T * 1536, n);
            lastN = c.N; lastK = c.K;
        }
        int mt = c.M <= 8 ? 1 : c.M <= 16 ? 2 : c.M <= 32 ? 4 : 8;
        std::vector<uint16_t> xh((size_t)c.M * c.K); for (auto& v : xh) v = bf16((float)nrand());
        uint16_t* x = up(xh); __nv_bfloat16* y; CK(cudaMalloc(&y, (size_t)c.M * c.N * 2));
        float* partial = workspace((size_t)c.splits * c.M * c.N + (size_t)c.N);
        int r = 0;
        auto kernel = [&](int kind, int copy) {
            const void* w = kind == 0 || kind == 3 ? (const void*)bfs[copy] : kind == 1 ? (const void*)pt[copy] : (const void*)wt[copy];
            const Coded& cw = d.win;
            if (kind == 2) launchSmall(2, mt, c.band, w, cw.pals, cw.starts, cw.esc, cw.pos, x, y, partial, c.M, c.N, c.K, c.splits);
            else launchSmall(kind, mt, c.band, w, d.pals, d.starts, d.esc, d.pos, x, y, partial, c.M, c.N, c.K, c.splits);   // kinds 0, 1, 3
        };
        std::vector<uint16_t> out[4];
        for (int kind = 0; kind < 4; kind++) {
            out[kind] = poisonedRun(y, (size_t)c.M * c.N, [&]() { kernel(kind, 0); });
        }
        double t[5];
#ifndef NO_CUBLAS
        auto tc = cublasRotated(h, bfs, n, r, x, y, c.M, c.N, c.K);
        std::vector<uint16_t> cub((size_t)c.M * c.N); CK(cudaMemcpy(cub.data(), y, cub.size() * 2, cudaMemcpyDeviceToHost));
        t[4] = tc[3];
        double num = 0, den = 0; long nan = 0;
        for (size_t i = 0; i < cub.size(); i++) { float v = fromBf16(out[2][i]), q = fromBf16(cub[i]); if (std::isnan(v)) nan++; else { num += (double)(v - q) * (v - q); den += (double)q * q; } }
#else
        t[4] = 0; double num = 0, den = 1; long nan = 0;
#endif
        std::vector<double> spread[4];
        for (int kind = 0; kind < 4; kind++) { spread[kind] = launchTimes([&]() { kernel(kind, r++ % n); }); t[kind] = spread[kind][3]; }
        bool ok = out[1] == out[0] && out[2] == out[3] && nan == 0 && sqrt(num / den) < 1e-2;
        if (!ok) failures++;
        printf("smallm %6dx%5d M=%2d splits %d%s: cublas %.4f | bf16 %.4f frag %.4f | palette %.4f [%.4f..%.4f] %.3fx | window %.4f [%.4f..%.4f] %.3fx | bytes pal %.1f MB win %.1f MB (x%d copies), esc pal %.3f%% win %.4f%% | pal==bf16 %d win==frag %d err %.1e %s\n",
               c.N, c.K, c.M, c.splits, c.band ? " band" : "", t[4], t[0], t[3], t[1], spread[1][0], spread[1][6], t[4] / t[1], t[2], spread[2][0], spread[2][6], t[4] / t[2],
               palBytes / 1e6, winBytes / 1e6, n, 100 * d.escFrac, 100 * d.win.escFrac, (int)(out[1] == out[0]), (int)(out[2] == out[3]), sqrt(num / den), ok ? "PASS" : "FAIL");
        fflush(stdout);
        cudaFree(x); cudaFree(y);
    }
}

// The 16-row window kernels, which since session 12 load each warp's next tile during this one's products, against their
// build without that (launchLate, sm.cu), patching and band kernels, at M = 16, 12 and 9, the schedule's splits and one more, W rotated
// over >= 192 MB of copies, cuBLAS in the same run; each checked bit for bit against its BF16 twin, Y poisoned.
static void ahead() {
    struct Shape { int N, K, split16, other; };
    const Shape shapes[] = {{128256, 4096, 1, 2}, {4096, 14336, 2, 4}, {14336, 4096, 1, 2}, {4096, 4096, 1, 2}, {1024, 4096, 4, 8}};
#ifndef NO_CUBLAS
    cublasHandle_t h; cublasCreate(&h);
#endif
    std::vector<std::string> table;
    for (Shape sh : shapes) {
        if (!shapeWanted(sh.N, sh.K)) continue;
        Rotated rw(sh.N, sh.K);
        const DevW& d = rw.d;
        const int n = rw.n;
        const auto& bfs = rw.bfs;
        const auto& wt = rw.wt;
        int r = 0;
        const Coded& c = d.win;
        for (int M : {16, 12, 9}) {
          for (int splits : {sh.split16, sh.other}) {
            int mt = 2;
            std::vector<uint16_t> xh((size_t)M * sh.K); for (auto& v : xh) v = bf16((float)nrand());
            uint16_t* x = up(xh); __nv_bfloat16* y; CK(cudaMalloc(&y, (size_t)M * sh.N * 2));
            float* partial = workspace((size_t)splits * M * sh.N + (size_t)sh.N);
            double cub = 0;
#ifndef NO_CUBLAS
            cub = cublasRotated(h, bfs, n, r, x, y, M, sh.N, sh.K)[3];
#endif
            // Candidates: {name, launch on copy i (-1: the first), twin launch (BF16 W)}.
            struct Candidate { const char* name; std::function<void(int)> run; std::function<void()> twin; };
            auto twin = [&](bool band) { return [&, band]() { launchSmall(3, mt, band, bfs[0], nullptr, nullptr, nullptr, nullptr, x, y, partial, M, sh.N, sh.K, splits); }; };
            auto small = [&](bool band) { return [&, band](int i) { launchSmall(2, mt, band, i < 0 ? (const void*)c.tiles : (const void*)wt[i], c.pals, c.starts, c.esc, c.pos, x, y, partial, M, sh.N, sh.K, splits); }; };
            auto late = [&](bool band) { return [&, band](int i) { launchLate(band, i < 0 ? (const void*)c.tiles : (const void*)wt[i], c.pals, c.starts, c.esc, c.pos, x, y, partial, M, sh.N, sh.K, splits); }; };
            std::vector<Candidate> cands = {{"window16", small(false), twin(false)}, {"late16", late(false), twin(false)},
                                            {"band16", small(true), twin(true)}, {"bandLate16", late(true), twin(true)}};
            char line[600]; int at = snprintf(line, sizeof line, "| %6d x %5d | %2d | %d | %.4f |", sh.N, sh.K, M, splits, cub);
            for (auto& cand : cands) {
                std::vector<uint16_t> o[2];
                for (int k = 0; k < 2; k++) {
                    o[k] = poisonedRun(y, (size_t)M * sh.N, [&]() { if (k == 0) cand.twin(); else cand.run(-1); });
                }
                long poisoned = 0; for (uint16_t v : o[1]) poisoned += v == 0xFFFF;
                bool ok = o[0] == o[1] && poisoned == 0;
                if (!ok) failures++;
                auto t = launchTimes([&]() { cand.run(r++ % n); });
                printf("ahead %6dx%5d M=%2d splits %d %-12s: %.4f [%.4f..%.4f] %.3fx cublas (%.4f) | ==twin %d unwritten %ld %s\n", sh.N, sh.K, M, splits, cand.name,
                       t[3], t[0], t[6], cub / t[3], cub, (int)(o[0] == o[1]), poisoned, ok ? "PASS" : "FAIL");
                fflush(stdout);
                at += snprintf(line + at, sizeof line - at, " %s %.4f (%.3fx) |", cand.name, t[3], cub / t[3]);
            }
            table.push_back(line);
            cudaFree(x); cudaFree(y);
          }
        }
        rw.free();
    }
    printf("\n| N x K | M | splits | cuBLAS | candidates, ms (speedup) |\n|---|---|---|---|---|\n");
    for (auto& l : table) printf("%s\n", l.c_str());
}

// Split K summed in clusters (windowCluster8xS: the S splits of a strip are one cluster, and rank 0 adds the others' sums from
// their shared memory in split order) against windowGemm8's workspace, fence and counter, at M = 1 and 4, S = 2, 4, 8, W rotated
// over >= 192 MB, cuBLAS in the same run; first small cases; every configuration checked bit for bit against bf16Frag8 at S splits
// and against windowGemm8 at S splits, Y poisoned first.
static void clusterMode() {
    auto check = [&](const DevW& d, const uint16_t* x, __nv_bfloat16* y, int M, int N, int K, int S, int mt, const char* what) {
        float* partial = workspace((size_t)S * M * N + (size_t)N);
        const Coded& c = d.win;
        std::vector<uint16_t> out[3];
        for (int k = 0; k < 3; k++) {
            out[k] = poisonedRun(y, (size_t)M * N, [&]() {
                if (k == 0) launchSmall(3, mt, false, d.bf, nullptr, nullptr, nullptr, nullptr, x, y, partial, M, N, K, S);
                else if (k == 1) launchSmall(2, mt, false, c.tiles, c.pals, c.starts, c.esc, c.pos, x, y, partial, M, N, K, S);
                else launchCluster(S, c.tiles, c.pals, c.starts, c.esc, c.pos, x, y, partial, M, N, K, mt);
            });
        }
        long poisoned = 0; for (uint16_t v : out[2]) poisoned += v == 0xFFFF;
        bool ok = poisoned == 0 && out[2] == out[0] && out[1] == out[0];
        if (!ok) failures++;
        printf("check %s %6dx%5d M=%2d S=%d rows %d: cluster==twin %d window8==twin %d unwritten %ld %s\n", what, N, K, M, S, 8 * mt, (int)(out[2] == out[0]), (int)(out[1] == out[0]), poisoned, ok ? "PASS" : "FAIL");
        fflush(stdout);
    };
    struct Small { int N, K, M, S; bool wide; };
    for (Small c : {Small{16, 512, 1, 2, false}, Small{48, 1024, 5, 4, true}, Small{64, 2048, 13, 8, false}, Small{80, 640, 8, 2, true}, Small{32, 4096, 20, 4, false}}) {
        auto w = randomW(c.N, c.K, c.wide);
        DevW d = upload(w, c.N, c.K);
        std::vector<uint16_t> xh((size_t)c.M * c.K); for (auto& v : xh) v = bf16((float)nrand());
        uint16_t* x = up(xh); __nv_bfloat16* y; CK(cudaMalloc(&y, (size_t)c.M * c.N * 2));
        for (int mt : {1, 2}) check(d, x, y, c.M, c.N, c.K, c.S, mt, c.wide ? "small wide" : "small");
        freeW(d); cudaFree(x); cudaFree(y);
    }
    struct Shape { int N, K; };
    const Shape shapes[] = {{128256, 4096}, {4096, 14336}, {14336, 4096}, {4096, 4096}, {1024, 4096}};
#ifndef NO_CUBLAS
    cublasHandle_t h; cublasCreate(&h);
#endif
    std::vector<std::string> table;
    for (Shape sh : shapes) {
        if (!shapeWanted(sh.N, sh.K)) continue;
        Rotated rw(sh.N, sh.K);
        const DevW& d = rw.d;
        const int n = rw.n;
        const auto& bfs = rw.bfs;
        const auto& wt = rw.wt;
        const Coded& c = d.win;
        int r = 0;
        for (int M : {1, 4, 16}) {
            int mt = M > 8 ? 2 : 1;
            std::vector<uint16_t> xh((size_t)M * sh.K); for (auto& v : xh) v = bf16((float)nrand());
            uint16_t* x = up(xh); __nv_bfloat16* y; CK(cudaMalloc(&y, (size_t)M * sh.N * 2));
            double cub = 0;
#ifndef NO_CUBLAS
            cub = cublasRotated(h, bfs, n, r, x, y, M, sh.N, sh.K)[3];
#endif
            double best[2] = {1e9, 1e9}; int bestSplit[2] = {0, 0};
            for (int splits : {1, 2, 4, 5, 8}) {
                float* partial = workspace((size_t)splits * M * sh.N + (size_t)sh.N);
                double t8 = launchTimes([&]() { launchSmall(2, mt, false, wt[r++ % n], c.pals, c.starts, c.esc, c.pos, x, y, partial, M, sh.N, sh.K, splits); })[3];
                if (t8 < best[0]) { best[0] = t8; bestSplit[0] = splits; }
                if (splits != 2 && splits != 4 && splits != 8) continue;
                check(d, x, y, M, sh.N, sh.K, splits, mt, "timed");
                partial = workspace((size_t)splits * M * sh.N + (size_t)sh.N);
                double tc = launchTimes([&]() { launchCluster(splits, wt[r++ % n], c.pals, c.starts, c.esc, c.pos, x, y, partial, M, sh.N, sh.K, mt); })[3];
                printf("cluster %6dx%5d M=%d splits %d: cublas %.4f | window%d %.4f (%.3fx) | cluster %.4f (%.3fx)\n", sh.N, sh.K, M, splits, cub, 8 * mt, t8, cub / t8, tc, cub / tc);
                fflush(stdout);
                if (tc < best[1]) { best[1] = tc; bestSplit[1] = splits; }
            }
            char line[300];
            snprintf(line, sizeof line, "| %6d x %5d | %d | %.4f | %.4f (%d) %.3fx | %.4f (%d) %.3fx |", sh.N, sh.K, M, cub, best[0], bestSplit[0], cub / best[0], best[1], bestSplit[1], cub / best[1]);
            table.push_back(line);
            cudaFree(x); cudaFree(y);
        }
        rw.free();
    }
    printf("\n| N x K | M | cuBLAS | window8, best of 1/2/4/5/8 splits | cluster, best of 2/4/8 |\n|---|---|---|---|---|\n");
    for (auto& l : table) printf("%s\n", l.c_str());
}

// ./h narrow (session 20): the narrow kernel (windowNarrow8, 4 warps per CTA) in this build (PATCH_STEAL: its warps draw the last tiles
// of each part from a pool) against its twin. Small products first (parts shorter than the pool, a part without tiles, splits, wide
// exponents, M off the chunk): Y equal to the twin's bit for bit, the same in three launches, fully written, within 1e-2 of float. Then
// per shape at M = 1, 4 and 8, W rotated: cuBLAS, the narrow kernel and its twin at one split, each checked as above.
static void narrowMode() {
    printf("narrow: pool of %d tiles per warp\n", narrowSteal());
    auto check = [&](const DevW& d, const uint16_t* x, __nv_bfloat16* y, int M, int N, int K, int S, const std::vector<float>* ref, const char* what) {
        float* partial = workspace((size_t)S * M * N + (size_t)N);
        const Coded& c = d.win;
        std::vector<uint16_t> out[4];
        for (int k = 0; k < 4; k++) {
            out[k] = poisonedRun(y, (size_t)M * N, [&]() {
                if (k == 0) launchNarrow(true, d.bf, nullptr, nullptr, nullptr, nullptr, x, y, partial, M, N, K, S);
                else launchNarrow(false, c.tiles, c.pals, c.starts, c.esc, c.pos, x, y, partial, M, N, K, S);
            });
        }
        long poisoned = 0; for (uint16_t v : out[1]) poisoned += v == 0xFFFF;
        bool same = out[1] == out[2] && out[1] == out[3];
        long nan = 0; double err = ref ? relErr(out[1], *ref, nan) : 0;
        bool ok = poisoned == 0 && out[1] == out[0] && same && nan == 0 && err < 1e-2;
        if (!ok) failures++;
        printf("check %s %6dx%5d M=%d S=%d: narrow==twin %d same in 3 launches %d unwritten %ld err %.2e nan %ld %s\n", what, N, K, M, S,
               (int)(out[1] == out[0]), (int)same, poisoned, err, nan, ok ? "PASS" : "FAIL");
        fflush(stdout);
    };
    struct Small { int N, K, M, S; bool wide; };
    for (Small c : {Small{16, 512, 1, 1, false}, Small{48, 1024, 5, 2, true}, Small{64, 640, 8, 1, false}, Small{32, 4096, 3, 4, false},
                    Small{80, 192, 2, 1, true}, Small{16, 2368, 7, 3, false}, Small{32, 1024, 12, 1, false}}) {
        SmallCase sc(c.N, c.K, c.M, c.wide);
        check(sc.d, sc.x, sc.y, c.M, c.N, c.K, c.S, &sc.ref, c.wide ? "small wide" : "small");
        sc.free();
    }
    struct Shape { int N, K; };
    const Shape shapes[] = {{14336, 4096}, {128256, 4096}, {4096, 14336}, {4096, 4096}, {1024, 4096}};
#ifndef NO_CUBLAS
    cublasHandle_t h; cublasCreate(&h);
#endif
    std::vector<std::string> table;
    for (Shape sh : shapes) {
        if (!shapeWanted(sh.N, sh.K)) continue;
        Rotated rw(sh.N, sh.K);
        const Coded& c = rw.d.win;
        int r = 0, n = rw.n;
        for (int M : {1, 4, 8}) {
            std::vector<uint16_t> xh((size_t)M * sh.K); for (auto& v : xh) v = bf16((float)nrand());
            uint16_t* x = up(xh); __nv_bfloat16* y; CK(cudaMalloc(&y, (size_t)M * sh.N * 2));
            float* partial = workspace((size_t)M * sh.N + (size_t)sh.N);
            check(rw.d, x, y, M, sh.N, sh.K, 1, nullptr, "timed");
            double cub = 0;
#ifndef NO_CUBLAS
            cub = cublasRotated(h, rw.bfs, n, r, x, y, M, sh.N, sh.K)[3];
#endif
            auto tn = launchTimes([&]() { launchNarrow(false, rw.wt[r++ % n], c.pals, c.starts, c.esc, c.pos, x, y, partial, M, sh.N, sh.K, 1); });
            auto tt = launchTimes([&]() { launchNarrow(true, rw.bfs[r++ % n], nullptr, nullptr, nullptr, nullptr, x, y, partial, M, sh.N, sh.K, 1); });
            char line[300];
            snprintf(line, sizeof line, "| %6d x %5d | %d | %.4f | %.4f [%.4f..%.4f] %.3fx | %.4f %.3fx |", sh.N, sh.K, M, cub, tn[3], tn[0], tn[6], cub / tn[3], tt[3], cub / tt[3]);
            printf("narrow %s\n", line);
            fflush(stdout);
            table.push_back(line);
            cudaFree(x); cudaFree(y);
        }
        rw.free();
    }
    printf("\n| N x K | M | cuBLAS | narrow (pool %d) [min..max] | its twin |\n|---|---|---|---|---|\n", narrowSteal());
    for (auto& l : table) printf("%s\n", l.c_str());
}

// ./h jit (session 30): the narrow kernel as this build links it (nvcc's SASS) against the same kernel from the PTX file $PTX, which
// the driver compiles at cuModuleLoadData as the Java side's module loads do (build and PTX must agree on the warps per CTA: build 0
// with the 4-warp PTX, n5 with the 5-warp one). Session 29's five-warp kernel ran 2% faster here than the four-warp one and 2-3%
// slower through Java in the same timing; this says whether the driver's code is the difference. Prints both functions' registers,
// spills and CTAs per SM, checks the two Y bit for bit (poisoned first), then per shape (SHAPES) at M = 1 and 4 times cuBLAS and both.
static void jitMode() {
    const char* path = getenv("PTX");
    FILE* f = path ? fopen(path, "rb") : nullptr;
    if (!f) { printf("jit: PTX must name a readable palette_gemm.ptx (got %s)\n", path ? path : "nothing"); failures++; return; }
    std::string ptx;
    char chunk[65536];
    for (size_t got; (got = fread(chunk, 1, sizeof chunk, f)) > 0;) ptx.append(chunk, got);
    fclose(f);
    cudaFree(nullptr);   // the runtime's primary context, current for the driver calls below
    CUmodule module; CUfunction fn;
    auto t0 = std::chrono::steady_clock::now();
    CUresult r = cuModuleLoadData(&module, ptx.c_str());
    double loadMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (r != CUDA_SUCCESS || cuModuleGetFunction(&fn, module, "windowNarrow8") != CUDA_SUCCESS) {
        printf("jit: cuModuleLoadData / cuModuleGetFunction failed (%d)\n", (int)r); failures++; return;
    }
    int threads, regs, local, perSm, jRegs, jLocal, jPerSm;
    narrowInfo(threads, regs, local, perSm);
    cuFuncGetAttribute(&jRegs, CU_FUNC_ATTRIBUTE_NUM_REGS, fn);
    cuFuncGetAttribute(&jLocal, CU_FUNC_ATTRIBUTE_LOCAL_SIZE_BYTES, fn);
    cuOccupancyMaxActiveBlocksPerMultiprocessor(&jPerSm, fn, threads, 0);
    printf("jit: %s loaded in %.1f ms; %d threads per CTA; linked (nvcc): %d registers, %d bytes local, %d CTAs per SM; "
           "driver-compiled: %d registers, %d bytes local, %d CTAs per SM\n", path, loadMs, threads, regs, local, perSm, jRegs, jLocal, jPerSm);
    auto launchJit = [&](const void* w, const void* pals, const uint32_t* starts, const uint8_t* esc, const uint16_t* pos, const uint16_t* x,
                         __nv_bfloat16* y, float* partial, int M, int N, int K) {
        int splits = 1, ctas = N / 16 * ((M + 7) / 8);
        long long none = 0;
        void* args[] = {&w, &none, &pals, &none, &starts, &none, &esc, &none, &pos, &none, &x, &none, &y, &none, &partial, &none, &M, &N, &K, &splits};
        CUresult e = cuLaunchKernel(fn, ctas, 1, 1, threads, 1, 1, 0, nullptr, args, nullptr);
        if (e != CUDA_SUCCESS) { printf("jit: cuLaunchKernel failed (%d)\n", (int)e); exit(1); }
    };
    struct Shape { int N, K; };
    const Shape shapes[] = {{14336, 4096}, {128256, 4096}, {4096, 14336}, {4096, 4096}, {1024, 4096}};
#ifndef NO_CUBLAS
    cublasHandle_t h; cublasCreate(&h);
#endif
    std::vector<std::string> table;
    for (Shape sh : shapes) {
        if (!shapeWanted(sh.N, sh.K)) continue;
        Rotated rw(sh.N, sh.K);
        const Coded& c = rw.d.win;
        int r = 0, n = rw.n;
        for (int M : {1, 4}) {
            std::vector<uint16_t> xh((size_t)M * sh.K); for (auto& v : xh) v = bf16((float)nrand());
            uint16_t* x = up(xh); __nv_bfloat16* y; CK(cudaMalloc(&y, (size_t)M * sh.N * 2));
            float* partial = workspace((size_t)M * sh.N + (size_t)sh.N);
            auto linked = poisonedRun(y, (size_t)M * sh.N, [&]() { launchNarrow(false, c.tiles, c.pals, c.starts, c.esc, c.pos, x, y, partial, M, sh.N, sh.K, 1); });
            auto jitted = poisonedRun(y, (size_t)M * sh.N, [&]() { launchJit(c.tiles, c.pals, c.starts, c.esc, c.pos, x, y, partial, M, sh.N, sh.K); });
            long poisoned = 0; for (uint16_t v : jitted) poisoned += v == 0xFFFF;
            bool same = linked == jitted && poisoned == 0;
            if (!same) failures++;
            double cub = 0;
#ifndef NO_CUBLAS
            cub = cublasRotated(h, rw.bfs, n, r, x, y, M, sh.N, sh.K)[3];
#endif
            auto tl = launchTimes([&]() { launchNarrow(false, rw.wt[r++ % n], c.pals, c.starts, c.esc, c.pos, x, y, partial, M, sh.N, sh.K, 1); });
            auto tj = launchTimes([&]() { launchJit(rw.wt[r++ % n], c.pals, c.starts, c.esc, c.pos, x, y, partial, M, sh.N, sh.K); });
            auto tl2 = launchTimes([&]() { launchNarrow(false, rw.wt[r++ % n], c.pals, c.starts, c.esc, c.pos, x, y, partial, M, sh.N, sh.K, 1); });
            char line[300];
            snprintf(line, sizeof line, "| %6d x %5d | %d | %.4f | %.4f [%.4f..%.4f] | %.4f [%.4f..%.4f] | %.4f | %s |", sh.N, sh.K, M, cub,
                     tl[3], tl[0], tl[6], tj[3], tj[0], tj[6], tl2[3], same ? "equal" : "DIFFER");
            printf("jit %s\n", line);
            fflush(stdout);
            table.push_back(line);
            cudaFree(x); cudaFree(y);
        }
        rw.free();
    }
    printf("\n| N x K | M | cuBLAS | linked (nvcc) [min..max] | driver-compiled PTX [min..max] | linked again | Y |\n|---|---|---|---|---|---|---|\n");
    for (auto& l : table) printf("%s\n", l.c_str());
    cuModuleUnload(module);
}

// ./h ramp (session 16): where an M = 1 launch's time goes, on the schedule's kernel per shape (and the others at 4096 x 14336).
// Per case: the kernel checked against its twin bit for bit; its time, cuBLAS's, and a plain grid-stride read of the same
// tile bytes (the floor for those bytes), W rotated over >= 192 MB; with a -DTC_TIMELINE build of sm.cu, each CTA's
// %globaltimer at its start, after each warp's last tile and at its end, of 5 launches behind a spin with events around the
// kernel alone: the launch with the median span, as µs from the first CTA's start (summary lines: warp 0's loop end).
struct Ramp { double event = 0, span = 0, s50 = 0, s100 = 0, l0 = 0, l50 = 0, l100 = 0, e0 = 0, e50 = 0, e100 = 0, tick = 0; int run = 0; unsigned long long t0 = 0; };

static Ramp rampOf(const std::function<void(int)>& fn, int ctas, unsigned long long* tl, const std::string& csv) {
    std::vector<Ramp> runs;
    std::vector<std::vector<unsigned long long>> raw;
    cudaEvent_t a = timerEvent(0), b = timerEvent(1);
    for (int r = 0; r < 5; r++) {
        std::vector<unsigned long long> h((size_t)12 * ctas);
        CK(cudaMemset(tl, 0, h.size() * 8));
        launchSpin(40000);
        cudaEventRecord(a); fn(r); cudaEventRecord(b);
        CK(cudaEventSynchronize(b));
        float ms; cudaEventElapsedTime(&ms, a, b);
        CK(cudaMemcpy(h.data(), tl, h.size() * 8, cudaMemcpyDeviceToHost));
        std::vector<double> st, lo, en;
        unsigned long long t0 = ~0ull;
        for (int c = 0; c < ctas; c++) if (h[12 * c]) t0 = std::min(t0, h[12 * c]);
        for (int c = 0; c < ctas; c++) {
            if (!h[12 * c]) continue;   // a CTA past the work returns before its marks
            st.push_back((h[12 * c] - t0) * 1e-3); lo.push_back((h[12 * c + 3] - t0) * 1e-3); en.push_back((h[12 * c + 1] - t0) * 1e-3);
        }
        std::sort(st.begin(), st.end()); std::sort(lo.begin(), lo.end()); std::sort(en.begin(), en.end());
        auto pct = [](const std::vector<double>& v, double q) { return v[std::min(v.size() - 1, (size_t)(q * (v.size() - 1) + 0.5))]; };
        Ramp x;
        x.event = ms * 1e3; x.span = en.back();
        x.s50 = pct(st, 0.5); x.s100 = st.back(); x.l0 = lo.front(); x.l50 = pct(lo, 0.5); x.l100 = lo.back();
        x.e0 = en.front(); x.e50 = pct(en, 0.5); x.e100 = en.back();
        double tick = 1e9; for (size_t i = 1; i < st.size(); i++) if (st[i] > st[i - 1]) tick = std::min(tick, st[i] - st[i - 1]);
        x.tick = tick; x.run = r; x.t0 = t0;
        runs.push_back(x);
        raw.push_back(h);
    }
    std::sort(runs.begin(), runs.end(), [](const Ramp& p, const Ramp& q) { return p.span < q.span; });
    const char* dir = getenv("TIMELINE_DIR");
    if (dir && !csv.empty()) {   // every CTA of the median launch: ns from its first CTA's start (-1: no mark)
        const auto& h = raw[runs[2].run];
        unsigned long long t0 = runs[2].t0;
        FILE* f = fopen((std::string(dir) + "/" + csv).c_str(), "w");
        if (f) {
            fprintf(f, "cta,sm,start,end,w0,w1,w2,w3,w4,w5,w6,w7\n");
            auto rel = [&](unsigned long long v) { return v ? (long long)(v - t0) : -1ll; };
            for (int c = 0; c < ctas; c++) {
                const unsigned long long* q = &h[12 * (size_t)c];
                fprintf(f, "%d,%llu,%lld,%lld", c, q[2], rel(q[0]), rel(q[1]));
                for (int w = 0; w < 8; w++) fprintf(f, ",%lld", rel(q[3 + w]));
                fprintf(f, "\n");
            }
            fclose(f);
        }
    }
    return runs[2];
}

static void printRamp(const char* what, const Ramp& r) {
    printf("  timeline %-28s event %6.2f us | span %6.2f | starts p50 %5.2f max %5.2f | warp 0 done min %6.2f p50 %6.2f max %6.2f | ends min %6.2f p50 %6.2f max %6.2f | tick %.3f\n",
           what, r.event, r.span, r.s50, r.s100, r.l0, r.l50, r.l100, r.e0, r.e50, r.e100, r.tick);
}

#ifdef TC_MEET_TIMELINE
// ./h meetline (session 23): the meet kernel (tmaWindowMeet*, one CTA per unit, a cooperative launch) on the cells the schedule
// gives it, timed beside the workspace finish at the same tile and splits (tmaWindow*, a CTA per unit) and checked against it bit
// for bit; then, from one launch after a spin, each CTA's timeline (meetMark: start, main loop end, slice stored, published, all met, share
// added; between the main loop's end and the slice stored every warp past it and thread 0's stores issued, then thread 0's fence)
// summed as the spread of the main loop's ends and the p10 / p50 / p90 / max of each step.
static void meetline() {
    struct Cell { int N, K, M, BN, S; };
    const Cell cells[] = {{4096, 4096, 256, 256, 4}, {4096, 4096, 256, 128, 2}, {1024, 4096, 256, 128, 8}, {1024, 4096, 1024, 256, 4},
                          {4096, 14336, 256, 256, 4}, {4096, 14336, 256, 256, 2}};
    unsigned long long* line; CK(cudaMalloc(&line, 8 * 256 * sizeof(unsigned long long)));
    for (const Cell& c : cells) {
        auto w = randomW(c.N, c.K, false);
        DevW d = upload(w, c.N, c.K);
        std::vector<uint16_t> xh((size_t)c.M * c.K); for (auto& v : xh) v = bf16((float)nrand());
        uint16_t* x = up(xh); __nv_bfloat16* y; CK(cudaMalloc(&y, (size_t)c.M * c.N * 2));
        constexpr int WR = wgmma_tma::W_ROWS, THREADS = wgmma_tma::THREADS;
        int tiles = (c.N / WR) * ((c.M + c.BN - 1) / c.BN), ctas = tiles * c.S;
        if (ctas > 256) { printf("meetline: %d CTAs exceed the timeline's 256\n", ctas); exit(2); }
        float* partial = workspace((size_t)c.S * tiles * c.BN * WR + tiles);
        CUtensorMap xMap = tensorMap(x, c.K, c.M, c.BN);
        int sh = c.BN == 128 ? wgmma_tma::sharedBytes<128, wgmma_tma::Mode::WINDOW>() : wgmma_tma::sharedBytes<256, wgmma_tma::Mode::WINDOW>();
        auto f = c.BN == 128 ? tmaWindowMeet128 : tmaWindowMeet256;
        CK(cudaFuncSetAttribute(f, cudaFuncAttributeMaxDynamicSharedMemorySize, sh));
        const Coded& cw = d.win;
        long long zero = 0; int M = c.M, N = c.N, K = c.K, S = c.S;
        const uint8_t* tl = cw.tiles; const uint2* pl = (const uint2*)cw.pals; const uint32_t* st = cw.starts; const uint8_t* es = cw.esc; const uint16_t* ps = cw.pos;
        CUtensorMap tileMap = tilesMap(cw.tiles, N, K);
        void* args[] = {&xMap, &tileMap, &tl, &zero, &pl, &zero, &st, &zero, &es, &zero, &ps, &zero, &y, &zero, &partial, &zero, &M, &N, &K, &S};
        auto meet = [&]() { CK(cudaLaunchCooperativeKernel((const void*)f, ctas, THREADS, args, sh, 0)); };
        gSplits = c.S; gCap = 0;
        auto tm = launchTimes(meet);
        auto tw = launchTimes([&]() { launch(TMA_WIN, c.BN, d, x, y, c.M, c.N, c.K); });
        auto ym = poisonedRun(y, (size_t)c.M * c.N, meet);
        auto yw = run(TMA_WIN, c.BN, d, x, y, c.M, c.N, c.K);
        bool same = ym == yw;
        if (!same) failures++;
        printf("meetline %5dx%5d M=%4d %d x %d: meet %.4f ms [%.4f..%.4f], workspace finish %.4f ms; Y equal %s\n", c.N, c.K, c.M, c.BN, c.S,
               tm[3], tm[0], tm[6], tw[3], same ? "PASS" : "FAIL");
        // The timeline of one launch, a spin first (as the bursts).
        CK(cudaMemset(line, 0, 8 * 256 * sizeof(unsigned long long)));
        CK(cudaMemcpyToSymbol(wgmma_tma::tcMeetLine, &line, sizeof line));
        launchSpin(10000000); meet(); CK(cudaDeviceSynchronize());
        unsigned long long* none = nullptr;
        CK(cudaMemcpyToSymbol(wgmma_tma::tcMeetLine, &none, sizeof none));
        std::vector<unsigned long long> t((size_t)8 * ctas);
        CK(cudaMemcpy(t.data(), line, t.size() * sizeof(unsigned long long), cudaMemcpyDeviceToHost));
        unsigned long long t0 = ~0ull, end = 0, lastMain = 0, firstMain = ~0ull;
        for (int b = 0; b < ctas; b++) { t0 = std::min(t0, t[8 * b]); end = std::max(end, t[8 * b + 4]); lastMain = std::max(lastMain, t[8 * b + 1]); firstMain = std::min(firstMain, t[8 * b + 1]); }
        auto stat = [&](const char* name, auto value) {
            std::vector<double> v; for (int b = 0; b < ctas; b++) v.push_back(value(b) / 1000.0);
            std::sort(v.begin(), v.end());
            printf("  %-44s p10 %6.2f  p50 %6.2f  p90 %6.2f  max %6.2f us\n", name, v[ctas / 10], v[ctas / 2], v[ctas * 9 / 10], v.back());
        };
        stat("start after the first CTA's start", [&](int b) { return (double)(t[8 * b] - t0); });
        stat("main loop end after the first start", [&](int b) { return (double)(t[8 * b + 1] - t0); });
        stat("slice stored (writeSlice's stores, barrier)", [&](int b) { return (double)(t[8 * b + 2] - t[8 * b + 1]); });
        stat("  all its warps past the main loop", [&](int b) { return (double)(t[8 * b + 5] - t[8 * b + 1]); });
        stat("  then thread 0's stores issued", [&](int b) { return (double)(t[8 * b + 6] - t[8 * b + 5]); });
        stat("  then every thread's (the barrier)", [&](int b) { return (double)(t[8 * b + 2] - t[8 * b + 6]); });
        stat("published (thread 0's fence)", [&](int b) { return (double)(t[8 * b + 7] - t[8 * b + 2]); });
        stat("met: counted in, the tile's slices waited for", [&](int b) { return (double)(t[8 * b + 3] - t[8 * b + 7]); });
        stat("  of which the tile's last slice published later", [&](int b) {
            int tile = b / c.S; unsigned long long last = 0;
            for (int s = 0; s < c.S; s++) last = std::max(last, t[8 * (tile * c.S + s) + 7]);
            return (double)(last - t[8 * b + 7]);
        });
        stat("share added and Y written", [&](int b) { return (double)(t[8 * b + 4] - t[8 * b + 3]); });
        stat("end after the first start", [&](int b) { return (double)(t[8 * b + 4] - t0); });
        printf("  span %.2f us: main loops end over %.2f us (first %.2f, last %.2f), then %.2f us to the last CTA's end\n", (end - t0) / 1000.0,
               (lastMain - firstMain) / 1000.0, (firstMain - t0) / 1000.0, (lastMain - t0) / 1000.0, (end - lastMain) / 1000.0);
        fflush(stdout);
        gSplits = 1;
        freeW(d); cudaFree(x); cudaFree(y);
    }
    cudaFree(line);
}
#endif

static void ramp() {
    // kind 0: windowNarrow8, 1: windowCluster8xS, 2: windowGemm8 (the workspace path), 3: windowNarrowCluster8xS
    struct Case { int N, K, kind, S; };
    const Case cases[] = {{4096, 14336, 1, 2}, {4096, 14336, 0, 1}, {4096, 14336, 2, 1}, {4096, 14336, 3, 2}, {4096, 14336, 3, 4},
                          {14336, 4096, 0, 1}, {14336, 4096, 3, 2}, {14336, 4096, 3, 4}, {4096, 4096, 1, 2}, {4096, 4096, 3, 2},
                          {4096, 4096, 3, 4}, {1024, 4096, 1, 4}, {1024, 4096, 3, 4}, {128256, 4096, 0, 1}, {128256, 4096, 3, 2}};
    const char* names[] = {"narrow8", "cluster8", "window8", "narrowcluster8"};
#ifndef NO_CUBLAS
    cublasHandle_t h; cublasCreate(&h);
#endif
    unsigned long long* tl; CK(cudaMalloc(&tl, (size_t)12 * 8 * 1024 * 1024));
    unsigned* sink; CK(cudaMalloc(&sink, 4096));
    bool timeline = setTimeline(tl);
    printf("ramp: timeline %s\n", timeline ? "on" : "off (build sm.cu with -DTC_TIMELINE for it)");
    std::unique_ptr<Rotated> rw;
    int lastN = 0, lastK = 0;
    for (Case c : cases) {
        if (c.kind == 3 && narrowSteal()) continue;   // the narrow cluster entries do not steal, their twin (bf16FragNarrow8) does
        if (c.N != lastN || c.K != lastK) { if (rw) rw->free(); rw.reset(new Rotated(c.N, c.K)); lastN = c.N; lastK = c.K; }
        const DevW& d = rw->d;
        const Coded& cw = d.win;
        const int M = 1, n = rw->n;
        int r = 0;
        std::vector<uint16_t> xh((size_t)M * c.K); for (auto& v : xh) v = bf16((float)nrand());
        uint16_t* x = up(xh); __nv_bfloat16* y; CK(cudaMalloc(&y, (size_t)M * c.N * 2));
        float* partial = workspace((size_t)c.S * M * c.N + (size_t)c.N);
        int ctas = c.N / 16 * c.S;
        auto run = [&](const void* w) {
            if (c.kind == 0) launchNarrow(false, w, cw.pals, cw.starts, cw.esc, cw.pos, x, y, partial, M, c.N, c.K, c.S);
            else if (c.kind == 1) launchCluster(c.S, w, cw.pals, cw.starts, cw.esc, cw.pos, x, y, partial, M, c.N, c.K);
            else if (c.kind == 3) launchNarrowCluster(c.S, w, cw.pals, cw.starts, cw.esc, cw.pos, x, y, partial, M, c.N, c.K);
            else launchSmall(2, 1, false, w, cw.pals, cw.starts, cw.esc, cw.pos, x, y, partial, M, c.N, c.K, c.S);
        };
        std::vector<uint16_t> out[2];
        for (int k = 0; k < 2; k++) {
            out[k] = poisonedRun(y, (size_t)M * c.N, [&]() {
                if (k == 0) { if (c.kind == 0 || c.kind == 3) launchNarrow(true, d.bf, nullptr, nullptr, nullptr, nullptr, x, y, partial, M, c.N, c.K, c.S);
                              else launchSmall(3, 1, false, d.bf, nullptr, nullptr, nullptr, nullptr, x, y, partial, M, c.N, c.K, c.S); }
                else run(cw.tiles);
            });
        }
        long unwritten = 0; for (uint16_t v : out[1]) unwritten += v == 0xFFFF;
        bool ok = out[0] == out[1] && unwritten == 0;
        if (!ok) failures++;
        double cub = 0;
#ifndef NO_CUBLAS
        cub = cublasRotated(h, rw->bfs, n, r, x, y, M, c.N, c.K)[3];
#endif
        auto tk = launchTimes([&]() { run(rw->wt[r++ % n]); });
        size_t bytes = (size_t)c.N / 16 * (c.K / 64) * 1536;
        double best = 1e9; int bestG = 0;
        for (int g : {4, 8, 16}) {
            double t = launchTimes([&]() { launchStream(rw->wt[r++ % n], bytes, sink, 132 * g); })[3];
            if (t < best) { best = t; bestG = g; }
        }
        int threads = c.kind == 0 || c.kind == 3 ? 128 : 256;
        auto te = launchTimes([&]() { launchEmpty(ctas, threads); });
        printf("ramp %6dx%5d M=1 %s S=%d (%d CTAs): cublas %.4f | kernel %.4f [%.4f..%.4f] %.3fx | stream %.1f MB %.4f (%d per SM) %.3fx | empty %.4f | kernel==twin %d unwritten %ld %s\n",
               c.N, c.K, names[c.kind], c.S, ctas, cub, tk[3], tk[0], tk[6], cub / tk[3], bytes / 1e6, best, bestG, cub / best, te[3], (int)(out[0] == out[1]), unwritten, ok ? "PASS" : "FAIL");
        if (timeline) {
            std::string label = std::to_string(c.N) + "x" + std::to_string(c.K) + "-" + names[c.kind] + "-S" + std::to_string(c.S);
            printRamp("kernel", rampOf([&](int i) { run(rw->wt[(r + i) % n]); }, ctas, tl, "timeline-" + label + ".csv"));
            r += 5;
            printRamp("stream", rampOf([&](int i) { launchStream(rw->wt[(r + i) % n], bytes, sink, 132 * bestG); }, 132 * bestG, tl, "timeline-" + label + "-stream.csv"));
            r += 5;
            printRamp("empty", rampOf([&](int) { launchEmpty(ctas, threads); }, ctas, tl, ""));
        }
        fflush(stdout);
        cudaFree(x); cudaFree(y);
    }
    if (rw) rw->free();
    cudaFree(tl); cudaFree(sink);
}

// The tma kernel with one CTA per unit against a persistent grid (one CTA per SM), BF16 twin and window coding, for the
// issue's shapes at M = 64 .. 4096, every tile and split that gives work to the SMs; cuBLAS in the same run. Each
// configuration checked: both grids and both W give the same Y bit for bit. Last, a table of the best per cell.
static void persist(int sms) {
    struct Shape { int N, K; };
    const Shape shapes[] = {{128256, 4096}, {4096, 14336}, {14336, 4096}, {4096, 4096}, {1024, 4096}};
    std::vector<int> Ms = envMs("PERSIST_MS", {64, 256, 1024, 4096});
    std::vector<std::string> table;
#ifndef NO_CUBLAS
    cublasHandle_t h; cublasCreate(&h);
#endif
    for (Shape sh : shapes) {
        if (!shapeWanted(sh.N, sh.K)) continue;
        ShapeCase c(sh.N, sh.K, 4096);
        const DevW& d = c.d; uint16_t* x = c.x; __nv_bfloat16* y = c.y;
        for (int M : Ms) {
            double cub = 0;
#ifndef NO_CUBLAS
            cub = cublasMs(h, c, M, sh.N, sh.K);
            printf("persist %6dx%5d M=%4d cublas: %.4f ms\n", sh.N, sh.K, M, cub);
#endif
            double best[2][2] = {{1e9, 1e9}, {1e9, 1e9}};   // [kind bf16/win][grid per unit/persistent]
            std::string where[2][2];
            for (int BN : {64, 128, 256}) {
                if (BN > M || (M >= 1024 && BN == 64)) continue;
                int tiles = (sh.N / 128) * ((M + BN - 1) / BN);
                for (int splits : {1, 2, 4}) {
                    if ((sh.K / 64) % (2 * splits) != 0 || (splits > 1 && tiles >= sms)) continue;
                    gSplits = splits;
                    std::vector<uint16_t> ref;
                    bool same = true;
                    for (int ki = 0; ki < 2; ki++) {
                        Kind k = ki ? TMA_WIN : TMA_BF;
                        for (int p = 0; p < 2; p++) {
                            gCap = p ? sms : 0;
                            auto t = launchTimes([&]() { launch(k, BN, d, x, y, M, sh.N, sh.K); });
                            printf("persist %6dx%5d M=%4d BN=%3d splits %d %-8s %-10s: %.4f ms [%.4f..%.4f] %.3fx cublas\n", sh.N, sh.K, M, BN, splits, kname(k),
                                   p ? "persistent" : "per-unit", t[3], t[0], t[6], cub / t[3]);
                            if (t[3] < best[ki][p]) { best[ki][p] = t[3]; char b[64]; snprintf(b, sizeof b, "%d x %d", BN, splits); where[ki][p] = b; }
                            auto out = run(k, BN, d, x, y, M, sh.N, sh.K);
                            if (ref.empty()) ref = out; else same = same && out == ref;
                        }
                    }
                    gCap = 0;
                    if (!same) failures++;
                    printf("check persist %6dx%5d M=%4d BN=%3d splits %d: 4 runs equal %d %s\n", sh.N, sh.K, M, BN, splits, (int)same, same ? "PASS" : "FAIL");
                    fflush(stdout);
                }
            }
            gSplits = 1;
            char line[400];
            snprintf(line, sizeof line, "| %6d x %5d | %4d | %.4f | %.4f (%s) | %.4f (%s) | %.4f (%s) %.3fx | %.4f (%s) %.3fx |", sh.N, sh.K, M, cub,
                     best[0][0], where[0][0].c_str(), best[0][1], where[0][1].c_str(), best[1][0], where[1][0].c_str(), cub / best[1][0],
                     best[1][1], where[1][1].c_str(), cub / best[1][1]);
            table.push_back(line);
        }
        c.free();
    }
    printf("\n| N x K | M | cuBLAS | bf16 per-unit | bf16 persistent | window per-unit | window persistent |\n|---|---|---|---|---|---|---|\n");
    for (auto& l : table) printf("%s\n", l.c_str());
}

// Split K summed in a cluster (tmaWindowCluster) against the workspace path (one CTA per unit and persistent) and the unsplit
// persistent kernel, window coding, on the cells whose tiles leave SMs idle; and where the tiles fill the SMs but leave a last,
// partial round that clusters of 2 cover, that tail split in clusters on the persistent grid; cuBLAS in the same run. Checked:
// the cluster's Y equals the BF16 twin's at the same splits (workspace path; the tail: tmaBf16Cluster) bit for bit, the tail's
// within 1e-2 of the unsplit Y. Last, a table of the best per cell.
static void tcluster(int sms) {
    struct Shape { int N, K; };
    const Shape shapes[] = {{128256, 4096}, {4096, 14336}, {14336, 4096}, {4096, 4096}, {1024, 4096}};
    std::vector<std::string> table;
#ifndef NO_CUBLAS
    cublasHandle_t h; cublasCreate(&h);
#endif
    for (Shape sh : shapes) {
        ShapeCase c(sh.N, sh.K, 4096);
        const DevW& d = c.d; uint16_t* x = c.x; __nv_bfloat16* y = c.y;
        for (int M : {64, 256, 1024, 4096}) {
            double cub = 0;
#ifndef NO_CUBLAS
            cub = cublasMs(h, c, M, sh.N, sh.K);
#endif
            double best[3] = {1e9, 1e9, 1e9};   // unsplit persistent, workspace split (either grid), cluster
            std::string where[3];
            for (int BN : {64, 128, 256}) {
                if (BN > std::max(64, M) || (M >= 1024 && BN == 64)) continue;
                int tiles = (sh.N / 128) * ((M + BN - 1) / BN);
                gCap = sms; gSplits = 1;
                double t1 = launchTimes([&]() { launch(TMA_WIN, BN, d, x, y, M, sh.N, sh.K); })[3];
                printf("tcluster %6dx%5d M=%4d BN=%3d unsplit persistent   : %.4f ms %.3fx cublas %.4f\n", sh.N, sh.K, M, BN, t1, cub / t1, cub);
                if (t1 < best[0]) { best[0] = t1; where[0] = std::to_string(BN); }
                if (tiles >= sms) {   // the tail in clusters of 2 where the last, partial round fits one cluster per tile
                    int left = tiles % sms;
                    if (left == 0 || left > sms / 2 || (sh.K / 64) % 4 != 0) continue;
                    gSplits = 2; gCluster = true;
                    double tt = launchTimes([&]() { launch(TMA_WIN, BN, d, x, y, M, sh.N, sh.K); })[3];
                    double tb = launchTimes([&]() { launch(TMA_BF, BN, d, x, y, M, sh.N, sh.K); })[3];
                    auto yt = run(TMA_WIN, BN, d, x, y, M, sh.N, sh.K), ytb = run(TMA_BF, BN, d, x, y, M, sh.N, sh.K);
                    gCluster = false; gSplits = 1;
                    auto yw = run(TMA_WIN, BN, d, x, y, M, sh.N, sh.K);
                    double num = 0, den = 0;
                    for (size_t i = 0; i < yt.size(); i++) { double a = fromBf16(yt[i]), b = fromBf16(yw[i]); num += (a - b) * (a - b); den += b * b; }
                    double e = sqrt(num / den);
                    bool ok = yt == ytb && e < 1e-2;
                    if (!ok) failures++;
                    printf("tcluster %6dx%5d M=%4d BN=%3d tail of %d tiles in clusters of 2: %.4f ms %.3fx cublas (unsplit %.4f, twin %.4f); win==bf16 %d, against unsplit %.2e %s\n",
                           sh.N, sh.K, M, BN, left, tt, cub / tt, t1, tb, (int)(yt == ytb), e, ok ? "PASS" : "FAIL");
                    fflush(stdout);
                    if (tt < best[2]) { best[2] = tt; where[2] = std::to_string(BN) + " tail"; }
                    gCap = 0;
                    continue;
                }
                for (int splits : {2, 4}) {
                    if ((sh.K / 64) % (2 * splits) != 0) continue;
                    gSplits = splits;
                    double tw[2];
                    for (int p = 0; p < 2; p++) {
                        gCap = p ? sms : 0;
                        tw[p] = launchTimes([&]() { launch(TMA_WIN, BN, d, x, y, M, sh.N, sh.K); })[3];
                    }
                    gCap = 0; gCluster = true;
                    double tc = launchTimes([&]() { launch(TMA_WIN, BN, d, x, y, M, sh.N, sh.K); })[3];
                    auto yc = run(TMA_WIN, BN, d, x, y, M, sh.N, sh.K);
                    gCluster = false;
                    auto yb = run(TMA_BF, BN, d, x, y, M, sh.N, sh.K), yw = run(TMA_WIN, BN, d, x, y, M, sh.N, sh.K);
                    bool ok = yc == yb && yw == yb;
                    if (!ok) failures++;
                    printf("tcluster %6dx%5d M=%4d BN=%3d splits %d: workspace %.4f per unit, %.4f persistent; cluster %.4f ms %.3fx cublas; cluster==bf16 %d window==bf16 %d %s\n",
                           sh.N, sh.K, M, BN, splits, tw[0], tw[1], tc, cub / tc, (int)(yc == yb), (int)(yw == yb), ok ? "PASS" : "FAIL");
                    fflush(stdout);
                    char b[32];
                    snprintf(b, sizeof b, "%d x %d", BN, splits);
                    double tws = std::min(tw[0], tw[1]);
                    if (tws < best[1]) { best[1] = tws; where[1] = b; }
                    if (tc < best[2]) { best[2] = tc; where[2] = b; }
                }
                gSplits = 1;
            }
            gCap = 0;
            char line[400];
            snprintf(line, sizeof line, "| %6d x %5d | %4d | %.4f | %.4f (%s) %.3fx | %.4f (%s) %.3fx | %.4f (%s) %.3fx |", sh.N, sh.K, M, cub, best[0], where[0].c_str(), cub / best[0],
                     best[1], where[1].c_str(), cub / best[1], best[2], where[2].c_str(), cub / best[2]);
            table.push_back(line);
        }
        c.free();
    }
    printf("\n| N x K | M | cuBLAS | window unsplit (rows) | window split, workspace (rows x S) | window split, cluster (rows x S) |\n|---|---|---|---|---|---|\n");
    for (auto& l : table) printf("%s\n", l.c_str());
}

// The half kernels (64 W rows x 256 X rows per CTA, the consumer warpgroups on alternate K blocks) at 1, 2 and 4 splits against
// the schedule table's choice of session 14 for the cell (its window kernel and BF16 twin, in this process) and cuBLAS, on the
// cells whose 128-row tiles leave SMs idle; each half Y checked against its twin bit for bit and within 1e-2 of the yardstick's.
static void halfMode(int sms) {
    struct Cell { int N, K, M, BN, splits; bool cluster, persistent; const char* what; };
    const Cell cells[] = {
        {4096, 4096, 256, 128, 2, true, false, "tmacluster 128 x 2"}, {4096, 4096, 1024, 256, 1, false, true, "tma 256"},
        {1024, 4096, 256, 64, 4, false, true, "tma 64 x 4"}, {1024, 4096, 1024, 128, 2, true, false, "tmacluster 128 x 2"},
        {1024, 4096, 4096, 256, 1, false, true, "tma 256"},
        {4096, 14336, 256, 256, 4, false, true, "tma 256 x 4"}, {4096, 14336, 1024, 256, 1, false, true, "tma 256"},
        {14336, 4096, 256, 256, 1, false, true, "tma 256"}, {14336, 4096, 1024, 256, 2, true, true, "tmacluster 256 x 2 tail"},
        };
    std::vector<std::string> table;
#ifndef NO_CUBLAS
    cublasHandle_t h; cublasCreate(&h);
#endif
    int lastN = 0, lastK = 0; DevW d{}; uint16_t* x = nullptr; __nv_bfloat16* y = nullptr;
    for (Cell c : cells) {
        if (c.N != lastN || c.K != lastK) {
            if (lastN) { freeW(d); cudaFree(x); cudaFree(y); }
            d = upload(randomW(c.N, c.K, false), c.N, c.K);
            std::vector<uint16_t> xh((size_t)4096 * c.K); for (auto& v : xh) v = bf16((float)nrand());
            x = up(xh); CK(cudaMalloc(&y, (size_t)4096 * c.N * 2));
            lastN = c.N; lastK = c.K;
        }
        double cub = 0;
#ifndef NO_CUBLAS
        cub = launchTimes([&]() { float al = 1, be = 0; cublasGemmEx(h, CUBLAS_OP_T, CUBLAS_OP_N, c.N, c.M, c.K, &al, d.bf, CUDA_R_16BF, c.K, x, CUDA_R_16BF, c.K, &be, y, CUDA_R_16BF, c.N, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT); })[3];
#endif
        gSplits = c.splits; gCluster = c.cluster; gCap = c.persistent ? sms : 0;
        double yw = launchTimes([&]() { launch(TMA_WIN, c.BN, d, x, y, c.M, c.N, c.K); })[3];
        double yb = launchTimes([&]() { launch(TMA_BF, c.BN, d, x, y, c.M, c.N, c.K); })[3];
        auto yard = run(TMA_WIN, c.BN, d, x, y, c.M, c.N, c.K);
        gSplits = 1; gCluster = false; gCap = 0;
        printf("half %6dx%5d M=%4d cublas %.4f; table's %s: window %.4f (%.3fx) twin %.4f\n", c.N, c.K, c.M, cub, c.what, yw, cub / yw, yb);
        double best = 1e9; int bestS = 0;
        gHalf = true;
        for (int splits : {1, 2, 4}) {
            if ((c.K / 64) % (4 * splits) != 0) continue;
            gSplits = splits;
            double hw = launchTimes([&]() { launch(TMA_WIN, 256, d, x, y, c.M, c.N, c.K); })[3];
            double hb = launchTimes([&]() { launch(TMA_BF, 256, d, x, y, c.M, c.N, c.K); })[3];
            auto tw = run(TMA_WIN, 256, d, x, y, c.M, c.N, c.K), tb = run(TMA_BF, 256, d, x, y, c.M, c.N, c.K);
            double num = 0, den = 0; long nan = 0;
            for (size_t i = 0; i < tw.size(); i++) { double a = fromBf16(tw[i]), b = fromBf16(yard[i]); if (std::isnan(a)) { nan++; continue; } num += (a - b) * (a - b); den += b * b; }
            double e = sqrt(num / den);
            bool ok = tw == tb && e < 1e-2 && nan == 0;
            if (!ok) failures++;
            int ctas = (c.N / 64) * ((c.M + 255) / 256) * splits;
            printf("half %6dx%5d M=%4d half x %d (%d CTAs): window %.4f (%.3fx cublas, %.3fx table's) twin %.4f; win==bf16 %d, against table's %.2e nan %ld %s\n",
                   c.N, c.K, c.M, splits, ctas, hw, cub / hw, yw / hw, hb, (int)(tw == tb), e, nan, ok ? "PASS" : "FAIL");
            fflush(stdout);
            if (hw < best) { best = hw; bestS = splits; }
        }
        gHalf = false; gSplits = 1;
        char line[300];
        snprintf(line, sizeof line, "| %6d x %5d | %4d | %.4f | %s %.4f (%.3fx) | half x %d %.4f (%.3fx) |", c.N, c.K, c.M, cub, c.what, yw, cub / yw, bestS, best, cub / best);
        table.push_back(line);
    }
    if (lastN) { freeW(d); cudaFree(x); cudaFree(y); }
    printf("\n| N x K | M | cuBLAS | table's choice, window | best half kernel, window |\n|---|---|---|---|---|\n");
    for (auto& l : table) printf("%s\n", l.c_str());
}

// The TMA kernel's split K through the workspace on the M = 256 cells of the 4096-row shapes and 14336 x 4096, 128- and 256-row tiles
// at 1, 2 and 4 splits, persistent, window and twin (session 15: what the finish costs, compared across builds).
static void finishMode(int sms) {
    struct Cell { int N, K, M; };
    for (Cell c : {Cell{4096, 14336, 256}, Cell{4096, 4096, 256}, Cell{14336, 4096, 256}}) {
        DevW d = upload(randomW(c.N, c.K, false), c.N, c.K);
        std::vector<uint16_t> xh((size_t)c.M * c.K); for (auto& v : xh) v = bf16((float)nrand());
        uint16_t* x = up(xh); __nv_bfloat16* y; CK(cudaMalloc(&y, (size_t)c.M * c.N * 2));
        for (int BN : {128, 256}) for (int splits : {1, 2, 4}) {
            if ((c.K / 64) % (2 * splits) != 0) continue;
            gSplits = splits; gCap = sms;
            auto tw = launchTimes([&]() { launch(TMA_WIN, BN, d, x, y, c.M, c.N, c.K); });
            auto tb = launchTimes([&]() { launch(TMA_BF, BN, d, x, y, c.M, c.N, c.K); });
            int units = (c.N / 128) * ((c.M + BN - 1) / BN) * splits;
            printf("finish %6dx%5d M=%4d BN=%3d splits %d (%d units, %d blocks each): window %.4f [%.4f..%.4f] twin %.4f [%.4f..%.4f]\n", c.N, c.K, c.M, BN, splits, units,
                   c.K / 64 / splits, tw[3], tw[0], tw[6], tb[3], tb[0], tb[6]);
            fflush(stdout);
        }
        gSplits = 1; gCap = 0;
        freeW(d); cudaFree(x); cudaFree(y);
    }
}

// Clocks and power under a sustained load (development: is the window kernel's gap to its twin the power it draws?): per
// kernel 2.5 s of launches, then ~600 ms more timed by events with nvidia-smi read twice while they run.
static std::string smi() {
    FILE* p = popen("nvidia-smi --query-gpu=clocks.sm,power.draw,temperature.gpu --format=csv,noheader,nounits", "r");
    char b[200] = {0};
    if (p) { if (!fgets(b, sizeof b, p)) b[0] = 0; pclose(p); }
    std::string r(b); while (!r.empty() && (r.back() == '\n')) r.pop_back();
    return r;
}

static void power(int sms) {
    struct Case { int N, K, M; };
#ifndef NO_CUBLAS
    cublasHandle_t h; cublasCreate(&h);
#endif
    for (Case c : {Case{14336, 4096, 4096}, Case{4096, 14336, 4096}, Case{128256, 4096, 1024}, Case{128256, 4096, 4096}, Case{4096, 4096, 4096}}) {
        auto w = randomW(c.N, c.K, false);
        DevW d = upload(w, c.N, c.K);
        std::vector<uint16_t> xh((size_t)c.M * c.K); for (auto& v : xh) v = bf16((float)nrand());
        uint16_t* x = up(xh); __nv_bfloat16* y; CK(cudaMalloc(&y, (size_t)c.M * c.N * 2));
        gCap = sms;
        for (int kind = 0; kind < 3; kind++) {
            auto fn = [&]() {
#ifndef NO_CUBLAS
                if (kind == 0) { float al = 1, be = 0; cublasGemmEx(h, CUBLAS_OP_T, CUBLAS_OP_N, c.N, c.M, c.K, &al, d.bf, CUDA_R_16BF, c.K, x, CUDA_R_16BF, c.K, &be, y, CUDA_R_16BF, c.N, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT); return; }
#endif
                launch(kind == 1 ? TMA_BF : TMA_WIN, 256, d, x, y, c.M, c.N, c.K);
            };
            cudaEvent_t a = timerEvent(0), b = timerEvent(1);
            fn(); CK(cudaDeviceSynchronize());   // not timed: cuBLAS picks its kernel in its first call
            cudaEventRecord(a); fn(); cudaEventRecord(b); cudaEventSynchronize(b);
            float one; cudaEventElapsedTime(&one, a, b);
            int batch = std::max(1, (int)(150 / one));   // ~150 ms of launches per batch
            auto start = std::chrono::steady_clock::now();
            while (std::chrono::steady_clock::now() - start < std::chrono::milliseconds(2500)) { for (int j = 0; j < batch; j++) fn(); CK(cudaDeviceSynchronize()); }
            cudaEventRecord(a);
            for (int j = 0; j < 2 * batch; j++) fn();
            std::string s1 = smi();
            for (int j = 0; j < 2 * batch; j++) fn();
            std::string s2 = smi();
            cudaEventRecord(b); cudaEventSynchronize(b);
            float ms; cudaEventElapsedTime(&ms, a, b);
            printf("power %6dx%5d M=%4d %-8s: %.4f ms per launch (%d launches) | smi (MHz, W, C): %s | %s\n", c.N, c.K, c.M,
                   kind == 0 ? "cublas" : kind == 1 ? "tma-bf16" : "tma-win", ms / (4 * batch), 4 * batch, s1.c_str(), s2.c_str());
            fflush(stdout);
        }
        gCap = 0;
        freeW(d); cudaFree(x); cudaFree(y);
    }
}

// The 64-row TMA kernel on its own (session 19, to run in a TC_WIDE build and as built, one after the other): small products (window == palette
// == BF16 twin bit for bit at every split, persistent on 3 CTAs and summed in a cluster too, within 1e-2 of a float reference, Y poisoned
// first), then per shape at M = 64, 256 and 1024 the best of splits 1, 2, 4 through the workspace (persistent) and 2, 4 in a cluster (one CTA
// per unit), window and twin, beside cuBLAS.
static void wide(int sms) {
    printf("wide: %d W rows per CTA, %d threads\n", wgmma_tma::W_ROWS, wgmma_tma::THREADS);
    struct Small { int N, K, M; bool wideExp; };
    for (Small c : {Small{256, 512, 1, false}, Small{256, 1024, 64, false}, Small{512, 1024, 100, false}, Small{768, 2048, 200, true}, Small{512, 512, 257, false}}) {
        SmallCase sc(c.N, c.K, c.M, c.wideExp);
        for (int splits : {1, 2, 4}) {
            if ((c.K / 64) % (2 * splits) != 0) continue;
            gSplits = splits;
            auto tb = run(TMA_BF, 64, sc.d, sc.x, sc.y, c.M, c.N, c.K), tp = run(TMA_PAL, 64, sc.d, sc.x, sc.y, c.M, c.N, c.K), tw = run(TMA_WIN, 64, sc.d, sc.x, sc.y, c.M, c.N, c.K);
            gCap = 3;
            auto cw = run(TMA_WIN, 64, sc.d, sc.x, sc.y, c.M, c.N, c.K), cb = run(TMA_BF, 64, sc.d, sc.x, sc.y, c.M, c.N, c.K);
            gCap = 0;
            bool cl = true;
            if (splits > 1) { gCluster = true; cl = run(TMA_WIN, 64, sc.d, sc.x, sc.y, c.M, c.N, c.K) == tb && run(TMA_BF, 64, sc.d, sc.x, sc.y, c.M, c.N, c.K) == tb; gCluster = false; }
            long nan; double e = relErr(tb, sc.ref, nan);
            bool ok = tb == tp && tb == tw && tb == cw && tb == cb && cl && e < 1e-2 && nan == 0;
            if (!ok) failures++;
            printf("wide small %4dx%5d M=%4d%s splits %d: err %.2e nan %ld pal==bf16 %d win==bf16 %d persistent %d%d cluster %d %s\n", c.N, c.K, c.M, c.wideExp ? " wide" : "", splits, e, nan,
                   (int)(tb == tp), (int)(tb == tw), (int)(tb == cw), (int)(tb == cb), (int)cl, ok ? "PASS" : "FAIL");
        }
        gSplits = 1;
        sc.free();
    }
    if (failures) return;
#ifndef NO_CUBLAS
    cublasHandle_t h; cublasCreate(&h);
#endif
    struct Shape { int N, K; };
    for (Shape sh : {Shape{128256, 4096}, Shape{4096, 14336}, Shape{14336, 4096}, Shape{4096, 4096}, Shape{1024, 4096}}) {
        if (!shapeWanted(sh.N, sh.K)) continue;
        ShapeCase c(sh.N, sh.K, 1024);
        const DevW& d = c.d; uint16_t* x = c.x; __nv_bfloat16* y = c.y;
        for (int M : {64, 256, 1024}) {
            double cub = 0;
#ifndef NO_CUBLAS
            cub = cublasMs(h, c, M, sh.N, sh.K);
#endif
            double best[2] = {1e9, 1e9}; std::string where[2];
            for (int splits : {1, 2, 4}) {
                if ((sh.K / 64) % (2 * splits) != 0) continue;
                for (int cluster = 0; cluster < (splits > 1 ? 2 : 1); cluster++) {
                    gSplits = splits; gCluster = cluster; gCap = cluster ? 0 : sms;
                    std::vector<uint16_t> ref; bool same = true;
                    for (int ki = 0; ki < 2; ki++) {
                        Kind k = ki ? TMA_WIN : TMA_BF;
                        double t = launchTimes([&]() { launch(k, 64, d, x, y, M, sh.N, sh.K); })[3];
                        if (t < best[ki]) { best[ki] = t; where[ki] = std::to_string(splits) + (cluster ? " cluster" : " workspace"); }
                        auto out = run(k, 64, d, x, y, M, sh.N, sh.K);
                        if (ref.empty()) ref = out; else same = same && out == ref;
                    }
                    if (!same) { failures++; printf("wide check %6dx%5d M=%4d splits %d %s: window != twin FAIL\n", sh.N, sh.K, M, splits, cluster ? "cluster" : "workspace"); }
                }
            }
            gSplits = 1; gCluster = false; gCap = 0;
            printf("wide %6dx%5d M=%4d: cublas %.4f | bf16 %.4f (%s) | window %.4f (%s) %.3fx cublas\n", sh.N, sh.K, M, cub, best[0], where[0].c_str(), best[1], where[1].c_str(), cub / best[1]);
            fflush(stdout);
        }
        c.free();
    }
}

#ifndef TC_WIDE
// ./h pairx (NOTES.md session 24, p2): W tiles in pairs sharing X by multicast (tmaWindowPair256, tmaBf16Pair_256; persistent, clusters
// of 2, K unsplit) against the unpaired persistent kernel at 256 rows, and cuBLAS, in the same run. Checked: each pair kernel's Y equals
// the unpaired BF16 twin's bit for bit. PAIR_MS: the M values (default 1024,4096). (Session 24's experiment build also had 128-row pair
// entries: 1-2% slower than unpaired at M = 1024, ~1% faster at 4096, far behind 256 rows; results/h200-s24-harness-pairx-a.log.)
template <int BN> static void launchPairX(Kind kind, const DevW& w, const uint16_t* x, __nv_bfloat16* y, int M, int N, int K, int sms) {
    int pairs = (N / 256) * ((M + BN - 1) / BN), ctas = 2 * std::min(pairs, sms / 2);
    CUtensorMap xMap = tensorMap(x, K, M, BN / 2);
    if (kind == TMA_WIN) {
        int sh = wgmma_tma::sharedBytes<BN, wgmma_tma::Mode::WINDOW>();
        auto f = tmaWindowPair256;
        CK(cudaFuncSetAttribute(f, cudaFuncAttributeMaxDynamicSharedMemorySize, sh));
        const Coded& c = w.win;
        f<<<ctas, wgmma_tma::THREADS, sh>>>(xMap, tilesMap(c.tiles, N, K), c.tiles, 0, (const uint2*)c.pals, 0, c.starts, 0, c.esc, 0, c.pos, 0, y, 0, nullptr, 0, M, N, K, 1);
    } else {
        int sh = wgmma_tma::sharedBytes<BN, wgmma_tma::Mode::BF16>();
        CUtensorMap wMap = tensorMap(w.bf, K, N, wgmma_tma::W_ROWS);
        auto f = tmaBf16Pair_256;
        CK(cudaFuncSetAttribute(f, cudaFuncAttributeMaxDynamicSharedMemorySize, sh));
        f<<<ctas, wgmma_tma::THREADS, sh>>>(xMap, wMap, y, 0, nullptr, 0, M, N, K, 1);
    }
}

static void pairX(int sms) {
    struct Shape { int N, K; };
    const Shape shapes[] = {{128256, 4096}, {4096, 14336}, {14336, 4096}, {4096, 4096}, {1024, 4096}};
    std::vector<int> Ms = envMs("PAIR_MS", {1024, 4096});
    {
        int sh = wgmma_tma::sharedBytes<256, wgmma_tma::Mode::WINDOW>();
        CK(cudaFuncSetAttribute(tmaWindowPair256, cudaFuncAttributeMaxDynamicSharedMemorySize, sh));
        cudaLaunchConfig_t cfg = {}; cfg.gridDim = dim3(sms); cfg.blockDim = dim3(wgmma_tma::THREADS); cfg.dynamicSmemBytes = sh;
        int clusters = 0; cudaOccupancyMaxActiveClusters(&clusters, (void*)tmaWindowPair256, &cfg);
        printf("pairx: %d clusters of 2 resident at once (tmaWindowPair256, %d bytes of shared memory)\n", clusters, sh);
    }
    std::vector<std::string> table;
#ifndef NO_CUBLAS
    cublasHandle_t h; cublasCreate(&h);
#endif
    for (Shape sh : shapes) {
        ShapeCase c(sh.N, sh.K, 4096);
        const DevW& d = c.d; uint16_t* x = c.x; __nv_bfloat16* y = c.y;
        for (int M : Ms) {
            double cub = 0;
#ifndef NO_CUBLAS
            cub = cublasMs(h, c, M, sh.N, sh.K);
#endif
            {   // 256 rows only: the 128-row pairs lost (session 24)
                const int BN = 256;
                gCap = sms; gSplits = 1;
                auto pl = [&](Kind k) { launchPairX<256>(k, d, x, y, M, sh.N, sh.K, sms); };
                auto uw = launchTimes([&]() { launch(TMA_WIN, BN, d, x, y, M, sh.N, sh.K); });
                auto pw = launchTimes([&]() { pl(TMA_WIN); });
                auto ub = launchTimes([&]() { launch(TMA_BF, BN, d, x, y, M, sh.N, sh.K); });
                auto pb = launchTimes([&]() { pl(TMA_BF); });
                auto ref = run(TMA_BF, BN, d, x, y, M, sh.N, sh.K);
                auto yw = poisonedRun(y, (size_t)M * sh.N, [&]() { pl(TMA_WIN); });
                auto yb = poisonedRun(y, (size_t)M * sh.N, [&]() { pl(TMA_BF); });
                gCap = 0;
                bool ok = yw == ref && yb == ref;
                if (!ok) failures++;
                char line[400];
                snprintf(line, sizeof line, "| %6d x %5d | %4d | %3d | %.4f | %.4f [%.4f..%.4f] | %.4f [%.4f..%.4f] %.3fx | %.4f | %.4f %.3fx | %s |", sh.N, sh.K, M, BN, cub,
                         uw[3], uw[0], uw[6], pw[3], pw[0], pw[6], uw[3] / pw[3], ub[3], pb[3], ub[3] / pb[3], ok ? "PASS" : "FAIL");
                printf("pairx %s\n", line); fflush(stdout);
                table.push_back(line);
            }
        }
        c.free();
    }
    printf("\n| N x K | M | BN | cuBLAS | window persistent | window pairs (speedup) | bf16 persistent | bf16 pairs | Y |\n|---|---|---|---|---|---|---|---|---|\n");
    for (auto& l : table) printf("%s\n", l.c_str());
}
#endif

int main(int argc, char** argv) {
    std::string mode = argc > 1 ? argv[1] : "all";
    if (getenv("BURST")) gBurst = true;
    if (getenv("ISOLATED")) gIsolated = true;
    printf("timing: %s%s\n", gIsolated ? "21 isolated launches behind one spin, an event pair each (ISOLATED)" : "7 rounds of 10 launches back to back",
           gBurst && !gIsolated ? ", each round behind a spin (BURST)" : "");
    if (mode == "wide") { int sms; cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0); wide(sms); printf("failures: %d\n", failures); return failures ? 1 : 0; }
    if (mode == "persist") { int sms; cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0); persist(sms); printf("failures: %d\n", failures); return failures ? 1 : 0; }
    if (mode == "finish") { int sms; cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0); finishMode(sms); return 0; }
    if (mode == "half") { int sms; cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0); halfMode(sms); printf("failures: %d\n", failures); return failures ? 1 : 0; }
    if (mode == "tcluster") { int sms; cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0); tcluster(sms); printf("failures: %d\n", failures); return failures ? 1 : 0; }
    if (mode == "power") { int sms; cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0); power(sms); return 0; }
    if (mode == "narrow") { narrowMode(); printf("failures: %d\n", failures); return failures ? 1 : 0; }
    if (mode == "jit") { jitMode(); printf("failures: %d\n", failures); return failures ? 1 : 0; }
#ifndef TC_WIDE
    if (mode == "pairx") { int sms; cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0); pairX(sms); printf("failures: %d\n", failures); return failures ? 1 : 0; }
#endif
#ifdef TC_MEET_TIMELINE
    if (mode == "meetline") { meetline(); printf("failures: %d\n", failures); return failures ? 1 : 0; }
#endif
    if (mode == "ramp") { ramp(); printf("failures: %d\n", failures); return failures ? 1 : 0; }
    if (mode == "cluster") { clusterMode(); printf("failures: %d\n", failures); return failures ? 1 : 0; }
    if (mode == "ahead") { ahead(); printf("failures: %d\n", failures); return failures ? 1 : 0; }
    if (mode == "smallm") { smallM(); printf("failures: %d\n", failures); return failures ? 1 : 0; }
    if (mode == "ncu") { timeShape(14336, 4096, {4096}, 256); return 0; }
    // 4096 x 4096 at M = 256 in 64-row tiles, unsplit (128 CTAs, no finish): the BF16 twin runs as fast as cuBLAS there, the window
    // kernel ~1.7x slower (NOTES.md, session 25); ncu's stall sampling of both says where the window kernel's warps wait.
    if (mode == "ncu64") { timeShape(4096, 4096, {256}, 64); return 0; }
#ifndef NO_CUBLAS
    if (mode == "cublas") {   // one cuBLAS product per shape and M, for ncu's launch statistics (which kernel, grid, cluster, shared memory)
        cublasHandle_t h; cublasCreate(&h);
        const int shapes[][2] = {{128256, 4096}, {4096, 14336}, {14336, 4096}, {4096, 4096}, {1024, 4096}};
        for (const auto& shape : shapes) {
            int N = shape[0], K = shape[1];
            uint16_t *w, *x; __nv_bfloat16* y;
            CK(cudaMalloc(&w, (size_t)N * K * 2)); CK(cudaMalloc(&x, (size_t)4096 * K * 2)); CK(cudaMalloc(&y, (size_t)4096 * N * 2));
            for (int M : {1, 16, 64, 256, 1024, 4096}) {
                float al = 1, be = 0;
                cublasGemmEx(h, CUBLAS_OP_T, CUBLAS_OP_N, N, M, K, &al, w, CUDA_R_16BF, K, x, CUDA_R_16BF, K, &be, y, CUDA_R_16BF, N, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
                CK(cudaDeviceSynchronize());
                printf("cublas %6dx%5d M=%4d launched\n", N, K, M);
            }
            cudaFree(w); cudaFree(x); cudaFree(y);
        }
        return 0;
    }
#endif
    if (mode == "all" || mode == "small") {
        small(128, 128, 1, false); small(128, 256, 64, false); small(256, 384, 100, false); small(128, 128, 257, false);
        small(384, 256, 300, true); small(256, 1024, 513, false); small(1024, 4096, 1000, false);
        smallHalf(64, 256, 1, false); smallHalf(192, 512, 300, false); smallHalf(128, 1024, 256, false); smallHalf(320, 1024, 513, true);
        smallHalf(1024, 4096, 1000, false);
        printf("small failures: %d\n", failures);
        if (failures) return 1;
    }
    if (mode == "quick") {   // the variants' comparison: one compute-bound, one mid and the M = 256 tiles
        timeShape(14336, 4096, {4096, 1024, 256}, 0);
        timeShape(4096, 4096, {4096, 256}, 0);
        printf("failures: %d\n", failures);
        return failures ? 1 : 0;
    }
    if (mode == "split") {   // split K of the tma kernel where its tiles leave SMs idle (M = 256, 1024; and M = 64), beside cuBLAS
        struct Case { int N, K, M; };
        for (Case c : {Case{4096, 4096, 256}, Case{4096, 14336, 256}, Case{1024, 4096, 1024}, Case{1024, 4096, 256},
                       Case{4096, 4096, 64}, Case{14336, 4096, 64}, Case{4096, 14336, 64}, Case{1024, 4096, 64}, Case{128256, 4096, 64}}) {
            auto w = randomW(c.N, c.K, false);
            DevW d = upload(w, c.N, c.K);
            std::vector<uint16_t> xh((size_t)c.M * c.K); for (auto& v : xh) v = bf16((float)nrand());
            uint16_t* x = up(xh); __nv_bfloat16* y; CK(cudaMalloc(&y, (size_t)c.M * c.N * 2));
#ifndef NO_CUBLAS
            cublasHandle_t h; cublasCreate(&h);
            auto t = launchTimes([&]() { float al = 1, be = 0; cublasGemmEx(h, CUBLAS_OP_T, CUBLAS_OP_N, c.N, c.M, c.K, &al, d.bf, CUDA_R_16BF, c.K, x, CUDA_R_16BF, c.K, &be, y, CUDA_R_16BF, c.N, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT); });
            printf("split %6dx%5d M=%4d cublas              : %.4f ms [%.4f..%.4f]\n", c.N, c.K, c.M, t[3], t[0], t[6]);
            cublasDestroy(h);
#endif
            for (int BN : {64, 128, 256}) {
                for (int splits : {1, 2, 4, 8}) {
                    if ((c.K / 64) % (2 * splits) != 0) continue;
                    gSplits = splits;
                    for (Kind k : {TMA_BF, TMA_PAL, TMA_WIN}) {
                        auto t = launchTimes([&]() { launch(k, BN, d, x, y, c.M, c.N, c.K); });
                        printf("split %6dx%5d M=%4d BN=%3d %-9s splits %d: %.4f ms [%.4f..%.4f]\n", c.N, c.K, c.M, BN, kname(k), splits, t[3], t[0], t[6]);
                    }
                    auto tb = run(TMA_BF, BN, d, x, y, c.M, c.N, c.K), tp = run(TMA_PAL, BN, d, x, y, c.M, c.N, c.K), tw = run(TMA_WIN, BN, d, x, y, c.M, c.N, c.K);
                    bool ok = tb == tp && tb == tw; if (!ok) failures++;
                    printf("check split %d: pal==bf16 %d %s\n", splits, (int)ok, ok ? "PASS" : "FAIL");
                }
            }
            gSplits = 1;
            freeW(d); cudaFree(x); cudaFree(y);
        }
        printf("failures: %d\n", failures);
        return failures ? 1 : 0;
    }
    if (mode == "all" || mode == "time") {
        timeShape(14336, 4096, {4096, 1024, 256}, 0);
        timeShape(4096, 4096, {4096, 256}, 0);
        timeShape(4096, 14336, {4096, 256}, 0);
        printf("failures: %d\n", failures);
    }
    return failures ? 1 : 0;
}
