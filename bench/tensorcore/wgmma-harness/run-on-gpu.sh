#!/usr/bin/env bash
# On the GPU host (nvcc, cuBLAS, ncu), from the folder prepare.sh filled: builds the harness, runs the small
# products (stops on a failure), the timings (MODE: quick, the default, or time) and, with NCU=1, ncu on the
# 256-row kernels. Results under $OUT (default ./out).
cd "$(dirname "$0")"; out="${OUT:-$PWD/out}"; mkdir -p "$out"
nvcc -O3 -std=c++17 -gencode=arch=compute_90a,code=sm_90a -I. -o h harness.cu v4.cu sm.cu -lcublas -lcuda || exit 1
timeout 60 ./h small > "$out/small.log" 2>&1 || { tail -40 "$out/small.log"; exit 1; }
timeout 200 ./h "${MODE:-quick}" > "$out/time.log" 2>&1
if [ "${NCU:-0}" = 1 ]; then
    timeout 120 ncu --clock-control none -k regex:"wgmmaPatch256|tmaBf16_256|tmaPatch256" -c 4 --section SpeedOfLight \
        --section WarpStateStats --section MemoryWorkloadAnalysis --section SchedulerStats ./h ncu > "$out/ncu.txt" 2>&1
fi
grep -E "^small" "$out/small.log" | grep -c PASS
grep -E "^time|^check|failures" "$out/time.log"
