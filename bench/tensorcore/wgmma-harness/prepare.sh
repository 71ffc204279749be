#!/usr/bin/env bash
# Writes the earlier kernels the harness times as yardsticks, renamed so that they link beside today's
# wgmma_gemm.cu: v2 (registers as wgmma's A operand, commit 007fd05) as oldPatch*/oldBf16_*, v3 (both operands in
# shared memory, one CTA per tile, commit aaa823f) as v3Patch*/v3Bf16_*. Run from a git checkout of the project.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
rename() {   # $1 commit, $2 namespace, $3 entry prefix, $4 output
    git -C "$here" show "$1:tensorcore/src/main/cuda/wgmma_gemm.cu" | sed \
        -e "s/^namespace wgmma_gemm {/namespace $2 {/" -e "s/^}  \/\/ namespace wgmma_gemm/}  \/\/ namespace $2/" \
        -e "s/^using namespace wgmma_gemm;//" -e "s/gemm<BN>(w, x, y, M, N, K)/$2::gemm<BN>(w, x, y, M, N, K)/" \
        -e "s/PaletteW w{/$2::PaletteW w{/" -e "s/Bf16W w{/$2::Bf16W w{/" -e "s/__launch_bounds__(THREADS, 1)/__launch_bounds__(384, 1)/" \
        -e "s/ wgmmaPatch##BN(/ $3Patch##BN(/" -e "s/ wgmmaBf16_##BN(/ $3Bf16_##BN(/" \
        -e "s/^#define WGMMA_ENTRIES/#undef WGMMA_ENTRIES\n#define WGMMA_ENTRIES/" > "$4"
}
rename 007fd05 wgmma_old old "$here/wgmma_v2.cu"
rename aaa823f wgmma_v3 v3 "$here/wgmma_v3.cu"
cp "$here/../../../tensorcore/src/main/cuda/wgmma_gemm.cu" "$here/../../../tensorcore/src/main/cuda/palette_tile.cuh" "$here/"
echo "wrote wgmma_v2.cu, wgmma_v3.cu and copied wgmma_gemm.cu, palette_tile.cuh into $here (carry the folder to the GPU host)"
