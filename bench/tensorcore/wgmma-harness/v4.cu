// wgmma_gemm.cu's paired kernels (v4) for harness.cu, in their own translation unit: the two kernel files'
// namespaces both export names such as THREADS and gemm.
#include "wgmma_gemm.cu"

void launchV4(bool palette, int BN, const uint16_t* bf, const uint8_t* tiles, const uint2* pals, const uint32_t* starts, const uint8_t* esc,
              const uint16_t* pos, const uint16_t* x, __nv_bfloat16* y, int M, int N, int K) {
    int ctas = (N / 128) * 2 * (((M + BN - 1) / BN + 1) / 2);   // clusters of two CTAs sharing W
    int sh = BN == 64 ? sharedBytes<64, 2>() : BN == 128 ? sharedBytes<128, 2>() : sharedBytes<256, 2>();
    if (palette) {
        auto f = BN == 64 ? wgmmaPatch64 : BN == 128 ? wgmmaPatch128 : wgmmaPatch256;
        cudaFuncSetAttribute(f, cudaFuncAttributeMaxDynamicSharedMemorySize, sh);
        f<<<ctas, 384, sh>>>(tiles, 0, pals, 0, starts, 0, esc, 0, pos, 0, x, 0, y, 0, M, N, K);
    } else {
        auto f = BN == 64 ? wgmmaBf16_64 : BN == 128 ? wgmmaBf16_128 : wgmmaBf16_256;
        cudaFuncSetAttribute(f, cudaFuncAttributeMaxDynamicSharedMemorySize, sh);
        f<<<ctas, 384, sh>>>(bf, 0, x, 0, y, 0, M, N, K);
    }
}
