// Session 27 probe (tensorcore/NOTES.md, session 27): does a warpgroup's own work between its wgmma groups run while the tensor cores
// work, when A comes from registers (RS, the window kernels) as when it comes from shared memory (SS, the twins)? Each warpgroup
// issues `iters` groups of four k16 steps (A: 64 rows, B: n rows, 128-byte swizzle), keeps one group in flight (wgmma.wait_group 1,
// as the kernels do), and between groups runs a dependent chain of D integer steps (xorshift-multiply, ~3 instructions each) standing
// for the decode: in RS mode the chain makes the next group's A registers (two register sets, as consumeSingles), in SS mode its
// result only goes to a sink. 1, 2 or 4 warpgroups a CTA, one CTA per SM. Prints cycles per group (p50 over the warpgroups) beside
// the chain alone (no wgmma) and the wgmmas alone (D = 0): if the two overlap, a group takes about the larger of the two (times the
// warpgroups sharing the tensor cores, for the wgmma side); if RS serializes them, about their sum.
// Build and run on the GPU host, from wgmma-harness after prepare.sh: nvcc -O3 -std=c++17 -gencode=arch=compute_90a,code=sm_90a -I.
//   -o overlap experiments/s27-rs-overlap.cu && ./overlap
#include <cstdio>
#include <vector>
#include <algorithm>
#include "wgmma_tma.cu"

__device__ __forceinline__ uint32_t step(uint32_t x) {
    uint32_t y;
    asm volatile("{\n.reg .u32 t;\nshr.u32 t, %1, 7;\nxor.b32 t, t, %1;\nmul.lo.u32 %0, t, 0x9E3779B1;\n}" : "=r"(y) : "r"(x));
    return y;
}

__device__ __forceinline__ void fenceRegisters4(uint32_t (&a)[4]) {
#pragma unroll
    for (int i = 0; i < 4; i++) asm volatile("" : "+r"(a[i])::"memory");
}

// MODE 0: RS, 1: SS, 2: the chain alone (no wgmma), 3: RS with the chain between the group's wgmmas (three register sets).
template <int BN, int MODE, int D>
__global__ void __launch_bounds__(512, 1) overlap(int iters, long long* cycles, float* sink) {
    extern __shared__ uint8_t shared[];
    uint8_t* smem = shared + ((1024 - (smemAddress(shared) & 1023)) & 1023);
    uint32_t base = smemAddress(smem);
    constexpr int A_BYTES = 4 * 64 * 128, B_BYTES = BN * 128;
    for (int i = threadIdx.x; i < (A_BYTES + B_BYTES) / 4; i += blockDim.x) {
        uint32_t h = (uint32_t)i * 2654435761u;
        reinterpret_cast<uint32_t*>(smem)[i] = (0x3D803D80u | (h & 0x007F007Fu) | (h & 0x80008000u)) + ((h >> 8) & 0x00030003u) * 0x80;
    }
    __syncthreads();
    int wg = threadIdx.x / 128;
    float acc[BN / 2];
#pragma unroll
    for (int i = 0; i < BN / 2; i++) acc[i] = 0;
    uint32_t x = threadIdx.x * 2654435761u + 1;
    uint32_t aLow = descriptorLow(base + wg * 64 * 128), bLow = descriptorLow(base + A_BYTES);
    uint32_t sinkBits = 0;
    long long t0 = clock64();
    if constexpr (MODE == 3) {
        // RS with three register sets, the chain cut in four pieces between the group's four wgmmas: set (i + 1) % 3 is made while
        // group i's wgmmas are issued (the set of group i - 2, complete since the wait after group i - 1).
        uint32_t r[3][4];
#pragma unroll
        for (int s = 0; s < 3; s++) {
#pragma unroll
            for (int i = 0; i < 4; i++) r[s][i] = 0x3D803D80u | ((x + 7 * i + s) & 0x007F007Fu);
        }
        for (int it = 0; it < iters; it += 3) {
#pragma unroll
            for (int s = 0; s < 3; s++) {
                fenceOperands(acc);
                fenceRegisters4(r[s]);
                wgmmaFence();
#pragma unroll
                for (int kk = 0; kk < 4; kk++) {
                    wgmmaRegs<BN>(acc, r[s][0], r[s][1], r[s][2], r[s][3], descriptorOf(bLow + 2 * kk));
#pragma unroll
                    for (int d = 0; d < D / 4; d++) x = step(x);
                }
#pragma unroll
                for (int i = 0; i < 4; i++) r[(s + 1) % 3][i] = 0x3D803D80u | ((x >> (2 * i)) & 0x007F007Fu);
                wgmmaCommit();
                fenceOperands(acc);
                fenceRegisters4(r[s]);
                wgmmaWait<1>();
                fenceRegisters4(r[(s + 2) % 3]);
            }
        }
    } else {
        uint32_t a[2][4];
#pragma unroll
        for (int s = 0; s < 2; s++) {
#pragma unroll
            for (int i = 0; i < 4; i++) a[s][i] = 0x3D803D80u | ((x + 7 * i + s) & 0x007F007Fu);
        }
        for (int it = 0; it < iters; it += 2) {
#pragma unroll
            for (int s = 0; s < 2; s++) {
                if constexpr (MODE != 2) {
                    fenceOperands(acc);
                    fenceRegisters4(a[s]);
                    wgmmaFence();
#pragma unroll
                    for (int kk = 0; kk < 4; kk++) {
                        if constexpr (MODE == 0) wgmmaRegs<BN>(acc, a[s][0], a[s][1], a[s][2], a[s][3], descriptorOf(bLow + 2 * kk));
                        else wgmma<BN>(acc, descriptorOf(aLow + 2 * kk), descriptorOf(bLow + 2 * kk));
                    }
                    wgmmaCommit();
                    fenceOperands(acc);
                    fenceRegisters4(a[s]);
                    wgmmaWait<1>();
                    fenceRegisters4(a[s ^ 1]);
                }
                // The stand-in decode: D dependent steps, then the other register set (free once the group before has completed).
#pragma unroll
                for (int d = 0; d < D; d++) x = step(x);
                if constexpr (MODE == 0) {
#pragma unroll
                    for (int i = 0; i < 4; i++) a[s ^ 1][i] = 0x3D803D80u | ((x >> (2 * i)) & 0x007F007Fu);
                } else {
                    sinkBits ^= x;
                }
            }
        }
}
    if constexpr (MODE != 2) wgmmaWait<0>();
    fenceOperands(acc);
    long long t1 = clock64();
    if (threadIdx.x % 128 == 0) cycles[blockIdx.x * 4 + wg] = t1 - t0;
    float s = 0;
#pragma unroll
    for (int i = 0; i < BN / 2; i++) s += acc[i];
    if (s == 1.2345f || sinkBits == 0x12345u) sink[threadIdx.x] = s + (float)sinkBits;   // keeps the products and the chain
}

