#!/usr/bin/env bash
# Distributed evaluations: the issue-4 SMA grid (4,538 combinations × the peers' 100 k bars) as
# `qf sweep --distributed` — an evaluation in PostgreSQL split into shard tasks that two
# `qf worker` processes take, merged into one ranked table — against the same grid swept in one
# process (`qf sweep`) and by vectorbt, in one run. The rows of all three are checked equal.
#   PASSES=2 SHARD=500 Benchmarks/evaluation.sh        (results in .qf/bench/evaluation/)
set -euo pipefail
cd "$(dirname "$0")/.."
passes=${PASSES:-2}
shard=${SHARD:-500}
out=.qf/bench/evaluation
mkdir -p "$out"
abs=$(pwd)/$out
Benchmarks/setup-peers.sh backtest
swift build -c release --product qf
qf=$(pwd)/.build/release/qf
py=.venv-peers/bin/python
[ -f "$out/synthetic_100k.csv" ] || $py Benchmarks/peers/backtest_data.py "$out/synthetic_100k.csv"
$qf ingest "$out/synthetic_100k.csv" --symbol SYN --out "$abs/synthetic_100k.h5" > /dev/null
grid=(--grid slow=10:208:2 --grid fast=2:51 --fill close --commission 0.0001 --convention vectorbt --cash 10000 --top 3)

# A database of its own on the project's cluster.
url=$($qf migrate status 2>&1 | sed -n 's/^database: //p' | head -1)
socket=${url#*host=}
port=$(echo "$url" | sed -E 's/.*@:([0-9]+)\/.*/\1/')
psql -h "$socket" -p "$port" -U postgres -qc "DROP DATABASE IF EXISTS qf_bench_evaluation" -c "CREATE DATABASE qf_bench_evaluation" postgres
export DATABASE_URL="postgres://postgres@:$port/qf_bench_evaluation?host=$socket"
$qf migrate up > /dev/null
rm -f "$out"/times-*.txt
for pass in $(seq 1 "$passes"); do
  echo "== pass $pass/$passes: qf sweep --distributed, 2 qf worker processes, shards of $shard"
  pids=()
  for w in 1 2; do QF_DATA_DIR="$abs/data" $qf worker --queues evaluation --poll-interval 0.05 > "$out/worker-$w.log" 2>&1 & pids+=($!); done
  sleep 1
  start=$(date +%s.%N)
  QF_DATA_DIR="$abs/data" $qf sweep --data "$abs/synthetic_100k.h5" "${grid[@]}" --distributed --shard-size "$shard" --out "$abs/distributed.csv" 2>/dev/null | tail -6
  end=$(date +%s.%N)
  kill "${pids[@]}"; wait "${pids[@]}" 2>/dev/null || true
  echo "distributed $(echo "$end - $start" | bc)" >> "$out/times-$pass.txt"
  echo "== pass $pass/$passes: qf sweep in one process"
  start=$(date +%s.%N)
  $qf sweep --data "$abs/synthetic_100k.h5" "${grid[@]}" --out "$abs/local.csv" | tail -4
  end=$(date +%s.%N)
  echo "local $(echo "$end - $start" | bc)" >> "$out/times-$pass.txt"
done
echo "== vectorbt sweep (once: it takes minutes)"
(cd Benchmarks/peers && "$OLDPWD/$py" vectorbt_sweep.py "$abs/synthetic_100k.csv" --repeats 1 --json "$abs/vectorbt.json" --rows "$abs/vectorbt.csv")
python3 - "$out" <<'PY' | tee "$out/evaluation-comparison.md"
import csv, json, pathlib, statistics, sys
folder = pathlib.Path(sys.argv[1])
times = {}
for f in sorted(folder.glob("times-*.txt")):
    for line in f.read_text().split("\n"):
        if line.strip():
            name, seconds = line.split()
            times.setdefault(name, []).append(float(seconds))
work = 4538 * 100_000
vbt = json.loads((folder / "vectorbt.json").read_text())
vbt_seconds = vbt["seconds_median"]
# Every combination: the distributed table equals the local one (rank order aside).
def rows(path):
    out = {}
    with open(path) as f:
        for r in csv.DictReader(f):
            out[(float(r["fast"]), float(r["slow"]))] = (float(r["total_return"]), float(r["sharpe"]) if r["sharpe"] else float("nan"))
    return out
dist, local, peer = rows(folder / "distributed.csv"), rows(folder / "local.csv"), rows(folder / "vectorbt.csv")
def agree(a, b, tolerance):
    return len(a) == len(b) == 4538 and all(abs(a[k][0] - b[k][0]) <= tolerance * max(1, abs(b[k][0])) for k in b)
same, same_peer = agree(dist, local, 1e-12), agree(dist, peer, 1e-9)
print("| run | wall time (s), median | M bar·combinations/s | vs vectorbt |")
print("|---|---:|---:|---:|")
for name, label in [("distributed", "qf sweep --distributed, 2 qf worker processes (queue, shards, merge, CSV, report)"), ("local", "qf sweep, one process, both cores")]:
    s = statistics.median(times[name])
    print(f"| {label} | {s:.2f} ({', '.join(f'{t:.2f}' for t in times[name])}) | {work / s / 1e6:.1f} | {vbt_seconds / s:.0f}× |")
print(f"| vectorbt 1 process (same grid, same bars) | {vbt_seconds:.1f} | {work / vbt_seconds / 1e6:.2f} | 1× |")
print(f"\nrows: distributed {len(dist)}, local {len(local)}, vectorbt {len(peer)}; total returns equal to the local sweep's: {same}, to vectorbt's (1e-9): {same_peer}")
PY
