#!/usr/bin/env python3
"""Load benchmark of `medinfer serve` over loopback (issue 7 item 9). Python standard library only.

For each model (the tiny classifier of Tests/Fixtures/tiny-models, which measures the server rather than the
engine, then the default model Models/brain-mri-tumor at a smaller count):
  1. QueueBenchmark on the same model and image count (in-process queue + worker, no HTTP): the reference,
     alternated with steps 2-4 for --tiny-rounds / --default-rounds rounds (medians of each side);
  2. `medinfer serve` (release build) on a free 127.0.0.1 port with a temporary data directory, 1 worker with
     the QueueBenchmark's settings (engine threads = cores, max batch 8, max delay 50 ms); the admin key it
     prints once creates a submitter key with `medinfer keys create`;
  3. warm-up: every decodable scan of SampleImages/ posted once and polled to completion (scans the model
     refuses are left out, as QueueBenchmark leaves them out);
  4. load: C concurrent clients (one keep-alive connection each) post those scans, cycled, to /v1/jobs and poll
     GET /v1/jobs/{id} until the job is finished, then post the next, until N images are done;
     images/s = N / (last success - first post); latency = post -> succeeded seen by the client (polls back
     off 5 ms -> 100 ms) and createdAt -> finishedAt as the server records it; 429s are counted apart and
     retried after Retry-After (deliberate back-pressure); any other non-2xx, transport error or failed job is an
     error;
  5. peak RSS (VmHWM of /proc/PID/status) of that server at the end, and of a second server started with
     --workers 0 after 1,000 images were posted to it (nothing drains them, so all stay queued).
Everything is bounded: each phase has a deadline (--timeout), servers are stopped with SIGTERM (SIGKILL after
30 s) and their exit status is checked.

Usage (from the package root, after `swift build -c release --product medinfer --product QueueBenchmark`):
  python3 Benchmarks/load/bench_load.py [--clients 16] [--tiny-images 400] [--default-images 48]
                                        [--tiny-rounds 3] [--default-rounds 1] [--queued 1000] [--skip-default]
                                        [--timeout 900]
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
import threading
import time
from datetime import datetime

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".dcm": "application/dicom"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values, p):
    """Nearest rank, as QueueBenchmark computes it."""
    v = sorted(values)
    if not v:
        return float("nan")
    k = max(1, min(len(v), int(-(-p * len(v) // 1))))
    return v[k - 1]


def iso_ms(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000


def cpu_seconds(pid):
    """User + system CPU time of a process so far (/proc/PID/stat fields 14 and 15)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def vm_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1


class Server:
    """`medinfer serve` as a child process on a fresh temporary data directory."""

    def __init__(self, binary, models_dir, model, workers, threads, timeout):
        self.binary, self.port = binary, free_port()
        self.folder = tempfile.mkdtemp(prefix="medinfer-load-")
        self.data = os.path.join(self.folder, "data")
        self.log_path = os.path.join(self.folder, "serve.log")
        self.log = open(self.log_path, "w+")
        args = [binary, "serve", "--host", "127.0.0.1", "--port", str(self.port), "--data-dir", self.data,
                "--models-dir", models_dir, "--default-model", model, "--workers", str(workers),
                "--threads", str(threads), "--max-batch", "8", "--max-delay-ms", "50"]
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, cwd=ROOT)
        deadline = time.monotonic() + timeout
        self.admin = None
        while time.monotonic() < deadline and self.proc.poll() is None:
            text = open(self.log_path).read()
            m = re.search(r"\b(mi_[A-Za-z0-9_\-]+)", text)
            if m and self.admin is None:
                self.admin = m.group(1)
            if self.admin and self.ready():
                break
            time.sleep(0.1)
        else:
            raise SystemExit(f"server did not become ready within {timeout} s:\n{open(self.log_path).read()}")
        out = subprocess.run([binary, "keys", "create", "--role", "submitter", "--name", "loadbench",
                              "--data-dir", self.data], capture_output=True, text=True, cwd=ROOT, check=True)
        self.key = out.stdout.strip()

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

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = "killed after 30 s"
        self.log.close()
        shutil.rmtree(self.folder, ignore_errors=True)
        return code


