#!/usr/bin/env bash
# One device call for the patching kernel (variant 5) beside the ballot kernel (4) and the BF16 kernel, and
# the GPU transcoder. On the GPU host, from a folder holding this script, torch_compare.py,
# weightless-bundle.tgz (mvn -B -o -Pbundle package -DskipTests) and, optionally, other builds of
# palette_gemm.cu as exp_NAME.ptx (timed for M <= 16). Steps, each under
# its own time limit so that one slow step cannot take the others' results: FusedGemmCheck (small edge
# cases, then every Llama shape at M = 1, 4, 16, 64 with every split), ResidentCheck (GPU transcode of each
# shape against the CPU encoder, resident products, one shape through a Weightless file), FusedGemmCheck at
# M = 256, 1024, 4096, then torch_compare.py over all of it (cuBLAS, errors, table, plot). Results in $OUT.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${OUT:-$PWD/tc-out}"
mkdir -p "$out" /tmp/tc-a /tmp/tc-b
tar xzf "$here/weightless-bundle.tgz" -C /tmp
B=/tmp/weightless/bin/weightless-bench
nvidia-smi --query-gpu=name,clocks.sm,clocks.mem,temperature.gpu,power.draw --format=csv | tee "$out/gpu.txt"
extras=$(ls "$here"/exp_*.ptx 2>/dev/null | sed -E 's#.*/exp_(.*)\.ptx#\1=&#' | paste -sd, -)
shapes=128256x4096,4096x4096,14336x4096,4096x14336,1024x4096
export JAVA_OPTS="-Xmx24g"
timeout "${T_SMALL_M:-130}" $B dev.weightless.tensorcore.gemm.FusedGemmCheck --out /tmp/tc-a --small --shapes $shapes --ms 1,4,16,64 --reps 20 ${extras:+--extra-ptx $extras} > "$out/check.log" 2>&1; echo "FusedGemmCheck M<=64: exit $?" | tee -a "$out/check.log"
timeout "${T_RESIDENT:-50}" $B dev.weightless.tensorcore.gemm.ResidentCheck --w-dir /tmp/tc-a --shapes $shapes --runs 3 --file 4096x4096 > "$out/resident.log" 2>&1; echo "ResidentCheck: exit $?" | tee -a "$out/resident.log"
timeout "${T_LARGE_M:-70}" $B dev.weightless.tensorcore.gemm.FusedGemmCheck --out /tmp/tc-b --shapes $shapes --ms 256,1024,4096 --reps 10 --default-splits-only > "$out/check-large.log" 2>&1; echo "FusedGemmCheck M>=256: exit $?" | tee -a "$out/check-large.log"
for f in /tmp/tc-b/*.bf16; do [ -e "/tmp/tc-a/$(basename "$f")" ] || mv "$f" /tmp/tc-a/; done
cat /tmp/tc-a/results.jsonl /tmp/tc-b/results.jsonl > "$out/results.jsonl" 2>/dev/null; cp "$out/results.jsonl" /tmp/tc-a/results.jsonl
PYTHONUNBUFFERED=1 timeout "${T_TORCH:-60}" python3 "$here/torch_compare.py" /tmp/tc-a "$out" > "$out/compare.log" 2>&1; echo "torch_compare: exit $?" | tee -a "$out/compare.log"
grep -E "PASS|FAIL|M=   1 |M=  16 " "$out/check.log" | grep -v build | head -30
grep -E "transcode|from a|PASS|FAIL" "$out/resident.log"
grep -E "^\| 128256|^\| 4096 x 4096 \| (1|16) " "$out/table.md" | head -12
