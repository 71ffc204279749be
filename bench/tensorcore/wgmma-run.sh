#!/usr/bin/env bash
# One device call for the large-M wgmma kernels. On the GPU host, from a folder holding this script,
# wgmma_compare.py, torch_compare.py, weightless-bundle.tgz (mvn -B -o -Pbundle package -DskipTests) and
# optionally h200-compare.json (an earlier torch_compare.py run, drawn dashed). Steps, each under its own time
# limit: WgmmaCheck's small products against float64 (the call stops if they fail), WgmmaCheck on every Llama shape at M = 64, 256, 1024, 4096 with
# every tile), then wgmma_compare.py (cuBLAS in the same call, errors, table, plot). Results in $OUT.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${OUT:-$PWD/wg-out}"
mkdir -p "$out" /tmp/wg-a
tar xzf "$here/weightless-bundle.tgz" -C /tmp
B=/tmp/weightless/bin/weightless-bench
nvidia-smi --query-gpu=name,clocks.sm,clocks.mem,temperature.gpu,power.draw --format=csv | tee "$out/gpu.txt"
export JAVA_OPTS="-Xmx40g"
# Small products first, under a short limit: a kernel that hangs or computes wrong stops the call here.
# With FALLBACK_PTX set (another build, e.g. -DWG_WAIT0), that build is tried when the checked-in one fails,
# and then measured instead (the log says which).
# 120 s for the small products: a fresh host JIT-compiles the PTX first (session 24: 40 s ran out once the pair kernel was added).
timeout "${T_SMALL:-120}" $B dev.weightless.tensorcore.gemm.WgmmaCheck --out /tmp/wg-small --shapes none > "$out/wgmma-small.log" 2>&1
status=$?; echo "WgmmaCheck small (checked-in PTX): exit $status" | tee -a "$out/wgmma-small.log"
if [ $status -ne 0 ] && [ -n "${FALLBACK_PTX:-}" ]; then
  export JAVA_OPTS="$JAVA_OPTS -Dtensorcore.wgmma.ptx=$here/$FALLBACK_PTX"
  timeout "${T_SMALL:-120}" $B dev.weightless.tensorcore.gemm.WgmmaCheck --out /tmp/wg-small --shapes none >> "$out/wgmma-small.log" 2>&1
  status=$?; echo "WgmmaCheck small ($FALLBACK_PTX): exit $status" | tee -a "$out/wgmma-small.log"
fi
if [ $status -ne 0 ]; then cat "$out/wgmma-small.log"; exit 1; fi
timeout "${T_CHECK:-170}" $B dev.weightless.tensorcore.gemm.WgmmaCheck --out /tmp/wg-a --no-small --shapes "${SHAPES:-4096x4096,1024x4096,14336x4096,4096x14336,128256x4096}" \
    --ms "${MS:-64,256,1024,4096}" --rows "${ROWS:-64,128,256}" --reps "${REPS_J:-10}" ${CHECK_ARGS:-} > "$out/wgmma-check.log" 2>&1
echo "WgmmaCheck: exit $?" | tee -a "$out/wgmma-check.log"
cp /tmp/wg-a/results.jsonl "$out/wgmma-results.jsonl" 2>/dev/null
PYTHONUNBUFFERED=1 timeout "${T_TORCH:-120}" python3 "$here/wgmma_compare.py" /tmp/wg-a "$out" "$here/h200-compare.json" > "$out/wgmma-compare.log" 2>&1
echo "wgmma_compare: exit $?" | tee -a "$out/wgmma-compare.log"
grep -E "small|PASS|FAIL" "$out/wgmma-small.log" | head -30
grep -E "PASS|FAIL|Exception|rows=" "$out/wgmma-check.log" | head -60
cat "$out/wgmma-table.md" 2>/dev/null || tail -20 "$out/wgmma-compare.log"
