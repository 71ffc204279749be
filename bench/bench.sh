#!/usr/bin/env bash
# Runs the benchmarks. JMH: `bench/bench.sh [JMH args]` (e.g. CodecBenchmark, CoderBenchmark, ModelBenchmark). Others:
# `bench/bench.sh fuzz [args]` (mutation fuzz run), `bench/bench.sh heap [args]` (heap bytes allocated by one compress
# and decompress of MiniLM), `bench/bench.sh entropy [model.safetensors]` (context entropies, codec/NOTES.md),
# `bench/bench.sh ratios [model.safetensors [coder]]` (coded size per coder),
# `bench/bench.sh chart JMH_RESULT.json OUT.png` (ratio against decode speed, from a CoderBenchmark run with -rf json).
# Build first: mvn -B package -DskipTests
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here/.."
java_bin="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java"
cp_file="bench/target/classpath.txt"
if [ ! -f "$cp_file" ]; then
  echo "bench: $cp_file is missing; build first: mvn -B package -DskipTests" >&2
  exit 2
fi
cp="bench/target/classes:$(cat "$cp_file")"
flags=(--add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow --add-opens=java.base/java.nio=ALL-UNNAMED -Dweightless.bench.dir=bench/target/real-model)
if [ "${1:-}" = "heap" ]; then
  shift
  exec "$java_bin" "${flags[@]}" -Xmx4g -cp "$cp" dev.weightless.bench.HeapTraffic "$@"
fi
if [ "${1:-}" = "entropy" ]; then
  shift
  exec "$java_bin" "${flags[@]}" -Xmx4g -cp "$cp" dev.weightless.bench.ContextEntropy "$@"
fi
if [ "${1:-}" = "ratios" ]; then
  shift
  exec "$java_bin" "${flags[@]}" -Xmx4g -cp "$cp" dev.weightless.bench.CoderRatios "$@"
fi
if [ "${1:-}" = "chart" ]; then
  shift
  exec "$java_bin" "${flags[@]}" -Djava.awt.headless=true -Xmx4g -cp "$cp" dev.weightless.bench.CoderChart "$@"
fi
if [ "${1:-}" = "fuzz" ]; then
  shift
  exec "$java_bin" "${flags[@]}" -Xmx4g -cp "$cp" dev.weightless.bench.FuzzRun "$@"
fi
exec "$java_bin" "${flags[@]}" -cp "$cp" org.openjdk.jmh.Main "$@"
