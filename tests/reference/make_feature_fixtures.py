#!/usr/bin/python3
"""numpy/scipy reference fixtures for Gantry's window features (src/features.c).

Usage (Debian's interpreter, with python3-numpy and python3-scipy):

    /usr/bin/python3 tests/reference/make_feature_fixtures.py tests/fixtures

Writes tests/fixtures/feat_<case>.gtfx in the format of make_fixtures.py
(whose writer is reused).  Every case holds:

    x     the signal (n,), float32 (the reference works on these float32
          values, promoted to float64)
    cfg   [kind, win, hop, taper, seg, seg_hop, rate, band_lo, band_hi, nbands]
          (0 for seg, seg_hop: the defaults, as in gt_feat_cfg)
          kind: 1 spectrum, 2 welch, 3 envelope, 4 stft, 5 sk, 6 bands
          taper: 0 hann, 1 hamming, 2 rect (gt_feature / gt_taper values)
    out   the features of windows w = 0, 1, ... starting at w * hop, window
          after window: (nwin, rows * cols)

References (float64, independent of Gantry's code):
    spectrum  log1p |np.fft.rfft(taper * x)|
    welch     log10 scipy.signal.welch(scaling='density', detrend='constant',
              average='mean')
    stft      log1p |scipy.signal.stft(boundary=None, padded=False,
              detrend=False) * sum(taper)|, frames x bins
    sk        mean |X|^4 / (mean |X|^2)^2 - 2 over the same STFT frames
    envelope  |rfft(e - mean(e))| / win, e = |scipy.signal.hilbert(xb)|, xb the
              window with its mean removed, brick-wall band-passed through
              np.fft.rfft/irfft when band_hi > 0
    bands     log10 of sums of |np.fft.rfft(taper * x)|^2 over the bins whose
              frequency f satisfies b <= f / (rate / 2 / nbands) < b + 1
              (the Nyquist bin joins the last band)
Tapers are scipy.signal.get_window's periodic ones.  Output is
deterministic (seeded with the CRC-32 of the case name).
"""
import os
import sys
import zlib
from fractions import Fraction

import numpy as np
import scipy.signal


def write_fixture(path, arrays):
    """The GTFX writer of make_fixtures.py (copied: that module imports torch)."""
    import struct

    out = bytearray(b"GTFX")
    out += struct.pack("<II", 1, len(arrays))
    for name, value in arrays:
        a = np.ascontiguousarray(np.asarray(value, dtype=np.float64)).astype("<f4")
        if a.ndim == 0:
            a = a.reshape(1)
        assert np.all(np.isfinite(a)), name
        nb = name.encode("ascii")
        out += struct.pack("<I", len(nb)) + nb + struct.pack("<I", a.ndim)
        for d in a.shape:
            out += struct.pack("<I", d)
        out += a.tobytes(order="C")
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(bytes(out))
    os.replace(tmp, path)


KINDS = {"spectrum": 1, "welch": 2, "envelope": 3, "stft": 4, "sk": 5, "bands": 6}
TAPERS = ["hann", "hamming", "boxcar"]


def taper(t, n):
    return scipy.signal.get_window(TAPERS[t], n, fftbins=True)


def signal(name, n, rate):
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    t = np.arange(n) / rate
    x = (0.7 * rng.standard_normal(n) + 1.5 * np.sin(2 * np.pi * 0.11 * rate * t + 0.3)
         + 0.8 * np.sin(2 * np.pi * 0.31 * rate * t) + 0.25)
    # bursts, so that the spectral kurtosis and the envelope have something to see
    x += 3.0 * (np.sin(2 * np.pi * 0.013 * rate * t) > 0.95) * np.sin(2 * np.pi * 0.37 * rate * t)
    return x.astype(np.float32)


def stft_frames(xw, w, seg, seg_hop):
    f, t, z = scipy.signal.stft(xw, window=w, nperseg=seg, noverlap=seg - seg_hop,
                                boundary=None, padded=False, detrend=False,
                                return_onesided=True, scaling="spectrum")
    return (z * w.sum()).T  # frames x bins, unscaled


