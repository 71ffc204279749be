#!/usr/bin/env bash
# Session 22's diagnostic of the meet finish (tensorcore/NOTES.md, m4): WgmmaCheck on the checked-in TMA kernels and on builds of
# wgmma_tma.cu with s22-meet-cut.patch applied, where the meet entries skip their finish (TC_MEET_CUT=1), store and meet but do not
# add (2), or store and stop (3); every other entry is unchanged, so their rows are the call's control. The cut builds leave Y
# unwritten, which WgmmaCheck reports as FAILED for those rows: that is the point, not a fault.
#   here:  bash bench/tensorcore/prepare-device-run.sh && bash bench/tensorcore/wgmma-harness/experiments/s22-meet-cut.sh build
#   there: (device carry ["dist-device"]) OUT=$OUT VARIANTS="asis cut1 cut2" bash dist-device/exp/s22-meet-cut.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ "${1:-}" = build ]; then
    root="$(cd "$here/../../../.." && pwd)"; exp="$root/dist-device/exp"; mkdir -p "$exp"
    cp "$root/tensorcore/src/main/cuda/"{wgmma_tma.cu,hopper.cuh,palette_tile.cuh} "$exp/"
    (cd "$exp" && patch -s -p5 < "$here/s22-meet-cut.patch")
    for c in 1 2 3; do nvcc -ptx -arch=compute_90a -DTC_MEET_CUT=$c "$exp/wgmma_tma.cu" -o "$exp/cut$c.ptx" && gzip -9f "$exp/cut$c.ptx"; done
    rm "$exp/"{wgmma_tma.cu,hopper.cuh,palette_tile.cuh}
    cp "$0" "$exp/s22-meet-cut.sh"
    exit 0
fi
out="${OUT:-$PWD/out}"; mkdir -p "$out"
tar xzf "$here/../run/weightless-bundle.tgz" -C /tmp; gunzip -kf "$here"/cut*.ptx.gz
B=/tmp/weightless/bin/weightless-bench
for v in ${VARIANTS:-asis cut1 cut2}; do
    if [ "$v" = asis ]; then export JAVA_OPTS="-Xmx40g"; else export JAVA_OPTS="-Xmx40g -Dtensorcore.tma.ptx=$here/$v.ptx"; fi
    timeout 100 $B dev.weightless.tensorcore.gemm.WgmmaCheck --out "/tmp/cut-$v" --no-small --shapes "${SHAPES:-4096x4096,4096x14336,1024x4096}" \
        --ms 256 --rows "${ROWS:-128,256}" --reps 10 > "$out/$v.log" 2>&1 || echo "$v: exit $?"
    cp "/tmp/cut-$v/results.jsonl" "$out/$v.jsonl"
done
python3 - "$out" ${VARIANTS:-asis cut1 cut2} <<'PY'
import json, sys
out, variants = sys.argv[1], sys.argv[2:]
rows = {}
for v in variants:
    for line in open(f"{out}/{v}.jsonl"):
        r = json.loads(line)
        if r["kernel"] in ("tmameet", "tma", "tmacluster"):
            rows.setdefault((r["n"], r["k"], r["m"], r["kernel"], r["rows"], r["splits"]), {})[v] = (r["wgmma_ms"]["median"], r["wgmma_bf16_ms"]["median"], r["unwritten"])
for key, d in sorted(rows.items()):
    print(key, "  ".join(f"{v} {d[v][0]:.4f}/{d[v][1]:.4f} unwritten={d[v][2]}" for v in variants if v in d))
PY
