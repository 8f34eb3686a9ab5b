#!/usr/bin/python3
"""What gives CWRU's synthetic windows away, test (b) of datasets/cwru_synth.sh.

A diagnosis, not part of the product: it reads what cwru_synth.sh left in
OUTDIR (the real recordings, and the synthetic windows its post-hoc
classifier was trained and tested on) and asks two questions.

1. Which single statistic of a window tells real from synthetic? Window-level
   AUROC, real against synthetic, per GAN class, for level, shape (kurtosis,
   crest factor), spectral flatness and the log power in 500 Hz bands.
2. Does a PyTorch 1D CNN (four stride-2 convolutions, trained on the real
   first halves against the synthetic windows of seed 301, tested on the
   second halves against seed 401, as cwru_synth.sh does) still tell them
   apart when the windows are changed so that only part of what they carry
   is left: both low-passed; the synthetic ones equalised to the real mean
   power spectrum of their class; the phases randomised (only each window's
   magnitude spectrum left); or the magnitudes replaced by the class's mean
   real magnitude (only the phases left)? It prints |accuracy - 0.5|, the
   discriminative score.

usage: /usr/bin/python3 datasets/cwru_tell.py OUTDIR [STEPS]
Needs numpy, h5py and torch (Debian: python3-h5py, python3-torch). Expects
cwru_synth.sh's default CWRU_BY_SIZE=1 (the ten GAN classes). One thread;
about two minutes per CNN at the default 400 steps.
"""
import sys

import h5py
import numpy as np
import torch

W = 1024
RATE = 12000.0
SUBS = ["normal"] + [f"{c}_{z}" for c in ("ball", "inner_race", "outer_race")
                     for z in ("007", "014", "021")]
RECS = {"normal": "Normal_0"}
for _c, _k in (("ball", "B"), ("inner_race", "IR"), ("outer_race", "OR")):
    for _z in ("007", "014", "021"):
        RECS[f"{_c}_{_z}"] = f"{_k}{_z}_6_0" if _k == "OR" else f"{_k}{_z}_0"


def windows(x):
    n = len(x) // W
    return x[:n * W].reshape(n, W).astype(np.float64)


def real(out, rec):
    for name in ("real-faults.h5", "real-normal.h5"):
        with h5py.File(f"{out}/{name}", "r") as h:
            if rec in h["recordings"]:
                return h[f"recordings/{rec}/signals/DE_time"][:]
    sys.exit(f"cwru_tell.py: {out}: no recording {rec} (run cwru_synth.sh first)")


def synthetic(out, prefix, sub):
    path = f"{out}/{prefix}-{sub}.h5"
    try:
        with h5py.File(path, "r") as h:
            return np.concatenate([windows(h[f"recordings/{r}/signals/DE_time"][:])
                                   for r in h["recordings"]])
    except OSError as e:
        sys.exit(f"cwru_tell.py: {path}: {e} (cwru_synth.sh with CWRU_BY_SIZE=1?)")


def auroc(a, b):
    """P(a statistic of a real window > that of a synthetic one)."""
    r = np.argsort(np.argsort(np.concatenate([a, b]))) + 1
    return (r[:len(a)].sum() - len(a) * (len(a) + 1) / 2) / (len(a) * len(b))


def statistics(x):
    f = {}
    s = x.std(1)
    z = (x - x.mean(1)[:, None]) / s[:, None]
    f["rms"] = s
    f["kurtosis"] = (z ** 4).mean(1)
    f["crest"] = np.abs(z).max(1)
    p = np.abs(np.fft.rfft(z * np.hanning(W), axis=1)) ** 2
    f["flatness"] = np.exp(np.log(p[:, 1:] + 1e-20).mean(1)) / p[:, 1:].mean(1)
    hz = np.fft.rfftfreq(W, 1 / RATE)
    for lo in range(0, 6000, 500):
        f[f"{lo}-{lo + 500}Hz"] = np.log(p[:, (hz >= lo) & (hz < lo + 500)].sum(1) + 1e-20)
    return f


def cnn():
    layers, c = [], 1
    for o in (16, 32, 64, 64):
        layers += [torch.nn.Conv1d(c, o, 9, 2, 4), torch.nn.LeakyReLU(0.2)]
        c = o
    return torch.nn.Sequential(*layers, torch.nn.AdaptiveAvgPool1d(1), torch.nn.Flatten(),
                               torch.nn.Linear(c, 1))


