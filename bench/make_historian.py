#!/usr/bin/python3
"""Write a long-format historian export: make_historian.py ROWS PATH

timestamp,tag,value,quality with 4 tags interleaved at 250 ms steps (ISO 8601
UTC timestamps with milliseconds), about 1% of readings absent, quality mostly
Good with some Bad and "I/O Timeout".  Deterministic (seeded)."""
import sys

import numpy as np


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: make_historian.py ROWS PATH")
    rows, path = int(sys.argv[1]), sys.argv[2]
    rng = np.random.default_rng(20240101)
    tags = ["Pump1.Pressure", "Pump1.Flow", "Pump1.MotorCurrent", "Pump1.BearingTemp"]
    base = [4.2, 118.0, 31.5, 55.0]
    scale = [0.3, 6.0, 1.5, 2.0]
    ntimes = rows // len(tags) * 102 // 100 + 8
    present = rng.random((ntimes, len(tags))) >= 0.01
    t_idx, g_idx = np.nonzero(present)
    t_idx, g_idx = t_idx[:rows], g_idx[:rows]
    n = len(t_idx)
    walk = np.cumsum(rng.normal(0, 0.02, (ntimes, len(tags))), axis=0)
    vals = (np.array(base)[g_idx] + np.array(scale)[g_idx] *
            (np.sin(t_idx / 3000.0 + g_idx) + walk[t_idx, g_idx]))
    u = rng.random(n)
    qual = np.where(u < 0.97, 0, np.where(u < 0.985, 1, 2))
    qnames = ["Good", "Bad", "I/O Timeout"]
    t0 = np.datetime64("2024-01-01T00:00:00.000", "ms")
    times = t0 + (t_idx * 250).astype("timedelta64[ms]")
    tstr = np.datetime_as_string(times, unit="ms")
    with open(path, "w") as f:
        f.write("timestamp,tag,value,quality\n")
        chunk = 200000
        for a in range(0, n, chunk):
            b = min(n, a + chunk)
            f.write("".join(
                f"{tstr[i]}Z,{tags[g_idx[i]]},{vals[i]:.4f},{qnames[qual[i]]}\n"
                for i in range(a, b)))


if __name__ == "__main__":
    main()
