#!/usr/bin/env python3
"""Latency of GET /v1/jobs/{id} and GET /v2/health/ready of `medinfer serve` under submit load (loopback).

Acceptance check: under 16 clients, each posting SampleImages/BrainT1Slice.png to /v1/jobs in a loop for 60 s
(sleeping 200 ms after a 429), a sampler that GETs one job and /v2/health/ready every 50 ms sees p99 < 100 ms
on both, with the default model (Models/brain-mri-tumor).

Steps:
  1. `medinfer serve` on a free 127.0.0.1 port, a temporary --data-dir and --models-dir Models; waits for
     "medinfer: serving on" in its output and takes the admin key it prints at first start;
  2. posts the image once and waits for that job to succeed (the model is warm, the sampled job exists);
  3. for --seconds: --clients threads post the image (one keep-alive connection each) while one sampler thread
     (its own connection) GETs the job then /v2/health/ready on a fixed 50 ms grid;
  4. prints the latencies, the POST counts, the machine and the commit; stops the server (SIGTERM, SIGKILL
     after 30 s) and removes the temporary folder, whatever happened.
It is a measurement: exit 0 whenever the run completes, whatever the latencies; 1 if the server did not start
(or did not accept the first job). MEDINFER_* variables are not passed to the server, so only the flags count.

Usage (from the package root, after `swift build -c release --product medinfer`):
  python3 Benchmarks/latency/bench_latency.py --bin .build/release/medinfer [--clients 16] [--seconds 60]
      [--sample-ms 50] [--backoff-ms 200] [--image SampleImages/BrainT1Slice.png] [--workers N] [--json]
"""
import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
READY_LINE = "medinfer: serving on"
JOB_ROUTE, HEALTH_ROUTE = "GET /v1/jobs/{id}", "GET /v2/health/ready"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values, pct):
    """Nearest-rank percentile: the smallest value with at least pct % of the values <= it, i.e. the
    ceil(pct/100 * n)-th smallest (integer arithmetic, so p99 of 100 samples is the 99th, not the 100th)."""
    v = sorted(values)
    if not v:
        return float("nan")
    return v[max(1, -(-pct * len(v) // 100)) - 1]


def repo_path(path):
    """A path as given if it exists from the current folder, else relative to the package root."""
    return os.path.abspath(path if os.path.isabs(path) or os.path.exists(path) else os.path.join(ROOT, path))


def machine():
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), model)
    except OSError:
        pass
    nproc = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"nproc": nproc, "cpu": model}


def commit():
    def git(*args):
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
    head = git("rev-parse", "--short", "HEAD")
    if head.returncode != 0:
        return "unknown"
    dirty = git("status", "--porcelain", "--untracked-files=no").stdout.strip()
    return head.stdout.strip() + (" (uncommitted changes)" if dirty else "")


class Server:
    """`medinfer serve` as a child process on a fresh temporary data directory; output goes to a log file
    (not a pipe, which nobody would drain during the load)."""

    def __init__(self, binary, workers, timeout):
        self.port = free_port()
        self.folder = tempfile.mkdtemp(prefix="medinfer-latency-")
        self.log_path = os.path.join(self.folder, "serve.log")
        self.log = open(self.log_path, "w")
        args = [binary, "serve", "--host", "127.0.0.1", "--port", str(self.port),
                "--data-dir", os.path.join(self.folder, "data"), "--models-dir", os.path.join(ROOT, "Models")]
        if workers is not None:
            args += ["--workers", str(workers)]
        env = {k: v for k, v in os.environ.items() if not k.startswith("MEDINFER_")}
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, cwd=ROOT, env=env)
        self.key = self.banner = None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            text = self.output()
            line = next((l for l in text.splitlines() if l.startswith(READY_LINE)), None)
            if line:
                m = re.search(r"^\s*(mi_\S+)\s*$", text, re.M)  # the admin key: a line of its own, first start only
                self.key, self.banner = m and m.group(1), line
                break
            time.sleep(0.1)

    def output(self):
        with open(self.log_path) as f:
            return f.read()

    def stop(self):
        """SIGTERM, SIGKILL after 30 s; removes the temporary folder. The exit status (or a note)."""
        try:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    return self.proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
                    return "killed after 30 s"
            return self.proc.returncode
        finally:
            self.log.close()
            shutil.rmtree(self.folder, ignore_errors=True)


