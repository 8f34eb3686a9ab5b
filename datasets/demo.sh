#!/bin/sh
# The demo `make demo` runs: the engine trains a 1D GAN on a synthetic
# two-tone vibration-like signal and checks what it learned.  (The full
# ingest -> featurize -> train -> score -> synthesize path on the bearing
# simulator joins this script as those stages land.)
set -eu
GANTRY=${1:-build/gantry}
OUT=${GANTRY_DEMO_DIR:-demo-output}
mkdir -p "$OUT"
echo "== gantry demo: results go to $OUT/"

"$GANTRY" toy -o "$OUT/toy" --force --progress
echo "== gantry demo: done. Open $OUT/toy/toy.svg to compare real and generated spectra;"
echo "   $OUT/toy/model.h5 holds the trained generator and discriminator."
