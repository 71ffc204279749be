// Session 23's measurement (tensorcore/NOTES.md, m5): how fast 128 CTAs, one per SM, move a meet finish's bytes to and from L2
// at once, by pattern. Session 22's m4 put the meet finish's store-and-meet part at ~36 ns per KB and CTA (~3.6 TB/s over 128
// CTAs); if a bulk copy (cp.async.bulk from shared memory, the TMA's path) moves them faster than the consumer threads' own
// st.global.v4, the meet kernel's ring, idle by then, could send its slice that way.
//   there: nvcc -O3 -std=c++17 -gencode=arch=compute_90a,code=sm_90a -o rate s23-store-rate.cu && ./rate
// Each kernel is timed as the median of 9 rounds of 20 launches; the figure is its time less the same kernel's with nothing to
// move (Q = 0), over 128 CTAs x Q x 4 KB.
#include <cstdio>
#include <cstdint>
#include <vector>
#include <algorithm>
#include <cuda_runtime.h>

#define CK(x) do { cudaError_t e = (x); if (e != cudaSuccess) { printf("%s: %s\n", #x, cudaGetErrorString(e)); return 1; } } while (0)

constexpr int THREADS = 256, CTAS = 128, SHARED = 160 * 1024;   // one CTA per SM

__device__ __forceinline__ uint32_t smem(const void* p) { return static_cast<uint32_t>(__cvta_generic_to_shared(p)); }

// 0: the meet's writeSlice pattern (float4 q of thread t at q * 256 + t, each warp store a 512-byte run), then __threadfence.
// 1: each warp a contiguous run of Q * 512 bytes. 2: as 0 without the fence.
template <int PATTERN>
__global__ void __launch_bounds__(THREADS, 1) storeThreads(float4* out, int Q) {
    int t = threadIdx.x, warp = t >> 5, lane = t & 31;
    float4* base = out + (size_t)blockIdx.x * Q * THREADS;
    float4 v = make_float4(t, blockIdx.x, 1.f, 2.f);
    for (int q = 0; q < Q; q++) {
        size_t at = PATTERN == 1 ? ((size_t)warp * Q + q) * 32 + lane : (size_t)q * THREADS + t;
        base[at] = v;
        v.x += 1.f;
    }
    if (PATTERN != 2) __threadfence();
}

// The same bytes written to shared memory first, then sent by bulk copies: one per warp (its Q * 512 bytes, PER_WARP) or
// CHUNKS copies by thread 0; completion waited for (bulk_group), as a fence before the meet's count would need.
template <bool PER_WARP>
__global__ void __launch_bounds__(THREADS, 1) storeBulk(float4* out, int Q) {
    extern __shared__ __align__(128) float4 s[];
    int t = threadIdx.x, warp = t >> 5, lane = t & 31;
    float4 v = make_float4(t, blockIdx.x, 1.f, 2.f);
    for (int q = 0; q < Q; q++) { s[((size_t)warp * Q + q) * 32 + lane] = v; v.x += 1.f; }
    asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
    float4* base = out + (size_t)blockIdx.x * Q * THREADS;
    if (PER_WARP) {
        __syncwarp();
        if (lane == 0 && Q > 0) {
            asm volatile("cp.async.bulk.global.shared::cta.bulk_group [%0], [%1], %2;"
                         :: "l"(base + (size_t)warp * Q * 32), "r"(smem(s + (size_t)warp * Q * 32)), "r"(Q * 512) : "memory");
            asm volatile("cp.async.bulk.commit_group;" ::: "memory");
            asm volatile("cp.async.bulk.wait_group 0;" ::: "memory");
        }
    } else {
        __syncthreads();
        if (t == 0 && Q > 0) {
            int bytes = Q * 4096, chunk = bytes / 8;
            for (int c = 0; c < 8; c++)
                asm volatile("cp.async.bulk.global.shared::cta.bulk_group [%0], [%1], %2;"
                             :: "l"(reinterpret_cast<char*>(base) + c * chunk), "r"(smem(s) + c * chunk), "r"(chunk) : "memory");
            asm volatile("cp.async.bulk.commit_group;" ::: "memory");
            asm volatile("cp.async.bulk.wait_group 0;" ::: "memory");
        }
    }
    __syncthreads();
}

// Reads of another CTA's region (CTA b reads b + 1's), as the meet's adds do: __ldcg in the fragment order, four in flight per
// thread, or one bulk copy per warp into shared memory completing on an mbarrier.
__global__ void __launch_bounds__(THREADS, 1) readThreads(const float4* in, float* sink, int Q) {
    int t = threadIdx.x;
    const float4* base = in + (size_t)((blockIdx.x + 1) % gridDim.x) * Q * THREADS + t;
    float sum = 0;
    int q = 0;
    for (; q + 4 <= Q; q += 4) {
        float4 a = __ldcg(base + (size_t)q * THREADS), b = __ldcg(base + (size_t)(q + 1) * THREADS);
        float4 c = __ldcg(base + (size_t)(q + 2) * THREADS), d = __ldcg(base + (size_t)(q + 3) * THREADS);
        sum += a.x + b.y + c.z + d.w;
    }
    for (; q < Q; q++) sum += __ldcg(base + (size_t)q * THREADS).x;
    if (sum == -1.f) sink[t] = sum;
}

