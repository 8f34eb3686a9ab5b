#!/usr/bin/python3
"""numpy / scipy side of bench/features.sh: Hann-windowed log1p-magnitude
spectra of the signal that bench_features wrote, on ONE core.

    /usr/bin/python3 bench/features_ref.py DIR [win [hop]]

Reads DIR/signal.f32 (the signal) and DIR/features.f32 (gantry's features of
the first 64 windows), both raw float32, and prints JSON lines:

    {"impl": "numpy", ...}   np.fft.rfft over a strided window view (float64
                             inside, numpy's only precision), np.log1p(np.abs())
    {"impl": "scipy", ...}   scipy.fft.rfft(workers=1) on float32 (complex64),
                             all windows in one call: the fastest scipy route
                             and the reference of the ratios
    {"impl": "scipy_stft", ...}  scipy.signal.stft (float32, boundary=None,
                             padded=False, detrend=False), times sum(taper)
    {"impl": "scipy_loop", ...}  a Python loop calling scipy.fft.rfft per window
    {"impl": "agreement", ...}  gantry vs the float64 numpy result on the first
                             windows: the largest |difference| and the largest
                             |difference| / max(1, |reference|)

Times are the best of 3 runs, wall clock, pinned to one CPU with one BLAS /
OpenMP thread.
"""
import json
import os
import sys

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"
if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})

import time  # noqa: E402

import numpy as np  # noqa: E402
import scipy.fft  # noqa: E402
import scipy.signal  # noqa: E402


def best_of(fn, runs=3):
    fn()
    best = float("inf")
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main():
    d = sys.argv[1]
    win = int(sys.argv[2]) if len(sys.argv) > 2 else 1024
    hop = int(sys.argv[3]) if len(sys.argv) > 3 else 512
    x = np.fromfile(os.path.join(d, "signal.f32"), dtype="<f4")
    nwin = 1 + (x.size - win) // hop
    frames = np.lib.stride_tricks.sliding_window_view(x, win)[::hop][:nwin]
    taper = scipy.signal.get_window("hann", win).astype(np.float32)  # periodic

    def numpy_spec():
        return np.log1p(np.abs(np.fft.rfft(frames * taper, axis=1)))

    def scipy_spec():
        return np.log1p(np.abs(scipy.fft.rfft(frames * taper, axis=1, workers=1)))

    def scipy_stft():
        z = scipy.signal.stft(x, window=taper, nperseg=win, noverlap=win - hop, boundary=None,
                              padded=False, detrend=False)[2]
        return np.log1p(np.abs(z * taper.sum()))

    def scipy_loop():
        out = np.empty((nwin, win // 2 + 1), dtype=np.float32)
        for w in range(nwin):
            out[w] = np.log1p(np.abs(scipy.fft.rfft(x[w * hop:w * hop + win] * taper)))
        return out

    for name, fn in (("numpy", numpy_spec), ("scipy", scipy_spec), ("scipy_stft", scipy_stft),
                     ("scipy_loop", scipy_loop)):
        s = best_of(fn)
        print(json.dumps({"impl": name, "threads": 1, "windows": nwin, "win": win, "hop": hop,
                          "seconds": round(s, 6), "windows_per_s": round(nwin / s, 1)}))
        sys.stdout.flush()

    ours = np.fromfile(os.path.join(d, "features.f32"), dtype="<f4").reshape(-1, win // 2 + 1)
    n = ours.shape[0]
    ref = np.log1p(np.abs(np.fft.rfft(frames[:n].astype(np.float64)
                                      * scipy.signal.get_window("hann", win), axis=1)))
    sp = scipy_spec()[:n]
    diff = np.abs(ours - ref)
    print(json.dumps({"impl": "agreement", "windows": int(n), "values": int(ours.size),
                      "max_abs": float(diff.max()),
                      "max_rel": float((diff / np.maximum(1.0, np.abs(ref))).max()),
                      "scipy_max_abs": float(np.abs(sp - ref).max()),
                      "ok": bool((diff <= 1e-5 * np.maximum(1.0, np.abs(ref))).all())}))


if __name__ == "__main__":
    main()
