#!/usr/bin/env bash
# Runs on the GPU host's CPU (packed by bench/host-jmh-package.sh): unpacks the package, decodes and checks the model,
# then times CoderBenchmark.decode on one thread: Huffman and rans-ctx with the default decoder path (values straight
# into the output), rans-ctx with the values through a block buffer and a copy (the previous order of work), in blocks of
# 128 and 64 rows (system properties, codec/NOTES.md), the default again, and Huffman again at the end (drift checks).
# Each rANS run logs the path it decoded on.
# Usage: run-coder-decode.sh host-jmh.tgz RESULTS_DIR [JMH options, default -f 1 -wi 3 -i 5 -w 1 -r 1]
# Writes RESULTS_DIR/coder-decode.json (every run's JMH results, each with its "config"), lscpu.txt and prints a table.
set -euo pipefail
tgz="$(readlink -f "$1")" results="$(mkdir -p "$2" && readlink -f "$2")"
shift 2
jmh_opts=("$@")
[ ${#jmh_opts[@]} -gt 0 ] || jmh_opts=(-f 1 -wi 3 -i 5 -w 1 -r 1)
work=/tmp/host-jmh-work
rm -rf "$work"
mkdir -p "$work"
tar xzf "$tgz" -C "$work"
p="$work/host-jmh"
java=("$p/runtime/bin/java" --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx4g -cp "$p/lib/*")
lscpu > "$results/lscpu.txt" || true
# CoderBenchmark reads the model from bench/target/real-model under the working folder.
cd "$p"
"${java[@]}" dev.weightless.bench.HostModel unpack "$p/minilm.rans-ctx" bench/target/real-model
configs=(
  "default|huffman,rans-ctx|"
  "values-buffer|rans-ctx|-Dweightless.rans.values=buffer"
  "block128|rans-ctx|-Dweightless.rans.blockRows=128"
  "block64|rans-ctx|-Dweightless.rans.blockRows=64"
  "default-again|rans-ctx|"
  "huffman-again|huffman|"
)
for c in "${configs[@]}"; do
  IFS='|' read -r name coders props <<< "$c"
  echo "=== $name: coder=$coders ${props:-(no properties)} ($(date -u +%H:%M:%S))"
  extra=()
  [ -z "$props" ] || extra=(-jvmArgsPrepend "$props")
  "${java[@]}" org.openjdk.jmh.Main 'CoderBenchmark\.decode' -p coder="$coders" "${jmh_opts[@]}" -foe true "${extra[@]}" -rf json -rff "$work/$name.json"
done
python3 - "$work" "$results/coder-decode.json" "${configs[@]}" <<'PY'
import json, statistics, sys
work, out, configs = sys.argv[1], sys.argv[2], sys.argv[3:]
merged, rows = [], []
for c in configs:
    name = c.split('|')[0]
    for r in json.load(open(f"{work}/{name}.json")):
        r["config"] = name
        merged.append(r)
        raw = [x for fork in r["primaryMetric"]["rawData"] for x in fork]
        med = statistics.median(raw)
        rows.append((name, r["params"]["coder"], med, min(raw), max(raw), float(r["primaryMetric"]["score"]), float(r["primaryMetric"]["scoreError"])))
json.dump(merged, open(out, "w"), indent=1)
print(f"{'config':32} {'coder':9} {'median ms':>9} {'min':>7} {'max':>7} {'GB/s':>6}  JMH score ± error")
for name, coder, med, lo, hi, score, err in rows:
    print(f"{name:32} {coder:9} {med:9.2f} {lo:7.2f} {hi:7.2f} {45.13 / med:6.3f}  {score:.2f} ± {err:.2f}")
PY
