#!/usr/bin/env bash
# Backtest benchmarks side by side with vectorbt and Backtesting.py, in one run, on the peers' own
# synthetic bars (Benchmarks/peers/backtest_data.py = ../shared/peers/backtest/common.py), and
# the single 10 M-bar run with the numpy / numba anchors for context.
#   PASSES=2 [FAMILY=avx2|avx512] Benchmarks/backtest.sh   (results in .qf/bench/backtest-FAMILY/)
set -euo pipefail
cd "$(dirname "$0")/.."
. Benchmarks/family.sh
passes=${PASSES:-2}
out=.qf/bench/backtest-$family_tag
mkdir -p "$out"
abs=$(pwd)/$out
Benchmarks/setup-peers.sh backtest
swift build -c release --product qf
qf=.build/release/qf
py=.venv-peers/bin/python
[ -f "$out/synthetic_100k.csv" ] || $py Benchmarks/peers/backtest_data.py "$out/synthetic_100k.csv"
$qf ingest "$out/synthetic_100k.csv" --symbol SYN --out "$out/synthetic_100k.h5" > /dev/null
echo "== the sweep's numbers (not timed): every combination, for the comparison with vectorbt"
$qf sweep --data "$out/synthetic_100k.h5" --grid slow=10:208:2 --grid fast=2:51 --fill close --commission 0.0001 \
  --convention vectorbt --top 3 --out "$out/sweep-qf.csv"
rm -f "$out"/qf-*.json "$out"/vectorbt-*.json "$out"/backtesting-*.json
for pass in $(seq 1 "$passes"); do
  echo "== pass $pass/$passes: QuantForge sweep + Backtesting.py-style run"
  $qf bench backtest --parts sweep,run --sweep-data "$out/synthetic_100k.h5" --repeats 5 --json "$out/qf-$pass.json"
  echo "== pass $pass/$passes: vectorbt sweep"
  rows=(); [ "$pass" = 1 ] && rows=(--rows "$abs/sweep-vectorbt.csv")
  (cd Benchmarks/peers && "$OLDPWD/$py" vectorbt_sweep.py "$abs/synthetic_100k.csv" --repeats 1 --json "$abs/vectorbt-$pass.json" "${rows[@]}")
  echo "== pass $pass/$passes: Backtesting.py run"
  (cd Benchmarks/peers && "$OLDPWD/$py" backtesting_run.py "$abs/synthetic_100k.csv" --repeats 5 --json "$abs/backtesting-$pass.json")
done
echo "== single 10 M-bar runs: QuantForge, then the numpy and numba anchors"
$qf bench backtest --parts single --repeats 5 --json "$out/qf-single.json"
(cd "${QF_SHARED_DIR:-../shared}/peers/backtest" && PEERS_RESULTS="$abs/peers" BT_REPS=5 "$OLDPWD/$py" 32_perf_numpy_vectorized.py) || echo "numpy anchor skipped"
$py Benchmarks/compare_backtest.py "$out" | tee "$out/backtest-comparison.md"
