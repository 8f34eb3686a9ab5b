#!/bin/sh
# Historian ingest benchmark: bench/ingest.sh [BUILD] [ROWS]
#
# Generates BUILD/bench/historian_<ROWS>.csv (long format, 4 tags, ISO
# timestamps, a quality column; bench/make_historian.py) if absent, then times
#   1. gt_csv_read alone (BUILD/bench/bench_csv, best of 3, 1 and 2 threads),
#   2. `BUILD/gantry ingest FILE -o OUT.h5 --force` end to end (shell clock,
#      best of 3, OMP_NUM_THREADS=1 and 2),
#   3. pandas read_csv + pivot + h5py write (bench/pandas_ingest.py),
# and prints a markdown table.  Needs python3-pandas python3-h5py python3-numpy.
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
rows=${2:-2000000}
py=/usr/bin/python3
dir=$build/bench
csv=$dir/historian_$rows.csv
mkdir -p "$dir"
[ -x "$build/bench/bench_csv" ] || make --no-print-directory BUILD="$build" "$build/bench/bench_csv" >&2
if [ ! -s "$csv" ]; then
    echo "writing $csv ..." >&2
    $py bench/make_historian.py "$rows" "$csv"
fi

now() { date +%s.%N; }

reader=$("$build/bench/bench_csv" "$csv" 3)
echo "bench_csv: $reader" >&2

ingest_rows=""
if [ -x "$build/gantry" ] && "$build/gantry" ingest --help >/dev/null 2>&1; then
    for th in 1 2; do
        best=""
        for rep in 1 2 3; do
            t0=$(now)
            OMP_NUM_THREADS=$th "$build/gantry" ingest "$csv" -o "$dir/ours.h5" --force --quiet >&2
            t1=$(now)
            s=$(echo "$t1 - $t0" | bc -l)
            if [ -z "$best" ] || [ "$(echo "$s < $best" | bc -l)" = 1 ]; then best=$s; fi
        done
        ingest_rows="$ingest_rows $th:$best"
    done
else
    echo "note: $build/gantry has no ingest command yet; skipping that row" >&2
fi

pandas=$($py bench/pandas_ingest.py "$csv" "$dir/pandas.h5")
echo "pandas: $pandas" >&2

$py - "$reader" "$pandas" "$ingest_rows" <<'PYEOF'
import json, sys
reader, pandas, ingest = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3].split()
rows = pandas["rows"]
ps = pandas["seconds"]
print("| tool | threads | seconds | M rows/s | ratio (pandas / ours) |")
print("|---|---|---|---|---|")
print(f"| pandas read_csv + pivot + h5py | 1 | {ps:.3f} | {rows / ps / 1e6:.2f} | 1.0 |")
for r in reader["runs"]:
    s = r["seconds"]
    print(f"| gt_csv_read (parse + pivot) | {r['threads']} | {s:.3f} | {rows / s / 1e6:.2f} | {ps / s:.1f} |")
if not ingest:
    print("| gantry ingest | - | skipped: no ingest command in this build | | |")
for item in ingest:
    th, s = item.split(":")
    s = float(s)
    print(f"| gantry ingest (CSV -> HDF5 store) | {th} | {s:.3f} | {rows / s / 1e6:.2f} | {ps / s:.1f} |")
PYEOF
