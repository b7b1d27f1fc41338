#!/usr/bin/env bash
# The job queue side by side with Celery + Redis, in one run: `qf bench queue` (PostgreSQL queue,
# qf worker processes, a no-op task) and Benchmarks/peers/celery_queue.py (Celery 5, Redis broker
# and result backend, prefork workers), alternating passes.
#   PASSES=2 TASKS=20000 Benchmarks/queue.sh        (results in .qf/bench/queue/)
set -euo pipefail
cd "$(dirname "$0")/.."
passes=${PASSES:-2}
tasks=${TASKS:-20000}
out=.qf/bench/queue
port=6390
mkdir -p "$out"
rm -f "$out"/*.json
Benchmarks/setup-peers.sh service
.venv-peers/bin/python -c "import celery, redis" 2>/dev/null || .venv-peers/bin/pip install --quiet --disable-pip-version-check "celery[redis]"
if ! command -v redis-server >/dev/null; then
  if [ "$(id -u)" = 0 ]; then apt-get install -y -qq redis-server; else sudo apt-get install -y -qq redis-server; fi
fi
redis-server --port $port --save '' --appendonly no --daemonize yes --logfile "$PWD/$out/redis.log"
trap 'redis-cli -p $port shutdown nosave >/dev/null 2>&1 || true' EXIT
swift build -c release --product qf
for pass in $(seq 1 "$passes"); do
  echo "== pass $pass/$passes: QuantForge"
  .build/release/qf bench queue --tasks "$tasks" --json "$out/qf-$pass.json"
  echo "== pass $pass/$passes: Celery + Redis"
  QF_BENCH_REDIS_PORT=$port .venv-peers/bin/python Benchmarks/peers/celery_queue.py --tasks "$tasks" --json "$out/celery-$pass.json"
done
python3 - "$out" <<'PY' | tee "$out/queue-comparison.md"
import json, pathlib, statistics, sys
folder = pathlib.Path(sys.argv[1])
def load(prefix):
    return [json.loads(p.read_text()) for p in sorted(folder.glob(f"{prefix}-*.json"))]
qf, peer = load("qf"), load("celery")
def med(runs, *path):
    values = []
    for r in runs:
        v = r
        for k in path: v = v[k]
        values.append(v)
    return statistics.median(values)
rows = [("enqueue, one task per call, 16 concurrent clients (tasks/s)", ("enqueue_single_per_second",), True),
        ("claim + complete, 1 worker process (tasks/s)", ("throughput", "1_worker"), True),
        ("claim + complete, 2 worker processes (tasks/s)", ("throughput", "2_workers"), True),
        ("enqueue latency p50 at 500 tasks/s (ms)", ("enqueue_latency_p50_ms",), False),
        ("enqueue latency p99 at 500 tasks/s (ms)", ("enqueue_latency_p99_ms",), False)]
print("| measure | QuantForge (PostgreSQL) | Celery + Redis | ratio |")
print("|---|---:|---:|---:|")
for name, path, higher in rows:
    a, b = med(qf, *path), med(peer, *path)
    ratio = a / b if higher else b / a
    print(f"| {name} | {a:,.2f} | {b:,.2f} | {ratio:.2f}× |")
print(f"| enqueue, batches of 1,000 (tasks/s) | {med(qf, 'enqueue_batch_per_second'):,.0f} | — | |")
PY
