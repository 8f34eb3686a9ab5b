#!/bin/sh
# The demo `make demo` runs, on the built-in bearing simulator:
#   simulate -> inspect the store -> featurize (spectra, envelope spectra and
#   the bearing's defect-frequency amplitudes) -> train the 1D GAN engine on a
#   two-tone signal and check what it learned.
# (Training on the simulated store, scoring and synthesis join as they land.)
set -eu
GANTRY=${1:-build/gantry}
OUT=${GANTRY_DEMO_DIR:-demo-output}
mkdir -p "$OUT"
echo "== gantry demo: results go to $OUT/"

echo "== 1. simulate a bearing: normal, inner race, outer race, ball, and a run to failure"
"$GANTRY" simulate bearing -o "$OUT/sim.h5" --force --seconds 10 --run-to-failure 60

echo "== 2. what the store holds"
"$GANTRY" inspect "$OUT/sim.h5"

echo "== 3. windows and FFTW features; which defect frequency stands out in each recording"
"$GANTRY" featurize "$OUT/sim.h5" -o "$OUT/features.h5" --force --window 4096 --hop 2048 \
    --features spectrum,envelope,welch --bearing 6205-2RS --progress

echo "== 4. the GAN engine on a two-tone signal"
"$GANTRY" toy -o "$OUT/toy" --force --progress

echo "== gantry demo: done."
echo "   $OUT/sim.h5       the simulated recordings (gantry inspect $OUT/sim.h5)"
echo "   $OUT/features.h5  windows, spectra, envelope spectra, defect amplitudes"
echo "   $OUT/toy/toy.svg  real and generated spectra; $OUT/toy/model.h5 the trained GAN"
