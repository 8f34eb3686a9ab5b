#!/usr/bin/python3
"""Collect the benchmark's JSON lines into a Markdown table and one JSON file.

    report.py OUTDIR [--quick]

Reads OUTDIR/specs.json, OUTDIR/check.json (if present), OUTDIR/gantry-tN.json
and OUTDIR/pytorch-tN.json; prints the Markdown report and writes
OUTDIR/train.json.
"""

import glob
import json
import os
import platform
import sys


def read_lines(path):
    out = []
    if not os.path.exists(path):
        return out
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                out.append(json.loads(line))
    return out


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main():
    outdir = sys.argv[1]
    quick = "--quick" in sys.argv[2:]
    specs = {s["config"]: s for s in read_lines(os.path.join(outdir, "specs.json"))
             if s.get("kind") == "spec"}
    order = list(specs)
    checks = [c for c in read_lines(os.path.join(outdir, "check.json")) if c.get("kind") == "check"]
    results, peaks, mm_peaks, rounds = {}, {}, {}, {}
    files = sorted(glob.glob(os.path.join(outdir, "gantry-t*.json")) +
                   glob.glob(os.path.join(outdir, "pytorch-t*.json")))
    raw = []
    for path in files:
        for r in read_lines(path):
            raw.append(r)
            # Several rounds (BENCH_ROUNDS): keep the fastest of each.
            if r["kind"] == "result":
                k = (r["impl"], r["config"], r["threads"])
                rounds[k] = rounds.get(k, []) + [r["median_ms"]]
                if k not in results or r["median_ms"] < results[k]["median_ms"]:
                    results[k] = r
            elif r["kind"] == "sgemm_peak":
                if r["threads"] not in peaks or r["gflops"] > peaks[r["threads"]]["gflops"]:
                    peaks[r["threads"]] = r
            elif r["kind"] == "mm_peak":
                if r["threads"] not in mm_peaks or r["gflops"] > mm_peaks[r["threads"]]["gflops"]:
                    mm_peaks[r["threads"]] = r
    threads = sorted({k[2] for k in results})
    nrounds = max((len(v) for v in rounds.values()), default=1)

    L = []
    L.append("# Training step: Gantry vs PyTorch")
    L.append("")
    L.append("One full DCGAN training step (D on a real and a fake batch, then G through D; "
             "Adam, BCE on logits), batch %d, median ms per step%s%s. "
             "ours/theirs = Gantry ms / PyTorch ms (below 1: Gantry is faster). "
             "GFLOP/s counts the nominal 3 Gf + 8 Df per step (bench/README.md); "
             "%% of sgemm peak compares it with OpenBLAS's 2048x2048 sgemm at the same "
             "thread count."
             % (next(iter(specs.values()))["batch"] if specs else 64,
                " (the fastest of %d rounds for each side)" % nrounds if nrounds > 1 else "",
                " (**quick smoke run: few steps, not for quoting**)" if quick else ""))
    L.append("")
    L.append("| step | threads | gantry ms | PyTorch ms | ours/theirs | gantry GFLOP/s "
             "| % of sgemm peak |")
    L.append("|---|---:|---:|---:|---:|---:|---:|")
    table = []
    ncpu = os.cpu_count() or 1
    any_busy = False
    busy_rows = []
    for cfg in order:
        for t in threads:
            g = results.get(("gantry", cfg, t))
            p = results.get(("pytorch", cfg, t))
            if not g and not p:
                continue
            peak = peaks.get(t)
            row = dict(config=cfg, threads=t,
                       gantry_ms=g["median_ms"] if g else None,
                       pytorch_ms=p["median_ms"] if p else None,
                       step_gflop=specs[cfg]["step_flops"] / 1e9)
            row["gantry_rounds_ms"] = rounds.get(("gantry", cfg, t), [])
            row["pytorch_rounds_ms"] = rounds.get(("pytorch", cfg, t), [])
            row["ratio"] = (row["gantry_ms"] / row["pytorch_ms"]
                            if g and p and p["median_ms"] > 0 else None)
            row["gantry_gflops"] = g["gflops"] if g else None
            row["pct_peak"] = (100.0 * g["gflops"] / peak["gflops"]) if g and peak else None
            table.append(row)

            # Contention: other processes' CPU use during the timed steps
            # (from /proc/stat) left fewer than `threads` CPUs free.
            others = [r["others_cpus"] for r in (g, p)
                      if r and r.get("others_cpus") is not None and r["others_cpus"] >= 0]
            row["others_cpus"] = max(others) if others else None
            row["steal_cpus"] = max([r.get("steal_cpus") or 0 for r in (g, p) if r] or [0])
            busy = row["others_cpus"] is not None and row["others_cpus"] + t > ncpu + 0.25
            if busy:
                busy_rows.append("%s at %d thread%s (other processes: %.1f CPUs)"
                                 % (cfg, t, "" if t == 1 else "s", row["others_cpus"]))
            any_busy = any_busy or busy

            def f(v, fmt):
                return fmt % v if v is not None else "-"
            L.append("| %s%s | %d | %s | %s | %s | %s | %s |" % (
                cfg, " *" if busy else "", t, f(row["gantry_ms"], "%.1f"),
                f(row["pytorch_ms"], "%.1f"),
                f(row["ratio"], "%.2f"), f(row["gantry_gflops"], "%.1f"),
                f(row["pct_peak"], "%.0f%%")))
    L.append("")
    if any_busy:
        L.append("\\* other processes kept CPUs busy while this row was timed, so fewer than "
                 "`threads` of the %d CPUs were free and its times are inflated (most of all "
                 "with several threads; both libraries spin-wait): %s. Rerun on a quiet "
                 "machine before quoting them." % (ncpu, "; ".join(busy_rows)))
        L.append("")
    for t in threads:
        s = peaks.get(t)
        m = mm_peaks.get(t)
        ob = m.get("openblas_threads") if m else None
        L.append("- %d thread%s: OpenBLAS sgemm 2048 peak %s GFLOP/s (Gantry's BLAS, %d "
                 "thread%s); torch.mm 2048 %s GFLOP/s (PyTorch process, OPENBLAS_NUM_THREADS=%s)"
                 % (t, "" if t == 1 else "s", "%.1f" % s["gflops"] if s else "-", t,
                    "" if t == 1 else "s", "%.1f" % m["gflops"] if m else "-", ob or "unset"))
    L.append("")
    L.append("Per step (nominal GFLOP = 3 Gf + 8 Df, Gf and Df = gt_model_flops of one "
             "forward of the batch):")
    L.append("")
    for cfg in order:
        s = specs[cfg]
        L.append("- %s: G %d params, D %d params; Gf %.3f, Df %.3f, step %.2f GFLOP"
                 % (cfg, s["g_params"], s["d_params"], s["g_flops"] / 1e9,
                    s["d_flops"] / 1e9, s["step_flops"] / 1e9))
    if checks:
        ok = all(c["ok"] for c in checks)
        L.append("")
        L.append("Parity of the PyTorch translation (Gantry's initial parameters and buffers "
                 "loaded, one training step on the same z, batch and labels; bench/README.md): "
                 "%s." % ("all match" if ok else "**MISMATCH**"))
        L.append("")
        L.append("| model | batch | forward G | forward D | losses | D grads (rel) "
                 "| G grads (rel) | params off > 0.01 lr (D / G) | buffers |")
        L.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for c in checks:
            L.append("| %s%s | %d | %.1e | %.1e | %.1e | %.1e | %.1e | %.4f / %.4f | %.1e |" % (
                c["config"], "" if c["ok"] else " (FAIL)", c["batch"], c["fake_abs"],
                c["d_real_logits_abs"], c["loss_abs"], c["d_grads_rel"], c["g_grads_rel"],
                c["d_params1_frac_off"], c["g_params1_frac_off"], c.get("buffers1_abs", -1)))
        banded = [c for c in checks if c.get("banded")]
        for c in banded:
            L.append("")
            L.append("%s runs Winograd convolutions, whose rounding (up to 1e-5 of a layer's "
                     "largest output) moves the step itself: the same rounding injected into "
                     "PyTorch's step moves its losses by %.1e, D grads by %.1e and G grads by "
                     "%.1e (largest of %d draws), and the step's figures must be within %d "
                     "times that (bench/torch_train.py)." % (
                         c["config"], c["band_loss_abs"], c["band_d_grads_rel"],
                         c["band_g_grads_rel"], c["band_draws"], c["band_factor"]))
    torch_v = next((r.get("torch_version") for r in raw if r.get("impl") == "pytorch"
                    and r.get("torch_version")), None)
    L.append("")
    L.append("Machine: %s, %d CPUs; PyTorch %s." % (cpu_name(), os.cpu_count() or 0,
                                                    torch_v or "?"))
    print("\n".join(L))

    with open(os.path.join(outdir, "train.json"), "w") as f:
        json.dump(dict(quick=quick, cpu=cpu_name(), cpus=os.cpu_count(), specs=list(specs.values()),
                       table=table, sgemm_peak=list(peaks.values()),
                       torch_mm_peak=list(mm_peaks.values()), check=checks, raw=raw),
                  f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
