#!/usr/bin/python3
"""PyTorch side of the scoring benchmark, its parity check and its report
(see bench/README.md, "Anomaly scoring").

    torch_score.py --model MODEL.h5 --threads N [--quick]
    torch_score.py --check DIR
    torch_score.py --report OUTDIR [--quick]

MODEL.h5 is a Gantry time-series GAN model file (gt_tsgan_save; `bench_score
--prepare DIR` writes DIR/score-model.h5).  Its generator/, discriminator/
and encoder/ groups give each network's spec text (attribute `spec`,
translated by bench/torch_spec.py) and its weights and batch-norm running
statistics, read from the per-layer `layers/NN_kind/` view in PyTorch's
shapes (every array's shape must be the PyTorch tensor's).

The score of a batch of windows x is Gantry's gt_tsgan_score_windows with
the reconstruction: critic = -D(x), recon = the mean over channels of
(x - G(E(x)))^2 at every time; eval mode (running statistics), no_grad,
torch.set_num_threads(N), the model file's batch.  Timing: 3 warm-up
batches, then batches until 3 s or 400 batches have passed (at least 10);
--quick: 1, then 0.3 s or 20 (at least 3); median ms per batch, windows/s =
batch / median.  Output: JSON lines.  (score.sh takes torch.mm's peak from
torch_train.py --peak-only, as the training bench does.)

--check DIR loads DIR/score-model.h5, scores the windows of
DIR/score-parity.h5 and compares with Gantry's results there (exit status 1
when out of tolerance).  --report collects OUTDIR's JSON lines (score-*.json,
detect.json) into the Markdown report (stdout) and OUTDIR/score.json.
"""

import argparse
import json
import os
import statistics
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_spec import build  # noqa: E402
from torch_train import abs_err, cpu_mark, cpu_usage, rel_err  # noqa: E402
from report import cpu_name, read_lines  # noqa: E402

RULE_FULL = dict(warmup=3, min_time=3.0, max_calls=400, min_calls=10)
RULE_QUICK = dict(warmup=1, min_time=0.3, max_calls=20, min_calls=3)
RULE_PARTS = dict(warmup=2, min_time=1.0, max_calls=200, min_calls=5)
# The bar (issue 4): Gantry's windows/s at least this many times PyTorch's.
BAR = {1: 1.3, 2: 2.0}
# Orion's benchmark: TadGAN's median seconds per NAB signal.
TADGAN_S = 563
# Parity tolerances, relative to the largest |value| of Gantry's output.
TOL = dict(critic_rel=1e-4, recon_rel=1e-4, xr_rel=1e-4, z_rel=1e-4)


# --------------------------------------------------------------- the model

def load_part(f, group):
    """One network of a Gantry model file, built from its spec text, with
    the weights and buffers of its layers/ view (Gantry's layer order:
    weight, bias; bn gamma, beta; running mean, var; sn weight_u, weight_v)."""
    g = f[group]
    spec = g.attrs["spec"]
    net = build(spec.decode() if isinstance(spec, bytes) else spec)
    params, buffers = [], []
    layers = g["layers"]
    for name in sorted(layers, key=lambda s: int(s.split("_", 1)[0])):
        L = layers[name]
        for key in ("weight", "bias", "gamma", "beta", "table"):
            if key in L:
                params.append(L[key][()])
        for key in ("running_mean", "running_var", "weight_u", "weight_v"):
            if key in L:
                buffers.append(L[key][()])
    for kind, src, dst in (("parameters", params, net.gantry_params()),
                           ("buffers", buffers, net.gantry_buffers())):
        if len(src) != len(dst):
            raise ValueError("%s: %d %s in layers/, the spec has %d"
                             % (group, len(src), kind, len(dst)))
        with torch.no_grad():
            for a, t in zip(src, dst):
                if tuple(a.shape) != tuple(t.shape):
                    raise ValueError("%s: layers/ array of shape %s for a tensor of shape %s"
                                     % (group, a.shape, tuple(t.shape)))
                t.copy_(torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32)))
    net.eval()
    return net


