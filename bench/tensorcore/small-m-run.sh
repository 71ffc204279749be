#!/usr/bin/env bash
# One device call for the small-M variants (tensorcore/NOTES.md, variants 6 to 8). On the GPU host, from a
# folder holding this script, torch_compare.py, weightless-bundle.tgz (mvn -B -o -Pbundle package -DskipTests)
# and other builds of palette_gemm.cu as exp_NAME.ptx (nvcc -ptx -arch=compute_90a -DFLAG ...). Steps, each
# under its own time limit:
#   1. FusedGemmCheck: small edge cases, then every Llama shape at M = 1, 4, 16, 64 with every split, both
#      palette kernels and the BF16 kernel of this build, and both palette kernels of each exp_NAME.ptx at
#      the default schedule for M <= 16 (each checked bit for bit against this build's BF16 kernel);
#   2. torch_compare.py (cuBLAS in the same call, errors, table, plot).
# Results in $OUT: check.log, results.jsonl, compare.log, table.md, compare.json, speedup.png. MS (batch sizes,
# default 1,4,16,64) and CHECK_ARGS (more FusedGemmCheck options, say --default-splits-only) narrow a call.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${OUT:-$PWD/tc-out}"
mkdir -p "$out" /tmp/tc-a
tar xzf "$here/weightless-bundle.tgz" -C /tmp
B=/tmp/weightless/bin/weightless-bench
extras=$(ls "$here"/exp_*.ptx 2>/dev/null | sed -E 's#.*/exp_(.*)\.ptx#\1=&#' | paste -sd, -)
shapes=128256x4096,4096x4096,14336x4096,4096x14336,1024x4096
export JAVA_OPTS="-Xmx24g"
nvidia-smi --query-gpu=name,clocks.sm,clocks.mem,temperature.gpu,power.draw --format=csv > "$out/check.log"
timeout "${T_CHECK:-120}" $B dev.weightless.tensorcore.gemm.FusedGemmCheck --out /tmp/tc-a --small --shapes $shapes --ms "${MS:-1,4,16,64}" --reps 20 \
  ${extras:+--extra-ptx $extras --extra-max-m 16} ${CHECK_ARGS:-} >> "$out/check.log" 2>&1; echo "FusedGemmCheck: exit $?" | tee -a "$out/check.log"
cp /tmp/tc-a/results.jsonl "$out/results.jsonl"
PYTHONUNBUFFERED=1 timeout "${T_TORCH:-60}" python3 "$here/torch_compare.py" /tmp/tc-a "$out" > "$out/compare.log" 2>&1; echo "torch_compare: exit $?" | tee -a "$out/compare.log"
grep -E "FAIL|differs" "$out/check.log" | grep -v "build noesc" | head -10
grep -E "M=   1 |M=  16 " "$out/check.log" | grep "build" | awk '{print $1,$2,$3,$4,$5,$7,$8,$9,$10}' | head -80
cut -d'|' -f2,3,4,6,7,9,10 "$out/table.md" | head -22
