// Session 28 probe (tensorcore/NOTES.md, session 28, p1): how fast can the CTAs of a cluster stream data into each other's shared
// memory, steadily, counted on the receivers' mbarriers as a stage's bytes are? The question behind it: if the CS CTAs that multiply
// one W tile by CS different X tiles each decoded 1 / CS of the tile's blocks and sent the BF16 rows to all of them, every weight
// would be decoded once instead of CS times; at 64 X rows each CTA would receive 12 KB (CS = 4) of a block's 16 KB from its partners
// in the ~390 cycles a block takes the BF16 twin, ~31 bytes per cycle. Session 23's m8 timed one 64 KB burst of st.shared::cluster
// (~30 GB/s per CTA, a barrier included); this times a stream.
// 132 CTAs (clusters of CS, one CTA per SM), 256 threads. Round i: each CTA sends B bytes to each partner's slot i % 4 (its own part
// of it), counted on the partner's mbarrier i % 4, which the partner's thread 0 arms for (CS - 1) B bytes; a CTA sends round i
// only once it has received round i - 2 (so no slot or barrier phase is overwritten early). Modes:
//   st.async  every thread stores its B / 256 bytes to each partner by st.async.v4 ... mbarrier::complete_tx
//   bulk      thread 0 copies a B-byte source buffer of its own shared memory to each partner by cp.async.bulk.shared::cluster.shared::cta
// Prints per CTA the incoming bytes per SM cycle (p50 and min over the CTAs) and GB/s, from clock64 after a cluster barrier to the
// last round received.
//   there, from wgmma-harness after prepare.sh: nvcc -O3 -std=c++17 -gencode=arch=compute_90a,code=sm_90a -I. -o stream experiments/s28-dsmem-stream.cu && ./stream
#include <cstdio>
#include <cstdint>
#include <vector>
#include <algorithm>
#include <cuda_runtime.h>
#include "hopper.cuh"

using namespace hopper;

#define CK(x) do { cudaError_t e = (x); if (e != cudaSuccess) { printf("%s: %s\n", #x, cudaGetErrorString(e)); return 1; } } while (0)

constexpr int THREADS = 256, ROUNDS = 512;

// MODE 0: st.async, 1: bulk. B: bytes per sender and round.
template <int CS, int MODE, int B>
__global__ void __launch_bounds__(THREADS, 1) stream(long long* cycles) {
    extern __shared__ __align__(128) uint8_t s[];
    uint8_t* slots = s;                              // 4 slots of (CS - 1) x B
    uint8_t* source = s + 4 * (CS - 1) * B;          // B bytes to send (bulk)
    uint64_t* bars = reinterpret_cast<uint64_t*>(source + B);
    uint32_t rank;
    asm volatile("mov.u32 %0, %%cluster_ctarank;" : "=r"(rank));
    for (int i = threadIdx.x; i < B / 4; i += THREADS) reinterpret_cast<uint32_t*>(source)[i] = i * 2654435761u + rank;
    if (threadIdx.x == 0) {
        for (int i = 0; i < 4; i++) barrierInit(smemAddress(bars + i), 1);
        asm volatile("fence.mbarrier_init.release.cluster;" ::: "memory");
    }
    asm volatile("fence.proxy.async.shared::cta;" ::: "memory");   // the source buffer, for the bulk copies
    clusterSync();
    long long t0 = clock64();
    for (int i = 0; i < ROUNDS; i++) {
        int slot = i % 4;
        if (threadIdx.x == 0) arriveExpecting(smemAddress(bars + slot), (CS - 1) * B);
        if (i >= 2) barrierWait(smemAddress(bars + (i - 2) % 4), ((i - 2) / 4) & 1);
        for (int k = 1; k < CS; k++) {
            uint32_t to = (rank + k) % CS, part = (CS - k - 1);   // this CTA's part of the receiver's slot: by distance
            uint32_t dst = peerAddress(smemAddress(slots + (slot * (CS - 1) + part) * B), to), bar = peerAddress(smemAddress(bars + slot), to);
            if (MODE == 0) {
                for (int o = 16 * threadIdx.x; o < B; o += 16 * THREADS) {
                    uint32_t v = i * 31 + o;
                    asm volatile("st.async.shared::cluster.mbarrier::complete_tx::bytes.v4.b32 [%0], {%1, %2, %3, %4}, [%5];"
                                 :: "r"(dst + o), "r"(v), "r"(v + 1), "r"(v + 2), "r"(v + 3), "r"(bar) : "memory");
                }
            } else if (threadIdx.x == 0) {
                asm volatile("cp.async.bulk.shared::cluster.shared::cta.mbarrier::complete_tx::bytes [%0], [%1], %2, [%3];"
                             :: "r"(dst), "r"(smemAddress(source)), "r"(B), "r"(bar) : "memory");
            }
        }
    }
    barrierWait(smemAddress(bars + (ROUNDS - 2) % 4), ((ROUNDS - 2) / 4) & 1);
    barrierWait(smemAddress(bars + (ROUNDS - 1) % 4), ((ROUNDS - 1) / 4) & 1);
    long long t1 = clock64();
    if (threadIdx.x == 0) cycles[blockIdx.x] = t1 - t0;
    clusterSync();   // no CTA leaves while a partner may still send to it
}

