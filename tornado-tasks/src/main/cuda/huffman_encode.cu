// The yardstick for dev.weightless.tasks.codec.EncodeKernels: the same five steps in CUDA C, with the
// parameters the Java kernels' PTX takes (each array as its address, then its element count), so
// GpuCodecCheck runs both on the same buffers and grids and compares their speed. codes[s] is symbol s's
// bit-reversed code with its cost in bits 16..20. Build with build.sh.
#define WARPS 8           // EncodeKernels.WARPS
#define SCAN_SIZE 1024    // EncodeKernels.SCAN_SIZE
#define PACK_WARPS 4      // EncodeKernels.PACK_WARPS
#define ROUND 1024        // symbols per warp and round in pack
#define ROUND_WORDS ((ROUND * 15 + 31) / 32 + 1)

typedef unsigned long long u64;

extern "C" __global__ void encodeClear(unsigned int* payload, u64 payloadCount) {
    u64 w = (u64) blockIdx.x * blockDim.x + threadIdx.x;
    if (w < payloadCount) payload[w] = 0;
}

// Chunk bit lengths and group totals, one warp per group of 32 chunks reading each chunk side by side.
extern "C" __global__ void encodeMeasure(const unsigned short* bf16, u64 elements, const unsigned int* codes, u64 codeCount,
                                         unsigned short* chunkBits, u64 chunkCount, u64* groupBits, u64 groupCount, int chunkSymbols) {
    __shared__ unsigned int cost[256];
    for (int i = threadIdx.x; i < 256; i += blockDim.x) cost[i] = codes[i] >> 16;
    __syncthreads();
    int lane = threadIdx.x & 31;
    long long group = (long long) blockIdx.x * WARPS + (threadIdx.x >> 5);
    int mine = 0;
    for (int j = 0; j < 32; j++) {
        long long first = (group * 32 + j) * chunkSymbols;
        int n = (int) max(0LL, min((long long) chunkSymbols, (long long) elements - first));
        int sum = 0;
#pragma unroll 4
        for (int i = lane; i < n; i += 32) sum += cost[(bf16[first + i] >> 7) & 0xFF];
        for (int d = 16; d > 0; d >>= 1) sum += __shfl_xor_sync(0xFFFFFFFFu, sum, d);
        if (lane == j) mine = sum;
    }
    long long chunk = group * 32 + lane;
    if (chunk < (long long) chunkCount) chunkBits[chunk] = (unsigned short) mine;
    int total = mine;
    for (int d = 16; d > 0; d >>= 1) total += __shfl_xor_sync(0xFFFFFFFFu, total, d);
    if (lane == 0 && group < (long long) groupCount) groupBits[group] = total;
}

// offsets[g] = the sum of groupBits[0..g), one block of SCAN_SIZE threads.
extern "C" __global__ void encodeGroupOffsets(const u64* groupBits, u64 groups, u64* offsets, u64 offsetCount) {
    __shared__ long long sums[SCAN_SIZE];
    long long per = ((long long) groups + SCAN_SIZE - 1) / SCAN_SIZE;
    long long from = min((long long) groups, (long long) threadIdx.x * per), to = min((long long) groups, from + per);
    long long sum = 0;
    for (long long g = from; g < to; g++) sum += groupBits[g];
    sums[threadIdx.x] = sum;
    __syncthreads();
    for (int d = 1; d < SCAN_SIZE; d <<= 1) {
        long long add = threadIdx.x >= d ? sums[threadIdx.x - d] : 0;
        __syncthreads();
        sums[threadIdx.x] += add;
        __syncthreads();
    }
    long long at = sums[threadIdx.x] - sum;
    for (long long g = from; g < to; g++) {
        offsets[g] = at;
        at += groupBits[g];
    }
}