class Connection:
    """One keep-alive connection; reconnects after a transport error (which is raised to the caller)."""

    def __init__(self, port, key, timeout=60):
        self.port, self.key, self.timeout, self.conn = port, key, timeout, None

    def call(self, method, path, body=None, headers=None, auth=True):
        """(status, body, seconds): the time from sending the request to having read the whole answer."""
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        h = dict(headers or {})
        if auth:
            h["Authorization"] = f"Bearer {self.key}"
        try:
            t0 = time.perf_counter()
            self.conn.request(method, path, body=body, headers=h)
            r = self.conn.getresponse()
            data = r.read()
            return r.status, data, time.perf_counter() - t0
        except (http.client.HTTPException, OSError):
            self.conn.close()
            self.conn = None
            raise


def first_job(server, image, timeout):
    """Posts the image and waits for the job to finish: (id, final status, seconds) or (None, message, 0)."""
    c, t0 = Connection(server.port, server.key), time.monotonic()
    status, body, _ = c.call("POST", "/v1/jobs", image, {"Content-Type": "image/png"})
    while status == 429 and time.monotonic() - t0 < timeout:  # unlikely on an empty queue, but harmless
        time.sleep(0.2)
        status, body, _ = c.call("POST", "/v1/jobs", image, {"Content-Type": "image/png"})
    if status not in (200, 202):
        return None, f"POST /v1/jobs answered {status}: {body[:300]!r}", 0
    job_id = json.loads(body)["id"]
    while time.monotonic() - t0 < timeout:
        status, body, _ = c.call("GET", f"/v1/jobs/{job_id}")
        state = json.loads(body).get("status") if status == 200 else f"HTTP {status}"
        if state in ("succeeded", "failed", "cancelled"):
            return job_id, state, time.monotonic() - t0
        time.sleep(0.05)
    return job_id, f"not finished after {timeout:.0f} s", time.monotonic() - t0


def submitter(port, key, image, deadline, backoff, out):
    """Posts the image until the deadline; a 429 sleeps `backoff` seconds. Counts into `out` (own dict)."""
    c = Connection(port, key)
    while time.monotonic() < deadline:
        try:
            status, _, seconds = c.call("POST", "/v1/jobs", image, {"Content-Type": "image/png"})
        except (http.client.HTTPException, OSError):
            out["other"] += 1
            out["transport_errors"] += 1
            time.sleep(backoff)  # do not spin on a refused connection
            continue
        out["requests"] += 1
        if status == 202:
            out["202"] += 1
            out["ms"].append(seconds * 1000)
        elif status == 429:
            out["429"] += 1
            time.sleep(backoff)
        else:
            out["other"] += 1


