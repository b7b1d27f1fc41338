"""The peer of `qf bench queue`: Celery 5 with a Redis broker and result backend (the stack the
seed's FastAPI + Celery service runs), measured the same way: enqueue rate (one apply_async per
task, 16 threads), claim + complete throughput of a no-op task by 1 and 2 worker processes (the
tasks queued first; timed from the first completion to the last by the results' own timestamps),
and the latency of one apply_async at a steady rate.

Workers use Celery's prefork pool with one process per core (the fastest setting for no-op tasks
here), prefetch multiplier 64. Redis runs without persistence (no RDB, no AOF): the most
favourable setting for the peer; QuantForge's queue commits every completion to PostgreSQL's WAL.

    python celery_queue.py --redis-port 6390 --tasks 20000 --json out.json
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time

from celery import Celery

PORT = int(os.environ.get("QF_BENCH_REDIS_PORT", "6390"))
app = Celery("celery_queue", broker=f"redis://127.0.0.1:{PORT}/0", backend=f"redis://127.0.0.1:{PORT}/1")
app.conf.update(worker_prefetch_multiplier=64, task_acks_late=False, result_extended=True, worker_hijack_root_logger=False,
                broker_connection_retry_on_startup=True)


@app.task(name="noop")
def noop(n=None):
    return None


def redis(*args):
    return subprocess.run(["redis-cli", "-p", str(PORT), *args], capture_output=True, text=True, check=True).stdout.strip()


def enqueue(count, threads=16):
    def run(start):
        for n in range(start, count, threads):
            noop.apply_async(kwargs={"n": n})
    workers = [threading.Thread(target=run, args=(t,)) for t in range(threads)]
    t0 = time.perf_counter()
    for w in workers: w.start()
    for w in workers: w.join()
    return count / (time.perf_counter() - t0)


def throughput(count, workers):
    redis("FLUSHALL")
    enqueue(count)
    here = os.path.dirname(os.path.abspath(__file__))
    procs = [subprocess.Popen([sys.executable, "-m", "celery", "-A", "celery_queue", "worker", "--pool", "prefork", "--concurrency", str(os.cpu_count() or 2),
                               "--loglevel", "WARNING", "-n", f"w{i}@%h"], cwd=here, env={**os.environ, "QF_BENCH_REDIS_PORT": str(PORT)},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for i in range(workers)]
    try:
        while int(redis("-n", "1", "DBSIZE")) < count:
            time.sleep(0.05)
    finally:
        for p in procs: p.terminate()
        for p in procs: p.wait()
    # From the first result's completion to the last one's, by the results' date_done.
    dates = []
    cursor = "0"
    while True:
        out = redis("-n", "1", "SCAN", cursor, "COUNT", "5000").split("\n")
        cursor, keys = out[0], [k for k in out[1:] if k]
        if keys:
            for raw in redis("-n", "1", "MGET", *keys).split("\n"):
                if raw:
                    dates.append(json.loads(raw)["date_done"])
        if cursor == "0":
            break
    from datetime import datetime
    stamps = sorted(datetime.fromisoformat(d).timestamp() for d in dates)
    return count / max(stamps[-1] - stamps[0], 1e-9)


def latency(rate, seconds=5):
    samples = []
    begin = time.perf_counter()
    for n in range(rate * seconds):
        due = begin + n / rate
        pause = due - time.perf_counter()
        if pause > 0: time.sleep(pause)
        t0 = time.perf_counter()
        noop.apply_async()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return samples[len(samples) // 2], samples[min(len(samples) - 1, len(samples) * 99 // 100)]


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=20000)
    parser.add_argument("--rate", type=int, default=500)
    parser.add_argument("--json")
    args = parser.parse_args()
    redis("FLUSHALL")
    single = enqueue(5000)
    print(f"celery enqueue, apply_async from 16 threads: {single:.0f} tasks/s")
    results = {"enqueue_single_per_second": single, "throughput": {}, "tasks": args.tasks}
    for workers in (1, 2):
        rate = throughput(args.tasks, workers)
        results["throughput"][f"{workers}_worker{'s' if workers > 1 else ''}"] = rate
        print(f"celery claim + complete, {workers} worker process{'es' if workers > 1 else ''} (prefork × {os.cpu_count()}): {rate:.0f} tasks/s")
    redis("FLUSHALL")
    p50, p99 = latency(args.rate)
    results["enqueue_latency_p50_ms"], results["enqueue_latency_p99_ms"] = p50, p99
    print(f"celery apply_async latency at {args.rate} tasks/s: p50 {p50:.2f} ms, p99 {p99:.2f} ms")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2, sort_keys=True)
