#!/usr/bin/python3
"""PyTorch reference fixture for the classifier's loss (src/loss.c,
gt_loss_softmax_ce).

Usage (Debian's interpreter, which has python3-torch 1.13 and numpy):

    /usr/bin/python3 tests/reference/make_classifier_fixtures.py tests/fixtures

Writes tests/fixtures/loss_softmax_ce.gtfx in the format of make_fixtures.py
(whose writer is reused):

    logits   (N, K) float64 reference inputs (rounded to float32 first, so
             that C and PyTorch see the same values); rows 0-3 hold logits of
             +-1000 and a tie, the rest are N(0, 3^2)
    labels   (N,) class indices, stored as floats
    loss     (1,) torch.nn.functional.cross_entropy(logits, labels), the mean
    dlogits  (N, K) its gradient with respect to the logits

Computed in float64; deterministic (seeded with the CRC-32 of the case name).
"""
import os
import sys
import zlib

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import write_fixture  # noqa: E402

DT = torch.float64


def loss_softmax_ce():
    n, k = 12, 5
    g = torch.Generator().manual_seed(zlib.crc32(b"loss_softmax_ce"))
    x = torch.randn(n, k, generator=g, dtype=DT) * 3.0
    x[0] = torch.tensor([1000.0, -1000.0, 0.0, 999.0, 1.0], dtype=DT)
    x[1] = torch.tensor([-1000.0, -1000.0, -999.5, -1000.0, -1001.0], dtype=DT)
    x[2] = torch.tensor([1000.0, 1000.0, 1000.0, 1000.0, 1000.0], dtype=DT)
    x[3] = torch.tensor([-1000.0, 1000.0, -1000.0, 0.0, 500.0], dtype=DT)
    x = x.float().double().requires_grad_(True)
    y = torch.randint(0, k, (n,), generator=g)
    y[0], y[1], y[2], y[3] = 1, 2, 4, 0  # a hopeless class, the largest, a tie, -2000 away
    loss = F.cross_entropy(x, y)
    (dx,) = torch.autograd.grad(loss, [x])
    return [("logits", x), ("labels", y.to(DT)), ("loss", loss.reshape(1)), ("dlogits", dx)]


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: %s OUTDIR\n" % argv[0])
        return 2
    os.makedirs(argv[1], exist_ok=True)
    torch.set_num_threads(1)
    size = write_fixture(os.path.join(argv[1], "loss_softmax_ce.gtfx"), loss_softmax_ce())
    print("wrote loss_softmax_ce.gtfx (%d bytes) to %s" % (size, argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
