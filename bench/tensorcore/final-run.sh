#!/usr/bin/env bash
# One device call: a quick check of the checked-in kernels (SmallProductCheck's edge cases, then
# 128256 x 4096 at M = 1, 16); if it fails,
# the full benchmark falls back to the PTX in $FALLBACK_PTX (an earlier, checked build) and says so.
# COMPARE_PTX: other builds timed on the same quick product. Then run-on-gpu.sh over every Llama-3.1-8B shape and M. Results in $OUT.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${OUT:-$PWD/tc-out}"
mkdir -p "$out"
tar xzf "$here/weightless-bundle.tgz" -C /tmp && if [ -f "$here/weightless-tensorcore.jar" ]; then rm -f /tmp/weightless/lib/weightless-tensorcore-*.jar; cp "$here/weightless-tensorcore.jar" /tmp/weightless/lib/; fi
/tmp/weightless/bin/weightless-bench dev.weightless.tensorcore.gemm.FusedGemmCheck --out /tmp/quick --small --shapes 128256x4096 --ms 1,16 --reps 20 --default-splits-only 2>&1 | tee "$out/quick.txt"
for ptx in ${COMPARE_PTX:-}; do   # earlier builds on the same product, for the notes
    echo "== $ptx" | tee -a "$out/quick.txt"
    JAVA_OPTS="-Dtensorcore.ptx=$ptx" /tmp/weightless/bin/weightless-bench dev.weightless.tensorcore.gemm.FusedGemmCheck --out /tmp/quick --shapes 128256x4096 --ms 1,16 --reps 20 --default-splits-only 2>&1 | grep -E "M=" | tee -a "$out/quick.txt"
done
opts="-Xmx16g"
if ! head -n 30 "$out/quick.txt" | grep -q "^PASS"; then
    echo "QUICK CHECK FAILED: full run with ${FALLBACK_PTX:-nothing}" | tee -a "$out/quick.txt"
    [ -n "${FALLBACK_PTX:-}" ] && opts="$opts -Dtensorcore.ptx=$FALLBACK_PTX"
fi
JAVA_OPTS="$opts" OUT="$out" "$here/run-on-gpu.sh" "$@"
