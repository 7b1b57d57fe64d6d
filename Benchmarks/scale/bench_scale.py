#!/usr/bin/env python3
"""Scale-out benchmark (issue 10): images/s of 1 vs 2 `medinfer serve --role worker` processes draining one queue
that a `--role api` node fills over HTTP. Python standard library only.

Per round and configuration (WORKERSxTHREADS, e.g. 1x1 = one worker process with one engine thread):
  1. a fresh temporary data directory (and, with --database, that PostgreSQL database with a fresh --blob-dir);
  2. one `serve --role api` node; its first start prints the admin key;
  3. W `serve --role worker --workers 1 --threads T` processes, each waited for until /v2/health/ready answers
     200 (models verified), so none starts draining before the others;
  4. N images (the SampleImages scans the default model accepts, cycled) posted, one per job, to the api node;
  5. every job polled to completion; images/s = N / (first createdAt -> last finishedAt), from the server's own
     timestamps (the post burst overlaps the draining, as it would in service);
  6. every node stopped with SIGTERM, exit status checked.
Configurations alternate within each round; the figure is the median over rounds.

Usage (from the package root, after `swift build -c release --product medinfer`):
  python3 Benchmarks/scale/bench_scale.py --bin .build/release/medinfer [--images 48] [--rounds 2]
      [--configs 1x1,2x1] [--database postgres://...] [--timeout 900]
"""
import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".dcm": "application/dicom"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def iso_ms(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000


def redacted(url):
    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url) if url else "sqlite (embedded)"


