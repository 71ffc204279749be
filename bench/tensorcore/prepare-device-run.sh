#!/usr/bin/env bash
# Here, in a built checkout (mvn -B install -DskipTests): makes dist-device/ (git ignores it) for a GPU host: the bundle (mvn -Pbundle) with
# zstd-jni's natives cut to linux-amd64 and JCuda's to the driver's (a device call carries at most 64 MiB in all), the tensorcore test classes and tornado-tasks' test jar,
# JUnit's console launcher (from Maven Central), this folder's scripts and device-run.sh at the top. Then, with the device tool:
# carry ["dist-device"] and run `OUT=$OUT bash dist-device/device-run.sh` (about 4 minutes of device time).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"; out="$root/dist-device"; here="$root/bench/tensorcore"
for tool in mvn jar zip tar; do command -v "$tool" > /dev/null || { echo "prepare-device-run: $tool is missing" >&2; exit 1; }; done
cd "$root"
mvn -B -q -Pbundle package -DskipTests
rm -rf "$out" && mkdir -p "$out/run" "$out/tests/lib"
slim="$(mktemp -d)"; trap 'rm -rf "$slim"' EXIT
tar xzf dist/weightless-bundle.tgz -C "$slim"
for jar in "$slim"/weightless/lib/zstd-jni-*.jar; do
    # every native library but linux/amd64's
    natives=$(unzip -Z1 "$jar" | grep -E '\.(so|dll|dylib)$' | grep -v '^linux/amd64/' || true)
    [ -n "$natives" ] && zip -q -d "$jar" $natives
done
# JCuda's PTX-compiler and NVRTC natives (24 MB of the jar): nothing here uses them (PTX is loaded by the driver API)
for jar in "$slim"/weightless/lib/jcuda-natives-*.jar; do
    natives=$(unzip -Z1 "$jar" | grep -E 'lib/libJ(NvPTXCompiler|Nvrtc)-' || true)
    [ -n "$natives" ] && zip -q -d "$jar" $natives
done
tar czf "$out/run/weightless-bundle.tgz" -C "$slim" weightless
(cd tensorcore/target/test-classes && jar cf "$out/tests/lib/tensorcore-tests.jar" .)
cp tornado-tasks/target/weightless-tornado-tasks-*-tests.jar "$out/tests/lib/"
mvn -B -q dependency:copy -Dartifact=org.junit.platform:junit-platform-console-standalone:1.14.4 -DoutputDirectory="$out/tests/lib"
cp "$here"/*.sh "$here"/*.py "$out/run/"
cp "$here/device-run.sh" "$out/"
du -sh "$out"
