#!/usr/bin/env bash
# Compiles the CUDA-C yardsticks to PTX for sm_90a into target/yardstick/, then refreshes the checked-in
# copies in src/main/resources/yardstick/ (GPU hosts have no nvcc; the checks load those copies by default).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
module="$(cd "$here/../../.." && pwd)"
nvcc="${NVCC:-$(command -v nvcc || echo /usr/local/cuda-13.0/bin/nvcc)}"
mkdir -p "$module/target/yardstick" "$module/src/main/resources/yardstick"
for name in histogram huffman_decode huffman_encode; do
    "$nvcc" -arch=sm_90a -ptx "$here/$name.cu" -o "$module/target/yardstick/$name.ptx"
    "$(dirname "$nvcc")/ptxas" -arch=sm_90a -v "$module/target/yardstick/$name.ptx" -o /dev/null
    cp "$module/target/yardstick/$name.ptx" "$module/src/main/resources/yardstick/$name.ptx"
    echo "wrote $module/src/main/resources/yardstick/$name.ptx"
done
"$nvcc" --version | tail -1
