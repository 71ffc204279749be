#!/usr/bin/env bash
# On the GPU host, from the folder prepare.sh filled (session 16): builds of harness.cu and sm.cu, each RUNS entry "build:mode" running
# ./h<build> <mode> (default "0:ramp"). Builds: 0 as checked in; p0 with the cluster entries' pull finish (PATCH_PUSH=0); a trailing t adds
# the per-CTA timeline (TC_TIMELINE: ./h ramp writes every CTA of its median launch per case to timeline-*.csv, archived in
# $OUT/timelines.tgz); w: the TMA kernel with four consumer warpgroups, 64-row tiles only (TC_WIDE, session 19); ml: the meet finish's timeline for ./h meetline (TC_MEET_TIMELINE, session 23); mx: ml with experiments/s24-half-x.patch applied (X loaded for every other block: wrong Y on purpose, session 24); wm, ww, pd, nd, nw, nf, nb: with experiments/s25-tile-delivery.patch applied to session 25's sources (git checkout 29074d9 -- bench/tensorcore/wgmma-harness tensorcore/src/main/cuda; session 26 ships wm, and pd at 64 rows): wm the window kernels' W tiles by a tensor map when W_MAP=1, ww the same in the wide build, pd with two blocks decoded side by side at 64 and 128 X rows; nd
# also without the decode (A from the lane: wrong Y on purpose), nw also without W in the stages, nf also without the escape fetches, nb with BF16 W's bytes in the stages (W_MAP=2). Also the SASS of windowCluster8x2, windowNarrow8, windowCluster16x2 and tmaWindow256
# per build. Logs under $OUT; RUN_TIMEOUT (default 240) seconds per run. (Session 16's PATCH_TILE_FIRST build, the escape starts loaded
# after the tile's words, measured slower and was removed: commit 7fce96b has it.)
cd "$(dirname "$0")"; out="${OUT:-$PWD/out}"; mkdir -p "$out"
runs="${RUNS:-0:ramp}"
f="-O3 -std=c++17 -gencode=arch=compute_90a,code=sm_90a -I."
declare -A flags=([0]="" [p0]="-DPATCH_PUSH=0" [t]="-DTC_TIMELINE" [p0t]="-DTC_TIMELINE -DPATCH_PUSH=0" [w]="-DTC_WIDE" [ml]="-DTC_MEET_TIMELINE" [mx]="-DTC_MEET_TIMELINE -DTC_EXPERIMENT_HALF_X" [wm]="-DTC_EXPERIMENT_W_MAP" [ww]="-DTC_WIDE -DTC_EXPERIMENT_W_MAP" [pd]="-DTC_EXPERIMENT_W_MAP -DTC_EXPERIMENT_PAIRED_DECODE" [nd]="-DTC_EXPERIMENT_W_MAP -DTC_EXPERIMENT_NO_DECODE" [nw]="-DTC_EXPERIMENT_W_MAP -DTC_EXPERIMENT_NO_DECODE -DTC_EXPERIMENT_NO_W"
                    [nf]="-DTC_EXPERIMENT_W_MAP -DTC_EXPERIMENT_NO_DECODE -DTC_EXPERIMENT_NO_W -DTC_EXPERIMENT_NO_FETCH" [nb]="-DTC_EXPERIMENT_W_MAP -DTC_EXPERIMENT_NO_DECODE -DTC_EXPERIMENT_BF16_W")
# Session 28: ca with experiments/s28-x-l1.patch (the 16-row kernels' X by cp.async.ca); sd with experiments/s28-shared-decode.patch (./h shared),
# sd2 / sd6 its decoding warps' batches of 2 / 6 tiles, and its diagnostics (wrong Y on purpose): sdw no waiting for the decoders, sdf nor their
# fences, sdw8 no waiting with batches of 8.
flags+=([ca]="-DTC_X_L1" [sd]="-DTC_EXPERIMENT_SHARED_DECODE" [sd2]="-DTC_EXPERIMENT_SHARED_DECODE -DSHARE_UNROLL=2" [sd6]="-DTC_EXPERIMENT_SHARED_DECODE -DSHARE_UNROLL=6"
        [sdw]="-DTC_EXPERIMENT_SHARED_DECODE -DSHARE_NO_WAIT" [sdf]="-DTC_EXPERIMENT_SHARED_DECODE -DSHARE_NO_WAIT -DSHARE_NO_FENCE" [sdw8]="-DTC_EXPERIMENT_SHARED_DECODE -DSHARE_NO_WAIT -DSHARE_UNROLL=8")
# Session 29: sa1 / sa2 with PATCH_SPLIT_ACC = 1 / 2 (palette_gemm.cu: the mma.sync kernels' sums in two sets of accumulators at 8 / up to 16 rows).
flags+=([sa1]="-DPATCH_SPLIT_ACC=1" [sa2]="-DPATCH_SPLIT_ACC=2")
# Session 29: n5 / n6, the narrow kernel with 5 / 6 warps per CTA, capped at 7 CTAs per SM (56 / 40 registers).
flags+=([n5]="-DPATCH_NARROW_WARPS=5 -DPATCH_NARROW_CTAS=7" [n6]="-DPATCH_NARROW_WARPS=6 -DPATCH_NARROW_CTAS=7")
builds=$(for r in $runs; do echo "${r%%:*}"; done | sort -u)
nvcc $f -c -o v4.o v4.cu &
for v in $builds; do nvcc $f ${flags[$v]} -c -o harness$v.o harness.cu & nvcc $f ${flags[$v]} -c -o sm$v.o sm.cu & done
wait
for v in $builds; do
    nvcc -o h$v harness$v.o v4.o sm$v.o -lcublas -lcuda || exit 1
    cuobjdump -sass -fun windowCluster8x2 sm$v.o > "$out/sass-cluster8x2-$v.txt" 2>&1
    cuobjdump -sass -fun windowNarrow8 sm$v.o > "$out/sass-narrow8-$v.txt" 2>&1
    cuobjdump -sass -fun windowCluster16x2 sm$v.o > "$out/sass-cluster16x2-$v.txt" 2>&1
    cuobjdump -sass -fun tmaWindow256 harness$v.o > "$out/sass-tmaWindow256-$v.txt" 2>&1
done
for r in $runs; do v="${r%%:*}"; m="${r##*:}"; mkdir -p "$out/$v"; TIMELINE_DIR="$out/$v" timeout "${RUN_TIMEOUT:-240}" ./h$v $m > "$out/$m-$v.log" 2>&1; echo "h$v $m: exit $?"; done
for r in $runs; do v="${r%%:*}"; m="${r##*:}"; echo "== $m, build $v"; grep -E "^ramp |^cluster |^wide |^narrow |^meetline |^pairx |^  span |timeline kernel|FAIL|failures|^\| " "$out/$m-$v.log" | cut -c1-250; done
# With NCU_CUBLAS=1: which kernel cuBLAS runs per shape and M, its grid, cluster and shared memory (ncu's launch statistics).
if [ "${NCU_CUBLAS:-0}" = 1 ]; then timeout 120 ncu --section LaunchStats ./h$(echo "$builds" | head -1) cublas > "$out/ncu-cublas.txt" 2>&1; grep -E "^  [a-z_]|Grid Size|Cluster Size|Shared Memory Configuration Size|Dynamic Shared|Block Size|Registers" "$out/ncu-cublas.txt" | head -200 > "$out/ncu-cublas-summary.txt"; fi
# The timelines in one archive (the device call brings back a limited number of files).
(cd "$out" && find . -name "timeline-*.csv" | tar czf timelines.tgz -T - && find . -name "timeline-*.csv" -delete)
