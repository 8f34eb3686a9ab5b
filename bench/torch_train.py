#!/usr/bin/python3
"""PyTorch side of the training-step benchmark (see bench/README.md).

    torch_train.py --specs SPECS.json --threads N [--quick] [--only CONFIG]
                   [--no-peak | --peak-only]
    torch_train.py --bench BUILD/bench/bench_train --threads N [--quick]
    torch_train.py --check CHECK.bin

The architectures come from Gantry itself: SPECS.json holds the JSON lines
that `bench_train --print-specs` prints (or --bench runs it), and
bench/torch_spec.py turns each spec text into the identical nn.Sequential.

The step is the PyTorch DCGAN example's (Adam 2e-4, betas (0.5, 0.999),
BCEWithLogitsLoss), except that D's parameters have requires_grad_(False)
during the generator step, so PyTorch, like Gantry, does not compute D's
weight gradients it would throw away.  Timing: 2 warm-up steps, then steps
until 3 s or 20 steps have passed (at least 5), median ms per step; --quick:
1 warm-up step, then 0.3 s or 3 steps (at least 2).  Output: JSON lines.

--check reads the dump written by `bench_train --dump-check FILE`, loads
Gantry's initial parameters into the translated models, and compares the
forward outputs, one full training step's losses and gradients, and the
updated parameters.  Exit status 1 when a comparison is out of tolerance.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_spec import build, init_dcgan  # noqa: E402

RULE_FULL = dict(warmup=2, min_time=3.0, max_steps=20, min_steps=5)
RULE_QUICK = dict(warmup=1, min_time=0.3, max_steps=3, min_steps=2)


class Trainer:
    """The DCGAN example's training step on G and D built from specs."""

    def __init__(self, gspec, dspec, lr=2e-4, betas=(0.5, 0.999), eps=1e-8):
        self.g = build(gspec)
        self.d = build(dspec)
        self.nz = self.g.input_shape[0]
        self.opt_g = torch.optim.Adam(self.g.parameters(), lr=lr, betas=betas, eps=eps)
        self.opt_d = torch.optim.Adam(self.d.parameters(), lr=lr, betas=betas, eps=eps)
        self.crit = nn.BCEWithLogitsLoss()

    def step(self, real, z=None, labels=None):
        n = real.shape[0]
        if z is None:
            z = torch.randn(n, self.nz)
        g, d, crit = self.g, self.d, self.crit
        if labels is not None:  # conditional: the fake batch uses the real labels
            g.set_labels(labels)
            d.set_labels(labels)
        ones = torch.ones(n)
        zeros = torch.zeros(n)
        # D step: real, then fake (detached).
        for p in d.parameters():
            p.requires_grad_(True)
        d.zero_grad()
        out = d(real).view(-1)
        err_real = crit(out, ones)
        err_real.backward()
        d_real = torch.sigmoid(out).mean().item()
        fake = g(z)
        out = d(fake.detach()).view(-1)
        err_fake = crit(out, zeros)
        err_fake.backward()
        d_fake = torch.sigmoid(out).mean().item()
        self.opt_d.step()
        # G step through D, without D's weight gradients.
        for p in d.parameters():
            p.requires_grad_(False)
        g.zero_grad()
        out = d(fake).view(-1)
        err_g = crit(out, ones)
        err_g.backward()
        self.opt_g.step()
        return dict(loss_d_real=err_real.item(), loss_d_fake=err_fake.item(),
                    loss_d=err_real.item() + err_fake.item(), loss_g=err_g.item(),
                    d_real=d_real, d_fake=d_fake)


def cpu_mark():
    """(wall, machine busy CPU s, steal CPU s, own CPU s); busy/steal None
    where /proc/stat cannot be read."""
    wall = time.perf_counter()
    t = os.times()
    busy = steal = None
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:9]]
        hz = os.sysconf("SC_CLK_TCK")
        busy = (v[0] + v[1] + v[2] + v[5] + v[6]) / hz
        steal = v[7] / hz
    except (OSError, ValueError, IndexError):
        pass
    return wall, busy, steal, t.user + t.system


def cpu_usage(a, b):
    """Own CPUs, other processes' CPUs and steal, averaged over a..b."""
    dt = b[0] - a[0]
    own = (b[3] - a[3]) / dt
    if a[1] is None or b[1] is None:
        return own, -1.0, -1.0
    return own, max(0.0, (b[1] - a[1]) / dt - own), (b[2] - a[2]) / dt


