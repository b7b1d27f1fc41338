#!/usr/bin/env bash
# What Slurm costs a sweep, in one run on this machine: the 4,538-cell SMA grid over TradeMaster's
# 2,991 BTC days run locally (`qf sweep`), as shards for two `qf worker`s started by hand
# (`--distributed`), and with `--slurm` (the command submits a 2-worker job array to the
# project's single-node Slurm cluster, waits, prints the merged ranking and ends the array).
# Wall time of each whole command, median of PASSES.
#   PASSES=3 Benchmarks/slurm.sh        (results in .qf/bench/slurm/)
set -euo pipefail
cd "$(dirname "$0")/.."
passes=${PASSES:-3}
out=.qf/bench/slurm
mkdir -p "$out"
shared=${QF_SHARED_DIR:-../shared}
swift build -c release --product qf
qf=$PWD/.build/release/qf
scripts/slurm-cluster.sh up
trap 'scripts/slurm-cluster.sh down' EXIT   # no Slurm daemons left behind
export SLURM_CONF=$PWD/.qf/slurm/slurm.conf
$qf ingest "$shared/data/trademaster/algorithmic_trading/BTC/BTC.csv" --symbol BTC --out "$out/btc.h5" > /dev/null
$qf migrate up > /dev/null
grid=(--data "$PWD/$out/btc.h5" --grid fast=2:51 --grid slow=10:208:2 --fill close --commission 0.0001 --convention vectorbt --top 3 --shard-size 500)
now() { date +%s.%N; }
: > "$out/times.txt"
for pass in $(seq 1 "$passes"); do
  echo "== pass $pass/$passes"
  t0=$(now); $qf sweep "${grid[@]}" > "$out/local.txt"; t1=$(now)
  echo "local $(echo "$t1 - $t0" | bc)" | tee -a "$out/times.txt"
  $qf worker --queues evaluation --concurrency 1 --exit-when-idle 3 > "$out/worker-a.log" 2>&1 &
  $qf worker --queues evaluation --concurrency 1 --exit-when-idle 3 > "$out/worker-b.log" 2>&1 &
  sleep 1   # both listening before the shards are queued
  t0=$(now); $qf sweep "${grid[@]}" --distributed > "$out/distributed.txt"; t1=$(now)
  echo "distributed $(echo "$t1 - $t0" | bc)" | tee -a "$out/times.txt"
  wait
  t0=$(now); $qf sweep "${grid[@]}" --slurm --slurm-workers 2 > "$out/slurm.txt"; t1=$(now)
  echo "slurm $(echo "$t1 - $t0" | bc)" | tee -a "$out/times.txt"
  diff <(grep -E '^ *1 ' "$out/local.txt") <(grep -E '^ *1 ' "$out/slurm.txt") > /dev/null || { echo "the Slurm run ranked differently"; exit 1; }
done
python3 - "$out/times.txt" <<'PY' | tee "$out/slurm-comparison.md"
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    kind, seconds = line.split()
    runs.setdefault(kind, []).append(float(seconds))
local = statistics.median(runs["local"])
print("| run | wall time (s) | over local (s) |")
print("|---|---:|---:|")
for kind in ("local", "distributed", "slurm"):
    m = statistics.median(runs[kind])
    print(f"| {kind} | {m:.2f} | {m - local:+.2f} |")
PY
