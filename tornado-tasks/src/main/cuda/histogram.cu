// The yardstick for CheckKernels.exponentHistogram: the same algorithm in CUDA C (counts privatised in
// shared memory, a grid-stride loop over 16-bit loads, one global atomic per non-zero bin), with the
// parameters the Java kernel's PTX takes (each array as its address, then its element count), so
// GpuCheck launches both with the same grid and compares their speed. Build with build.sh.
extern "C" __global__ void exponentHistogram(const unsigned short* bf16, unsigned long long bf16Count,
                                             unsigned int* histogram, unsigned long long histogramCount) {
    __shared__ unsigned int local[256];
    for (int i = threadIdx.x; i < 256; i += blockDim.x) local[i] = 0;
    __syncthreads();
    long long stride = (long long) gridDim.x * blockDim.x;
    for (long long i = (long long) blockIdx.x * blockDim.x + threadIdx.x; i < (long long) bf16Count; i += stride) {
        atomicAdd(&local[(bf16[i] >> 7) & 0xFF], 1u);
    }
    __syncthreads();
    for (int i = threadIdx.x; i < 256; i += blockDim.x) {
        if (local[i] != 0) atomicAdd(&histogram[i], local[i]);
    }
}
