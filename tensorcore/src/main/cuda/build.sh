#!/usr/bin/env bash
# Compiles palette_gemm.cu to PTX for sm_90a and refreshes the checked-in copy that the Java side loads
# (src/main/resources/tensorcore/palette_gemm.ptx; GPU hosts have no nvcc). PtxRegenerationTest checks
# that the copy equals what this nvcc makes of the source. Prints ptxas's register and spill report.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
module="$(cd "$here/../../.." && pwd)"
nvcc="${NVCC:-$(command -v nvcc || echo /usr/local/cuda-13.0/bin/nvcc)}"
mkdir -p "$module/target/cuda" "$module/src/main/resources/tensorcore"
"$nvcc" -ptx -arch=compute_90a "$here/palette_gemm.cu" -o "$module/target/cuda/palette_gemm.ptx"
"$(dirname "$nvcc")/ptxas" -arch=sm_90a -v "$module/target/cuda/palette_gemm.ptx" -o /dev/null
cp "$module/target/cuda/palette_gemm.ptx" "$module/src/main/resources/tensorcore/palette_gemm.ptx"
echo "wrote $module/src/main/resources/tensorcore/palette_gemm.ptx"
"$nvcc" --version | tail -1
