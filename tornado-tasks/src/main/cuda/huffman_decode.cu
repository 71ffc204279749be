// The yardstick for dev.weightless.tasks.codec.DecodeKernels.decode: the same decoder in CUDA C, with
// the parameters the Java kernel's PTX takes (each array as its address, then its element count), so
// GpuCodecCheck launches both on the same buffers and grid and compares their speed. One warp per group
// of 32 chunks, one lane per chunk; a multi-symbol table (DecodeTable: up to three exponents per lookup,
// two lookups per refill check) in shared memory; each round of 64 symbols per lane is staged in shared memory and written out by the
// whole warp, two chunks at a time. Build with build.sh.
#define WARPS 8
#ifdef DECODE_ROUND128
#define ROUND 128 // experiment: a warp writes one chunk's 256 bytes at a time
#else
#define ROUND 64
#endif
#define TABLE_BITS 12
#if defined(DECODE_ROUND128)
#define ROW 32 // swizzled: word w of row r at w ^ r
#define SLOT(lane, staged) ((lane) * ROW + ((staged) ^ (lane)))
#elif defined(DECODE_QUAD)
#define ROW (ROUND / 4) // swizzled rows, no padding, so that the 32 KiB table fits
#define QUAD_AT (1 << TABLE_BITS)
#else
#define ROW (ROUND / 4 + 1)
#endif
#ifndef SLOT
#define SLOT(lane, staged) ((lane) * ROW + (staged))
#endif
#ifdef DECODE_SYNC
#define ROUND_SYNC() __syncwarp()
#else
#define ROUND_SYNC() __syncthreads()
#endif
#define BLOCKS_PER_SM 4 // DecodeInput.BLOCKS_PER_SM: the grid launches at most this many blocks per SM

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

// Four values in each of eight chunks `step` symbols apart (qs = step / 4 words), from word q on, those
// below `room` values; plane loads first (out might alias plane, so the compiler keeps each load after
// the stores before it).
__device__ __forceinline__ void writeEight(const unsigned int* row, const unsigned int* plane, unsigned long long* out,
                                           long long q, int qs, int room, int step) {
    unsigned int p[8];
#pragma unroll
    for (int i = 0; i < 8; i++) p[i] = room > i * step ? plane[q + i * qs] : 0;
#pragma unroll
    for (int i = 0; i < 8; i++) {
        if (room > i * step) out[q + i * qs] = join(row[2 * i * ROW], p[i]);
    }
}

// writeEight over swizzled rows: word w of row r stored at w ^ (r / 2); row pair i at pair + 2 i ROW, key k + i.
__device__ __forceinline__ void writeEightSwizzled(const unsigned int* pair, int quarter, int k, const unsigned int* plane, unsigned long long* out,
                                                   long long q, int qs, int room, int step) {
    unsigned int p[8];
#pragma unroll
    for (int i = 0; i < 8; i++) p[i] = room > i * step ? plane[q + i * qs] : 0;
#pragma unroll
    for (int i = 0; i < 8; i++) {
        if (room > i * step) out[q + i * qs] = join(pair[2 * i * ROW + (quarter ^ (k + i))], p[i]);
    }
}

// Both of a round's writeEightSwizzled at once: all sixteen plane loads before the stores.
__device__ __forceinline__ void writeSixteenSwizzled(const unsigned int* pair, int quarter, const unsigned int* plane, unsigned long long* out,
                                                     long long q, int qs, int room, int step) {
    unsigned int p[16];
#pragma unroll
    for (int i = 0; i < 16; i++) p[i] = room > i * step ? plane[q + i * qs] : 0;
#pragma unroll
    for (int i = 0; i < 16; i++) {
        if (room > i * step) out[q + i * qs] = join(pair[2 * i * ROW + (quarter ^ i)], p[i]);
    }
}

