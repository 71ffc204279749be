#!/usr/bin/env bash
# Copies today's kernel sources next to harness.cu and v4.cu (carry the folder to the GPU host).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cuda="$here/../../../tensorcore/src/main/cuda"
cp "$cuda/wgmma_gemm.cu" "$cuda/wgmma_tma.cu" "$cuda/palette_gemm.cu" "$cuda/palette_tile.cuh" "$cuda/hopper.cuh" "$here/"
echo "copied the kernel sources into $here"
