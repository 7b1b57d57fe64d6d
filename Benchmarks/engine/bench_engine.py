#!/usr/bin/env python3
"""MedInfer's engine vs ONNX Runtime, side by side in one run: latency, agreement, peak RSS.

Usage (run.sh does all of this; from the package root):
    .venv/bin/python Benchmarks/engine/make_models.py
    .venv/bin/python Benchmarks/engine/bench_engine.py "$(swift build -c release --show-bin-path)/medinfer"
    ... --quick                      few iterations, resnet18 only unless --models is given (~1 min)
    ... --ort-only                   only the ONNX Runtime half (no medinfer binary needed)
    ... --models resnet18,unet_convt --batches 1,8 --threads 1,2 --rounds 2 --iterations 10
    ... --models unet3d              the 3-D U-Net alone (batch 1, threads 1 and 2)

Models: resnet18, densenet121, unet_convt, unet_resize (2-D, NCHW) and unet3d (3-D, NCDHW 1x1x128^3);
all five by default.  unet3d runs at batch 1 only (MAX_BATCH): larger entries of --batches are skipped
for it, with a note (batch 8 at 128^3 is too big: 8x the batch-1 activations and time).

Per configuration (model x batch x threads), in this order and alternating which engine goes first:
  * ours: `medinfer bench MODEL --batch B --threads T --iterations N --json` in its own process;
    the median (and min/max) latency is read from its JSON.
  * ORT 1.32: a child `python bench_engine.py --ort-child ...` in its own process:
    CPUExecutionProvider, ORT_ENABLE_ALL, intra_op_num_threads = T, inter_op_num_threads = 1,
    sequential execution, OMP_NUM_THREADS = T; 2 warm-up runs, then N timed runs (same N as ours).
  * agreement: `medinfer infer MODEL --input input=X.npy --output-dir D --threads T` on the same fixed
    N(0,1) input that the ORT child ran (seed 1234, as the reference ONNX Runtime benchmark used), compared with ORT's
    output: max |ours - ORT| and the issue's tolerance 1e-4 * max(1, max |ORT|).
  * peak RSS of each child: ru_maxrss from wait4() on that process (the number GNU time -v prints as
    "Maximum resident set size"). ORT's includes the Python interpreter (~55 MiB, printed as the
    "baseline" row); ours is the whole medinfer process.
With --rounds R the sweep repeats R times and each median is the median of the R medians.

Output: one line per configuration while running, then a markdown table (for BENCHMARKS.md) on stdout
and in Benchmarks/engine/results/engine_table.md, raw rows in results/engine.jsonl.
Exit status 1 if an output disagrees beyond the tolerance or a run fails (the speed targets are not
enforced here; the table shows them).

Our JSON: the first number whose key contains "median" is taken as the median latency, in ms unless the
key says otherwise (median_ms, medianMs, median_s, median_us ...); "min"/"max" likewise.
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS_DIR = os.path.join(HERE, "models")
RESULTS = os.path.join(HERE, "results")
# per-image input shape (C, H, W) or (C, D, H, W); the batch dimension is prepended (any rank)
INPUT = {"resnet18": (3, 224, 224), "densenet121": (3, 224, 224), "unet_convt": (1, 256, 256),
         "unet_resize": (1, 256, 256), "unet3d": (1, 128, 128, 128)}
MODELS = ["resnet18", "densenet121", "unet_convt", "unet_resize", "unet3d"]   # the default --models
MAX_BATCH = {"unet3d": 1}    # larger batches in --batches are skipped for these models
EXPECTED_SHA256 = {  # what make_models.py writes (numpy 2.4.6, onnx 1.22/1.23), the models the reference figures were measured on
    "resnet18": "5972cf576b29326d",
    "unet_convt": "1620c38606167aaf",
    "unet_resize": "5fe59aca12a97bf0",
    "densenet121": "73aa6b58a2d62b70",
    "unet3d": "1febd2331d246d67",      # this repository's own (not in the reference study); same numpy/onnx
}
# timed iterations per (model, batch): about 2-4 s of ORT time per configuration on 1 thread
ITERATIONS = {("resnet18", 1): 60, ("resnet18", 8): 10, ("densenet121", 1): 40, ("densenet121", 8): 8,
              ("unet_convt", 1): 12, ("unet_convt", 8): 3, ("unet_resize", 1): 10, ("unet_resize", 8): 3,
              ("unet3d", 1): 3}
QUICK_ITERATIONS = {("resnet18", 1): 10, ("resnet18", 8): 3, ("unet3d", 1): 1}
RTOL = 1e-4
TARGET = 1.5      # the issue's targets: time and peak RSS at most 1.5x ORT's


# --------------------------------------------------------------------------------------------------
# child: ORT timing in its own process
def make_input(model, batch):
    import numpy as np
    return np.random.default_rng(1234).standard_normal((batch, *INPUT[model])).astype(np.float32)


def ort_child(a):
    import numpy as np
    import onnxruntime as ort
    if a.model == "none":           # interpreter + import baseline for the RSS column
        print(json.dumps({"engine": "ort", "model": "none", "version": ort.__version__}))
        return
    x = np.load(a.input) if a.input else make_input(a.model, a.batch)
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.intra_op_num_threads = a.threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    t0 = time.perf_counter()
    sess = ort.InferenceSession(os.path.join(MODELS_DIR, a.model + ".onnx"), so,
                                providers=["CPUExecutionProvider"])
    load_s = time.perf_counter() - t0
    feeds = {sess.get_inputs()[0].name: x}
    y = None
    for _ in range(2):
        y = sess.run(None, feeds)[0]
    times = []
    for _ in range(a.iterations):
        t = time.perf_counter()
        sess.run(None, feeds)
        times.append(time.perf_counter() - t)
    if a.save_output:
        np.save(a.save_output, y)
    print(json.dumps({"engine": "ort", "version": ort.__version__, "model": a.model, "batch": a.batch,
                      "threads": a.threads, "runs": len(times), "min_ms": min(times) * 1e3,
                      "median_ms": statistics.median(times) * 1e3, "max_ms": max(times) * 1e3,
                      "load_s": load_s}))


# --------------------------------------------------------------------------------------------------
# parent
def run_measured(cmd, env=None, timeout=3600):
    """Run cmd; return (returncode, stdout, stderr, peak RSS MiB, wall s). Peak RSS via wait4()."""
    t0 = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        p = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, text=True)
        deadline = time.time() + timeout
        while True:
            pid, status, ru = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            if time.time() > deadline:
                p.kill()
                pid, status, ru = os.wait4(p.pid, 0)
                break
            time.sleep(0.01)
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return p.returncode, out.read(), err.read(), ru.ru_maxrss / 1024.0, time.perf_counter() - t0


def last_json(text):
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                continue
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None


def flatten(d, prefix=""):
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            yield from flatten(v, key + ".")
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            yield key, float(v)


def latency_ms(js, what):
    """First number whose key contains `what` (median/min/max), converted to ms from the key's unit."""
    top_unit = js.get("unit") if isinstance(js.get("unit"), str) else ""
    for key, v in flatten(js):
        k = key.lower()
        leaf = k.rsplit(".", 1)[-1]
        if what not in leaf or any(w in leaf for w in ("img", "image", "per_s", "throughput")):
            continue
        for part in (leaf, k, top_unit.lower()):     # the unit: from the key, its parents, or "unit"
            if part.endswith("us") or "_us" in part or "µs" in part:
                return v / 1e3
            if part.endswith("ns") or "_ns" in part:
                return v / 1e6
            if part.endswith("ms") or "_ms" in part or "millis" in part:
                return v
            if part.endswith("_s") or "seconds" in part or part == "s":
                return v * 1e3
        return v
    return None


