"""Reads Benchmarks/redis.sh's wrk outputs and prints the tables for BENCHMARKS.md: requests per
second (median over passes) and latency p50 / p99 (of the pass with the median throughput), each
server with Redis against the same server without, with the ratio; then QuantForge against the
FastAPI peer on the endpoint both serve, each with and without Redis."""
import pathlib
import statistics
import sys

from wrk_output import runs_by_endpoint_and_server

folder = pathlib.Path(sys.argv[1])
connections = sys.argv[2] if len(sys.argv) > 2 else "?"
runs = runs_by_endpoint_and_server(folder)

labels = {"me": "GET /users/me (session check + one row)", "strategy": "GET /strategies/{id}",
          "evaluation": "GET /evaluations/{id}, completed, 2,000-point chart"}
print(f"| endpoint ({connections} connections) | PostgreSQL only req/s | p50 / p99 ms | with Redis req/s | p50 / p99 ms | ratio |")
print("|---|---:|---:|---:|---:|---:|")
def summary(name, server):
    passes = runs.get((name, server), [])
    if not passes:
        return None
    median = statistics.median(p["rate"] for p in passes)
    closest = min(passes, key=lambda p: abs(p["rate"] - median))
    bad = sum(p["errors"] for p in passes)
    return median, f"{median:,.0f}" + (f" ({bad} non-2xx!)" if bad else ""), f"{closest['p50']:.2f} / {closest['p99']:.2f}"


def row(label, name, a, b):
    first, second = summary(name, a), summary(name, b)
    cells = [*(first[1:] if first else ("–", "–")), *(second[1:] if second else ("–", "–"))]
    ratio = f"{second[0] / first[0]:.2f}×" if first and second else "–"
    print(f"| {label} | " + " | ".join(cells) + f" | {ratio} |")


for name in ["me", "strategy", "evaluation"]:
    row(labels[name], name, "plain", "redis")

print()
print(f"| GET /strategies/{{id}} ({connections} connections) | FastAPI peer req/s | p50 / p99 ms | QuantForge req/s | p50 / p99 ms | ratio |")
print("|---|---:|---:|---:|---:|---:|")
row("PostgreSQL only", "strategy", "peerplain", "plain")
row("session check in Redis", "strategy", "peerredis", "redis")
