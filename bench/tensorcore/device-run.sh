#!/usr/bin/env bash
# On a GPU host, from the folder prepare-device-run.sh made (carried there whole): the GPU JUnit tests (FusedLinearGpuTest, ResidentGpuTest,
# WgmmaGpuTest, ScheduleTunerGpuTest) on the bundle's Java runtime through JUnit's console launcher, then issue 5's benchmark
# (issue-run.sh). TESTS_ONLY=1 stops after the tests. Everything lands in $OUT (default ./out); the benchmark's many files in one archive,
# issue.tgz, since a device call brings back a limited number of files.
here="$(cd "$(dirname "$0")" && pwd)"; out="${OUT:-$PWD/out}"; mkdir -p "$out"
tar xzf "$here/run/weightless-bundle.tgz" -C /tmp
w=/tmp/weightless
# The console launcher does not expand a wildcard class path: every jar by name.
cp="$(ls "$w"/lib/*.jar | tr '\n' ':')$(ls "$here"/tests/lib/*-tests.jar | tr '\n' ':')"
timeout 240 "$w/runtime/bin/java" --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
  --add-opens=java.base/java.nio=ALL-UNNAMED -Xss4m -Xmx16g -jar "$here"/tests/lib/junit-platform-console-standalone-*.jar execute -cp "$cp" \
  --select-class dev.weightless.tensorcore.gemm.FusedLinearGpuTest --select-class dev.weightless.tensorcore.gemm.ResidentGpuTest \
  --select-class dev.weightless.tensorcore.gemm.WgmmaGpuTest --select-class dev.weightless.tensorcore.gemm.ScheduleTunerGpuTest \
  --details=tree --disable-banner > "$out/gpu-tests.log" 2>&1
echo "gpu tests: exit $?"; tail -15 "$out/gpu-tests.log"
[ "${TESTS_ONLY:-0}" = 1 ] && exit 0
OUT="$out/issue" bash "$here/run/issue-run.sh" > "$out/issue-run.log" 2>&1; echo "issue-run: exit $?"
tail -45 "$out/issue/schedule-table.md" 2>/dev/null
(cd "$out" && tar czf issue.tgz issue && rm -rf issue)