def load_specs(args):
    if args.specs:
        with open(args.specs) as f:
            text = f.read()
    else:
        text = subprocess.run([args.bench, "--print-specs"], check=True,
                              stdout=subprocess.PIPE, universal_newlines=True).stdout
    specs = [json.loads(line) for line in text.splitlines() if line.strip()]
    return [s for s in specs if s.get("kind") == "spec"]


def mm_peak(n, reps):
    a = torch.rand(n, n) * 2 - 1
    b = torch.rand(n, n) * 2 - 1
    best = float("inf")
    for r in range(reps + 1):
        t = time.perf_counter()
        torch.mm(a, b)
        t = time.perf_counter() - t
        if r > 0:
            best = min(best, t)
    return 2.0 * n ** 3 / best / 1e9, best


def bench(args):
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    rule = RULE_QUICK if args.quick else RULE_FULL
    if not args.no_peak:
        gf, best = mm_peak(2048, 2 if args.quick else 5)
        print(json.dumps(dict(kind="mm_peak", impl="pytorch", threads=args.threads,
                              torch_threads=torch.get_num_threads(), n=2048, best_ms=best * 1e3,
                              gflops=gf, load=os.getloadavg()[0],
                              openblas_threads=os.environ.get("OPENBLAS_NUM_THREADS"))),
              flush=True)
    if args.peak_only:
        return
    for s in load_specs(args):
        if args.only and s["config"] != args.only:
            continue
        tr = Trainer(s["g_spec"], s["d_spec"])
        init_dcgan(tr.g)
        init_dcgan(tr.d)
        shape = tr.d.input_shape
        n = s["batch"]
        real = torch.rand(n, *([shape[0]] + ([shape[1]] if tr.d.twod else []) + [shape[2]]))
        real = real * 2 - 1
        st = {}
        load_before = os.getloadavg()[0]
        for _ in range(rule["warmup"]):
            st = tr.step(real)
        ms = []
        m0 = cpu_mark()
        t0 = time.perf_counter()
        while True:
            el = time.perf_counter() - t0
            if len(ms) >= rule["min_steps"] and (el >= rule["min_time"]
                                                 or len(ms) >= rule["max_steps"]):
                break
            a = time.perf_counter()
            st = tr.step(real)
            ms.append(1e3 * (time.perf_counter() - a))
        total = time.perf_counter() - t0
        own, others, steal = cpu_usage(m0, cpu_mark())
        med = statistics.median(ms)
        flops = s["step_flops"]
        print(json.dumps(dict(
            kind="result", impl="pytorch", config=s["config"], threads=args.threads,
            batch=n, warmup=rule["warmup"], steps=len(ms), total_s=round(total, 3),
            median_ms=round(med, 3), min_ms=round(min(ms), 3), max_ms=round(max(ms), 3),
            mean_ms=round(sum(ms) / len(ms), 3), step_flops=flops,
            gflops=round(flops / (med * 1e-3) / 1e9, 3),
            loss_d=st.get("loss_d"), loss_g=st.get("loss_g"),
            torch_threads=torch.get_num_threads(), torch_version=torch.__version__,
            openblas_threads=os.environ.get("OPENBLAS_NUM_THREADS"),
            load_before=load_before, load_after=os.getloadavg()[0], self_cpus=round(own, 2),
            others_cpus=round(others, 2), steal_cpus=round(steal, 2))), flush=True)
        print("pytorch %-16s threads %d: %8.2f ms/step (median of %d; other processes used "
              "%.2f CPUs)" % (s["config"], args.threads, med, len(ms), others),
              file=sys.stderr, flush=True)


# ------------------------------------------------------------------- check

def read_dump(path):
    with open(path, "rb") as f:
        header = json.loads(f.readline().decode())
        blob = np.frombuffer(f.read(), dtype="<f4")
    for case in header["cases"]:
        case["data"] = {k: blob[off:off + n].copy() for k, (off, n) in case["arrays"].items()}
    return header


def rel_err(a, b):
    """max |a - b| / max |b| (0 when both are empty)."""
    a = np.asarray(a, dtype=np.float64).reshape(-1)
    b = np.asarray(b, dtype=np.float64).reshape(-1)
    if a.shape != b.shape:
        return float("inf")
    if b.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-30))