__global__ void __launch_bounds__(THREADS, 1) readBulk(const float4* in, float* sink, int Q) {
    extern __shared__ __align__(128) float4 s[];
    __shared__ __align__(8) uint64_t bar[8];
    int t = threadIdx.x, warp = t >> 5, lane = t & 31;
    const float4* base = in + (size_t)((blockIdx.x + 1) % gridDim.x) * Q * THREADS;
    uint32_t b = smem(&bar[warp]);
    if (lane == 0) {
        asm volatile("mbarrier.init.shared::cta.b64 [%0], 1;" :: "r"(b) : "memory");
        asm volatile("fence.mbarrier_init.release.cluster;" ::: "memory");
    }
    __syncwarp();
    if (Q > 0) {
        if (lane == 0) {
            asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;" :: "r"(b), "r"(Q * 512) : "memory");
            asm volatile("cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1], %2, [%3];"
                         :: "r"(smem(s + (size_t)warp * Q * 32)), "l"(base + (size_t)warp * Q * 32), "r"(Q * 512), "r"(b) : "memory");
        }
        uint32_t done = 0;
        while (!done) {
            asm volatile("{ .reg .pred p; mbarrier.try_wait.parity.shared::cta.b64 p, [%1], 0; selp.u32 %0, 1, 0, p; }" : "=r"(done) : "r"(b) : "memory");
        }
    }
    float sum = 0;
    for (int q = 0; q < Q; q++) sum += s[((size_t)warp * Q + q) * 32 + lane].x;
    if (sum == -1.f) sink[t] = sum;
}

template <class F>
static float timeOf(F launch) {
    cudaEvent_t a, b;
    cudaEventCreate(&a); cudaEventCreate(&b);
    std::vector<float> ms;
    for (int r = 0; r < 9; r++) {
        cudaEventRecord(a);
        for (int i = 0; i < 20; i++) launch();
        cudaEventRecord(b);
        cudaEventSynchronize(b);
        float m; cudaEventElapsedTime(&m, a, b); ms.push_back(m * 1000 / 20);
    }
    std::sort(ms.begin(), ms.end());
    return ms[4];   // µs per launch
}

int main() {
    float4* buf; float* sink;
    CK(cudaMalloc(&buf, (size_t)CTAS * 40 * 4096));
    CK(cudaMalloc(&sink, 4096));
    CK(cudaMemset(buf, 0, (size_t)CTAS * 40 * 4096));
    auto big = [](auto k) { cudaFuncSetAttribute(k, cudaFuncAttributeMaxDynamicSharedMemorySize, SHARED); };
    big(storeThreads<0>); big(storeThreads<1>); big(storeThreads<2>); big(storeBulk<true>); big(storeBulk<false>); big(readThreads); big(readBulk);
    struct Case { const char* name; void (*run)(float4*, float*, int); };
    const Case cases[] = {
        {"store st.global.v4, fragment order, fence", [](float4* o, float*, int q) { storeThreads<0><<<CTAS, THREADS, SHARED>>>(o, q); }},
        {"store st.global.v4, fragment order      ", [](float4* o, float*, int q) { storeThreads<2><<<CTAS, THREADS, SHARED>>>(o, q); }},
        {"store st.global.v4, warp runs, fence    ", [](float4* o, float*, int q) { storeThreads<1><<<CTAS, THREADS, SHARED>>>(o, q); }},
        {"store smem + bulk copy per warp         ", [](float4* o, float*, int q) { storeBulk<true><<<CTAS, THREADS, SHARED>>>(o, q); }},
        {"store smem + 8 bulk copies by thread 0  ", [](float4* o, float*, int q) { storeBulk<false><<<CTAS, THREADS, SHARED>>>(o, q); }},
        {"read  ld.global.cg.v4, fragment order   ", [](float4* o, float* s, int q) { readThreads<<<CTAS, THREADS, SHARED>>>(o, s, q); }},
        {"read  bulk copy per warp into smem      ", [](float4* o, float* s, int q) { readBulk<<<CTAS, THREADS, SHARED>>>(o, s, q); }},
    };
    printf("| pattern | Q (KB per CTA = 4 Q) | us, Q = 0 | us | us over Q = 0 | TB/s over 128 CTAs |\n|---|---|---|---|---|---|\n");
    for (const Case& c : cases) {
        float zero = timeOf([&] { c.run(buf, sink, 0); });
        for (int q : {8, 16, 24, 32}) {
            float us = timeOf([&] { c.run(buf, sink, q); });
            double bytes = (double)CTAS * q * 4096;
            printf("| %s | %d | %.2f | %.2f | %.2f | %.2f |\n", c.name, q, zero, us, us - zero, bytes / ((us - zero) * 1e-6) / 1e12);
        }
    }
    CK(cudaDeviceSynchronize());
    CK(cudaGetLastError());
    return 0;
}
