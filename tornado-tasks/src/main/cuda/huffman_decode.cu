// The yardstick for dev.weightless.tasks.codec.DecodeKernels.decode: the same decoder in CUDA C, with
// the parameters the Java kernel's PTX takes (each array as its address, then its element count), so
// GpuCodecCheck launches both on the same buffers and grid and compares their speed. One warp per group
// of 32 chunks, one lane per chunk; a multi-symbol table (DecodeTable: up to three exponents per lookup,
// two lookups per refill check) in shared memory; each round of 128 symbols per lane is staged in shared
// memory and written out by the whole warp, one chunk (256 bytes) per store; warps synchronise only with
// themselves; stream loads ask L2 for 256 bytes on a miss, plane loads for 128; output stores are streaming
// (evict first). Build with build.sh.
#define WARPS 8
#define ROUND 128
#define TABLE_BITS 12
#define ROW (ROUND / 4) // ints per staged row; word w of row r is stored at w ^ r (no bank conflicts either way)
#define FAST_CHUNK 1024 // DecodeKernels.FAST_CHUNK: the chunk size of the write-out's fast path
#define BLOCKS_PER_SM 4 // DecodeInput.BLOCKS_PER_SM: the grid launches at most this many blocks per SM

// A load whose L2 miss brings 256 bytes into L2 (DecodeKernels.L2_FETCH, jit's IntArray.getL2Fetch).
__device__ __forceinline__ unsigned int loadFetching(const unsigned int* p) {
    unsigned int v;
    asm("ld.global.L2::256B.u32 %0, [%1];" : "=r"(v) : "l"(p));
    return v;
}

// A plane load whose L2 miss brings a round's 128 bytes, no more (DecodeKernels.PLANE_FETCH).
__device__ __forceinline__ unsigned int loadPlane(const unsigned int* p) {
    unsigned int v;
    asm("ld.global.L2::128B.u32 %0, [%1];" : "=r"(v) : "l"(p));
    return v;
}

// A streaming (evict-first) store of output never read again (jit's LongArray.setStreaming, st.global.cs).
__device__ __forceinline__ void storeStreaming(unsigned long long* p, unsigned long long v) { __stcs(p, v); }

// Four values from four exponent and four sign|mantissa bytes, in 32-bit steps: the four high bytes
// (s & 0x80 | e >> 1) and the four low bytes ((e & 1) << 7 | s & 0x7F) at once, then interleaved by two
// byte permutes: (low0, high0, low1, high1) and (low2, high2, low3, high3).
__device__ __forceinline__ unsigned long long join(unsigned int exponents, unsigned int signMantissas) {
    unsigned int high = (signMantissas & 0x80808080u) | (exponents >> 1 & 0x7F7F7F7Fu);
    unsigned int low = (exponents << 7 & 0x80808080u) | (signMantissas & 0x7F7F7F7Fu);
    unsigned int first = __byte_perm(low, high, 0x5140);
    unsigned int second = __byte_perm(low, high, 0x7362);
    return (unsigned long long) second << 32 | first;
}

// Chunks base..base+15 of a full group of FAST_CHUNK-symbol chunks, one round, one chunk per warp store; plane
// loads first (out might alias plane, so the compiler keeps each load after the stores before it).
__device__ __forceinline__ void writeSixteenChunks(const unsigned int* rows, int base, int lane, const unsigned int* plane,
                                                   unsigned long long* out, long long q) {
    unsigned int p[16];
#pragma unroll
    for (int c = 0; c < 16; c++) p[c] = loadPlane(plane + q + (base + c) * (FAST_CHUNK / 4));
#pragma unroll
    for (int c = 0; c < 16; c++) storeStreaming(out + q + (base + c) * (FAST_CHUNK / 4), join(rows[(base + c) * ROW + (lane ^ (base + c))], p[c]));
}

extern "C" __global__ void __launch_bounds__(WARPS * 32, BLOCKS_PER_SM)
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

    // A grid of fewer blocks than groups / WARPS loops: block b takes groups b * WARPS.., then
    // b * WARPS + blocks * WARPS.., and so on.
    int lane = threadIdx.x & 31;
    unsigned int* rows = stage + (threadIdx.x >> 5) * 32 * ROW;
    for (long long first = (long long) blockIdx.x * WARPS; first < (long long) groupCount; first += (long long) gridDim.x * WARPS) {
        long long group = first + (threadIdx.x >> 5);
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

        unsigned long long word = start >> 5;
        unsigned long long buf = payload[word] >> (start & 31);
        int avail = 32 - (int) (start & 31);
        unsigned long long lastWord = payloadCount - 1;
        unsigned long long ahead = payload[word + 1]; // the next word, loaded one refill early
        word += 2;
        unsigned int pending = 0; // decoded exponents not yet staged, `held` of them
        int held = 0;
        for (int round = 0; round < chunkSymbols; round += ROUND) {
            int words = (min(ROUND, symbols - round) + 3) >> 2;
            for (int staged = 0; staged < words;) {
                if (avail < 32) {
                    buf |= ahead << avail;
                    avail += 32;
                    ahead = loadFetching(payload + min(word, lastWord));
                    word++;
                }
                unsigned int entry = codes[(unsigned int) buf & mask];
                int used = (entry >> 24) & 15;
                buf >>= used;
                avail -= used;
                unsigned int exponents = entry & 0xFFFFFF, shift = held << 3;
                pending |= exponents << shift;
                held += entry >> 28;
                if (held >= 4) {
                    rows[lane * ROW + (staged ^ lane)] = pending;
                    staged++;
                    pending = exponents >> (32 - shift); // those that did not fit: the shift is 8..24
                    held -= 4;
                }
                // A second lookup without a refill check: after a refill at least 32 bits are buffered
                // and a lookup takes at most 12.
                if (staged < words) {
                    unsigned int entry1 = codes[(unsigned int) buf & mask];
                    int used1 = (entry1 >> 24) & 15;
                    buf >>= used1;
                    avail -= used1;
                    unsigned int exponents1 = entry1 & 0xFFFFFF, shift1 = held << 3;
                    pending |= exponents1 << shift1;
                    held += entry1 >> 28;
                    if (held >= 4) {
                        rows[lane * ROW + (staged ^ lane)] = pending;
                        staged++;
                        pending = exponents1 >> (32 - shift1);
                        held -= 4;
                    }
                }
            }
            __syncwarp(); // each warp stages and writes only its own rows
            long long first4 = ((long long) group * 32 * chunkSymbols + round) / 4 + lane;
            if (chunkSymbols == FAST_CHUNK && elements - group * 32 * FAST_CHUNK >= 32 * FAST_CHUNK) {
                writeSixteenChunks(rows, 0, lane, plane, out, first4);
                writeSixteenChunks(rows, 16, lane, plane, out, first4);
            } else {
                // The tensor's last group, and chunks of other sizes (a 64-symbol chunk ends inside a round).
                for (int c = 0; c < 32; c++) {
                    long long at = (group * 32 + c) * chunkSymbols + round + 4 * lane;
                    if (round + 4 * lane < chunkSymbols && at < elements) storeStreaming(out + (at >> 2), join(rows[c * ROW + (lane ^ c)], plane[at >> 2]));
                }
            }
            __syncwarp();
        }
    }
}