class Scorer:
    """D, E and G of a Gantry time-series GAN file, and its score."""

    def __init__(self, path):
        import h5py
        with h5py.File(path, "r") as f:
            if f.attrs.get("kind") not in ("tsgan", b"tsgan"):
                raise ValueError("%s is not a time-series GAN model file" % path)
            self.d = load_part(f, "discriminator")
            self.e = load_part(f, "encoder")
            self.g = load_part(f, "generator")
            self.batch = int(f.attrs["batch"])
            self.window = int(f.attrs["window"])
            self.nch = int(f.attrs["channels_count"])
            self.nz = int(f.attrs["nz"])

    @torch.no_grad()
    def score(self, x):
        """x (n, C, L) -> critic (n), recon (n, L), xr (n, C, L), z (n, nz)."""
        critic = -self.d(x).reshape(-1)
        z = self.e(x).reshape(x.shape[0], -1)
        xr = self.g(z).reshape(x.shape)
        recon = ((x - xr) ** 2).mean(dim=1)
        return critic, recon, xr, z


# ----------------------------------------------------------------- timing

def time_calls(fn, rule):
    for i in range(rule["warmup"]):
        fn(i)
    ms, cpu = [], []
    load_before = os.getloadavg()[0]
    m0 = cpu_mark()
    t0 = time.perf_counter()
    i = rule["warmup"]
    while True:
        el = time.perf_counter() - t0
        if len(ms) >= rule["min_calls"] and (el >= rule["min_time"]
                                             or len(ms) >= rule["max_calls"]):
            break
        a, c = time.perf_counter(), time.process_time()
        fn(i)
        cpu.append(1e3 * (time.process_time() - c))
        ms.append(1e3 * (time.perf_counter() - a))
        i += 1
    total = time.perf_counter() - t0
    own, others, steal = cpu_usage(m0, cpu_mark())
    return dict(calls=len(ms), total_s=round(total, 3),
                median_ms=round(statistics.median(ms), 3), min_ms=round(min(ms), 3),
                max_ms=round(max(ms), 3), mean_ms=round(sum(ms) / len(ms), 3),
                cpu_median_ms=round(statistics.median(cpu), 3), load_before=load_before,
                load_after=os.getloadavg()[0],
                self_cpus=round(own, 2), others_cpus=round(others, 2),
                steal_cpus=round(steal, 2))


def bench(args):
    torch.set_num_threads(args.threads)
    torch.manual_seed(13)
    sc = Scorer(args.model)
    n = sc.batch
    pool = [torch.rand(n, sc.nch, sc.window) * 2 - 1 for _ in range(4)]
    r = time_calls(lambda i: sc.score(pool[i % 4]), RULE_QUICK if args.quick else RULE_FULL)
    parts, parts_cpu = {}, {}
    with torch.no_grad():
        z = sc.e(pool[0])
        for name, fn in (("d", lambda i: sc.d(pool[i % 4])), ("e", lambda i: sc.e(pool[i % 4])),
                         ("g", lambda i: sc.g(z))):
            q = time_calls(fn, RULE_QUICK if args.quick else RULE_PARTS)
            parts[name], parts_cpu[name] = q["median_ms"], q["cpu_median_ms"]
    wps = n / (r["median_ms"] * 1e-3)
    print(json.dumps(dict(kind="result", impl="pytorch", config="vibration-1024x1",
                          threads=args.threads, batch=n, windows_per_s=round(wps, 1),
                          torch_threads=torch.get_num_threads(), torch_version=torch.__version__,
                          openblas_threads=os.environ.get("OPENBLAS_NUM_THREADS"),
                          parts_ms=parts, parts_cpu_ms=parts_cpu, **r)), flush=True)
    print("pytorch score threads %d: %8.3f ms per batch of %d, %8.1f windows/s (median of %d; "
          "other processes used %.2f CPUs)" % (args.threads, r["median_ms"], n, wps, r["calls"],
                                               r["others_cpus"]), file=sys.stderr, flush=True)