// One warp per chunk, ROUND symbols per round, codes staged in shared memory (XOR-swizzled) so lane j
// packs symbols 32j..32j+31, words assembled in shared memory and stored side by side; a round's first
// and last word are added atomically (an OR: the bits do not overlap).
extern "C" __global__ void __launch_bounds__(PACK_WARPS * 32)
encodePack(const unsigned short* bf16, u64 elements, const unsigned int* codes, u64 codeCount, const u64* offsets, u64 groupCount,
           const unsigned short* chunkBits, u64 chunkCount, unsigned int* payload, u64 payloadCount, int chunkSymbols) {
    __shared__ unsigned int code[256];
    __shared__ unsigned int staged[PACK_WARPS * ROUND];
    __shared__ unsigned int words[PACK_WARPS * ROUND_WORDS];
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    for (int i = threadIdx.x; i < 256; i += blockDim.x) code[i] = codes[i];
    for (int i = threadIdx.x; i < PACK_WARPS * ROUND_WORDS; i += blockDim.x) words[i] = 0;
    __syncthreads();
    long long chunk = (long long) blockIdx.x * PACK_WARPS + warp;
    bool live = chunk < (long long) chunkCount;
    long long pos = 0;
    if (live) {
        long long group = chunk >> 5;
        int before = lane < (int) (chunk & 31) ? chunkBits[group * 32 + lane] : 0;
        for (int d = 16; d > 0; d >>= 1) before += __shfl_xor_sync(0xFFFFFFFFu, before, d);
        pos = offsets[group] + before;
    }
    long long first = chunk * chunkSymbols;
    long long end = live ? min((long long) elements, first + chunkSymbols) : first;
    unsigned int* stage = staged + warp * ROUND;
    unsigned int* out = words + warp * ROUND_WORDS;
    int rounds = (chunkSymbols + ROUND - 1) / ROUND;
    for (int r = 0; r < rounds; r++) {
        long long base = first + (long long) r * ROUND;
        int limit = (int) max(0LL, min((long long) min(ROUND, chunkSymbols - r * ROUND), end - base));
#pragma unroll 8
        for (int k = 0; k < 32; k++) {
            int j = k * 32 + lane;
            stage[(k << 5) + (lane ^ k)] = j < limit ? code[(bf16[base + j] >> 7) & 0xFF] : 0;
        }
        __syncthreads();
        const unsigned int* row = stage + (lane << 5);
        int bits = 0;
#pragma unroll
        for (int p = 0; p < 32; p++) bits += row[p ^ lane] >> 16;
        int before = bits;
        for (int d = 1; d < 32; d <<= 1) {
            int up = __shfl_up_sync(0xFFFFFFFFu, before, d);
            if (lane >= d) before += up;
        }
        int total = __shfl_sync(0xFFFFFFFFu, before, 31);
        before -= bits;
        int start = (int) (pos & 31);
        int at = start + before;
        int word = at >> 5, fill = at & 31;
        u64 acc = 0;
        // Two codes per step: fill stays below 32 between steps, so two codes of at most 15 bits leave it
        // below 62 and at most one word is full.
#pragma unroll
        for (int p = 0; p < 32; p += 2) {
            unsigned int c0 = row[p ^ lane], c1 = row[(p + 1) ^ lane];
            acc |= (u64) (c0 & 0xFFFF) << fill;
            fill += c0 >> 16;
            acc |= (u64) (c1 & 0xFFFF) << fill;
            fill += c1 >> 16;
            if (fill >= 32) {
                atomicAdd(out + word, (unsigned int) acc);
                word++;
                acc >>= 32;
                fill -= 32;
            }
        }
        if (fill > 0) atomicAdd(out + word, (unsigned int) acc);
        __syncthreads();
        int count = total == 0 ? 0 : (start + total + 31) >> 5;
        long long firstWord = pos >> 5;
        for (int w = lane; w < count; w += 32) {
            unsigned int v = out[w];
            out[w] = 0;
            if (w == 0 || w == count - 1) {
                if (v != 0) atomicAdd(payload + firstWord + w, v);
            } else {
                payload[firstWord + w] = v;
            }
        }
        pos += total;
        __syncthreads();
    }
}

// The sign|mantissa bytes, four per thread into a plane padded to whole words.
extern "C" __global__ void encodePlane(const unsigned short* bf16, u64 elements, unsigned int* plane, u64 planeCount) {
    u64 w = (u64) blockIdx.x * blockDim.x + threadIdx.x;
    if (w >= planeCount) return;
    unsigned int s = 0;
    for (int k = 0; k < 4; k++) {
        if (4 * w + k < elements) {
            unsigned int x = bf16[4 * w + k];
            s |= (((x >> 8) & 0x80) | (x & 0x7F)) << (8 * k);
        }
    }
    plane[w] = s;
}