def abs_err(a, b):
    a = np.asarray(a, dtype=np.float64).reshape(-1)
    b = np.asarray(b, dtype=np.float64).reshape(-1)
    if a.shape != b.shape:
        return float("inf")
    return float(np.max(np.abs(a - b))) if b.size else 0.0


def wino_layers(net):
    """The layers Gantry runs as Winograd F(4x4, 2x2) (src/winograd2d.h):
    2D k4 s2 p1 convolutions and transposes with 8 or more channels a side."""
    return [m for m in net.modules()
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)) and m.kernel_size == (4, 4)
            and m.stride == (2, 2) and m.padding == (1, 1)
            and m.in_channels >= 8 and m.out_channels >= 8]


def torch_step(case, noise=0.0, seed=0):
    """PyTorch's step from Gantry's initial state.  With noise, every output
    of a Winograd layer gets N(0, noise * its largest |value|) added: rounding
    of the size Gantry's Winograd form is held to (1e-5 of the largest
    value), to measure how much the step's results move under it."""
    dd = case["data"]
    n = case["batch"]
    tr = Trainer(case["g_spec"], case["d_spec"], lr=case["lr"],
                 betas=(case["beta1"], case["beta2"]), eps=case["eps"])
    g, d = tr.g, tr.d
    g.load_flat(dd["g_params0"])
    d.load_flat(dd["d_params0"])
    g.load_flat(dd["g_buffers0"], buffers=True)
    d.load_flat(dd["d_buffers0"], buffers=True)
    if noise:
        gen = torch.Generator().manual_seed(seed)

        def perturb(mod, inp, out):
            return out + noise * out.detach().abs().max() * torch.randn(out.shape, generator=gen)
        for m in wino_layers(g) + wino_layers(d):
            m.register_forward_hook(perturb)
    s = d.input_shape
    xshape = (n, s[0], s[1], s[2]) if d.twod else (n, s[0], s[2])
    z = torch.from_numpy(dd["z"]).reshape(n, tr.nz)
    real = torch.from_numpy(dd["real"]).reshape(xshape)
    labels = None
    if case["nclasses"]:
        labels = torch.from_numpy(dd["labels"]).long()
        g.set_labels(labels)
        d.set_labels(labels)
    with torch.no_grad():
        fake = g(z)             # training mode: batch statistics
        logits = d(real).view(-1)
    st = tr.step(real, z, labels)
    return dict(fake=fake.numpy(), logits=logits.numpy(), stats=st,
                d_grads=torch.cat([p.grad.reshape(-1) for p in d.gantry_params()]).numpy(),
                g_grads=torch.cat([p.grad.reshape(-1) for p in g.gantry_params()]).numpy(),
                d_params1=d.flat().numpy(), g_params1=g.flat().numpy(),
                d_inert=d.gantry_inert_mask().numpy(), g_inert=g.gantry_inert_mask().numpy(),
                d_buffers1=d.flat(buffers=True).numpy(), g_buffers1=g.flat(buffers=True).numpy(),
                wino=len(wino_layers(g) + wino_layers(d)))


def step_diff(t, ref, lr):
    """How far the step of t is from ref's (a Gantry dump's arrays or
    another torch_step)."""
    res = {}
    st, rst = t["stats"], ref["stats"]
    res["loss_abs"] = max(abs(st[k] - rst[k]) for k in ("loss_d_real", "loss_d_fake", "loss_g"))
    res["d_grads_rel"] = rel_err(t["d_grads"], ref["d_grads"])
    res["g_grads_rel"] = rel_err(t["g_grads"], ref["g_grads"])
    # Adam's first step moves each parameter by about lr * sign(grad), so a
    # gradient that is ~0 in both may differ in sign and move the parameter
    # by up to 2 lr: compare in units of lr and count such parameters.
    # Biases right before batch norm have a gradient of 0 up to rounding
    # and are left out (counted in *_inert).
    for who in ("d", "g"):
        keep = ~t[who + "_inert"]
        diff = np.abs(t[who + "_params1"].astype(np.float64) - ref[who + "_params1"])[keep] / lr
        res[who + "_params1_max_lr"] = float(diff.max()) if diff.size else 0.0
        res[who + "_params1_frac_off"] = float(np.mean(diff > 0.01)) if diff.size else 0.0
        res[who + "_inert"] = int((~keep).sum())
    # Buffers after the step: batch-norm running statistics, spectral-norm
    # u and v (four D forwards and two G forwards on both sides).
    res["buffers1_abs"] = max(abs_err(t["d_buffers1"], ref["d_buffers1"]),
                              abs_err(t["g_buffers1"], ref["g_buffers1"]))
    return res