#define FAST_CHUNK 1024 // DecodeKernels.FAST_CHUNK
#define STR2(x) #x
#define STR(x) STR2(x)
#define L2_BYTES STR(DECODE_L2HINT)
__device__ __forceinline__ unsigned int loadPlane(const unsigned int* p) {
#ifdef DECODE_PLANEHINT
    unsigned int v;
    asm("ld.global.L2::256B.u32 %0, [%1];" : "=r"(v) : "l"(p));
    return v;
#else
    return *p;
#endif
}
// A whole round of 1024-symbol chunks in range: sixteen plane loads, then sixteen stores, no bounds checks.
__device__ __forceinline__ void writeSixteenFast(const unsigned int* row, const unsigned int* plane, unsigned long long* out, long long q) {
    unsigned int p[16];
#pragma unroll
    for (int i = 0; i < 16; i++) p[i] = loadPlane(plane + q + i * (FAST_CHUNK / 2));
#pragma unroll
    for (int i = 0; i < 16; i++) out[q + i * (FAST_CHUNK / 2)] = join(row[2 * i * ROW], p[i]);
}

// Chunks base..base+15 of a full group of 1024-symbol chunks, one 128-symbol round, one chunk per warp instruction.
__device__ __forceinline__ void writeSixteenChunks(const unsigned int* rows, int base, int lane, const unsigned int* plane, unsigned long long* out, long long q) {
    unsigned int p[16];
#pragma unroll
    for (int c = 0; c < 16; c++) p[c] = loadPlane(plane + q + (base + c) * (FAST_CHUNK / 4));
#pragma unroll
    for (int c = 0; c < 16; c++) out[q + (base + c) * (FAST_CHUNK / 4)] = join(rows[(base + c) * ROW + (lane ^ (base + c))], p[c]);
}

extern "C" __global__ void __launch_bounds__(WARPS * 32, BLOCKS_PER_SM)
huffmanDecode(const unsigned int* payload, unsigned long long payloadCount,
              const unsigned long long* groupOffsets, unsigned long long groupCount,
              const unsigned short* chunkBits, unsigned long long chunkCount,
              const unsigned int* table, unsigned long long tableCount,
              const unsigned int* plane, unsigned long long planeCount,
              unsigned long long* out, unsigned long long outCount,
              long long elements, int chunkSymbols, int tableBits) {
#ifdef DECODE_QUAD
    __shared__ unsigned long long codes[1 << TABLE_BITS];
#else
    __shared__ unsigned int codes[1 << TABLE_BITS];
#endif
    __shared__ unsigned int stage[WARPS * 32 * ROW];
    unsigned int mask = (1u << tableBits) - 1;
#ifdef DECODE_QUAD
    const unsigned long long* quad = (const unsigned long long*) (table + QUAD_AT);
    for (unsigned int i = threadIdx.x; i <= mask; i += blockDim.x) codes[i] = quad[i];
#else
    for (unsigned int i = threadIdx.x; i <= mask; i += blockDim.x) codes[i] = table[i];
#endif
    __syncthreads();

    // A grid of fewer blocks than groups / WARPS loops: block b takes groups b * WARPS.., then
    // b * WARPS + blocks * WARPS.., and so on.
    int lane = threadIdx.x & 31;
    unsigned int* rows = stage + (threadIdx.x >> 5) * 32 * ROW;
#ifdef DECODE_QUAD
    unsigned int* myRow = rows + lane * ROW;
    int swizzle = lane >> 1;
#endif
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
#if defined(DECODE_L2HINT)
                    // Experiment: a miss fetches DECODE_L2HINT bytes (128 or 256) into L2, so the lane's next words hit there.
                    unsigned int next;
                    asm("ld.global.L2::" L2_BYTES "B.u32 %0, [%1];" : "=r"(next) : "l"(payload + min(word, lastWord)));
                    ahead = next;
#else
                    ahead = payload[min(word, lastWord)];
#endif
                    word++;
                }
