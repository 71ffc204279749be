// palette_gemm.cu's mma.sync kernels (M <= 64) for harness.cu's small-M mode, in their own translation unit (its names
// would clash with wgmma_tma.cu's). Kind 0: the BF16 twin, 1: the patching kernel (palette coding), 2: the window coding's,
// 3: the window kernels' BF16 twin (fragment order).
#define TC_EXPERIMENTS
#include "palette_gemm.cu"

void launchSmall(int kind, int mt, bool band, const void* w, const void* pals, const uint32_t* starts, const uint8_t* esc, const uint16_t* pos,
                 const uint16_t* x, __nv_bfloat16* y, float* partial, int M, int N, int K, int splits) {
    int strips = N / 16, bands = band ? (strips + WARPS - 1) / WARPS : strips, chunks = (M + 8 * mt - 1) / (8 * mt);
    int ctas = bands * splits * chunks;
    if (kind == 0 || kind == 3) {
        auto f = kind == 0 ? (band ? bf16Band16 : mt == 1 ? bf16Gemm8 : mt == 2 ? bf16Gemm16 : mt == 4 ? bf16Gemm32 : bf16Gemm64)
                           : (band ? bf16FragBand16 : mt == 1 ? bf16Frag8 : mt == 2 ? bf16Frag16 : mt == 4 ? bf16Frag32 : bf16Frag64);
        f<<<ctas, WARPS * 32>>>((const uint16_t*)w, 0, x, 0, y, 0, partial, 0, M, N, K, splits);
    } else {
        auto f = kind == 1 ? (band ? patchBand16 : mt == 1 ? patchGemm8 : mt == 2 ? patchGemm16 : mt == 4 ? patchGemm32 : patchGemm64)
                           : (band ? windowBand16 : mt == 1 ? windowGemm8 : mt == 2 ? windowGemm16 : mt == 4 ? windowGemm32 : windowGemm64);
        f<<<ctas, WARPS * 32>>>((const uint8_t*)w, 0, (const uint2*)pals, 0, starts, 0, esc, 0, pos, 0, x, 0, y, 0, partial, 0, M, N, K, splits);
    }
}

// The 16-row window kernels as they were before session 12 (palette_gemm.cu's TC_EXPERIMENTS entries: each warp's next tile
// loaded at the top of its own step, not during this one's products): windowGemm16Late, or windowBand16Late when band.
void launchLate(bool band, const void* w, const void* pals, const uint32_t* starts, const uint8_t* esc, const uint16_t* pos,
                const uint16_t* x, __nv_bfloat16* y, float* partial, int M, int N, int K, int splits) {
    int strips = N / 16, bands = band ? (strips + WARPS - 1) / WARPS : strips, chunks = (M + 15) / 16;
    auto f = band ? windowBand16Late : windowGemm16Late;
    f<<<bands * splits * chunks, WARPS * 32>>>((const uint8_t*)w, 0, (const uint2*)pals, 0, starts, 0, esc, 0, pos, 0, x, 0, y, 0, partial, 0, M, N, K, splits);
}

// The 8-row window kernel with its S splits of K summed through distributed shared memory in clusters of S CTAs
// (palette_gemm.cu's windowCluster8x2/4/8); its twin is bf16Frag8 at S splits.
void launchCluster(int S, const void* w, const void* pals, const uint32_t* starts, const uint8_t* esc, const uint16_t* pos,
                   const uint16_t* x, __nv_bfloat16* y, float* partial, int M, int N, int K) {
    int ctas = N / 16 * S * ((M + 7) / 8);
    auto f = S == 2 ? windowCluster8x2 : S == 4 ? windowCluster8x4 : windowCluster8x8;
    f<<<ctas, WARPS * 32>>>((const uint8_t*)w, 0, (const uint2*)pals, 0, starts, 0, esc, 0, pos, 0, x, 0, y, 0, partial, 0, M, N, K, S);
}