# ------------------------------------------------------------------ check

def check(args):
    import h5py
    torch.set_num_threads(1)
    sc = Scorer(os.path.join(args.check, "score-model.h5"))
    with h5py.File(os.path.join(args.check, "score-parity.h5"), "r") as f:
        ref = {k: f[k][()] for k in ("x", "critic", "recon", "xr", "z")}
    critic, recon, xr, z = sc.score(torch.from_numpy(ref["x"]))
    res = {}
    for name, ours in (("critic", critic), ("recon", recon), ("xr", xr), ("z", z)):
        res[name + "_abs"] = abs_err(ours.numpy(), ref[name])
        res[name + "_rel"] = rel_err(ours.numpy(), ref[name])
        res[name + "_max"] = float(np.max(np.abs(ref[name])))
    ok = all(res[k] <= v for k, v in TOL.items())
    print(json.dumps(dict(kind="check", config="vibration-1024x1", windows=int(ref["x"].shape[0]),
                          ok=ok, tol=TOL, **{k: float("%.3g" % v) for k, v in res.items()})),
          flush=True)
    print("check score %s  critic %.1e (rel %.1e)  recon %.1e (rel %.1e)  G(E(x)) %.1e  "
          "E(x) %.1e" % ("ok  " if ok else "FAIL", res["critic_abs"], res["critic_rel"],
                         res["recon_abs"], res["recon_rel"], res["xr_abs"], res["z_abs"]),
          file=sys.stderr)
    return 0 if ok else 1


# ----------------------------------------------------------------- report

def fastest(rows, key, better):
    """The best row per key(row) (several rounds: each side's fastest)."""
    out, rounds = {}, {}
    for r in rows:
        k = key(r)
        rounds.setdefault(k, []).append(r)
        if k not in out or better(r, out[k]):
            out[k] = r
    return out, rounds


def fmt(v, f):
    return f % v if v is not None else "-"