#ifdef DECODE_QUAD
                unsigned long long entry = codes[(unsigned int) buf & mask];
                unsigned int exponents = (unsigned int) entry, meta = (unsigned int) (entry >> 32);
                buf >>= meta & 63;
                avail -= meta & 0xFF;
                unsigned int shift = held << 3;
                pending |= exponents << shift;
                held += meta >> 8;
                if (held >= 4) {
                    myRow[staged ^ swizzle] = pending;
                    staged++;
                    pending = __funnelshift_l(exponents, 0, shift); // those that did not fit, none when shift is 0
                    held -= 4;
                }
                if (staged < words) {
                    unsigned long long entry1 = codes[(unsigned int) buf & mask];
                    unsigned int exponents1 = (unsigned int) entry1, meta1 = (unsigned int) (entry1 >> 32);
                    buf >>= meta1 & 63;
                    avail -= meta1 & 0xFF;
                    unsigned int shift1 = held << 3;
                    pending |= exponents1 << shift1;
                    held += meta1 >> 8;
                    if (held >= 4) {
                        myRow[staged ^ swizzle] = pending;
                        staged++;
                        pending = __funnelshift_l(exponents1, 0, shift1);
                        held -= 4;
                    }
                }
#else
                unsigned int entry = codes[(unsigned int) buf & mask];
                int used = (entry >> 24) & 15;
                buf >>= used;
                avail -= used;
                unsigned int exponents = entry & 0xFFFFFF, shift = held << 3;
                pending |= exponents << shift;
                held += entry >> 28;
                if (held >= 4) {
                    rows[SLOT(lane, staged)] = pending;
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
                        rows[SLOT(lane, staged)] = pending;
                        staged++;
                        pending = exponents1 >> (32 - shift1);
                        held -= 4;
                    }
                }
#endif
            }
            ROUND_SYNC();
#ifdef DECODE_ROUND128
            {
                long long first4 = ((long long) group * 32 * chunkSymbols + round) / 4 + lane;
                if (chunkSymbols == FAST_CHUNK && elements - group * 32 * FAST_CHUNK >= 32 * FAST_CHUNK) {
                    writeSixteenChunks(rows, 0, lane, plane, out, first4);
                    writeSixteenChunks(rows, 16, lane, plane, out, first4);
                } else {
                    for (int c = 0; c < 32; c++) {
                        long long at = (group * 32 + c) * chunkSymbols + round + 4 * lane;
                        if (round + 4 * lane < chunkSymbols && at < elements) out[at >> 2] = join(rows[c * ROW + (lane ^ c)], plane[at >> 2]);
                    }
                }
                ROUND_SYNC();
                continue;
            }
#endif
            int half = lane >> 4, quarter = lane & 15;
            long long at = (group * 32 + half) * chunkSymbols + round + 4 * quarter;
            int room = (int) min(elements - at, 1LL << 30); // only the last group has fewer than 32 full chunks
#if defined(DECODE_QUAD) && defined(DECODE_LOADS16)
            writeSixteenSwizzled(rows + half * ROW, quarter, plane, out, at >> 2, chunkSymbols >> 1, room, 2 * chunkSymbols);
#elif defined(DECODE_QUAD)
            writeEightSwizzled(rows + half * ROW, quarter, 0, plane, out, at >> 2, chunkSymbols >> 1, room, 2 * chunkSymbols);
            writeEightSwizzled(rows + (16 + half) * ROW, quarter, 8, plane, out, (at >> 2) + 4LL * chunkSymbols, chunkSymbols >> 1, room - 16 * chunkSymbols, 2 * chunkSymbols);
#else
            const unsigned int* row = rows + half * ROW + quarter;
#ifdef DECODE_FAST
            if (chunkSymbols == FAST_CHUNK && room > 15 * 2 * FAST_CHUNK) {
                writeSixteenFast(row, plane, out, at >> 2);
            } else
#endif
            {
                writeEight(row, plane, out, at >> 2, chunkSymbols >> 1, room, 2 * chunkSymbols);
                writeEight(row + 16 * ROW, plane, out, (at >> 2) + 4LL * chunkSymbols, chunkSymbols >> 1, room - 16 * chunkSymbols, 2 * chunkSymbols);
            }
#endif
            ROUND_SYNC();
        }
    }
}