def sampler(port, key, job_id, start, deadline, interval, out):
    """Every `interval` s on a grid from `start` (tick i at start + i*interval, so the schedule never drifts):
    GET the job, then GET /v2/health/ready (open route, no key). A tick missed because the previous one was
    slow is skipped, not fired late in a burst, and counted."""
    c = Connection(port, key, timeout=30)
    routes = [(JOB_ROUTE, f"/v1/jobs/{job_id}", True), (HEALTH_ROUTE, "/v2/health/ready", False)]
    tick = 0
    while True:
        due = start + tick * interval
        if due >= deadline:
            return
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
        for name, path, auth in routes:
            r = out[name]
            try:
                status, _, seconds = c.call("GET", path, auth=auth)
            except (http.client.HTTPException, OSError):
                r["non200"] += 1  # a transport error: counted, no latency
                r["transport_errors"] += 1
                continue
            r["ms"].append(seconds * 1000)
            if status != 200:
                r["non200"] += 1
        # Next tick: the first grid point still ahead of now.
        next_tick = int((time.monotonic() - start) // interval) + 1
        out["skipped_ticks"] += max(0, next_tick - tick - 1)
        tick = max(tick + 1, next_tick)


def no_nan(value):
    """NaN (no samples) as null, so the JSON summary is standard JSON."""
    if isinstance(value, dict):
        return {k: no_nan(v) for k, v in value.items()}
    return None if isinstance(value, float) and value != value else value


def route_summary(r):
    ms = r["ms"]
    return {"samples": len(ms), "p50": percentile(ms, 50), "p90": percentile(ms, 90), "p99": percentile(ms, 99),
            "max": max(ms) if ms else float("nan"), "non200": r["non200"], "transport_errors": r["transport_errors"]}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bin", default=".build/release/medinfer")
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--sample-ms", type=float, default=50)
    p.add_argument("--backoff-ms", type=float, default=200)
    p.add_argument("--image", default="SampleImages/BrainT1Slice.png")
    p.add_argument("--workers", type=int, default=None, help="passed to serve when given (default: serve's own)")
    p.add_argument("--json", action="store_true", help="also print a JSON summary on the last line")
    args = p.parse_args()
    binary, image_path = repo_path(args.bin), repo_path(args.image)
    with open(image_path, "rb") as f:
        image = f.read()

    host, rev = machine(), commit()
    print(f"machine: {host['nproc']} CPUs, {host['cpu']}; commit {rev}", flush=True)
    print(f"starting {args.bin} serve (models {os.path.join(ROOT, 'Models')})", flush=True)
    server = Server(binary, args.workers, timeout=300)
    try:
        if not server.banner or not server.key:
            why = "exited" if server.proc.poll() is not None else "no admin key printed" if server.banner else \
                f"no '{READY_LINE}' within 300 s"
            print(f"error: the server did not start ({why}); its output:\n{server.output()}", file=sys.stderr)
            return 1
        print(server.banner, flush=True)

        job_id, state, took = first_job(server, image, timeout=300)
        if job_id is None:
            print(f"error: {state}; server output:\n{server.output()}", file=sys.stderr)
            return 1
        print(f"warm-up job {job_id}: {state} after {took:.1f} s", flush=True)
        if state != "succeeded":
            print("warning: the warm-up job did not succeed; the sampler still reads it", flush=True)

        print(f"load: {args.clients} clients posting {os.path.relpath(image_path, ROOT)} ({len(image)} bytes) for "
              f"{args.seconds:g} s, sampler every {args.sample_ms:g} ms ...", flush=True)
        posts = [{"requests": 0, "202": 0, "429": 0, "other": 0, "transport_errors": 0, "ms": []}
                 for _ in range(args.clients)]
        samples = {JOB_ROUTE: {"ms": [], "non200": 0, "transport_errors": 0},
                   HEALTH_ROUTE: {"ms": [], "non200": 0, "transport_errors": 0}, "skipped_ticks": 0}
        start = time.monotonic()
        deadline = start + args.seconds
        threads = [threading.Thread(target=submitter, daemon=True,
                                    args=(server.port, server.key, image, deadline, args.backoff_ms / 1000, out))
                   for out in posts]
        threads.append(threading.Thread(target=sampler, daemon=True, args=(
            server.port, server.key, job_id, start, deadline, args.sample_ms / 1000, samples)))
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - start
    finally:
        code = server.stop()

    # Per-thread counts, merged here (no lock needed during the load).
    post = {k: sum(o[k] for o in posts) for k in ("requests", "202", "429", "other", "transport_errors")}
    post_ms = [ms for o in posts for ms in o["ms"]]
    post.update(seconds=elapsed, submits_per_s=post["202"] / elapsed,
                p50=percentile(post_ms, 50), p99=percentile(post_ms, 99))
    routes = {name: route_summary(samples[name]) for name in (JOB_ROUTE, HEALTH_ROUTE)}

    print(f"\n{'route':<22} {'samples':>8} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8} {'non-200':>8}")
    for name, r in routes.items():
        print(f"{name:<22} {r['samples']:>8} {r['p50']:>8.1f} {r['p90']:>8.1f} {r['p99']:>8.1f} {r['max']:>8.1f} "
              f"{r['non200']:>8}")
    print(f"sampler ticks skipped (previous tick still running): {samples['skipped_ticks']}")
    print(f"\n{'POST /v1/jobs':<22} {'requests':>8} {'202':>8} {'429':>8} {'other':>8} {'202/s':>8} "
          f"{'p50 ms':>8} {'p99 ms':>8}")
    print(f"{'':<22} {post['requests']:>8} {post['202']:>8} {post['429']:>8} {post['other']:>8} "
          f"{post['submits_per_s']:>8.1f} {post['p50']:>8.1f} {post['p99']:>8.1f}")
    print(f"(POST latency over the 202s; 'other' includes {post['transport_errors']} transport errors; "
          f"{elapsed:.1f} s of load)")
    verdict = all(r["samples"] and r["p99"] < 100 for r in routes.values())
    print(f"\ntarget p99 < 100 ms on both sampled routes: {'met' if verdict else 'NOT met'}")
    print(f"machine: {host['nproc']} CPUs, {host['cpu']}; commit {rev}; server exit after SIGTERM: {code}")
    if args.json:
        print(json.dumps(no_nan({"commit": rev, "machine": host, "server": server.banner, "clients": args.clients,
                          "seconds": args.seconds, "sample_ms": args.sample_ms, "backoff_ms": args.backoff_ms,
                          "workers": args.workers, "routes": routes, "skipped_ticks": samples["skipped_ticks"],
                          "post": post, "target_met": verdict, "server_exit": code})))
    return 0


if __name__ == "__main__":
    sys.exit(main())
