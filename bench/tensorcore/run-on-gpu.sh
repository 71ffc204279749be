#!/usr/bin/env bash
# On the GPU host, from a folder holding weightless-bundle.tgz (mvn -B -Pbundle install -DskipTests), optionally
# a newer weightless-tensorcore.jar, and this folder's
# torch_compare.py: FusedGemmCheck (our kernels through the Java task-graph runtime), then cuBLAS through
# torch in the same run. Arguments go to FusedGemmCheck (e.g. --shapes 4096x4096 --ms 1,16 --reps 10).
# Results land in $OUT (or ./tc-out): check.log, results.jsonl, compare.json, table.md, speedup.png.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${OUT:-$PWD/tc-out}"
work=/tmp/tc-work
mkdir -p "$out" "$work"
tar xzf "$here/weightless-bundle.tgz" -C /tmp
if [ -f "$here/weightless-tensorcore.jar" ]; then rm -f /tmp/weightless/lib/weightless-tensorcore-*.jar; cp "$here/weightless-tensorcore.jar" /tmp/weightless/lib/; fi
nvidia-smi --query-gpu=name,clocks.sm,clocks.mem,temperature.gpu,power.draw --format=csv | tee "$out/gpu.txt"
status=0
JAVA_OPTS="${JAVA_OPTS:--Xmx16g}" /tmp/weightless/bin/weightless-bench dev.weightless.tensorcore.gemm.FusedGemmCheck --out "$work" "$@" 2>&1 | tee "$out/check.log" || status=$?
cp "$work/results.jsonl" "$out/"
PYTHONUNBUFFERED=1 python3 "$here/torch_compare.py" "$work" "$out" 2>&1 | tee "$out/compare.log" || status=$?
exit $status
