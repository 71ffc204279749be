#!/usr/bin/env bash
# Compiles the CUDA-C yardstick to PTX for sm_90a into target/yardstick/, then refreshes the checked-in
# copy in src/main/resources/yardstick/ (GPU hosts have no nvcc; GpuCheck loads that copy by default).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
module="$(cd "$here/../../.." && pwd)"
nvcc="${NVCC:-$(command -v nvcc || echo /usr/local/cuda-13.0/bin/nvcc)}"
mkdir -p "$module/target/yardstick" "$module/src/main/resources/yardstick"
"$nvcc" -arch=sm_90a -ptx "$here/histogram.cu" -o "$module/target/yardstick/histogram.ptx"
"$(dirname "$nvcc")/ptxas" -arch=sm_90a "$module/target/yardstick/histogram.ptx" -o /dev/null
cp "$module/target/yardstick/histogram.ptx" "$module/src/main/resources/yardstick/histogram.ptx"
echo "wrote $module/src/main/resources/yardstick/histogram.ptx ($("$nvcc" --version | tail -1))"
