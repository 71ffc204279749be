#!/usr/bin/env bash
# Builds the self-contained archive for GPU hosts without Java (called by `mvn -Pbundle package`):
#   weightless/runtime   a jlink'd Java runtime
#   weightless/lib       the project's jars and their runtime dependencies (JCuda and its natives, picocli)
#   weightless/bin       launchers: weightless (the CLI) and weightless-bench (any main class)
# Usage: build-bundle.sh JAVA_HOME LIB_DIR MODULE_JAR OUTPUT.tgz
set -euo pipefail
java_home="$1" lib_dir="$2" module_jar="$3" output="$4"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
stage="$(dirname "$lib_dir")/bundle-stage"
root="$stage/weightless"

rm -rf "$stage"
mkdir -p "$root/lib" "$root/bin" "$(dirname "$output")"
output="$(cd "$(dirname "$output")" && pwd)/$(basename "$output")"
cp "$lib_dir"/*.jar "$module_jar" "$root/lib/"
if ls "$root/lib" | grep -q langchain4j; then
  echo "build-bundle: the MiniLM model jar must not be bundled" >&2
  exit 1
fi

# The modules the task asks for, jdk.jfr (so JAVA_OPTS=-XX:StartFlightRecording=... can profile a run on the GPU host),
# plus whatever jdeps finds the jars using.
modules="java.base,jdk.unsupported,java.logging,jdk.incubator.vector,java.management,jdk.zipfs,jdk.jfr"
# --module-path: Arrow's jars are modules that require their dependencies by module name.
used="$("$java_home/bin/jdeps" --print-module-deps --ignore-missing-deps --multi-release 25 --module-path "$root/lib" "$root"/lib/*.jar | grep -v '^Warning' | tail -1)"
if ! [[ "$used" =~ ^[a-z][a-z0-9.,]*$ ]]; then
  echo "build-bundle: jdeps gave no module list: $used" >&2
  exit 1
fi
# jdeps names java.desktop and java.sql for jackson-databind (Arrow's dependency), which uses java.beans and
# java.sql only when present; Arrow's IPC code never does. Left out they save 19 MB of runtime; export-arrow,
# import-arrow and inspect --arrow were run on the bundle without them (arrow-io/NOTES.md).
modules="$(printf '%s,%s' "$modules" "$used" | tr ',' '\n' | sed '/^$/d' | grep -vx 'java.desktop\|java.sql' | sort -u | paste -sd, -)"
echo "build-bundle: jlink modules $modules (jdeps: $used)"
"$java_home/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages --compress=zip-9 --output "$root/runtime"

for launcher in weightless weightless-bench; do
  cp "$here/$launcher" "$root/bin/$launcher"
  chmod 755 "$root/bin/$launcher"
done
cp "$here/README.txt" "$root/README.txt"

tar --sort=name --owner=0 --group=0 --numeric-owner -C "$stage" -czf "$output" weightless
echo "build-bundle: wrote $output ($(du -h "$output" | cut -f1))"