def features(kind, xw, c):
    win, t, seg, seg_hop, rate = c["win"], c["taper"], c["seg"], c["seg_hop"], c["rate"]
    if kind == "spectrum":
        return np.log1p(np.abs(np.fft.rfft(taper(t, win) * xw)))
    if kind == "welch":
        _, p = scipy.signal.welch(xw, fs=rate, window=taper(t, seg), nperseg=seg,
                                  noverlap=seg - seg_hop, detrend="constant",
                                  scaling="density", average="mean")
        return np.log10(np.maximum(p, 1e-30))
    if kind == "stft":
        return np.log1p(np.abs(stft_frames(xw, taper(t, seg), seg, seg_hop))).ravel()
    if kind == "sk":
        p = np.abs(stft_frames(xw, taper(t, seg), seg, seg_hop)) ** 2
        return (p ** 2).mean(axis=0) / p.mean(axis=0) ** 2 - 2
    if kind == "envelope":
        xb = xw - xw.mean()
        if c["band_hi"] > 0:
            spec = np.fft.rfft(xb)
            f = np.arange(spec.size) * rate / win
            spec[(f < c["band_lo"]) | (f > c["band_hi"])] = 0
            xb = np.fft.irfft(spec, win)
        e = np.abs(scipy.signal.hilbert(xb))
        return np.abs(np.fft.rfft(e - e.mean())) / win
    if kind == "bands":
        p = np.abs(np.fft.rfft(taper(t, win) * xw)) ** 2
        nb = c["nbands"]
        width = Fraction(int(rate), 2 * nb)  # exact: rate is an integer here
        e = np.zeros(nb)
        for k in range(p.size):
            b = min(nb - 1, int(Fraction(k * int(rate), win) / width))
            e[b] += p[k]
        return np.log10(np.maximum(e, 1e-30))
    raise ValueError(kind)


CASES = [
    # name, kind, n, win, hop, taper, seg, seg_hop, rate, band_lo, band_hi, nbands
    ("spectrum_hann", "spectrum", 600, 64, 48, 0, 0, 0, 1000.0, 0, 0, 0),
    ("spectrum_hamming_odd", "spectrum", 500, 45, 31, 1, 0, 0, 1000.0, 0, 0, 0),
    ("spectrum_rect", "spectrum", 400, 100, 100, 2, 0, 0, 1000.0, 0, 0, 0),
    ("welch_default", "welch", 1200, 256, 200, 0, 0, 0, 2000.0, 0, 0, 0),  # seg 32, hop 16
    ("welch_odd", "welch", 1000, 200, 160, 1, 50, 15, 500.0, 0, 0, 0),
    ("stft_hann", "stft", 900, 256, 128, 0, 64, 24, 1000.0, 0, 0, 0),
    ("stft_odd", "stft", 700, 150, 101, 1, 33, 17, 1000.0, 0, 0, 0),
    ("sk_hann", "sk", 1600, 512, 256, 0, 32, 16, 1000.0, 0, 0, 0),
    ("envelope_full", "envelope", 1500, 256, 200, 0, 0, 0, 12000.0, 0, 0, 0),
    ("envelope_band", "envelope", 1500, 256, 200, 0, 0, 0, 12000.0, 1500.0, 4500.0, 0),
    ("envelope_odd", "envelope", 1000, 201, 150, 0, 0, 0, 1000.0, 100.0, 400.0, 0),
    ("bands_hann", "bands", 1000, 256, 200, 0, 0, 0, 1000.0, 0, 0, 16),
    ("bands_odd", "bands", 800, 97, 70, 1, 0, 0, 1000.0, 0, 0, 7),
]


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures"
    os.makedirs(outdir, exist_ok=True)
    for name, kind, n, win, hop, t, seg, seg_hop, rate, lo, hi, nbands in CASES:
        # 0 means the default, as in gt_feat_cfg: seg max(4, win / 8), seg_hop seg / 2
        rseg = seg or max(4, win // 8)
        c = dict(win=win, taper=t, seg=rseg, seg_hop=seg_hop or max(1, rseg // 2), rate=rate,
                 band_lo=lo, band_hi=hi, nbands=nbands)
        x = signal(name, n, rate)
        x64 = x.astype(np.float64)
        nwin = 1 + (n - win) // hop
        out = np.stack([np.asarray(features(kind, x64[w * hop:w * hop + win], c)).ravel()
                        for w in range(nwin)])
        cfg = [KINDS[kind], win, hop, t, seg, seg_hop, rate, lo, hi, nbands]
        path = os.path.join(outdir, "feat_%s.gtfx" % name)
        write_fixture(path, [("x", x), ("cfg", np.array(cfg, dtype=np.float64)), ("out", out)])
        print("%s: %d windows of %d, out %s" % (path, nwin, win, out.shape))


if __name__ == "__main__":
    main()
