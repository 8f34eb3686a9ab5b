#!/bin/sh
# `gantry detect` on NAB signals: seconds per signal (see bench/README.md).
#
#   sh bench/detect.sh [BUILD]     BUILD defaults to build; needs BUILD/gantry
#
# Each signal's CSV is ingested first (`gantry ingest FILE.csv --nab-labels
# labels/combined_windows.json`, not timed, kept in BUILD/bench/nab/), then
# `gantry detect STORE -o SCORES.csv --events EVENTS.csv --threads N` is
# timed on its own, with the tool's defaults (the historian preset for NAB's
# rates: fit G, D and E on the whole signal, score it, Orion's dynamic
# threshold), at each thread count, the thread counts alternating signal by
# signal.  Signals: the 6 of artificialWithAnomaly and 3 of realKnownCause
# (BENCH_QUICK=1: one of each).
#
# The CPU seconds of each run are recorded too (GNU time, /usr/bin/time,
# where installed; -1 otherwise), and with them how many CPUs other
# processes kept busy meanwhile (/proc/stat).
# Environment: GANTRY_DATASETS the datasets root (default ../shared/datasets,
# as the tests); BENCH_THREADS="1 2"; BENCH_QUICK=1.
# Appends JSON lines to BUILD/bench/detect.json (rewritten each run): one
# {"kind":"detect",...} per signal and thread count, or one
# {"kind":"detect_skipped","why":...} when NAB is not there.  Exit status 1
# when a detect run failed.
set -eu

BUILD=${1:-build}
GANTRY=$BUILD/gantry
# shellcheck source=bench/bench_util.sh
. "$(dirname "$0")/bench_util.sh"
bench_init detect.sh "$BUILD" "$GANTRY"
ROOT=${GANTRY_DATASETS:-../shared/datasets}
NAB=$ROOT/nab
JSON=$OUT/detect.json

ART="art_daily_flatmiddle art_daily_jumpsdown art_daily_jumpsup art_daily_nojump
     art_increase_spike_density art_load_balancer_spikes"
REAL="ambient_temperature_system_failure nyc_taxi cpu_utilization_asg_misconfiguration"
if [ -n "$QUICK" ]; then
    ART=art_daily_jumpsup REAL=ambient_temperature_system_failure
fi
mkdir -p "$OUT/nab"
: > "$JSON"
if [ ! -r "$NAB/labels/combined_windows.json" ]; then
    echo "detect.sh: NAB not found under $ROOT (set GANTRY_DATASETS); skipped" >&2
    printf '{"kind":"detect_skipped","why":"NAB not found under %s"}\n' "$ROOT" >> "$JSON"
    exit 0
fi

now() { date +%s.%N; }
load1() { cut -d' ' -f1 /proc/loadavg; }
# The machine's busy CPU seconds so far (/proc/stat: user nice system irq
# softirq), to tell how many CPUs other processes kept busy during a run.
HZ=$(getconf CLK_TCK 2>/dev/null || echo 100)
busy() { awk -v hz="$HZ" '$1 == "cpu" { print ($2 + $3 + $4 + $7 + $8) / hz; exit }' /proc/stat; }
# CPU seconds (user + system) of the detect run, where GNU time is there
# (with one thread: the run's time without the time it was descheduled).
TIMEF=$OUT/nab/time.txt
if [ -x /usr/bin/time ]; then
    timed() { /usr/bin/time -f '%U %S' -o "$TIMEF" "$@"; }
else
    timed() { "$@"; }
fi

failed=0
run_one() { # subset signal
    csv=$NAB/data/$1/$2.csv
    store=$OUT/nab/$2.h5
    if [ ! -s "$store" ]; then
        "$GANTRY" ingest "$csv" --nab-labels "$NAB/labels/combined_windows.json" \
            -o "$store" --force > /dev/null
    fi
    rows=$(($(wc -l < "$csv") - 1))
    for t in $THREADS; do
        lb=$(load1)
        b0=$(busy)
        t0=$(now)
        rc=0
        rm -f "$TIMEF"
        timed env OMP_NUM_THREADS="$t" OPENBLAS_NUM_THREADS="$t" "$GANTRY" detect "$store" \
            -o "$OUT/nab/$2.scores.csv" --events "$OUT/nab/$2.events.csv" \
            --threads "$t" --quiet --force > "$OUT/nab/$2.log" 2>&1 || rc=$?
        t1=$(now)
        b1=$(busy)
        la=$(load1)
        s=$(echo "$t1 - $t0" | bc -l)
        cpu=-1 others=-1
        if [ -s "$TIMEF" ]; then
            cpu=$(tail -n 1 "$TIMEF" | awk '{ print $1 + $2 }')
            others=$(echo "$b0 $b1 $cpu $s" |
                awk '{ o = ($2 - $1 - $3) / $4; printf "%.2f", (o > 0 ? o : 0) }')
        fi
        events=0
        [ "$rc" -eq 0 ] && events=$(($(wc -l < "$OUT/nab/$2.events.csv") - 1))
        [ "$rc" -eq 0 ] || { failed=1; echo "detect.sh: $2 failed (see $OUT/nab/$2.log)" >&2; }
        f1='{"kind":"detect","subset":"%s","signal":"%s","rows":%d,"threads":%d,'
        f2='"seconds":%.3f,"cpu_seconds":%.2f,"others_cpus":%.2f,"rc":%d,"events":%d,'
        f3='"load_before":%s,"load_after":%s}\n'
        # shellcheck disable=SC2059
        printf "$f1$f2$f3" "$1" "$2" "$rows" "$t" "$s" "$cpu" "$others" "$rc" "$events" \
            "$lb" "$la" >> "$JSON"
        printf 'gantry detect %-38s %5d rows, %d thread(s): %6.1f s (CPU %.1f s; %s)\n' \
            "$2" "$rows" "$t" "$s" "$cpu" "other processes: $others CPUs" >&2
    done
}

for s in $ART; do run_one artificialWithAnomaly "$s"; done
for s in $REAL; do run_one realKnownCause "$s"; done
exit $failed
