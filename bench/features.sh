#!/bin/sh
# Feature-extraction benchmark: Hann-windowed log1p-magnitude spectra
# (GT_FEAT_SPECTRUM), window 1024, hop 512, over 10,000,000 samples (about
# 19,500 windows): gantry at 1 and 2 threads, bare FFTW and libm's log1pf in
# C, numpy and scipy on one core.
#
#   make BUILD=build build/bench/bench_features
#   sh bench/features.sh [BUILD]
#
# PYTHON (default /usr/bin/python3, Debian's: numpy and scipy) runs
# bench/features_ref.py.  Writes BUILD/bench/features/{signal.f32,
# features.f32} (about 40 MB), c.json and py.json (JSON lines) and
# features.md (the table, also printed).  Ratios are speeds relative to scipy
# (windows/s over the windows/s of scipy.fft.rfft called once on all windows
# in float32, the fastest scipy route measured).
set -eu

BUILD=${1:-build}
OUT=$BUILD/bench/features
BIN=$BUILD/bench/bench_features
PY=${PYTHON:-/usr/bin/python3}
HERE=$(dirname "$0")

if [ ! -x "$BIN" ]; then
    echo "features.sh: $BIN not found; build it with: make BUILD=$BUILD $BIN" >&2
    exit 1
fi
if ! "$PY" -c 'import numpy, scipy' 2>/dev/null; then
    echo "features.sh: $PY cannot import numpy and scipy (apt-get install python3-scipy)" >&2
    exit 1
fi
mkdir -p "$OUT"
"$BIN" "$OUT" > "$OUT/c.json"
"$PY" "$HERE/features_ref.py" "$OUT" > "$OUT/py.json"

"$PY" - "$OUT" <<'EOF' | tee "$OUT/features.md"
import json, os, sys
d = sys.argv[1]
rows = [json.loads(l) for f in ("c.json", "py.json") for l in open(os.path.join(d, f)) if l.strip()]
speed = {(r["impl"], r.get("threads")): r for r in rows if "windows_per_s" in r}
scipy = speed[("scipy", 1)]["windows_per_s"]
names = [
    ("scipy", 1, "scipy.fft.rfft, all windows in one call (float32) + np.log1p(np.abs)"),
    ("scipy_stft", 1, "scipy.signal.stft (float32) + np.log1p(np.abs)"),
    ("scipy_loop", 1, "scipy.fft.rfft, Python loop over windows + np.log1p(np.abs)"),
    ("numpy", 1, "np.fft.rfft (float64) + np.log1p(np.abs)"),
    ("libm_log1pf", 1, "C: FFTW r2c + libm log1pf"),
    ("gantry", 1, "gantry gt_featurize (SPECTRUM)"),
    ("gantry", 2, "gantry gt_featurize (SPECTRUM)"),
    ("fftw_estimate", 1, "bare FFTW r2c, no magnitude/log (ESTIMATE plan)"),
    ("fftw_measure", 1, "bare FFTW r2c, no magnitude/log (MEASURE plan)"),
]
r0 = speed[("gantry", 1)]
print("%d windows of %d, hop %d" % (r0["windows"], r0["win"], r0["hop"]))
print()
print("| implementation | threads | windows/s | vs scipy |")
print("|---|---:|---:|---:|")
for impl, t, label in names:
    r = speed.get((impl, t))
    if r:
        print("| %s | %d | %.0f | %.2fx |" % (label, t, r["windows_per_s"], r["windows_per_s"] / scipy))
plan = [r for r in rows if r["impl"] == "fftw_measure_planning"]
if plan:
    print()
    print("FFTW_MEASURE planning of one 1024-point r2c: %.0f ms" % (1e3 * plan[0]["seconds"]))
a = [r for r in rows if r["impl"] == "agreement"][0]
print()
print("Agreement (gantry vs numpy float64, first %d windows, %d values): max |diff| %.2g, "
      "max |diff|/max(1,|ref|) %.2g (scipy float32: max |diff| %.2g): %s"
      % (a["windows"], a["values"], a["max_abs"], a["max_rel"], a["scipy_max_abs"],
         "OK (<= 1e-5)" if a["ok"] else "MISMATCH"))
sys.exit(0 if a["ok"] else 1)
EOF