def score_table(outdir, L, ncpu):
    rows = []
    for path in sorted(os.listdir(outdir)):
        if path.startswith(("score-gantry-t", "score-pytorch-t")) and path.endswith(".json"):
            rows += read_lines(os.path.join(outdir, path))
    results, rounds = fastest([r for r in rows if r["kind"] == "result"],
                              lambda r: (r["impl"], r["threads"]),
                              lambda a, b: a["median_ms"] < b["median_ms"])
    peaks, _ = fastest([r for r in rows if r["kind"] == "sgemm_peak"], lambda r: r["threads"],
                       lambda a, b: a["gflops"] > b["gflops"])
    mm, _ = fastest([r for r in rows if r["kind"] == "mm_peak"], lambda r: r["threads"],
                    lambda a, b: a["gflops"] > b["gflops"])
    threads = sorted({k[1] for k in results})
    nrounds = max((len(v) for v in rounds.values()), default=1)
    L.append("| threads | gantry win/s | PyTorch win/s | ours/theirs | speedup | bar | met? "
             "| gantry GFLOP/s | % of sgemm peak | load | others' CPUs |")
    L.append("|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|")
    table, per_batch, any_busy = [], [], False
    for t in threads:
        g, p = results.get(("gantry", t)), results.get(("pytorch", t))
        peak = peaks.get(t)

        def get(r, k):
            return r.get(k) if r else None
        row = dict(threads=t, gantry_wps=get(g, "windows_per_s"),
                   pytorch_wps=get(p, "windows_per_s"), gantry_ms=get(g, "median_ms"),
                   pytorch_ms=get(p, "median_ms"), gantry_cpu_ms=get(g, "cpu_median_ms"),
                   pytorch_cpu_ms=get(p, "cpu_median_ms"), gantry_parts_ms=get(g, "parts_ms"),
                   pytorch_parts_ms=get(p, "parts_ms"),
                   gantry_parts_cpu_ms=get(g, "parts_cpu_ms"),
                   pytorch_parts_cpu_ms=get(p, "parts_cpu_ms"),
                   gantry_rounds_wps=[r["windows_per_s"] for r in rounds.get(("gantry", t), [])],
                   pytorch_rounds_wps=[r["windows_per_s"]
                                       for r in rounds.get(("pytorch", t), [])],
                   bar=BAR.get(t))
        row["ratio"] = row["gantry_ms"] / row["pytorch_ms"] if g and p else None
        row["speedup"] = 1.0 / row["ratio"] if row["ratio"] else None
        row["met"] = (row["speedup"] >= row["bar"]) if row["speedup"] and row["bar"] else None
        # One thread: CPU time is the work without the time spent descheduled.
        row["cpu_speedup"] = (row["pytorch_cpu_ms"] / row["gantry_cpu_ms"]
                              if t == 1 and row["gantry_cpu_ms"] and row["pytorch_cpu_ms"]
                              else None)
        row["gantry_gflops"] = get(g, "gflops")
        row["pct_peak"] = 100.0 * g["gflops"] / peak["gflops"] if g and peak else None
        loads = [r[k] for r in (g, p) if r for k in ("load_before", "load_after")]
        row["load"] = max(loads) if loads else None
        others = [r["others_cpus"] for r in (g, p) if r and r.get("others_cpus", -1) >= 0]
        row["others_cpus"] = max(others) if others else None
        busy = row["others_cpus"] is not None and row["others_cpus"] + t > ncpu + 0.25
        row["busy"] = busy
        any_busy |= busy
        table.append(row)
        L.append("| %d%s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            t, " *" if busy else "", fmt(row["gantry_wps"], "%.0f"),
            fmt(row["pytorch_wps"], "%.0f"), fmt(row["ratio"], "%.2f"),
            fmt(row["speedup"], "%.2fx"), fmt(row["bar"], "%.1fx"),
            "? (busy)" if busy and row["met"] is not None
            else {True: "yes", False: "**no**", None: "-"}[row["met"]],
            fmt(row["gantry_gflops"], "%.1f"), fmt(row["pct_peak"], "%.0f%%"),
            fmt(row["load"], "%.1f"), fmt(row["others_cpus"], "%.1f")))

        def parts(r, key, total):
            if not r or not r.get(key):
                return "-"
            q = r[key]
            return "%.2f (%.2f, %.2f, %.2f)" % (r[total], q["d"], q["e"], q["g"])
        per_batch.append("| %d | %s | %s | %s | %s | %s |" % (
            t, parts(g, "parts_ms", "median_ms"), parts(p, "parts_ms", "median_ms"),
            parts(g, "parts_cpu_ms", "cpu_median_ms"), parts(p, "parts_cpu_ms", "cpu_median_ms"),
            fmt(row["cpu_speedup"], "%.2fx")))
    L.append("")
    if any_busy:
        L.append("\\* fewer than `threads` of the %d CPUs were free while this row was timed "
                 "(others' CPUs: how many CPUs other processes kept busy meanwhile, the worse "
                 "of the two sides); its wall-clock figures say little, whether the bar is met "
                 "is left open. Compare by CPU time (one thread, below) or rerun on a quiet "
                 "machine." % ncpu)
        L.append("")
    L.append("Milliseconds per batch, the whole score and (in brackets) D(x), E(x) and G(z) "
             "each timed alone; wall-clock medians, then CPU-time medians (all threads of the "
             "process). With one thread, CPU time leaves out the time the process was "
             "descheduled, so its speedup is the one to trust on a busy machine; with more "
             "threads it also counts spin-waiting, and is not compared.")
    L.append("")
    L.append("| threads | gantry wall ms | PyTorch wall ms | gantry CPU ms | PyTorch CPU ms "
             "| speedup by CPU time |")
    L.append("|---:|---|---|---|---|---:|")
    L += per_batch
    L.append("")
    for t in threads:
        s, m = peaks.get(t), mm.get(t)
        L.append("- %d thread%s: OpenBLAS sgemm 2048 peak %s GFLOP/s (Gantry's BLAS); "
                 "torch.mm 2048 %s GFLOP/s (PyTorch process, OPENBLAS_NUM_THREADS=%s)"
                 % (t, "" if t == 1 else "s", fmt(s and s["gflops"], "%.1f"),
                    fmt(m and m["gflops"], "%.1f"), (m or {}).get("openblas_threads") or "unset"))
    L.append("")
    torch_v = next((r.get("torch_version") for r in rows if r.get("torch_version")), None)
    return dict(table=table, sgemm_peak=list(peaks.values()), torch_mm_peak=list(mm.values()),
                nrounds=nrounds, torch_version=torch_v, raw=rows)