def run_ours_bench(a, model, batch, threads, iters):
    path = os.path.join(MODELS_DIR, model + ".onnx")
    cmd = [a.binary, "bench", path, "--batch", str(batch), "--threads", str(threads), "--iterations", str(iters),
           "--json"]
    rc, out, err, rss, wall = run_measured(cmd, timeout=a.timeout)
    js = last_json(out) if rc == 0 else None
    med = latency_ms(js, "median") if js else None
    if rc != 0 or med is None:
        return {"error": f"exit {rc}: {(err or out).strip()[-300:]}" if rc else f"no median in JSON: {out[-300:]}",
                "peak_rss_mib": rss}
    return {"median_ms": med, "min_ms": latency_ms(js, "min"), "max_ms": latency_ms(js, "max"),
            "peak_rss_mib": rss, "wall_s": wall, "raw": js}


def run_ort_bench(a, model, batch, threads, iters, input_path=None, save_output=None):
    cmd = [sys.executable, os.path.abspath(__file__), "--ort-child", "--model", model, "--batch", str(batch),
           "--threads", str(threads), "--iterations", str(iters)]
    if input_path:
        cmd += ["--input", input_path]
    if save_output:
        cmd += ["--save-output", save_output]
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    rc, out, err, rss, wall = run_measured(cmd, env=env, timeout=a.timeout)
    js = last_json(out)
    if rc != 0 or not js:
        return {"error": f"exit {rc}: {err.strip()[-300:]}", "peak_rss_mib": rss}
    js["peak_rss_mib"] = rss
    js["wall_s"] = wall
    return js