FORWARD_TOL = dict(fake_abs=1e-4, d_real_logits_abs=1e-4)
STEP_TOL = dict(loss_abs=1e-4, d_grads_rel=1e-3, g_grads_rel=1e-3, d_params1_frac_off=1e-3,
                g_params1_frac_off=1e-3, buffers1_abs=1e-4)
BAND_SEEDS = 3   # draws of the rounding band
BAND_FACTOR = 3  # the step may differ by this many times the band


def check_case(case):
    """Forward outputs must match; so must the step's, except that where
    Gantry uses its Winograd form the step may differ by up to BAND_FACTOR
    times what the same rounding moves PyTorch's own step (a ReLU whose
    input is within rounding of zero passes or stops its gradient: the
    step's gradients are not continuous in rounding, the forward outputs
    are)."""
    dd = case["data"]
    t = torch_step(case)
    gantry = dict(stats=case["stats"], **dd)
    res = {"fake_abs": abs_err(t["fake"], dd["fake"]),
           "d_real_logits_abs": abs_err(t["logits"], dd["d_real_logits"])}
    res.update(step_diff(t, gantry, case["lr"]))
    tol = dict(STEP_TOL)
    band = {}
    if t["wino"] and any(res[k] > v for k, v in STEP_TOL.items()):
        for seed in range(1, BAND_SEEDS + 1):
            moved = step_diff(torch_step(case, noise=1e-5, seed=seed), t, case["lr"])
            for k in STEP_TOL:
                band[k] = max(band.get(k, 0.0), moved[k])
        tol = {k: max(v, BAND_FACTOR * band[k]) for k, v in STEP_TOL.items()}
    tol.update(FORWARD_TOL)
    ok = case["rc"] == 0 and all(res[k] <= v for k, v in tol.items())
    res["banded"] = 1 if band else 0
    if band:
        res["band_draws"], res["band_factor"] = BAND_SEEDS, BAND_FACTOR
    for k, v in band.items():
        res["band_" + k] = v
    return ok, res


def check(args):
    torch.set_num_threads(args.threads)
    header = read_dump(args.check)
    all_ok = True
    for case in header["cases"]:
        ok, res = check_case(case)
        all_ok &= ok
        print(json.dumps(dict(kind="check", config=case["name"], batch=case["batch"],
                              ok=ok, **{k: float("%.3g" % v) for k, v in res.items()})),
              flush=True)
        print("check %-20s %s  fake %.1e  D(real) %.1e  loss %.1e  dD %.1e  dG %.1e  "
              "params D %.1e/%.4f G %.1e/%.4f (max/lr, fraction > 0.01 lr)  buffers %.1e%s"
              % (case["name"], "ok  " if ok else "FAIL", res["fake_abs"],
                 res["d_real_logits_abs"], res["loss_abs"], res["d_grads_rel"],
                 res["g_grads_rel"], res["d_params1_max_lr"], res["d_params1_frac_off"],
                 res["g_params1_max_lr"], res["g_params1_frac_off"], res["buffers1_abs"],
                 "  (PyTorch's own step under 1e-5 rounding at the Winograd layers: loss "
                 "%.1e dD %.1e dG %.1e)" % (res["band_loss_abs"], res["band_d_grads_rel"],
                                           res["band_g_grads_rel"])
                 if res["banded"] else ""),
              file=sys.stderr)
    return 0 if all_ok else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--specs", help="JSON lines from bench_train --print-specs")
    src.add_argument("--bench", help="the bench_train program (runs --print-specs)")
    src.add_argument("--check", help="dump from bench_train --dump-check")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only")
    ap.add_argument("--no-peak", action="store_true", help="skip the torch.mm peak")
    ap.add_argument("--peak-only", action="store_true", help="only the torch.mm peak")
    args = ap.parse_args()
    if args.check:
        sys.exit(check(args))
    bench(args)


if __name__ == "__main__":
    main()
