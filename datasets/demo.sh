#!/bin/sh
# The demo `make demo` runs, on the built-in bearing simulator:
#   simulate -> inspect the store -> featurize (spectra, envelope spectra and
#   the bearing's defect-frequency amplitudes) -> train the time-series GAN on
#   the normal recording -> score every recording, flag events, evaluate them
#   against the run to failure's labels -> train a class-conditional GAN and
#   synthesize failure windows -> train a fault classifier on real and on
#   synthetic windows and test both on real ones -> the two-tone engine check.
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

echo "== 4. train the time-series GAN and its encoder on the normal recording"
"$GANTRY" train "$OUT/sim.h5" --classes normal -o "$OUT/normal-gan.h5" --force \
    --steps 600 --encoder-steps 400 --progress

echo "== 5. score every recording; flag events; evaluate against the run to failure's labels"
"$GANTRY" score "$OUT/normal-gan.h5" "$OUT/sim.h5" -o "$OUT/scores.csv" \
    --events "$OUT/events.csv" --plot "$OUT/scores.svg" --force
"$GANTRY" eval "$OUT/sim.h5" --recordings sim_run_to_failure --scores "$OUT/scores.csv"

echo "== 6. a class-conditional GAN; 256 synthetic windows of each fault class"
"$GANTRY" train "$OUT/sim.h5" --recordings sim_normal,sim_inner_race,sim_outer_race,sim_ball \
    -o "$OUT/class-gan.h5" --force --steps 600 --encoder-steps 100 --progress
for c in inner_race outer_race ball normal; do
    "$GANTRY" synth "$OUT/class-gan.h5" --class $c -n 256 -o "$OUT/synth-$c.h5" --force \
        --plot "$OUT/synth-$c.svg" --compare "$OUT/sim.h5"
done

echo "== 7. fault classifiers: trained on real windows (first half), on synthetic ones;"
echo "      both tested on the real second half"
REAL="--recordings sim_normal,sim_inner_race,sim_outer_race,sim_ball"
"$GANTRY" classify train "$OUT/sim.h5" $REAL --span 0:0.5 --window 1024 --hop 512 \
    -o "$OUT/clf-real.h5" --force --quiet
"$GANTRY" classify eval "$OUT/clf-real.h5" "$OUT/sim.h5" $REAL --span 0.5:1
"$GANTRY" classify train "$OUT/synth-normal.h5" --extra "$OUT/synth-inner_race.h5" \
    --extra "$OUT/synth-outer_race.h5" --extra "$OUT/synth-ball.h5" --window 1024 --hop 1024 \
    -o "$OUT/clf-synth.h5" --force --quiet
"$GANTRY" classify eval "$OUT/clf-synth.h5" "$OUT/sim.h5" $REAL --span 0.5:1

echo "== 8. the GAN engine on a two-tone signal"
"$GANTRY" toy -o "$OUT/toy" --force --progress

echo "== gantry demo: done."
echo "   $OUT/sim.h5       the simulated recordings (gantry inspect $OUT/sim.h5)"
echo "   $OUT/features.h5  windows, spectra, envelope spectra, defect amplitudes"
echo "   $OUT/normal-gan.h5  the GAN + encoder trained on normal vibration"
echo "   $OUT/scores.csv     per-sample anomaly scores; $OUT/events.csv the flagged events"
echo "   $OUT/scores.svg     the scores over time, threshold, flagged and labelled stretches"
echo "   $OUT/class-gan.h5   the class-conditional GAN; $OUT/synth-CLASS.h5 its windows"
echo "   $OUT/synth-CLASS.svg    their mean spectrum against the real windows of the class"
echo "   $OUT/clf-real.h5, $OUT/clf-synth.h5  fault classifiers (real / synthetic)"
echo "   $OUT/toy/toy.svg  real and generated spectra; $OUT/toy/model.h5 the trained GAN"
