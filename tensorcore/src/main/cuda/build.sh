#!/usr/bin/env bash
# Compiles palette_gemm.cu, wgmma_gemm.cu and wgmma_tma.cu (twice: as is, and with TC_WIDE) to PTX for sm_90a and refreshes the checked-in copies that the Java side loads
# (src/main/resources/tensorcore/*.ptx; GPU hosts have no nvcc). PtxRegenerationTest checks
# that each copy equals what this nvcc makes of the source. Prints ptxas's register and spill report.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
module="$(cd "$here/../../.." && pwd)"
nvcc="${NVCC:-$(command -v nvcc || echo /usr/local/cuda-13.0/bin/nvcc)}"
mkdir -p "$module/target/cuda" "$module/src/main/resources/tensorcore"
for source in palette_gemm wgmma_gemm wgmma_tma; do
    "$nvcc" -ptx -arch=compute_90a "$here/$source.cu" -o "$module/target/cuda/$source.ptx"
    "$(dirname "$nvcc")/ptxas" -arch=sm_90a -v "$module/target/cuda/$source.ptx" -o /dev/null
    cp "$module/target/cuda/$source.ptx" "$module/src/main/resources/tensorcore/$source.ptx"
    echo "wrote $module/src/main/resources/tensorcore/$source.ptx"
done
# The wide build of the TMA kernel (TC_WIDE: four consumer warpgroups, 256 W rows per CTA, 64-row tiles; WideTmaKernels in Java).
"$nvcc" -ptx -arch=compute_90a -DTC_WIDE "$here/wgmma_tma.cu" -o "$module/target/cuda/wgmma_tma_wide.ptx"
"$(dirname "$nvcc")/ptxas" -arch=sm_90a -v "$module/target/cuda/wgmma_tma_wide.ptx" -o /dev/null
cp "$module/target/cuda/wgmma_tma_wide.ptx" "$module/src/main/resources/tensorcore/wgmma_tma_wide.ptx"
echo "wrote $module/src/main/resources/tensorcore/wgmma_tma_wide.ptx"
"$nvcc" --version | tail -1
