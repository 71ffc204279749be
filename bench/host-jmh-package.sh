#!/usr/bin/env bash
# Packs the single-thread JMH benchmarks for a machine with no Java, no model jar and no network (the GPU host,
# whose CPU the coder lab's figures are quoted for; codec/NOTES.md): a jlink'd Java 25, the bench jars (no
# zstd-jni, so no zstd rows there), the MiniLM model coded as one rans-ctx tensor (about 30 MB; HostModel) and
# bench/host/run-coder-decode.sh, into one .tgz of about 50 MB.
# Usage (from the repository root): bench/host-jmh-package.sh OUT_DIR
# Then, on the host: tar xzf host-jmh.tgz -C /tmp host-jmh/run-coder-decode.sh && /tmp/host-jmh/run-coder-decode.sh host-jmh.tgz RESULTS_DIR
set -euo pipefail
out="${1:?usage: bench/host-jmh-package.sh OUT_DIR}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
java_home="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
cd "$root"
# -am: the reactor's own codec and arrow-io, never another worktree's snapshot in ~/.m2.
mvn -B -o -q -pl bench -am package -DskipTests
stage="$root/bench/target/host-jmh-stage"
rm -rf "$stage"
mkdir -p "$stage/host-jmh/lib" "$out"
# Jars: the bench's own classes and what CoderBenchmark and HostModel load from its classpath (JMH, codec, the
# safetensors reader in arrow-io); not zstd-jni (natives, 7 MB), the model jar (90 MB) or Arrow's jars.
jar --create --file "$stage/host-jmh/lib/weightless-bench-classes.jar" -C bench/target/classes .
tr ':' '\n' < bench/target/classpath.txt | while read -r jar; do
  case "$(basename "$jar")" in
    weightless-*|jmh-core-*|jopt-simple-*|commons-math3-*) cp "$jar" "$stage/host-jmh/lib/" ;;
  esac
done
for module in codec arrow-io; do
  if ! ls "$stage/host-jmh/lib" | grep -q "^weightless-$module-"; then echo "host-jmh-package: weightless-$module is not on the bench classpath" >&2; exit 1; fi
done
"$java_home/bin/jlink" --add-modules java.base,java.management,jdk.management,java.logging,jdk.incubator.vector,jdk.unsupported \
  --strip-debug --no-header-files --no-man-pages --compress=zip-9 --output "$stage/host-jmh/runtime"
# The full bench classpath here: it holds the model jar, in case the BF16 file must be converted first.
"$java_home/bin/java" --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx4g -cp "bench/target/classes:$(cat bench/target/classpath.txt)" \
  dev.weightless.bench.HostModel pack bench/target/real-model "$stage/host-jmh/minilm.rans-ctx"
cp "$here/host/run-coder-decode.sh" "$stage/host-jmh/"
tar --sort=name --owner=0 --group=0 --numeric-owner -C "$stage" -czf "$out/host-jmh.tgz" host-jmh
echo "host-jmh-package: wrote $out/host-jmh.tgz ($(du -h "$out/host-jmh.tgz" | cut -f1))"
