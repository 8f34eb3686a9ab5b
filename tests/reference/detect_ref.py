#!/usr/bin/python3
"""numpy/pandas reference for Gantry's dynamic threshold (src/threshold.c).

Usage (Debian's interpreter, with numpy and pandas):

    /usr/bin/python3 tests/reference/detect_ref.py tests/fixtures

Writes tests/fixtures/detect_dynamic.gtfx (format: see make_fixtures.py).
The functions below follow Orion's orion/primitives/timeseries_anomalies.py
(find_anomalies and its helpers, after Hundman et al. 2018) step by step, in
pandas as Orion does, with two documented differences that Gantry's header
specifies: z is either fixed or the best of the grid 2.0, 2.5 ... 10.0 under
Hundman's cost (Orion runs scipy's fmin from integer starts), and the output
is per sample: flag[i] = 1 when a kept sequence of any window covers i,
thr[i] = the lowest threshold of the windows covering i.

Cases (arrays <case>_x, <case>_flag, <case>_thr and <case>_cfg =
[z, window, step, min_percent, padding] as in gt_thresh_cfg):
  dyn_fixed    |normal| noise with bumps of several heights and widths;
               Orion's defaults (z 4, window 0.33, step 0.1, padding 50)
  dyn_search   the same kind of signal, z searched, window 400 and step 100
               samples, padding 10
  dyn_prune    exponential noise (many runs above a low threshold), z 2,
               window 0.5, step 0.5, padding 3: pruning decides
Deterministic: fixed seeds, a rerun gives identical bytes.
"""
import os
import sys

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_feature_fixtures import write_fixture  # noqa: E402


def deltas(errors, epsilon, mean, std):
    below = errors[errors <= epsilon]
    if not len(below):
        return 0, 0
    return mean - below.mean(), std - below.std()


def count_above(errors, epsilon):
    above = errors > epsilon
    total_above = len(errors[above])
    above = pd.Series(above)
    shift = above.shift(1)
    change = above != shift
    total_consecutive = sum(above & change)
    return total_above, total_consecutive


def z_cost(z, errors, mean, std):
    epsilon = mean + z * std
    delta_mean, delta_std = deltas(errors, epsilon, mean, std)
    above, consecutive = count_above(errors, epsilon)
    numerator = -(delta_mean / mean + delta_std / std)
    denominator = above + consecutive ** 2
    if denominator == 0:
        return np.inf
    return numerator / denominator


def find_threshold(errors, z):
    mean = errors.mean()
    std = errors.std()
    if z > 0:
        return mean + z * std
    best_z, best_cost = 2.0, np.inf
    for zk in np.arange(2.0, 10.0 + 1e-9, 0.5):
        cost = z_cost(zk, errors, mean, std)
        if cost < best_cost:
            best_z, best_cost = zk, cost
    return mean + best_z * std


def find_sequences(errors, epsilon, anomaly_padding):
    above = pd.Series(errors > epsilon)
    index_above = np.argwhere(above.values)
    for idx in index_above.flatten():
        above[max(0, idx - anomaly_padding):min(idx + anomaly_padding + 1, len(above))] = True
    shift = above.shift(1).fillna(False)
    change = above != shift
    if above.all():
        max_below = 0
    else:
        max_below = max(errors[~above])
    index = above.index
    starts = index[above & change].tolist()
    ends = (index[~above & change] - 1).tolist()
    if len(ends) == len(starts) - 1:
        ends.append(len(above) - 1)
    return np.array([starts, ends]).T, max_below


def get_max_errors(errors, sequences, max_below):
    max_errors = [{'max_error': max_below, 'start': -1, 'stop': -1}]
    for start, stop in sequences:
        max_errors.append({'start': start, 'stop': stop,
                           'max_error': max(errors[start:stop + 1])})
    max_errors = pd.DataFrame(max_errors).sort_values('max_error', ascending=False)
    return max_errors.reset_index(drop=True)


def prune_anomalies(max_errors, min_percent):
    next_error = max_errors['max_error'].shift(-1).iloc[:-1]
    max_error = max_errors['max_error'].iloc[:-1]
    increase = (max_error - next_error) / max_error
    too_small = increase < min_percent
    if too_small.all():
        last_index = -1
    else:
        last_index = max_error[~too_small].index[-1]
    return max_errors[['start', 'stop', 'max_error']].iloc[0: last_index + 1].values


def find_anomalies(errors, z, window, step, min_percent, padding):
    n = len(errors)
    window_size = int(np.ceil(n * window)) if window <= 1 else int(np.ceil(window))
    step_size = int(np.ceil(window_size * step)) if step <= 1 else int(np.ceil(step))
    flag = np.zeros(n)
    thr = np.full(n, np.inf)
    window_start = 0
    window_end = 0
    while window_end < n:
        window_end = window_start + window_size
        win = errors[window_start:window_end]
        threshold = find_threshold(win, z)
        thr[window_start:window_start + len(win)] = np.minimum(
            thr[window_start:window_start + len(win)], threshold)
        sequences, max_below = find_sequences(win, threshold, padding)
        find_anomalies.found += len(sequences)
        if len(sequences):
            max_errors = get_max_errors(win, sequences, max_below)
            for start, stop, _ in prune_anomalies(max_errors, min_percent):
                find_anomalies.kept += 1
                flag[window_start + int(start):window_start + int(stop) + 1] = 1
        window_start += step_size
    return flag, thr


find_anomalies.found = find_anomalies.kept = 0


def bumps(rng, n, x):
    for _ in range(6):
        at = rng.integers(0, n - 40)
        width = rng.integers(1, 30)
        x[at:at + width] += rng.uniform(2, 12) * np.hanning(width + 2)[1:-1]
    return x


def main(outdir):
    rng = np.random.default_rng(20240611)
    cases = []
    n = 1500
    x = bumps(rng, n, np.abs(rng.normal(0, 1, n)))
    cases.append(("dyn_fixed", x, [4, 0.33, 0.1, 0.1, 50]))
    x = bumps(rng, n, np.abs(rng.normal(0, 1, n)))
    cases.append(("dyn_search", x, [0, 400, 100, 0.1, 10]))
    x = rng.exponential(1.0, 1000)
    cases.append(("dyn_prune", x, [2, 0.5, 0.5, 0.1, 3]))
    arrays = []
    for name, x, cfg in cases:
        x = x.astype(np.float32).astype(np.float64)  # what the C side reads
        find_anomalies.found = find_anomalies.kept = 0
        flag, thr = find_anomalies(x, *cfg[:4], int(cfg[4]))
        arrays += [(name + "_x", x), (name + "_flag", flag), (name + "_thr", thr),
                   (name + "_cfg", np.array(cfg, dtype=np.float64))]
        print(f"{name}: {int(flag.sum())} of {len(x)} samples flagged; window sequences "
              f"{find_anomalies.found}, kept {find_anomalies.kept}")
    write_fixture(os.path.join(outdir, "detect_dynamic.gtfx"), arrays)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures")
