// The yardstick for dev.weightless.tasks.codec.DecodeKernels.decode: the same decoder in CUDA C, with
// the parameters the Java kernel's PTX takes (each array as its address, then its element count), so
// GpuCodecCheck launches both on the same buffers and grid and compares their speed. One warp per group
// of 32 chunks, one lane per chunk; a multi-symbol table (DecodeTable: up to three exponents per lookup)
// in shared memory; each round of 64 symbols per lane is staged in shared memory and written out by the
// whole warp, two chunks at a time. Build with build.sh.
#define WARPS 8
#define ROUND 64
#define TABLE_BITS 12
#define ROW (ROUND / 4 + 1)

__device__ __forceinline__ unsigned long long spread(unsigned int x) {
    unsigned long long v = x;
    v = (v | v << 16) & 0x0000FFFF0000FFFFull;
    return (v | v << 8) & 0x00FF00FF00FF00FFull;
}

__device__ __forceinline__ unsigned long long join(unsigned int exponents, unsigned int signMantissas) {
    unsigned long long e = spread(exponents), s = spread(signMantissas);
    return (s & 0x0080008000800080ull) << 8 | e << 7 | (s & 0x007F007F007F007Full);
}

// Four values in each of eight chunks `step` symbols apart, plane loads first (out might alias plane,
// so the compiler keeps each load after the stores before it).
__device__ __forceinline__ void writeEight(const unsigned int* row, const unsigned int* plane, unsigned long long* out,
                                           long long at, long long step, long long elements) {
    unsigned int p[8];
#pragma unroll
    for (int i = 0; i < 8; i++) p[i] = at + i * step < elements ? plane[(at + i * step) >> 2] : 0;
#pragma unroll
    for (int i = 0; i < 8; i++) {
        if (at + i * step < elements) out[(at + i * step) >> 2] = join(row[2 * i * ROW], p[i]);
    }
}

extern "C" __global__ void __launch_bounds__(WARPS * 32)
huffmanDecode(const unsigned int* payload, unsigned long long payloadCount,
              const unsigned long long* groupOffsets, unsigned long long groupCount,
              const unsigned short* chunkBits, unsigned long long chunkCount,
              const unsigned int* table, unsigned long long tableCount,
              const unsigned int* plane, unsigned long long planeCount,
              unsigned long long* out, unsigned long long outCount,
              long long elements, int chunkSymbols, int tableBits) {
    __shared__ unsigned int codes[1 << TABLE_BITS];
    __shared__ unsigned int stage[WARPS * 32 * ROW];
    unsigned int mask = (1u << tableBits) - 1;
    for (unsigned int i = threadIdx.x; i <= mask; i += blockDim.x) codes[i] = table[i];
    __syncthreads();

    int lane = threadIdx.x & 31;
    unsigned int* rows = stage + (threadIdx.x >> 5) * 32 * ROW;
    long long group = (long long) blockIdx.x * WARPS + (threadIdx.x >> 5);
    long long chunk = group * 32 + lane;
    bool mine = chunk < (long long) chunkCount;
    int bits = mine ? chunkBits[chunk] : 0;
    int before = bits;
    for (int d = 1; d < 32; d <<= 1) {
        int up = __shfl_up_sync(0xffffffffu, before, d);
        if (lane >= d) before += up;
    }
    before -= bits;
    unsigned long long start = mine ? groupOffsets[group] + before : 0;
    int symbols = mine ? (int) min((long long) chunkSymbols, elements - chunk * chunkSymbols) : 0;

    unsigned long long lastWord = payloadCount - 1;
    unsigned long long word = start >> 5;
    unsigned long long buf = payload[word] >> (start & 31);
    int avail = 32 - (int) (start & 31);
    unsigned long long ahead = payload[word + 1]; // the next word, loaded one refill early
    word += 2;
    unsigned long long pending = 0; // decoded exponents not yet staged, `held` of them
    int held = 0;
    for (int round = 0; round < chunkSymbols; round += ROUND) {
        int words = (min(ROUND, symbols - round) + 3) >> 2;
        for (int staged = 0; staged < words;) {
            if (avail < 32) {
                buf |= ahead << avail;
                avail += 32;
                ahead = payload[min(word, lastWord)];
                word++;
            }
            unsigned int entry = codes[buf & mask];
            int used = (entry >> 24) & 15;
            buf >>= used;
            avail -= used;
            pending |= (unsigned long long) (entry & 0xFFFFFF) << (held << 3);
            held += entry >> 28;
            if (held >= 4) {
                rows[lane * ROW + staged] = (unsigned int) pending;
                staged++;
                pending >>= 32;
                held -= 4;
            }
        }
        __syncthreads();
        int half = lane >> 4, quarter = lane & 15;
        long long at = (group * 32 + half) * chunkSymbols + round + 4 * quarter;
        const unsigned int* row = rows + half * ROW + quarter;
        writeEight(row, plane, out, at, 2LL * chunkSymbols, elements);
        writeEight(row + 16 * ROW, plane, out, at + 16LL * chunkSymbols, 2LL * chunkSymbols, elements);
        __syncthreads();
    }
}
