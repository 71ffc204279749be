// Session 23's question for a cluster-pair meet (tensorcore/NOTES.md, session 23, m8): does traffic through distributed shared
// memory leave L2's write bandwidth free? 128 CTAs, one per SM, in 64 clusters of 2, each holding 128 KB of sums as the meet's
// 256-row CTAs do, move them as a finish would, timed inside the kernel (%globaltimer of each CTA's thread 0 after a cluster
// barrier, and after the move and a barrier), so that launch overheads do not enter (s23-store-rate.cu's mistake):
//   l2-96: 96 KB to global memory by st.global.v4 (the meet at 4 slices today)
//   l2-32: 32 KB to global (what a pair meet would store)
//   dsmem-64: 64 KB into the partner's shared memory by st.shared::cluster.v4, then a cluster barrier
//   both: the 32 KB to global and the 64 KB to the partner interleaved, then a cluster barrier
//   read-96: 96 KB read back from global by ld.global.cg.v4 (the meet's adds)
//   there: nvcc -O3 -std=c++17 -gencode=arch=compute_90a,code=sm_90a -o dsmem s23-dsmem-rate.cu && ./dsmem
#include <cstdio>
#include <cstdint>
#include <vector>
#include <algorithm>
#include <cuda_runtime.h>

#define CK(x) do { cudaError_t e = (x); if (e != cudaSuccess) { printf("%s: %s\n", #x, cudaGetErrorString(e)); return 1; } } while (0)

constexpr int THREADS = 256, CTAS = 128, SHARED = 200 * 1024;

__device__ __forceinline__ unsigned long long now() { unsigned long long t; asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t) :: "memory"); return t; }
__device__ __forceinline__ void clusterSync() { asm volatile("barrier.cluster.arrive.release.aligned;\nbarrier.cluster.wait.acquire.aligned;" ::: "memory"); }

// MODE 0 l2-96, 1 l2-32, 2 dsmem-64, 3 both, 4 read-96.
template <int MODE>
__global__ void __cluster_dims__(2, 1, 1) __launch_bounds__(THREADS, 1) move(float4* global, unsigned long long* times, float* sink) {
    extern __shared__ __align__(16) float4 s[];
    int t = threadIdx.x;
    float4 v = make_float4(t * 1.5f, blockIdx.x * 0.5f, 1.f, 2.f);
    float4* mine = global + (size_t)blockIdx.x * 24 * THREADS + t;
    float4* other = global + (size_t)((blockIdx.x + 2) % CTAS) * 24 * THREADS + t;   // another cluster's CTA, as the meet reads
    uint32_t rank, partner;
    asm volatile("mov.u32 %0, %%cluster_ctarank;" : "=r"(rank));
    asm volatile("mapa.shared::cluster.u32 %0, %1, %2;" : "=r"(partner) : "r"(static_cast<uint32_t>(__cvta_generic_to_shared(s + t))), "r"(rank ^ 1));
    clusterSync();
    unsigned long long t0 = now();
    float acc = 0;
    if (MODE == 0) {
#pragma unroll
        for (int q = 0; q < 24; q++) { mine[q * THREADS] = v; v.x += 1.f; }
    } else if (MODE == 1) {
#pragma unroll
        for (int q = 0; q < 8; q++) { mine[q * THREADS] = v; v.x += 1.f; }
    } else if (MODE == 2 || MODE == 3) {
#pragma unroll
        for (int q = 0; q < 16; q++) {
            asm volatile("st.shared::cluster.v4.f32 [%0], {%1, %2, %3, %4};" :: "r"(partner + q * THREADS * 16), "f"(v.x), "f"(v.y), "f"(v.z), "f"(v.w) : "memory");
            if (MODE == 3 && q % 2 == 0) mine[(q / 2) * THREADS] = v;
            v.x += 1.f;
        }
    } else {
        float4 p[24];
#pragma unroll
        for (int q = 0; q < 24; q++) p[q] = __ldcg(other + q * THREADS);
#pragma unroll
        for (int q = 0; q < 24; q++) acc += p[q].x + p[q].w;
    }
    if (MODE == 2 || MODE == 3) clusterSync();
    else __syncthreads();
    unsigned long long t1 = now();
    if (t == 0) { times[2 * blockIdx.x] = t0; times[2 * blockIdx.x + 1] = t1; }
    if (acc == -1.f) sink[t] = acc;
}

int main() {
    float4* global; unsigned long long* times; float* sink;
    CK(cudaMalloc(&global, (size_t)CTAS * 24 * THREADS * 16));
    CK(cudaMemset(global, 0, (size_t)CTAS * 24 * THREADS * 16));
    CK(cudaMalloc(&times, CTAS * 2 * sizeof(unsigned long long)));
    CK(cudaMalloc(&sink, THREADS * 4));
    struct Case { const char* name; double kb; void (*k)(float4*, unsigned long long*, float*); };
    const Case cases[] = {{"l2-96    st.global.v4, 96 KB per CTA           ", 96, move<0>}, {"l2-32    st.global.v4, 32 KB per CTA           ", 32, move<1>},
                          {"dsmem-64 st.shared::cluster.v4, 64 KB per CTA  ", 64, move<2>}, {"both     32 KB global + 64 KB to the partner   ", 96, move<3>},
                          {"read-96  ld.global.cg.v4, 96 KB per CTA        ", 96, move<4>}};
    printf("| move | per CTA p50 / max us | span us (first start to last end) | GB/s per CTA (p50) | TB/s over 128 CTAs (span) |\n|---|---|---|---|---|\n");
    for (const Case& c : cases) {
        CK(cudaFuncSetAttribute(c.k, cudaFuncAttributeMaxDynamicSharedMemorySize, SHARED));
        for (int rep = 0; rep < 3; rep++) {   // the last of three (L2 warm, clocks up)
            c.k<<<CTAS, THREADS, SHARED>>>(global, times, sink);
            CK(cudaGetLastError());
            CK(cudaDeviceSynchronize());
        }
        std::vector<unsigned long long> h(CTAS * 2);
        CK(cudaMemcpy(h.data(), times, h.size() * sizeof(unsigned long long), cudaMemcpyDeviceToHost));
        std::vector<double> d;
        unsigned long long first = ~0ull, last = 0;
        for (int b = 0; b < CTAS; b++) { d.push_back((h[2 * b + 1] - h[2 * b]) / 1000.0); first = std::min(first, h[2 * b]); last = std::max(last, h[2 * b + 1]); }
        std::sort(d.begin(), d.end());
        double span = (last - first) / 1000.0;
        printf("| %s | %.2f / %.2f | %.2f | %.1f | %.2f |\n", c.name, d[CTAS / 2], d.back(), span, c.kb * 1024 / (d[CTAS / 2] * 1e3), CTAS * c.kb * 1024 / (span * 1e6));
    }
    int clusters = 0;
    cudaLaunchConfig_t config = {};
    config.gridDim = CTAS; config.blockDim = THREADS; config.dynamicSmemBytes = SHARED;
    CK(cudaOccupancyMaxActiveClusters(&clusters, (void*)move<0>, &config));
    printf("clusters of 2 resident at once: %d (CTAs %d)\n", clusters, 2 * clusters);
    return 0;
}
