cd bench/tensorcore/wgmma-harness
nvcc -O3 -std=c++17 -gencode=arch=compute_90a,code=sm_90a -I. -o h harness.cu v4.cu sm.cu -lcublas -lcuda || exit 1
timeout 120 ./h small > $OUT/small.log 2>&1; echo "small rc=$?"
grep -c PASS $OUT/small.log; grep -E "FAIL|half" $OUT/small.log | head -30
timeout 300 ./h half > $OUT/half.log 2>&1; echo "half rc=$?"
cat $OUT/half.log | tail -40