class Node:
    """One `medinfer serve` process, ready when /v2/health/ready answers 200."""

    def __init__(self, args, folder, name, timeout):
        self.port = free_port()
        self.log_path = os.path.join(folder, f"{name}.log")
        self.log = open(self.log_path, "w+")
        cmd = [args.bin, "serve", "--host", "127.0.0.1", "--port", str(self.port), "--models-dir", args.models] + args.queue
        self.proc = subprocess.Popen(cmd + self.role_args, stdout=self.log, stderr=subprocess.STDOUT, cwd=ROOT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            if self.ready():
                return
            time.sleep(0.1)
        raise SystemExit(f"{name} did not become ready within {timeout} s:\n{open(self.log_path).read()}")

    def ready(self):
        try:
            c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            c.request("GET", "/v2/health/ready")
            r = c.getresponse()
            r.read()
            c.close()
            return r.status == 200
        except OSError:
            return False

    def text(self):
        return open(self.log_path).read()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return "killed after 60 s"


class Api(Node):
    role_args = ["--role", "api"]


def worker_node(threads, max_batch, max_delay_ms):
    class Worker(Node):
        role_args = ["--role", "worker", "--workers", "1", "--threads", str(threads),
                     "--max-batch", str(max_batch), "--max-delay-ms", str(max_delay_ms)]
    return Worker


class Client:
    def __init__(self, port, key):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        self.key = key

    def call(self, method, path, body=None, headers=None):
        h = {"Authorization": f"Bearer {self.key}"}
        h.update(headers or {})
        self.conn.request(method, path, body=body, headers=h)
        r = self.conn.getresponse()
        return r.status, r.read()

    def post(self, name, data):
        status, body = self.call("POST", "/v1/jobs", data, {"Content-Type": TYPES[os.path.splitext(name)[1]]})
        if status not in (200, 202):
            raise SystemExit(f"POST {name}: {status} {body[:300]!r}")
        return json.loads(body)["id"]

    def wait_all(self, ids, deadline):
        jobs, pending = {}, list(ids)
        while pending:
            if time.monotonic() > deadline:
                raise SystemExit(f"{len(pending)} jobs not finished in time")
            still = []
            for job_id in pending:
                status, body = self.call("GET", f"/v1/jobs/{job_id}")
                job = json.loads(body)
                if status == 200 and job["status"] in ("succeeded", "failed", "cancelled"):
                    jobs[job_id] = job
                else:
                    still.append(job_id)
            pending = still
            if pending:
                time.sleep(0.25)
        return jobs


def run_once(args, workers, threads, scans):
    """One configuration on a fresh queue: (images/s, failed images)."""
    folder = tempfile.mkdtemp(prefix="medinfer-scale-")
    args.queue = ["--data-dir", os.path.join(folder, "data")]
    if args.database:
        args.queue += ["--database", args.database, "--blob-dir", os.path.join(folder, "blobs")]
    nodes = []
    try:
        api = Api(args, folder, "api", args.timeout)
        nodes.append(api)
        m = re.search(r"\b(mi_[A-Za-z0-9_\-]+)", api.text())
        if not m:
            raise SystemExit(f"the api node printed no admin key:\n{api.text()}")
        Worker = worker_node(threads, args.max_batch, args.max_delay_ms)
        for i in range(workers):
            nodes.append(Worker(args, folder, f"worker{i}", args.timeout))
        client = Client(api.port, m.group(1))
        ids = [client.post(name, data) for name, data in (scans[i % len(scans)] for i in range(args.images))]
        jobs = client.wait_all(ids, time.monotonic() + args.timeout)
        first = min(iso_ms(j["createdAt"]) for j in jobs.values())
        last = max(iso_ms(j["finishedAt"]) for j in jobs.values())
        failed = sum(1 for j in jobs.values() if j["status"] != "succeeded")
        return args.images / ((last - first) / 1000), failed
    finally:
        codes = [n.stop() for n in reversed(nodes)]
        if any(c != 0 for c in codes):
            print(f"warning: exit statuses {codes}; logs kept in {folder}", file=sys.stderr)
        else:
            shutil.rmtree(folder, ignore_errors=True)


def accepted_scans(args):
    """The SampleImages scans the default model accepts (others fail fast and would flatter the figure)."""
    folder = os.path.join(ROOT, "SampleImages")
    scans = [(n, open(os.path.join(folder, n), "rb").read()) for n in sorted(os.listdir(folder))
             if os.path.splitext(n)[1] in TYPES]
    probe = argparse.Namespace(**vars(args))
    probe.images = len(scans)
    kept = []

    tmp = tempfile.mkdtemp(prefix="medinfer-scale-probe-")
    probe.queue = ["--data-dir", os.path.join(tmp, "data")]
    nodes = []
    try:
        api = Api(probe, tmp, "api", args.timeout)
        nodes.append(api)
        key = re.search(r"\b(mi_[A-Za-z0-9_\-]+)", api.text()).group(1)
        nodes.append(worker_node(2, args.max_batch, args.max_delay_ms)(probe, tmp, "worker", args.timeout))
        client = Client(api.port, key)
        ids = [(client.post(n, d), (n, d)) for n, d in scans]
        jobs = client.wait_all([i for i, _ in ids], time.monotonic() + args.timeout)
        kept = [scan for job_id, scan in ids if jobs[job_id]["status"] == "succeeded"]
    finally:
        for n in reversed(nodes):
            n.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return kept, len(scans)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bin", default=os.path.join(ROOT, ".build/release/medinfer"))
    p.add_argument("--models", default=os.path.join(ROOT, "Models"))
    p.add_argument("--images", type=int, default=48)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--configs", default="1x1,2x1", help="WORKERSxTHREADS, comma-separated")
    p.add_argument("--max-batch", type=int, default=8)
    p.add_argument("--max-delay-ms", type=int, default=50)
    p.add_argument("--database", default=os.environ.get("MEDINFER_BENCH_DATABASE"),
                   help="a PostgreSQL URL (default: the embedded SQLite store)")
    p.add_argument("--timeout", type=float, default=900)
    args = p.parse_args()
    configs = [tuple(int(x) for x in c.split("x")) for c in args.configs.split(",")]

    scans, total = accepted_scans(args)
    print(f"{len(scans)} of {total} SampleImages scans accepted by the default model; {args.images} images per run; "
          f"store {redacted(args.database)}; {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f}", flush=True)
    results = {c: [] for c in configs}
    for r in range(args.rounds):
        order = configs if r % 2 == 0 else list(reversed(configs))
        for workers, threads in order:
            rate, failed = run_once(args, workers, threads, scans)
            results[(workers, threads)].append(rate)
            print(f"round {r + 1}: {workers} worker process(es) x {threads} thread(s): {rate:.2f} images/s"
                  f"{f', {failed} failed' if failed else ''} (load average {os.getloadavg()[0]:.1f})", flush=True)

    base = statistics.median(results[configs[0]])
    print("\n| worker processes | engine threads each | store | images | rounds | images/s (median) | each round | vs first row |")
    print("|---|---|---|---|---|---|---|---|")
    for (workers, threads), rates in results.items():
        median = statistics.median(rates)
        print(f"| {workers} | {threads} | {redacted(args.database)} | {args.images} | {len(rates)} | {median:.2f} | "
              f"{', '.join(f'{x:.2f}' for x in rates)} | {median / base:.2f} |")


if __name__ == "__main__":
    main()