class Client:
    """One keep-alive connection; a job is posted, then polled until it is finished."""

    def __init__(self, port, key):
        self.port, self.key = port, key
        self.conn = None

    def call(self, method, path, body=None, headers=None):
        for attempt in range(2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
                h = {"Authorization": f"Bearer {self.key}"}
                h.update(headers or {})
                self.conn.request(method, path, body=body, headers=h)
                r = self.conn.getresponse()
                return r.status, r.getheader("Retry-After"), r.read()
            except (http.client.HTTPException, OSError):
                self.conn = None
                if attempt == 1:
                    raise

    def submit(self, name, data, stats):
        """Posts until accepted (429: waits Retry-After and tries again); the job id, or None after an error."""
        while True:
            status, retry, body = self.call("POST", "/v1/jobs", data, {"Content-Type": TYPES[os.path.splitext(name)[1]]})
            if status == 429:
                stats.add("429", 1)
                time.sleep(float(retry or 1))
                continue
            if status in (200, 201, 202):
                return json.loads(body)["id"]
            stats.error(f"POST {name}: {status} {body[:200]!r}")
            return None

    def wait(self, job_id, stats, deadline):
        delay = 0.005
        while time.monotonic() < deadline:
            status, _, body = self.call("GET", f"/v1/jobs/{job_id}")
            if status != 200:
                stats.error(f"GET job: {status} {body[:200]!r}")
                return None
            job = json.loads(body)
            if job["status"] in ("succeeded", "failed", "cancelled"):
                if job["status"] != "succeeded":
                    stats.error(f"job {job_id} {job['status']}: {job.get('error')}")
                    return None
                return job
            time.sleep(delay)
            delay = min(delay * 1.5, 0.1)
        stats.error(f"job {job_id}: not finished before the deadline")
        return None


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {"429": 0, "errors": 0, "done": 0}
        self.messages = []
        self.client_ms, self.server_ms = [], []

    def add(self, key, n):
        with self.lock:
            self.counts[key] += n

    def error(self, message):
        with self.lock:
            self.counts["errors"] += 1
            if len(self.messages) < 5:
                self.messages.append(message)


def samples_for(server, timeout):
    """Every scan of SampleImages/ posted once and waited for; those that succeed are the load's images."""
    client, stats, kept = Client(server.port, server.key), Stats(), []
    for name in sorted(os.listdir(os.path.join(ROOT, "SampleImages"))):
        if os.path.splitext(name)[1] not in TYPES:
            continue
        data = open(os.path.join(ROOT, "SampleImages", name), "rb").read()
        job_id = client.submit(name, data, stats)
        if job_id and client.wait(job_id, stats, time.monotonic() + timeout):
            kept.append((name, data))
    return kept


def load(server, samples, count, clients, timeout):
    stats, lock = Stats(), threading.Lock()
    next_index = [0]
    deadline = time.monotonic() + timeout
    times = {"first": None, "last": None}

    def run():
        c = Client(server.port, server.key)
        while time.monotonic() < deadline:
            with lock:
                i = next_index[0]
                if i >= count:
                    return
                next_index[0] += 1
            name, data = samples[i % len(samples)]
            t0 = time.monotonic()
            with lock:
                times["first"] = t0 if times["first"] is None else min(times["first"], t0)
            try:
                job_id = c.submit(name, data, stats)
                job = job_id and c.wait(job_id, stats, deadline)
            except (http.client.HTTPException, OSError) as e:
                stats.error(f"transport: {e!r}")
                continue
            if job:
                t1 = time.monotonic()
                with stats.lock:
                    stats.counts["done"] += 1
                    stats.client_ms.append((t1 - t0) * 1000)
                    stats.server_ms.append(iso_ms(job["finishedAt"]) - iso_ms(job["createdAt"]))
                with lock:
                    times["last"] = t1 if times["last"] is None else max(times["last"], t1)

    threads = [threading.Thread(target=run) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = (times["last"] or 0) - (times["first"] or 0)
    return stats, (stats.counts["done"] / elapsed if elapsed > 0 else 0.0)


def queued_rss(binary, models_dir, model, samples, count, clients, threads, timeout):
    """A server without workers: `count` images posted and left queued; its VmRSS / VmHWM in MiB."""
    server = Server(binary, models_dir, model, workers=0, threads=threads, timeout=timeout)
    try:
        idle = vm_kib(server.proc.pid, "VmRSS") / 1024
        stats, lock, next_index = Stats(), threading.Lock(), [0]
        deadline = time.monotonic() + timeout

        def run():
            c = Client(server.port, server.key)
            while time.monotonic() < deadline:
                with lock:
                    i = next_index[0]
                    if i >= count:
                        return
                    next_index[0] += 1
                name, data = samples[i % len(samples)]
                if c.submit(name, data, stats):
                    stats.add("done", 1)

        started = time.monotonic()
        ts = [threading.Thread(target=run) for _ in range(clients)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        rate = stats.counts["done"] / (time.monotonic() - started)
        rss, hwm = vm_kib(server.proc.pid, "VmRSS") / 1024, vm_kib(server.proc.pid, "VmHWM") / 1024
        return {"queued": stats.counts["done"], "errors": stats.counts["errors"], "429": stats.counts["429"],
                "messages": stats.messages, "idle_rss": idle, "rss": rss, "hwm": hwm, "submit_rate": rate,
                "exit": server.stop()}
    except BaseException:
        server.stop()
        raise


def queue_benchmark(binary, models_dir, count, rounds, timeout):
    out = subprocess.run([binary, "--models-dir", models_dir, "--images", str(count), "--rounds", str(rounds)],
                         capture_output=True, text=True, cwd=ROOT, timeout=timeout)
    if out.returncode != 0:
        raise SystemExit(f"QueueBenchmark failed:\n{out.stdout}\n{out.stderr}")
    m = re.search(r"median: direct ([\d.]+) images/s, queue ([\d.]+) images/s", out.stdout)
    first = out.stdout.splitlines()[0] if out.stdout else ""
    return float(m.group(1)), float(m.group(2)), first, out.stdout


def bench(args, label, models_dir, model, count, rounds):
    """`rounds` alternations of QueueBenchmark (one round) and a fresh server under load; medians of each."""
    cores = os.cpu_count() or 1
    print(f"\n== {label}: {model}, {count} images, {args.clients} clients, {rounds} round(s)", flush=True)
    queues, rates, total, hwm, code = [], [], Stats(), 0.0, []
    server_cpu = client_cpu = 0.0
    for round_number in range(1, rounds + 1):
        direct, queue, first, text = queue_benchmark(args.queue_benchmark, models_dir, count, 1, args.timeout)
        if model not in first:
            raise SystemExit(f"QueueBenchmark ran another model: {first}")
        server = Server(args.bin, models_dir, model, workers=1, threads=cores, timeout=args.timeout)
        try:
            samples = samples_for(server, args.timeout)
            if not samples:
                raise SystemExit("no sample image succeeded")
            cpu0, client0 = cpu_seconds(server.proc.pid), sum(os.times()[:2])
            stats, rate = load(server, samples, count, args.clients, args.timeout)
            server_cpu += cpu_seconds(server.proc.pid) - cpu0
            client_cpu += sum(os.times()[:2]) - client0
            hwm = max(hwm, vm_kib(server.proc.pid, "VmHWM") / 1024)
        finally:
            code.append(server.stop())
        queues.append(queue)
        rates.append(rate)
        for key in total.counts:
            total.counts[key] += stats.counts[key]
        total.messages += stats.messages
        total.client_ms += stats.client_ms
        total.server_ms += stats.server_ms
        print(f"round {round_number}: queue benchmark {queue:.2f} images/s (direct {direct:.2f}), server {rate:.2f} "
              f"images/s ({stats.counts['done']}/{count} done, {len(samples)} distinct scans), ratio {rate / queue:.3f}",
              flush=True)
    queue, rate = statistics.median(queues), statistics.median(rates)
    stats, done = total, max(total.counts["done"], 1)
    print(f"median: queue benchmark {queue:.2f} images/s, server {rate:.2f} images/s, ratio {rate / queue:.3f}")
    print(f"latency post -> succeeded (client): p50 {percentile(stats.client_ms, .5):.0f} ms, "
          f"p99 {percentile(stats.client_ms, .99):.0f} ms; createdAt -> finishedAt (server): "
          f"p50 {percentile(stats.server_ms, .5):.0f} ms, p99 {percentile(stats.server_ms, .99):.0f} ms", flush=True)
    print(f"CPU during the load: server {server_cpu:.1f} s, this client {client_cpu:.1f} s "
          f"({server_cpu / done * 1000:.1f} / {client_cpu / done * 1000:.1f} ms per image)", flush=True)
    print(f"errors {stats.counts['errors']}, 429s {stats.counts['429']}; server peak RSS {hwm:.0f} MiB; "
          f"exit after SIGTERM: {code}", flush=True)
    for m in stats.messages[:5]:
        print(f"  error: {m}")
    q = queued_rss(args.bin, models_dir, model, samples, args.queued, args.clients, cores, args.timeout)
    print(f"queued: {q['queued']} images posted to a server without workers at {q['submit_rate']:.0f} images/s "
          f"(errors {q['errors']}, 429s {q['429']}); RSS idle {q['idle_rss']:.0f} MiB, after {q['rss']:.0f} MiB, "
          f"peak {q['hwm']:.0f} MiB; exit after SIGTERM: {q['exit']}", flush=True)
    for m in q["messages"]:
        print(f"  error: {m}")
    return {"label": label, "model": model, "count": count, "distinct": len(samples), "rounds": rounds, "queue": queue,
            "rate": rate, "ratio": rate / queue, "p50": percentile(stats.client_ms, .5),
            "p99": percentile(stats.client_ms, .99), "sp50": percentile(stats.server_ms, .5),
            "sp99": percentile(stats.server_ms, .99), "errors": stats.counts["errors"], "429": stats.counts["429"],
            "hwm": hwm, "q": q}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bin", default=os.path.join(ROOT, ".build/release/medinfer"))
    p.add_argument("--queue-benchmark", default=os.path.join(ROOT, ".build/release/QueueBenchmark"))
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--tiny-images", type=int, default=400)
    p.add_argument("--default-images", type=int, default=48)
    p.add_argument("--queued", type=int, default=1000)
    p.add_argument("--tiny-rounds", type=int, default=3, help="alternations of QueueBenchmark and the load (medians)")
    p.add_argument("--default-rounds", type=int, default=1)
    p.add_argument("--timeout", type=float, default=900, help="seconds per phase")
    p.add_argument("--skip-default", action="store_true")
    args = p.parse_args()
    # The tiny classifier alone in a repository, so QueueBenchmark (first verified model) and the server agree.
    tiny = tempfile.mkdtemp(prefix="medinfer-load-models-")
    shutil.copytree(os.path.join(ROOT, "Tests/Fixtures/tiny-models/tiny-classifier"), os.path.join(tiny, "tiny-classifier"))
    rows = []
    try:
        rows.append(bench(args, "tiny classifier", tiny, "tiny-classifier", args.tiny_images, args.tiny_rounds))
        if not args.skip_default:
            rows.append(bench(args, "default model", os.path.join(ROOT, "Models"), "brain-mri-tumor", args.default_images,
                              args.default_rounds))
    finally:
        shutil.rmtree(tiny, ignore_errors=True)
    print("\n| model | images (distinct) | clients | rounds | queue benchmark images/s | server images/s | ratio | "
          "p50 / p99 post→succeeded ms | p50 / p99 createdAt→finishedAt ms | errors | 429s | peak RSS MiB under load | "
          "peak RSS MiB with 1,000 queued |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        q = r["q"]
        print(f"| {r['model']} | {r['count']} ({r['distinct']}) | {args.clients} | {r['rounds']} | {r['queue']:.2f} | {r['rate']:.2f} | "
              f"{r['ratio']:.2f} | {r['p50']:.0f} / {r['p99']:.0f} | {r['sp50']:.0f} / {r['sp99']:.0f} | {r['errors']} | "
              f"{r['429']} | {r['hwm']:.0f} | {q['hwm']:.0f} ({q['queued']} queued, {q['errors']} errors) |")
    bad = any(r["errors"] or r["q"]["errors"] for r in rows)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
