#!/bin/sh
# `optimize` does not depend on the OpenBLAS thread count (bayeslens issue
# 12): examples/kernels.lens with OPENBLAS_NUM_THREADS=1 and =2 must print
# byte-identical output. gp_optimize pins OpenBLAS to one thread, so every
# factorisation that feeds the optimizer sums in one order; the replay and
# the predictions after it use O(n^2) row updates and triangular solves.
# Usage: optimize_threads.sh PATH/TO/bayeslens
set -u
BIN=$1
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# From the script's own place: the build tree may live anywhere.
EX=$(cd "$(dirname "$0")/../../examples" && pwd)/kernels.lens
OPENBLAS_NUM_THREADS=1 "$BIN" -x "$EX" > "$TMP/t1" 2>&1 || { echo "FAIL: threads=1 run"; cat "$TMP/t1"; exit 1; }
OPENBLAS_NUM_THREADS=2 "$BIN" -x "$EX" > "$TMP/t2" 2>&1 || { echo "FAIL: threads=2 run"; cat "$TMP/t2"; exit 1; }
if ! grep -q "converged" "$TMP/t1"; then
    echo "FAIL: optimize did not converge:"; grep "log marginal" "$TMP/t1"; exit 1
fi
if ! cmp -s "$TMP/t1" "$TMP/t2"; then
    echo "FAIL: output depends on OPENBLAS_NUM_THREADS:"; diff "$TMP/t1" "$TMP/t2"; exit 1
fi
echo "1 passed, 0 failed"