def detect_table(outdir, L):
    rows = [r for r in read_lines(os.path.join(outdir, "detect.json")) if r["kind"] == "detect"]
    if not rows:
        skipped = [r for r in read_lines(os.path.join(outdir, "detect.json"))
                   if r["kind"] == "detect_skipped"]
        L.append("`gantry detect` on NAB: not measured (%s)."
                 % (skipped[0]["why"] if skipped else "no detect.json"))
        return dict(detect=[], detect_table=[])
    L.append("`gantry detect` on NAB signals (ingest not timed; fit on the whole signal "
             "and score it, the tool's defaults), seconds per signal:")
    L.append("")
    L.append("| signals | threads | n | median s | min s | max s | median CPU s "
             "| others' CPUs | uncontended: n, median s | TadGAN (Orion) median s | load |")
    L.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    ncpu = os.cpu_count() or 1

    def others(r):
        o = r.get("others_cpus", -1)
        return o if o is not None and o >= 0 else None

    def quiet(r):
        return others(r) is not None and others(r) + r["threads"] <= ncpu + 0.25
    out = []
    groups = sorted({r["subset"] for r in rows}) + ["all"]
    for t in sorted({r["threads"] for r in rows}):
        for sub in groups:
            sel = [r for r in rows if r["threads"] == t and (sub == "all" or r["subset"] == sub)]
            if not sel or (sub == "all" and len(groups) == 2):
                continue
            s = [r["seconds"] for r in sel]
            cpu = [r.get("cpu_seconds", -1) for r in sel]
            cpu = statistics.median(cpu) if min(cpu) >= 0 else None
            oth = [others(r) for r in sel if others(r) is not None]
            qs = [r["seconds"] for r in sel if quiet(r)]
            failed = sum(1 for r in sel if r["rc"] != 0)
            row = dict(subset=sub, threads=t, n=len(s), median_s=statistics.median(s),
                       min_s=min(s), max_s=max(s), median_cpu_s=cpu,
                       median_others_cpus=statistics.median(oth) if oth else None,
                       uncontended_n=len(qs),
                       uncontended_median_s=statistics.median(qs) if qs else None,
                       failed=failed,
                       load=max(max(r["load_before"], r["load_after"]) for r in sel))
            out.append(row)
            L.append("| %s%s | %d | %d | %.1f | %.1f | %.1f | %s | %s | %s | %d | %.1f |" % (
                sub, " (%d failed)" % failed if failed else "", t, len(s), row["median_s"],
                row["min_s"], row["max_s"], fmt(cpu, "%.1f"),
                fmt(row["median_others_cpus"], "%.1f"),
                "%d, %s" % (len(qs), fmt(row["uncontended_median_s"], "%.1f")) if oth else "-",
                TADGAN_S, row["load"]))
    L.append("")
    L.append("others' CPUs: the median over the runs of how many CPUs other processes kept "
             "busy meanwhile; uncontended: the runs during which at least `threads` of the %d "
             "CPUs were free. Per signal (seconds, and others' CPUs): %s."
             % (ncpu, "; ".join(
                 "%s (%d rows) %s" % (sig, next(r["rows"] for r in rows if r["signal"] == sig),
                                      ", ".join("%d thr %.1f s (%s)"
                                                % (r["threads"], r["seconds"],
                                                   fmt(others(r), "%.1f"))
                                                for r in rows if r["signal"] == sig))
                 for sig in dict.fromkeys(r["signal"] for r in rows))))
    L.append("")
    L.append("TadGAN's %d s is the median seconds per signal in Orion's benchmark "
             "(sintel-dev/Orion, its published benchmark results, measured on other "
             "hardware); it is a reference, not a same-run comparison." % TADGAN_S)
    return dict(detect=rows, detect_table=out)


