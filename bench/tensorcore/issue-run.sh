#!/usr/bin/env bash
# Issue 5's benchmark in one device call: every Llama-3.1-8B shape at M = 1, 4, 16, 64 (small-m-run.sh: the
# mma.sync kernels, every split, and their BF16 twin) and M = 256, 1024, 4096 (wgmma-run.sh: the wgmma kernel,
# every tile, both modes, and the mma.sync kernel up to M = 256; also at M = 64, where the window coding makes it the faster one),
# each with cuBLAS timed in the same call, then
# schedule_compare.py: per shape and M the kernel the schedule table picks, against cuBLAS, in one table and one
# plot. On the GPU host, from a folder holding the bench/tensorcore scripts and weightless-bundle.tgz
# (mvn -B -o -Pbundle package -DskipTests); about a minute on the H200 (54 s in session 12). Results in $OUT: small-m/, wgmma/, schedule-table.md,
# schedule-compare.json, schedule-speedup.png. The schedule table is read from the bundle's tensorcore jar.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${OUT:-$PWD/issue-out}"
mkdir -p "$out/small-m" "$out/wgmma"
OUT="$out/small-m" MS="${SMALL_MS:-1,4,16,64}" bash "$here/small-m-run.sh"; echo "small-m-run: exit $?"
OUT="$out/wgmma" MS="${LARGE_MS:-64,256,1024,4096}" bash "$here/wgmma-run.sh"; echo "wgmma-run: exit $?"
jar=$(ls /tmp/weightless/lib/weightless-tensorcore-*.jar | head -1)
python3 -c 'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read("tensorcore/schedules-h200.tsv"))' "$jar" > "$out/schedules-h200.tsv"
python3 "$here/schedule_compare.py" "$out/small-m/compare.json" "$out/wgmma/wgmma-compare.json" "$out/schedules-h200.tsv" "$out" \
    --label="$(date -u +%F), one device call" --small-results="$out/small-m/results.jsonl"
