#!/bin/sh
# Anomaly-scoring benchmark, Gantry vs PyTorch, and `gantry detect` on NAB
# (see bench/README.md, "Anomaly scoring").
#
#   sh bench/score.sh [BUILD]      BUILD defaults to build; needs
#                                  BUILD/bench/bench_score and BUILD/gantry
#                                  (make bench-score builds them)
#
# Environment: BENCH_QUICK=1 for a fast smoke run (few batches, 2 NAB
# signals); BENCH_THREADS="1 2" the thread counts; BENCH_ROUNDS=N (default 1)
# repeats the scoring measurements N times, alternating sides, and the
# report keeps each side's fastest round; BENCH_DETECT=0 skips the NAB part;
# PYTHON the interpreter with PyTorch (default /usr/bin/python3);
# TORCH_OPENBLAS_THREADS (default 1, PyTorch's fastest setting: see run.sh);
# GANTRY_DATASETS the datasets root (bench/detect.sh).
#
# Writes BUILD/bench/score.md (the tables, also printed) and
# BUILD/bench/score.json (everything), from the JSON lines in
# score-spec.json, score-check.json, score-gantry-tN.json,
# score-pytorch-tN.json and detect.json; the model both sides score is
# BUILD/bench/score-model.h5.
set -eu

BUILD=${1:-build}
HERE=$(dirname "$0")
# shellcheck source=bench/bench_util.sh
. "$HERE/bench_util.sh"
BIN=$BUILD/bench/bench_score
bench_init score.sh "$BUILD" "$BIN" torch,numpy,h5py

rm -f "$OUT"/score-gantry-t*.json "$OUT"/score-pytorch-t*.json "$OUT/detect.json"

echo "== the vibration preset's model (fixed seed, a few training steps)" >&2
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 "$BIN" --prepare "$OUT" > "$OUT/score-spec.json"

echo "== parity: Gantry's model file in the PyTorch networks" >&2
check_rc=0
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 \
    "$PY" "$HERE/torch_score.py" --check "$OUT" > "$OUT/score-check.json" || check_rc=$?

TOB=${TORCH_OPENBLAS_THREADS:-1}
ROUNDS=${BENCH_ROUNDS:-1}
r=1
while [ "$r" -le "$ROUNDS" ]; do
    for t in $THREADS; do
        echo "== scoring, $t thread(s), round $r of $ROUNDS" \
            "(load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
        export OMP_NUM_THREADS="$t" MKL_NUM_THREADS="$t"
        OPENBLAS_NUM_THREADS=$t "$BIN" --model "$OUT/score-model.h5" --threads "$t" $QUICK \
            >> "$OUT/score-gantry-t$t.json"
        # torch.mm's peak as the training bench measures it (--specs is unused)
        OPENBLAS_NUM_THREADS=$TOB "$PY" "$HERE/torch_train.py" --specs "$OUT/score-spec.json" \
            --threads "$t" --peak-only $QUICK >> "$OUT/score-pytorch-t$t.json"
        OPENBLAS_NUM_THREADS=$TOB "$PY" "$HERE/torch_score.py" --model "$OUT/score-model.h5" \
            --threads "$t" $QUICK >> "$OUT/score-pytorch-t$t.json"
    done
    r=$((r + 1))
done
unset OMP_NUM_THREADS MKL_NUM_THREADS

detect_rc=0
if [ "${BENCH_DETECT:-1}" != 0 ]; then
    echo "== gantry detect on NAB signals" >&2
    BENCH_THREADS=$THREADS sh "$HERE/detect.sh" "$BUILD" || detect_rc=$?
fi

"$PY" "$HERE/torch_score.py" --report "$OUT" $QUICK > "$OUT/score.md"
cat "$OUT/score.md"
echo "(table: $OUT/score.md, raw results: $OUT/score.json)" >&2

if [ "$check_rc" -ne 0 ]; then
    echo "score.sh: PyTorch's scores did not match Gantry's (see $OUT/score-check.json)" >&2
    exit 1
fi
if [ "$detect_rc" -ne 0 ]; then
    echo "score.sh: a gantry detect run failed (see $OUT/detect.json)" >&2
    exit 1
fi