def report(args):
    outdir = args.report
    ncpu = os.cpu_count() or 1
    spec = next((s for s in read_lines(os.path.join(outdir, "score-spec.json"))
                 if s["kind"] == "spec"), None)
    checks = [c for c in read_lines(os.path.join(outdir, "score-check.json"))
              if c["kind"] == "check"]
    L = ["# Anomaly scoring: Gantry vs PyTorch", ""]
    L.append("Windows per second of the full per-window score (critic -D(x), encoder E(x), "
             "G(E(x)), squared residual at every time: gt_tsgan_score_windows with the "
             "reconstruction) for the `vibration` preset (window 1024, 1 channel, latent 32, "
             "widths 8 to 128, batch %s, %.1f MFLOP per window), median over batches%s%s. "
             "ours/theirs = Gantry ms / PyTorch ms per batch (below 1: Gantry is faster); "
             "speedup = Gantry windows/s / PyTorch windows/s; bar = the speedup issue 4 asks "
             "for."
             % (spec["batch"] if spec else "?", spec["window_flops"] / 1e6 if spec else 0,
                "", " (**quick smoke run: few batches, not for quoting**)" if args.quick else ""))
    L.append("")
    res = score_table(outdir, L, ncpu)
    if res["nrounds"] > 1:
        L.insert(3, "Fastest of %d rounds for each side." % res["nrounds"])
    if checks:
        c = checks[0]
        L.append("Parity (Gantry's model file loaded into the PyTorch networks from its "
                 "`layers/` view, %d windows scored by both; max abs difference, and relative "
                 "to the largest value): %s; critic %.1e (%.1e), recon %.1e (%.1e), "
                 "G(E(x)) %.1e (%.1e), E(x) %.1e (%.1e); tolerance %.0e relative."
                 % (c["windows"], "match" if c["ok"] else "**MISMATCH**", c["critic_abs"],
                    c["critic_rel"], c["recon_abs"], c["recon_rel"], c["xr_abs"], c["xr_rel"],
                    c["z_abs"], c["z_rel"], TOL["critic_rel"]))
        L.append("")
    det = detect_table(outdir, L)
    L.append("")
    L.append("Machine: %s, %d CPUs; PyTorch %s; load = the highest 1-minute load average "
             "seen around the row." % (cpu_name(), ncpu, res["torch_version"] or "?"))
    print("\n".join(L))
    with open(os.path.join(outdir, "score.json"), "w") as f:
        json.dump(dict(quick=args.quick, cpu=cpu_name(), cpus=ncpu, spec=spec, check=checks,
                       bar=BAR, tadgan_median_s=TADGAN_S, **res, **det), f, indent=1)
        f.write("\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    what = ap.add_mutually_exclusive_group(required=True)
    what.add_argument("--model", help="a Gantry tsgan model file to time")
    what.add_argument("--check", metavar="DIR", help="parity check on bench_score --prepare DIR")
    what.add_argument("--report", metavar="OUTDIR", help="the Markdown report and score.json")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    if args.check:
        sys.exit(check(args))
    if args.report:
        report(args)
        return
    bench(args)


if __name__ == "__main__":
    main()