template <int BN, int MODE, int D> static double measure(int sms, int warpgroups, long long* cycles, float* sink) {
    const int iters = 2004;   // a multiple of 2 and of 3
    int shared = 4 * 64 * 128 + BN * 128 + 1024;
    cudaFuncSetAttribute(overlap<BN, MODE, D>, cudaFuncAttributeMaxDynamicSharedMemorySize, shared);
    for (int round = 0; round < 2; round++) overlap<BN, MODE, D><<<sms, 128 * warpgroups, shared>>>(iters, cycles, sink);   // the first warms up
    cudaError_t e = cudaDeviceSynchronize();
    if (e != cudaSuccess) { printf("error %s\n", cudaGetErrorString(e)); exit(1); }
    std::vector<long long> c(4 * sms);
    cudaMemcpy(c.data(), cycles, c.size() * sizeof(long long), cudaMemcpyDeviceToHost);
    std::vector<double> perGroup;
    for (int b = 0; b < sms; b++) for (int g = 0; g < warpgroups; g++) perGroup.push_back((double)c[b * 4 + g] / iters);
    std::sort(perGroup.begin(), perGroup.end());
    return perGroup[perGroup.size() / 2];
}

template <int BN, int D> static void row(int sms, int wgs, long long* cycles, float* sink) {
    double rs = measure<BN, 0, D>(sms, wgs, cycles, sink), ss = measure<BN, 1, D>(sms, wgs, cycles, sink), chain = measure<BN, 2, D>(sms, wgs, cycles, sink);
    double rs3 = measure<BN, 3, D>(sms, wgs, cycles, sink);
    double mma = wgs * 4.0 * BN / 2;   // the tensor cores' cycles for one group of every warpgroup (2048 multiply-adds a cycle)
    printf("| %3d | %d | %3d | %7.1f | %7.1f | %7.1f | %7.1f | %7.1f | %7.1f |\n", BN, wgs, D, chain, mma, ss, rs, rs3, chain + mma);
    fflush(stdout);
}

int main() {
    int sms; cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0);
    long long* cycles; float* sink;
    cudaMalloc(&cycles, 4 * sms * sizeof(long long)); cudaMalloc(&sink, 512 * sizeof(float));
    printf("cycles per group of four wgmmas (p50 over warpgroups), one CTA per SM on %d SMs\n\n", sms);
    printf("| n | warpgroups | chain steps | chain alone | tensor cycles | SS | RS | RS, chain between the wgmmas | chain + tensor |\n|---|---|---|---|---|---|---|---|---|\n");
    for (int wgs : {1, 2, 4}) {
        row<64, 0>(sms, wgs, cycles, sink); row<64, 32>(sms, wgs, cycles, sink); row<64, 96>(sms, wgs, cycles, sink); row<64, 192>(sms, wgs, cycles, sink);
        row<128, 0>(sms, wgs, cycles, sink); row<128, 32>(sms, wgs, cycles, sink); row<128, 96>(sms, wgs, cycles, sink); row<128, 192>(sms, wgs, cycles, sink);
    }
    return 0;
}
