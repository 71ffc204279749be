#!/usr/bin/env bash
# Timing experiments on the GPU host (same folder layout as run-on-gpu.sh, plus palette_gemm.cu, the palette_tile.cuh it includes, and the
# exp_*.ptx builds made with `nvcc -ptx -arch=compute_90a -DTC_EXPERIMENT_<NAME> palette_gemm.cu`):
# the SASS of the kernels, the 128256 x 4096 product at M = 1 and 16 for the checked-in kernels and each
# experiment build (experiments compute wrong values on purpose and so report FAILED), and Nsight Compute
# sections for one launch of the palette and BF16 kernels. Results in $OUT.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${OUT:-$PWD/tc-out}"
mkdir -p "$out"
tar xzf "$here/weightless-bundle.tgz" -C /tmp && if [ -f "$here/weightless-tensorcore.jar" ]; then rm -f /tmp/weightless/lib/weightless-tensorcore-*.jar; cp "$here/weightless-tensorcore.jar" /tmp/weightless/lib/; fi
bench=/tmp/weightless/bin/weightless-bench
main=dev.weightless.tensorcore.gemm.FusedGemmCheck
nvcc -cubin -gencode=arch=compute_90a,code=sm_90a "$here/palette_gemm.cu" -o /tmp/pg.cubin && cuobjdump -sass /tmp/pg.cubin > "$out/palette_gemm.sass"
for f in "" $(cd "$here" && ls exp_*.ptx 2>/dev/null); do
    opts="-Xmx16g"; [ -n "$f" ] && opts="$opts -Dtensorcore.ptx=$here/$f"
    echo "== ${f:-checked-in PTX}"
    JAVA_OPTS="$opts" "$bench" $main --out /tmp/exp --shapes 128256x4096 --ms 1,16 --reps 20 --default-splits-only 2>&1 | grep -E "M=|tensorcore:" | tee -a "$out/experiments.txt"
done
for k in paletteGemm8 bf16Gemm8; do
    timeout 240 ncu --clock-control none -k "regex:^$k\$" -s 4 -c 1 --section SpeedOfLight --section WarpStateStats --section SchedulerStats --section Occupancy --section MemoryWorkloadAnalysis --section InstructionStats \
        env JAVA_OPTS=-Xmx16g "$bench" $main --out /tmp/ncu --shapes 128256x4096 --ms 1 --reps 4 --default-splits-only > "$out/ncu_$k.txt" 2>&1
    grep -E "Duration|Memory Throughput|DRAM Throughput|Compute \(SM\)|Issue Slots Busy|Issued Ipc|No Eligible|Achieved Occupancy|Theoretical Occupancy|Stall|Executed Instructions  |Registers Per" "$out/ncu_$k.txt" | head -40
done
cat "$out/experiments.txt"