def run_ours_infer(a, model, threads, input_path, out_dir):
    import numpy as np
    os.makedirs(out_dir, exist_ok=True)
    cmd = [a.binary, "infer", os.path.join(MODELS_DIR, model + ".onnx"), "--input", f"input={input_path}",
           "--output-dir", out_dir, "--threads", str(threads)]
    rc, out, err, rss, wall = run_measured(cmd, timeout=a.timeout)
    p = os.path.join(out_dir, "output.npy")
    if rc != 0 or not os.path.exists(p):
        return None, f"infer exit {rc}: {(err or out).strip()[-300:]}"
    return np.load(p), None


def check_models():
    import hashlib
    bad = []
    for m, sha in EXPECTED_SHA256.items():
        p = os.path.join(MODELS_DIR, m + ".onnx")
        if not os.path.exists(p):
            bad.append(f"{m}: missing (run Benchmarks/engine/make_models.py)")
            continue
        h = hashlib.sha256(open(p, "rb").read()).hexdigest()
        if not h.startswith(sha):
            bad.append(f"{m}: sha256 {h[:16]} != expected {sha}")
    return bad


def fmt(v, spec=".1f"):
    return "-" if v is None else format(v, spec)


def table(rows, ort_base, ours_version, ort_version):
    out = [f"Engine benchmark: MedInfer {ours_version} vs ONNX Runtime {ort_version}, ms per batch: the median over "
           f"the rounds of each process's median (`medinfer bench` / ORT timed runs), and the minimum over all timed "
           f"runs. Peak RSS per process (ORT's includes {fmt(ort_base, '.0f')} MiB of Python interpreter + import).",
           "",
           "| model | threads | batch | ours median ms | ORT median ms | ratio | ours min ms | ORT min ms | min ratio | "
           "max abs diff | tolerance | agrees | ours peak RSS MiB | ORT peak RSS MiB | RSS ratio |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        ratio = r.get("ratio")
        rr = r.get("rss_ratio")
        ratio_s = "-" if ratio is None else f"{ratio:.2f}x" + (" ✗" if ratio > TARGET else "")
        rss_s = "-" if rr is None else f"{rr:.2f}x" + (" ✗" if rr > TARGET else "")
        agrees = r.get("agrees")
        mr = r.get("min_ratio")
        out.append(f"| {r['model']} | {r['threads']} | {r['batch']} | {fmt(r.get('ours_ms'))} | "
                   f"{fmt(r.get('ort_ms'))} | {ratio_s} | {fmt(r.get('ours_min_ms'))} | {fmt(r.get('ort_min_ms'))} | "
                   f"{'-' if mr is None else f'{mr:.2f}x'} | {fmt(r.get('max_abs_diff'), '.2e')} | "
                   f"{fmt(r.get('tolerance'), '.1e')} | {'-' if agrees is None else ('yes' if agrees else 'NO')} | "
                   f"{fmt(r.get('ours_rss'), '.0f')} | {fmt(r.get('ort_rss'), '.0f')} | {rss_s} |")
    for key, name in (("ratio", "median"), ("min_ratio", "min")):
        vals = [r[key] for r in rows if r.get(key)]
        if vals:
            gm = math.exp(sum(math.log(v) for v in vals) / len(vals))
            out += ["", f"{name} ratios: geometric mean {gm:.2f} over {len(vals)} configurations, largest "
                        f"{max(vals):.2f}, above 1.15: {sum(v > 1.15 for v in vals)}"]
    errs = [f"- {r['model']} T={r['threads']} B={r['batch']}: {e}" for r in rows for e in r.get("errors", [])]
    if errs:
        out += ["", "Errors:"] + errs
    out += ["", f"✗ = above the target of {TARGET}x ORT."]
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description="MedInfer engine vs ONNX Runtime (see the module docstring)")
    ap.add_argument("binary", nargs="?", help="medinfer executable (release build)")
    ap.add_argument("--quick", action="store_true", help="few iterations; resnet18 only unless --models")
    ap.add_argument("--ort-only", action="store_true", help="run only ONNX Runtime (no medinfer)")
    ap.add_argument("--models", help=f"comma-separated, from {','.join(MODELS)} (default: all; --quick: resnet18)")
    ap.add_argument("--batches", default="1,8")
    ap.add_argument("--threads", default="1,2", help="thread counts (in --ort-child: one count)")
    ap.add_argument("--iterations", type=int, default=0, help="timed runs per configuration (0 = per model)")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--no-accuracy", action="store_true", help="skip the medinfer infer comparison")
    ap.add_argument("--timeout", type=float, default=1800)
    ap.add_argument("--out-dir", default=RESULTS)
    # child mode
    ap.add_argument("--ort-child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--model", help=argparse.SUPPRESS)
    ap.add_argument("--batch", type=int, default=1, help=argparse.SUPPRESS)
    ap.add_argument("--input", help=argparse.SUPPRESS)
    ap.add_argument("--save-output", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.ort_child:
        a.threads = int(a.threads)
        ort_child(a)
        return
    import numpy as np
    import onnxruntime as ort

    if not a.ort_only and (not a.binary or not os.access(a.binary, os.X_OK)):
        ap.error(f"medinfer binary not executable: {a.binary} (or use --ort-only)")
    models = a.models.split(",") if a.models else (["resnet18"] if a.quick else MODELS)
    unknown = [m for m in models if m not in INPUT]
    if unknown:
        ap.error(f"unknown model(s) {','.join(unknown)}; known: {','.join(MODELS)}")
    batches = [int(b) for b in a.batches.split(",")]
    threads = [int(t) for t in a.threads.split(",")]
    bad = [b for b in check_models() if b.split(":")[0] in models]
    if bad:
        sys.exit("models not ready:\n  " + "\n  ".join(bad))
    os.makedirs(a.out_dir, exist_ok=True)
    work = tempfile.mkdtemp(prefix="bench-engine-")
    ours_version = "-"
    if not a.ort_only:
        rc, out, err, _, _ = run_measured([a.binary, "--version"])
        ours_version = (out.strip() or "?").splitlines()[0] if rc == 0 else "?"
    rc, out, err, base_rss, _ = run_measured([sys.executable, os.path.abspath(__file__), "--ort-child",
                                              "--model", "none"])
    print(f"ORT {ort.__version__}, numpy {np.__version__}; medinfer {a.binary or '-'} ({ours_version}); "
          f"ORT baseline RSS {base_rss:.0f} MiB", flush=True)

    configs = [(m, b, t) for m in models for b in batches if b <= MAX_BATCH.get(m, b) for t in threads]
    for m in models:
        skipped = [b for b in batches if b > MAX_BATCH.get(m, b)]
        if skipped:
            print(f"{m}: batch {','.join(map(str, skipped))} skipped (at most {MAX_BATCH[m]})", flush=True)
    if not configs:
        sys.exit("nothing to run: every requested batch is above the models' MAX_BATCH")
    samples = {c: {"ours": [], "ort": []} for c in configs}
    minima = {c: {"ours": [], "ort": []} for c in configs}
    rows = {c: {"model": c[0], "batch": c[1], "threads": c[2], "errors": []} for c in configs}
    turn = 0
    for rnd in range(a.rounds):
        for c in configs:
            model, batch, t = c
            iters = a.iterations or (QUICK_ITERATIONS if a.quick else ITERATIONS).get((model, batch), 10)
            r = rows[c]
            inp = os.path.join(work, f"{model}_b{batch}_input.npy")
            if not os.path.exists(inp):
                np.save(inp, make_input(model, batch))
            ort_out = os.path.join(work, f"{model}_b{batch}_t{t}_ort.npy")
            order = ["ours", "ort"] if turn % 2 == 0 else ["ort", "ours"]
            turn += 1
            if a.ort_only:
                order = ["ort"]
            t0 = time.time()
            for eng in order:
                if eng == "ort":
                    res = run_ort_bench(a, model, batch, t, iters, inp, ort_out if rnd == 0 else None)
                else:
                    res = run_ours_bench(a, model, batch, t, iters)
                if "error" in res:
                    r["errors"].append(f"{eng}: {res['error']}")
                    continue
                samples[c][eng].append(res["median_ms"])
                if res.get("min_ms") is not None:
                    minima[c][eng].append(res["min_ms"])
                key = "ours_rss" if eng == "ours" else "ort_rss"
                r[key] = max(r.get(key) or 0.0, res["peak_rss_mib"])
            if rnd == 0 and not a.ort_only and not a.no_accuracy and os.path.exists(ort_out):
                ours_y, err = run_ours_infer(a, model, t, inp, os.path.join(work, f"out_{model}_{batch}_{t}"))
                ref = np.load(ort_out)
                if err:
                    r["errors"].append(err)
                elif ours_y.shape != ref.shape:
                    r["errors"].append(f"output shape {list(ours_y.shape)} != ORT {list(ref.shape)}")
                    r["agrees"] = False
                else:
                    diff = float(np.max(np.abs(ours_y.astype(np.float64) - ref)))
                    r["max_abs_diff"] = diff
                    r["tolerance"] = RTOL * max(1.0, float(np.max(np.abs(ref))))
                    r["agrees"] = bool(np.isfinite(diff) and diff <= r["tolerance"])
            ours = statistics.median(samples[c]["ours"]) if samples[c]["ours"] else None
            ortm = statistics.median(samples[c]["ort"]) if samples[c]["ort"] else None
            r["ours_ms"], r["ort_ms"] = ours, ortm
            r["ratio"] = ours / ortm if ours and ortm else None
            r["ours_min_ms"] = min(minima[c]["ours"]) if minima[c]["ours"] else None
            r["ort_min_ms"] = min(minima[c]["ort"]) if minima[c]["ort"] else None
            r["min_ratio"] = r["ours_min_ms"] / r["ort_min_ms"] if r["ours_min_ms"] and r["ort_min_ms"] else None
            r["rss_ratio"] = r["ours_rss"] / r["ort_rss"] if r.get("ours_rss") and r.get("ort_rss") else None
            # This round's process medians, then the running figures over the rounds so far.
            last = {e: samples[c][e][-1] if samples[c][e] else None for e in ("ours", "ort")}
            print(f"[round {rnd + 1}] {model:12s} T={t} B={batch}: this round ours {fmt(last['ours'])} / ORT "
                  f"{fmt(last['ort'])} ms; so far median ours {fmt(ours)} ms, ORT {fmt(ortm)} ms, "
                  f"ratio {fmt(r['ratio'], '.2f')}, min ratio {fmt(r.get('min_ratio'), '.2f')}, max|diff| {fmt(r.get('max_abs_diff'), '.2e')}, "
                  f"RSS ours {fmt(r.get('ours_rss'), '.0f')} / ORT {fmt(r.get('ort_rss'), '.0f')} MiB"
                  f"{'  ERRORS: ' + '; '.join(r['errors']) if r['errors'] else ''}  ({time.time() - t0:.0f} s)",
                  flush=True)
    md = table(list(rows.values()), base_rss, ours_version, ort.__version__)
    with open(os.path.join(a.out_dir, "engine.jsonl"), "w") as f:
        for c in configs:
            f.write(json.dumps({**rows[c], "ours_samples_ms": samples[c]["ours"], "ort_samples_ms": samples[c]["ort"],
                                "ours_minima_ms": minima[c]["ours"], "ort_minima_ms": minima[c]["ort"]}) + "\n")
    with open(os.path.join(a.out_dir, "engine_table.md"), "w") as f:
        f.write(md + "\n")
    print("\n" + md)
    failed = [r for r in rows.values() if r["errors"] or r.get("agrees") is False]
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
