# shellcheck shell=sh disable=SC2034
# bench_util.sh - what the bench drivers share (sourced, not run):
#
#   . "$(dirname "$0")/bench_util.sh"
#   bench_init NAME BUILD PROGRAM ['MODULE,...']
#
# sets OUT (BUILD/bench, created), PY (PYTHON, default /usr/bin/python3,
# Debian's, which has python3-torch), THREADS (BENCH_THREADS, default
# "1 2") and QUICK (--quick when BENCH_QUICK is set and not 0, else empty),
# and stops with a message unless PROGRAM is built and PY imports the
# Python modules (if any are named).
bench_init() {
    OUT=$2/bench
    PY=${PYTHON:-/usr/bin/python3}
    THREADS=${BENCH_THREADS:-"1 2"}
    if [ ! -x "$3" ]; then
        echo "$1: $3 not found; build it with: make BUILD=$2 $3" >&2
        exit 1
    fi
    if [ -n "${4:-}" ] && ! "$PY" -c "import $4" 2>/dev/null; then
        echo "$1: $PY cannot import $4 (make deps-reference installs them)" >&2
        exit 1
    fi
    QUICK=
    case "${BENCH_QUICK:-0}" in
        0|"") ;;
        *) QUICK=--quick ;;
    esac
    mkdir -p "$OUT"
}
