// Session 25 probe (tensorcore/NOTES.md, session 25): how many cycles a wgmma takes when A comes from registers (RS, as in the window
// kernels, whose consumers decode W into A's registers) against A from shared memory (SS, as in their BF16 twins), at n = 64, 128
// and 256, with one or two warpgroups of a CTA issuing, one CTA per SM. No loads and no decode: only the tensor cores' side of why
// the window kernel with 64-row tiles takes ~1.7x its twin's time. Each warpgroup issues `iters` groups of four k16 steps on the same
// operands (A: 64 rows, B: n rows, 128-byte swizzle, nonzero values), keeping one group in flight as the kernels do, and times them
// with clock64. Prints cycles per wgmma and per SM the multiply-adds per cycle (the H200's dense BF16 peak is 2048).
// Build and run on the GPU host, from wgmma-harness after prepare.sh: nvcc -O3 -std=c++17 -gencode=arch=compute_90a,code=sm_90a -I.
//   -o rate experiments/s25-wgmma-rate.cu && ./rate
#include <cstdio>
#include <vector>
#include <algorithm>
#include "wgmma_tma.cu"

template <int BN, bool RS>
__global__ void __launch_bounds__(256, 1) rate(int iters, long long* cycles, float* sink) {
    extern __shared__ uint8_t shared[];
    uint8_t* smem = shared + ((1024 - (smemAddress(shared) & 1023)) & 1023);
    uint32_t base = smemAddress(smem);
    constexpr int A_BYTES = 2 * 64 * 128, B_BYTES = BN * 128;
    for (int i = threadIdx.x; i < (A_BYTES + B_BYTES) / 4; i += blockDim.x) {
        uint32_t h = (uint32_t)i * 2654435761u;   // BF16 pairs of magnitude ~1/16..1, both signs
        reinterpret_cast<uint32_t*>(smem)[i] = (0x3D803D80u | (h & 0x007F007Fu) | (h & 0x80008000u)) + ((h >> 8) & 0x00030003u) * 0x80;
    }
    __syncthreads();
    int wg = threadIdx.x / 128;
    float acc[BN / 2];
#pragma unroll
    for (int i = 0; i < BN / 2; i++) acc[i] = 0;
    uint32_t h = threadIdx.x * 2654435761u;
    uint32_t a0 = 0x3D803D80u | (h & 0x007F007Fu), a1 = a0 ^ 0x80000000u, a2 = a0 ^ 0x00050005u, a3 = a0 ^ 0x80008000u;
    uint32_t aLow = descriptorLow(base + wg * 64 * 128), bLow = descriptorLow(base + A_BYTES);
    long long t0 = clock64();
    for (int it = 0; it < iters; it++) {
        fenceOperands(acc);
        wgmmaFence();
#pragma unroll
        for (int kk = 0; kk < 4; kk++) {
            if constexpr (RS) wgmmaRegs<BN>(acc, a0, a1, a2, a3, descriptorOf(bLow + 2 * kk));
            else wgmma<BN>(acc, descriptorOf(aLow + 2 * kk), descriptorOf(bLow + 2 * kk));
        }
        wgmmaCommit();
        fenceOperands(acc);
        wgmmaWait<1>();
    }
    wgmmaWait<0>();
    fenceOperands(acc);
    long long t1 = clock64();
    if (threadIdx.x % 128 == 0) cycles[blockIdx.x * 2 + wg] = t1 - t0;
    float s = 0;
#pragma unroll
    for (int i = 0; i < BN / 2; i++) s += acc[i];
    if (s == 1.2345f) sink[threadIdx.x] = s;   // keeps the products
}

template <int BN, bool RS> static void measure(int sms, int warpgroups, long long* cycles, float* sink) {
    const int iters = 4000;
    int shared = 2 * 64 * 128 + BN * 128 + 1024;
    cudaFuncSetAttribute(rate<BN, RS>, cudaFuncAttributeMaxDynamicSharedMemorySize, shared);
    for (int round = 0; round < 2; round++) rate<BN, RS><<<sms, 128 * warpgroups, shared>>>(iters, cycles, sink);   // the first warms up
    cudaError_t e = cudaDeviceSynchronize();
    if (e != cudaSuccess) { printf("error %s\n", cudaGetErrorString(e)); exit(1); }
    std::vector<long long> c(2 * sms);
    cudaMemcpy(c.data(), cycles, c.size() * sizeof(long long), cudaMemcpyDeviceToHost);
    std::vector<double> perWgmma;
    for (int b = 0; b < sms; b++) for (int g = 0; g < warpgroups; g++) perWgmma.push_back((double)c[b * 2 + g] / (4.0 * iters));
    std::sort(perWgmma.begin(), perWgmma.end());
    double p50 = perWgmma[perWgmma.size() / 2];
    double macs = warpgroups * 64.0 * BN * 16 / p50;   // per SM per cycle: warpgroups issue side by side
    printf("rate n=%3d %s warpgroups %d: %.1f cycles per wgmma (p50; min %.1f max %.1f), %.0f multiply-adds per cycle per SM (%.0f%% of 2048)\n", BN,
           RS ? "RS (A in registers)" : "SS (A in shared)  ", warpgroups, p50, perWgmma.front(), perWgmma.back(), macs, 100 * macs / 2048);
    fflush(stdout);
}

int main() {
    int sms; cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0);
    long long* cycles; float* sink;
    cudaMalloc(&cycles, 2 * sms * sizeof(long long)); cudaMalloc(&sink, 256 * sizeof(float));
    for (int wgs = 1; wgs <= 2; wgs++) {
        measure<64, true>(sms, wgs, cycles, sink);  measure<64, false>(sms, wgs, cycles, sink);
        measure<128, true>(sms, wgs, cycles, sink); measure<128, false>(sms, wgs, cycles, sink);
        measure<256, true>(sms, wgs, cycles, sink); measure<256, false>(sms, wgs, cycles, sink);
    }
    return 0;
}
