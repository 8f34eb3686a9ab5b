#!/bin/sh
# Side-by-side training-step benchmark, Gantry vs PyTorch (see bench/README.md).
#
#   sh bench/run.sh [BUILD]        BUILD defaults to build; needs
#                                  BUILD/bench/bench_train (make bench builds it)
#
# Environment: BENCH_QUICK=1 for a fast smoke run (fewer steps);
# BENCH_THREADS="1 2" the thread counts; BENCH_CONFIGS="dcgan2d-32x32x3 ..."
# only these configurations (default: all, see bench_train --list); PYTHON
# the interpreter with PyTorch (default /usr/bin/python3, Debian's, which has
# python3-torch);
# TORCH_OPENBLAS_THREADS (default 1): OPENBLAS_NUM_THREADS for the PyTorch
# process.  PyTorch parallelises with OpenMP and calls BLAS from inside its
# parallel regions; Debian's OpenBLAS (pthreads) would add its own threads on
# top, oversubscribing the cores (2-5x slower at 2 threads), so PyTorch gets
# torch.set_num_threads(N) and OMP_NUM_THREADS=N with a single-threaded BLAS,
# its fastest setting here.
# BENCH_ROUNDS=N (default 1) repeats every measurement N times (alternating
# as below); the report keeps each side's fastest round.
#
# Writes BUILD/bench/train.md (the table, also printed) and the raw results:
# BUILD/bench/train.json (everything), specs.json, check.json,
# gantry-tN.json and pytorch-tN.json (JSON lines as the programs print them).
set -eu

BUILD=${1:-build}
OUT=$BUILD/bench
BIN=$OUT/bench_train
HERE=$(dirname "$0")
# shellcheck source=bench/bench_util.sh
. "$HERE/bench_util.sh"
bench_init run.sh "$BUILD" "$BIN" 'torch,numpy'
rm -f "$OUT"/gantry-t*.json "$OUT"/pytorch-t*.json

echo "== architectures (gt_model_spec of the presets)" >&2
"$BIN" --print-specs > "$OUT/specs.json"

echo "== parity: Gantry's initial parameters in the PyTorch models" >&2
check_rc=0
"$BIN" --dump-check "$OUT/check.bin"
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 \
    "$PY" "$HERE/torch_train.py" --check "$OUT/check.bin" > "$OUT/check.json" || check_rc=$?
rm -f "$OUT/check.bin"

# Gantry and PyTorch alternate configuration by configuration, so that a
# change in the machine's load hits both sides alike.
CONFIGS=${BENCH_CONFIGS:-$("$BIN" --list)}
TOB=${TORCH_OPENBLAS_THREADS:-1}
ROUNDS=${BENCH_ROUNDS:-1}
r=1
while [ "$r" -le "$ROUNDS" ]; do
    for t in $THREADS; do
        echo "== $t thread(s), round $r of $ROUNDS" >&2
        export OMP_NUM_THREADS=$t MKL_NUM_THREADS=$t
        OPENBLAS_NUM_THREADS=$t "$BIN" --threads "$t" --peak-only $QUICK \
            >> "$OUT/gantry-t$t.json"
        OPENBLAS_NUM_THREADS=$TOB "$PY" "$HERE/torch_train.py" --specs "$OUT/specs.json" \
            --threads "$t" --peak-only $QUICK >> "$OUT/pytorch-t$t.json"
        for c in $CONFIGS; do
            OPENBLAS_NUM_THREADS=$t "$BIN" --threads "$t" --only "$c" --no-peak $QUICK \
                >> "$OUT/gantry-t$t.json"
            OPENBLAS_NUM_THREADS=$TOB "$PY" "$HERE/torch_train.py" --specs "$OUT/specs.json" \
                --threads "$t" --only "$c" --no-peak $QUICK >> "$OUT/pytorch-t$t.json"
        done
    done
    r=$((r + 1))
done
unset OMP_NUM_THREADS MKL_NUM_THREADS

"$PY" "$HERE/report.py" "$OUT" $QUICK > "$OUT/train.md"
cat "$OUT/train.md"
echo "(table: $OUT/train.md, raw results: $OUT/train.json)" >&2

if [ "$check_rc" -ne 0 ]; then
    echo "run.sh: the PyTorch translation did not match Gantry (see $OUT/check.json)" >&2
    exit 1
fi
