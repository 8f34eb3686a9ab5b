#!/bin/sh
# Build the CSV reader's libFuzzer target (clang, ASan + UBSan) against the
# library sources it needs and run it for SECONDS (default 60) on the seed
# corpus in tests/fuzz/corpus/ (new inputs go to build/fuzz/corpus/, crashes
# to build/fuzz/).  Usage: tests/fuzz/run.sh [SECONDS] [JOBS]
set -eu
cd "$(dirname "$0")/../.."
secs=${1:-60}
jobs=${2:-1}
out=build/fuzz
mkdir -p "$out/corpus"
CC=${CLANG:-clang}
$CC -g -O1 -std=c11 -D_POSIX_C_SOURCE=200809L -fopenmp=libgomp \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -Iinclude -Isrc tests/fuzz/csv_fuzz.c src/csv.c src/timefmt.c src/quality.c \
    src/resample.c src/common.c -o "$out/csv_fuzz" \
    $(PKG_CONFIG_PATH=/usr/lib/$($CC -print-multiarch)/openblas-openmp/pkgconfig \
      pkg-config --cflags --libs openblas) -lgomp -lm
cp tests/fuzz/corpus/* "$out/corpus/" 2>/dev/null || true
cd "$out" # libFuzzer writes fuzz-N.log here with -jobs
if [ "$jobs" -gt 1 ]; then
    set -- -jobs="$jobs" -workers="$jobs"
else
    set --
fi
exec ./csv_fuzz -max_total_time="$secs" -max_len=4096 -timeout=10 -artifact_prefix=./ "$@" corpus
