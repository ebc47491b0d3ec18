#!/bin/sh
# Build one libFuzzer harness with clang (in its own build tree) and run it
# for a time budget on its seed corpus. Exit 77 (ctest: skipped) when clang
# or its libFuzzer runtime is missing; 1 on a build failure or a finding
# (the input is kept in BUILD/findings/ and printed).
# Usage: run.sh SOURCE_DIR FUZZ_BUILD_DIR cmd|csv SECONDS
set -u
SRC=$1 B=$2 H=$3 S=$4
command -v clang >/dev/null 2>&1 ||
    { echo "skip: clang is not installed (make fuzz installs it)"; exit 77; }
mkdir -p "$B/findings" "$B/corpus_$H" || exit 1
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }\n' > "$B/probe.c"
clang -fsanitize=fuzzer,address "$B/probe.c" -o "$B/probe" >/dev/null 2>&1 ||
    { echo "skip: clang has no libFuzzer runtime (Debian: libclang-rt-14-dev)"; exit 77; }
if [ ! -f "$B/CMakeCache.txt" ]; then
    cmake -S "$SRC" -B "$B" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DBAYESLENS_FUZZ=ON > "$B/configure.log" 2>&1 ||
        { cat "$B/configure.log"; exit 1; }
fi
cmake --build "$B" --target "fuzz_$H" -j 2 > "$B/build_$H.log" 2>&1 ||
    { tail -40 "$B/build_$H.log"; exit 1; }
cd "$B" || exit 1
# One BLAS thread: many short inputs, no thread pool churn. Sanitizer
# reports abort, so that they are findings. A failed allocation is an
# error the code handles (out of memory messages), not a finding.
OPENBLAS_NUM_THREADS=1 \
ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1:abort_on_error=0 \
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    "./fuzz_$H" -max_total_time="$S" -timeout=20 -rss_limit_mb=3072 -max_len=4096 \
    -artifact_prefix="$B/findings/$H-" -print_final_stats=1 \
    "$B/corpus_$H" "$SRC/tests/fuzz/corpus/$H" > "$B/fuzz_$H.log" 2>&1
st=$?
grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb|^stat::new_units_added" "$B/fuzz_$H.log"
if [ $st -ne 0 ]; then
    tail -60 "$B/fuzz_$H.log"
    echo "fuzz_$H: finding (status $st); inputs in $B/findings/"
    exit 1
fi
echo "fuzz_$H: no finding in $S s"
