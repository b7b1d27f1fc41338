"""Reads Benchmarks/service.sh's wrk outputs and prints the comparison table for BENCHMARKS.md:
requests per second (median over passes) and latency p50 / p99 (of the pass with the median
throughput), QuantForge against the FastAPI peer, with the ratio. healthz: no database; list: the
default first screen (page 3 of 20, newest first); filtered: type + tag + text search, sorted by
Sharpe; detail: one strategy by id. Every database endpoint includes the bearer-token check."""
import json
import pathlib
import re
import statistics
import sys

from wrk_output import runs_by_endpoint_and_server

folder = pathlib.Path(sys.argv[1])
connections = sys.argv[2] if len(sys.argv) > 2 else "?"
runs = runs_by_endpoint_and_server(folder)

print(f"| endpoint ({connections} connections) | QuantForge req/s | p50 / p99 ms | FastAPI peer req/s | p50 / p99 ms | ratio |")
print("|---|---:|---:|---:|---:|---:|")
for name in ["healthz", "list", "filtered", "detail"]:
    cells = []
    rates = {}
    for server in ["qf", "peer"]:
        passes = runs.get((name, server), [])
        if not passes:
            cells += ["–", "–"]
            continue
        median = statistics.median(p["rate"] for p in passes)
        closest = min(passes, key=lambda p: abs(p["rate"] - median))
        rates[server] = median
        bad = sum(p["errors"] for p in passes)
        cells += [f"{median:,.0f}" + (f" ({bad} non-2xx!)" if bad else ""), f"{closest['p50']:.2f} / {closest['p99']:.2f}"]
    ratio = f"{rates['qf'] / rates['peer']:.1f}×" if len(rates) == 2 else "–"
    print(f"| {name} | " + " | ".join(cells) + f" | {ratio} |")

submits = runs.get(("submit", "qf"), [])
if submits:
    median = statistics.median(p["rate"] for p in submits)
    closest = min(submits, key=lambda p: abs(p["rate"] - median))
    bad = sum(p["errors"] for p in submits)
    print()
    print("| job submission, POST /api/v1/training/jobs (4 connections) | QuantForge req/s | p50 / p99 ms |")
    print("|---|---:|---:|")
    print(f"| validate, insert the job, queue its task | {median:,.0f}" + (f" ({bad} non-2xx!)" if bad else "") + f" | {closest['p50']:.2f} / {closest['p99']:.2f} |")

logins = {}
for path in sorted(folder.glob("login-*-*.json")):
    _, server, _ = path.stem.split("-")
    logins.setdefault(server, []).append(json.loads(path.read_text()))
if logins:
    print()
    print("| login, POST /api/v1/auth/login, bcrypt cost 12 (clients honour Retry-After) | logins/s | p50 / p99 ms of a login | p99 ms of any answer | answers |")
    print("|---|---:|---:|---:|---|")
    for server, label in [("qf", "QuantForge (bounded: 503 + Retry-After beyond the queue)"), ("peer", "FastAPI peer (unbounded thread pool)")]:
        passes = logins.get(server, [])
        if not passes:
            continue
        median = statistics.median(p["logins_per_second"] for p in passes)
        closest = min(passes, key=lambda p: abs(p["logins_per_second"] - median))
        answers = ", ".join(f"{status}: {count}" for status, count in sorted(closest["statuses"].items()))
        print(f"| {label} | {median:.1f} | {closest['p50_ms']:,.0f} / {closest['p99_ms']:,.0f} | {closest['p99_any_answer_ms']:,.0f} | {answers} |")