def disc_score(rtr, strn, rte, ste, steps, seed=1):
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    x = np.concatenate([rtr, strn]).astype(np.float32)
    y = torch.tensor(np.r_[np.ones(len(rtr)), np.zeros(len(strn))].astype(np.float32))
    scale = x.std()
    xt = torch.tensor(x / scale)[:, None]
    net = cnn()
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    for _ in range(steps):
        b = rng.integers(0, len(x), 64)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(net(xt[b])[:, 0], y[b])
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        right = (net(torch.tensor(rte.astype(np.float32) / scale)[:, None])[:, 0] > 0).sum()
        right += (net(torch.tensor(ste.astype(np.float32) / scale)[:, None])[:, 0] <= 0).sum()
    return abs(right.item() / (len(rte) + len(ste)) - 0.5)


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__.split("\n\n")[-1])
    out = sys.argv[1]
    steps = int(sys.argv[2]) if len(sys.argv) == 3 else 400
    torch.set_num_threads(1)
    # Per GAN class: real first half, real second half, synthetic (classifier
    # training), synthetic (classifier test).
    data = {}
    for sub in SUBS:
        x = real(out, RECS[sub])
        h = len(x) // 2
        data[sub] = (windows(x[:h]), windows(x[h:]), synthetic(out, "dtrain", sub),
                     synthetic(out, "dtest", sub))

    print("1. window-level AUROC, real against synthetic (0.5: no tell; 0 or 1: every window)")
    table = {}
    for sub in SUBS:
        r, s = statistics(np.concatenate(data[sub][:2])), statistics(np.concatenate(data[sub][2:]))
        for k in r:
            table.setdefault(k, []).append((auroc(r[k], s[k]), np.median(r[k]), np.median(s[k])))
    print(f"   {'statistic':12s} {'mean |AUROC - 0.5|':>18s}  per class ({', '.join(SUBS)})")
    for k, v in sorted(table.items(), key=lambda kv: -np.mean([abs(a - 0.5) for a, _, _ in kv[1]])):
        print(f"   {k:12s} {np.mean([abs(a - 0.5) for a, _, _ in v]):18.3f}  "
              + " ".join(f"{a:.2f}" for a, _, _ in v))
    print("   medians, real | synthetic: " + "; ".join(
        f"{k} {np.median([m for _, m, _ in table[k]]):.3g} | {np.median([m for _, _, m in table[k]]):.3g}"
        for k in ("flatness", "5500-6000Hz", "kurtosis")))

    def cat(i, f=lambda sub, x: x):
        return np.concatenate([f(sub, data[sub][i]) for sub in SUBS])

    hz = np.fft.rfftfreq(W, 1 / RATE)

    def lowpass(fc):
        def f(_, x):
            s = np.fft.rfft(x, axis=1)
            s[:, hz > fc] = 0
            return np.fft.irfft(s, W, axis=1)
        return f

    gain = {}
    for sub in SUBS:
        k = np.ones(9) / 9
        pr = np.convolve((np.abs(np.fft.rfft(data[sub][0], axis=1)) ** 2).mean(0), k, "same")
        ps = np.convolve((np.abs(np.fft.rfft(data[sub][2], axis=1)) ** 2).mean(0), k, "same")
        gain[sub] = np.sqrt(pr / ps)

    def equalise(sub, x):
        return np.fft.irfft(np.fft.rfft(x, axis=1) * gain[sub], W, axis=1)

    rng = np.random.default_rng(7)

    def random_phase(_, x):
        s = np.fft.rfft(x, axis=1)
        ph = np.exp(2j * np.pi * rng.random(s.shape))
        ph[:, 0] = ph[:, -1] = 1
        return np.fft.irfft(np.abs(s) * ph, W, axis=1)

    mag = {sub: np.abs(np.fft.rfft(data[sub][0], axis=1)).mean(0) for sub in SUBS}

    def mean_magnitude(sub, x):
        return np.fft.irfft(mag[sub] * np.exp(1j * np.angle(np.fft.rfft(x, axis=1))), W, axis=1)

    print(f"2. discriminative score |accuracy - 0.5| of a PyTorch 1D CNN ({steps} steps; bar 0.10)")
    same = lambda sub, x: x  # noqa: E731
    for name, fr, fs in (("as generated", same, same),
                         ("both low-passed at 4.5 kHz", lowpass(4500), lowpass(4500)),
                         ("both low-passed at 2.5 kHz", lowpass(2500), lowpass(2500)),
                         ("synthetic equalised to the real mean spectrum", same, equalise),
                         ("phases randomised (magnitudes left)", random_phase, random_phase),
                         ("class-mean magnitudes (phases left)", mean_magnitude, mean_magnitude)):
        d = disc_score(cat(0, fr), cat(2, fs), cat(1, fr), cat(3, fs), steps)
        print(f"   {name:48s} {d:.3f}", flush=True)


if __name__ == "__main__":
    main()
