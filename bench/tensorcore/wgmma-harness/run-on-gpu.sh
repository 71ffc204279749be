#!/usr/bin/env bash
# On the GPU host (nvcc, cuBLAS, ncu), from the folder prepare.sh filled: builds the harness, runs the small
# products (stops on a failure), the timings of one compute-bound shape and the M = 256 tiles, and ncu on the
# 256-row kernels. Results under $OUT (default ./out).
cd "$(dirname "$0")"; out="${OUT:-$PWD/out}"; mkdir -p "$out"
nvcc -O3 -std=c++17 -gencode=arch=compute_90a,code=sm_90a -I. -o h harness.cu -lcublas || exit 1
timeout 40 ./h small > "$out/small.log" 2>&1 || { tail -30 "$out/small.log"; exit 1; }
timeout 60 ./h quick > "$out/quick.log" 2>&1
timeout 90 ncu --clock-control none -k regex:"wgmmaBf16_256|wgmmaPatch256|v3Bf16_256" -c 3 --section SpeedOfLight \
    --section WarpStateStats --section MemoryWorkloadAnalysis --section SchedulerStats ./h ncu > "$out/ncu.txt" 2>&1
grep -E "^time|^check" "$out/quick.log"
