#!/usr/bin/env bash
# On the GPU host, from the folder prepare.sh filled (session 25): ncu's full set, per-instruction stall sampling included, on the
# kernels one harness mode launches. PROFILE_MODE (default ncu64: 4096 x 4096 at M = 256 in 64-row tiles, unsplit) and KERNELS (an ncu
# kernel filter, default the 64-row window kernel and its BF16 twin). Writes under $OUT the report, its details page, its raw metrics
# (CSV) and its SASS source page with each instruction's stall samples (CSV), then prints the stall summary. PROFILE_FLAGS: nvcc flags of
# the build (session 27, with experiments/s27-wide-half.patch applied: -DTC_WIDE with WIDE_HALF=1 and KERNELS=regex:^tma.*Half_?64$
# profiles the wide build's half kernel).
cd "$(dirname "$0")"; out="${OUT:-$PWD/out}"; mkdir -p "$out"
f="-O3 -std=c++17 -gencode=arch=compute_90a,code=sm_90a -I."
nvcc $f -c -o v4.o v4.cu & nvcc $f ${PROFILE_FLAGS:-} -c -o harness.o harness.cu & nvcc $f ${PROFILE_FLAGS:-} -c -o sm.o sm.cu & wait
nvcc -o h harness.o v4.o sm.o -lcublas -lcuda || exit 1
mode="${PROFILE_MODE:-ncu64}"; kernels="${KERNELS:-regex:^(tmaWindow64|tmaBf16_64)$}"
timeout 400 ncu --clock-control none -k "$kernels" --set full --import-source no -f -o "$out/profile" ./h "$mode" > "$out/profile-run.log" 2>&1
echo "ncu: exit $?"
ncu --import "$out/profile.ncu-rep" --page details > "$out/profile-details.txt" 2>&1
ncu --import "$out/profile.ncu-rep" --page raw --csv > "$out/profile-raw.csv" 2>&1
ncu --import "$out/profile.ncu-rep" --page source --csv --print-source sass > "$out/profile-source.csv" 2>&1
grep -E '^  [a-zA-Z_0-9]+ \(|Duration|Executed Ipc Active|Issue Slots Busy|Warp Cycles Per Issued Instruction|No Eligible|Active Warps Per Scheduler|Eligible Warps|Registers Per|Shared Memory Throughput|L1/TEX Hit|Compute \(SM\) Throughput|Memory Throughput' "$out/profile-details.txt" | head -80