template <int CS, int MODE, int B>
static int run(const char* name, int ctas, long long* cycles, int clockKHz) {
    auto k = stream<CS, MODE, B>;
    int shared = 4 * (CS - 1) * B + B + 64;
    CK(cudaFuncSetAttribute(k, cudaFuncAttributeMaxDynamicSharedMemorySize, shared));
    cudaLaunchConfig_t config = {};
    cudaLaunchAttribute attr[1];
    attr[0].id = cudaLaunchAttributeClusterDimension; attr[0].val.clusterDim.x = CS; attr[0].val.clusterDim.y = 1; attr[0].val.clusterDim.z = 1;
    config.gridDim = ctas / CS * CS; config.blockDim = THREADS; config.dynamicSmemBytes = shared; config.attrs = attr; config.numAttrs = 1;
    for (int rep = 0; rep < 3; rep++) { CK(cudaLaunchKernelEx(&config, k, cycles)); CK(cudaDeviceSynchronize()); }
    int n = ctas / CS * CS;
    std::vector<long long> h(n);
    CK(cudaMemcpy(h.data(), cycles, n * sizeof(long long), cudaMemcpyDeviceToHost));
    std::vector<double> rate;
    for (long long c : h) rate.push_back((double)ROUNDS * (CS - 1) * B / c);
    std::sort(rate.begin(), rate.end());
    double p50 = rate[n / 2];
    printf("| %-9s | %d | %5d | %d | %.1f | %.1f | %.0f |\n", name, CS, B, n, p50, rate[0], p50 * clockKHz / 1e6);
    return 0;
}

int main() {
    long long* cycles;
    CK(cudaMalloc(&cycles, 256 * sizeof(long long)));
    int sms, clockKHz;
    CK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
    CK(cudaDeviceGetAttribute(&clockKHz, cudaDevAttrClockRate, 0));
    printf("%d SMs, clock %d MHz (GB/s below at that clock), %d rounds\n\n", sms, clockKHz / 1000, ROUNDS);
    printf("| mode | cluster | bytes per sender and round | CTAs | incoming bytes per cycle per CTA, p50 | min | GB/s per CTA, p50 |\n|---|---|---|---|---|---|---|\n");
    int ctas = sms;   // one CTA per SM where the clusters fit
    if (run<2, 0, 8192>("st.async", ctas, cycles, clockKHz) || run<4, 0, 4096>("st.async", ctas - ctas % 4, cycles, clockKHz) ||
        run<4, 0, 8192>("st.async", ctas - ctas % 4, cycles, clockKHz) || run<2, 1, 8192>("bulk", ctas, cycles, clockKHz) ||
        run<4, 1, 4096>("bulk", ctas - ctas % 4, cycles, clockKHz) || run<4, 1, 8192>("bulk", ctas - ctas % 4, cycles, clockKHz))
        return 1;
    return 0;
}
