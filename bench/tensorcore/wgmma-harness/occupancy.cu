// How many clusters of the TMA kernel's cluster entries can be resident at once on this GPU (cudaOccupancyMaxActiveClusters;
// session 14, tensorcore/NOTES.md c3). On the GPU host, after prepare.sh: nvcc -O3 -std=c++17 -gencode=arch=compute_90a,code=sm_90a -I. -o occ occupancy.cu && ./occ
#include <cstdio>
#include <cuda_runtime.h>
#include "wgmma_tma.cu"
template <int BN> static void query(const void* f, const char* name, int S) {
    int sh = wgmma_tma::sharedBytes<BN, wgmma_tma::Mode::WINDOW>();
    cudaFuncSetAttribute(f, cudaFuncAttributeMaxDynamicSharedMemorySize, sh);
    cudaLaunchConfig_t c = {};
    c.gridDim = dim3(128 * S, 1, 1); c.blockDim = dim3(384, 1, 1); c.dynamicSmemBytes = sh;
    int n = -1; cudaError_t e = cudaOccupancyMaxActiveClusters(&n, f, &c);
    printf("%-22s cluster %d, %6d B shared: %d clusters at once (%d CTAs) %s\n", name, S, sh, n, n * S, cudaGetErrorString(e));
}
int main() {
    query<64>((const void*)tmaWindowCluster64x2, "tmaWindowCluster64x2", 2);
    query<64>((const void*)tmaWindowCluster64x4, "tmaWindowCluster64x4", 4);
    query<128>((const void*)tmaWindowCluster128x2, "tmaWindowCluster128x2", 2);
    query<128>((const void*)tmaWindowCluster128x4, "tmaWindowCluster128x4", 4);
    query<256>((const void*)tmaWindowCluster256x2, "tmaWindowCluster256x2", 2);
    query<256>((const void*)tmaWindowCluster256x4, "tmaWindowCluster256x4", 4);
    return 0;
}
