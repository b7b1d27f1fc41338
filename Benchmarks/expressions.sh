#!/usr/bin/env bash
# Expression sweeps side by side with vectorbt, in one run, on the peers' synthetic 100 k bars
# and on TradeMaster's BTC daily bars (~3,000): a Donchian breakout grid and a z-score rule (the
# grids of Benchmarks/peers/vectorbt_rules.py), and the SMA-cross grid written as an expression
# beside the built-in sma_cross sweep (and, on the short series, vectorbt's SMA grid).
#   PASSES=2 Benchmarks/expressions.sh
set -euo pipefail
cd "$(dirname "$0")/.."
passes=${PASSES:-2}
out=.qf/bench/expressions
mkdir -p "$out"
abs=$(pwd)/$out
Benchmarks/setup-peers.sh backtest
swift build -c release --product qf
qf=.build/release/qf
py=.venv-peers/bin/python
shared=${QF_SHARED_DIR:-../shared}
[ -f "$out/synthetic_100k.csv" ] || $py Benchmarks/peers/backtest_data.py "$out/synthetic_100k.csv"
[ -f "$out/btc_daily.csv" ] || $py - "$shared/data/trademaster/algorithmic_trading/BTC/BTC.csv" "$out/btc_daily.csv" <<'PY'
import sys, pandas as pd
f = pd.read_csv(sys.argv[1], float_precision="round_trip")
f.index = pd.to_datetime(f["date"])
f[["open", "high", "low", "close"]].assign(volume=1.0).to_csv(sys.argv[2])
PY
$qf ingest "$out/synthetic_100k.csv" --symbol SYN --out "$out/synthetic_100k.h5" > /dev/null
$qf ingest "$out/btc_daily.csv" --symbol BTC --out "$out/btc_daily.h5" > /dev/null
common=(--fill close --commission 0.0001 --convention vectorbt)
# Each grid twice: `qf bench rules` times it as the peer script times vectorbt (after a warm-up on
# the first 2,000 bars; the median of 5 runs), and `qf sweep` prints the figure of a fresh
# process's first sweep, which also pays the process's first use of its types and threads.
donchian=(--entry "close > shift(highest(high, {n}), 1)" --exit "close < shift(lowest(low, {m}), 1)" --grid n=5:100:5 --grid m=5:50:5)
zscore=(--entry "zscore(close, {w}) < -{k}" --exit "zscore(close, {w}) > 0" --grid w=10:100:10 --grid k=1,1.5,2,2.5)
sma_expression=(--entry "crossed_above(sma(close, {fast}), sma(close, {slow}))" --exit "crossed_below(sma(close, {fast}), sma(close, {slow}))" --grid fast=2:51 --grid slow=10:208:2)
sma_builtin=(--strategy sma_cross --grid fast=2:51 --grid slow=10:208:2)
: > "$out/qf.txt"
for pass in $(seq 1 "$passes"); do
  for data in synthetic_100k btc_daily; do
    echo "== pass $pass/$passes, $data: QuantForge"
    for grid in donchian zscore sma_expression sma_builtin; do
      declare -n args=$grid
      $qf bench rules --data "$out/$data.h5" "${args[@]}" "${common[@]}" --label "$data $grid" | tee -a "$out/qf.txt"
      { echo -n "$data $grid cold: "; $qf sweep --data "$out/$data.h5" "${args[@]}" "${common[@]}" --top 1 | head -1; } | tee -a "$out/qf.txt"
      unset -n args
    done
    echo "== pass $pass/$passes, $data: vectorbt"
    freq=1min; [ "$data" = btc_daily ] && freq=1D
    (cd Benchmarks/peers && "$OLDPWD/$py" vectorbt_rules.py "$abs/$data.csv" --freq "$freq" --repeats 3 --json "$abs/vectorbt-$data-$pass.json")
    # vectorbt's SMA grid (the built-in sweep's peer) on the short series only: on 100 k bars it
    # takes minutes a run, and Benchmarks/backtest.sh measures it there.
    if [ "$data" = btc_daily ]; then
      (cd Benchmarks/peers && "$OLDPWD/$py" vectorbt_sweep.py "$abs/$data.csv" --repeats 3 --json "$abs/vectorbt_sma-$data-$pass.json")
    fi
  done
done
$py - "$out" <<'PY' | tee "$out/expressions-comparison.md"
import glob, json, re, statistics, sys
out = sys.argv[1]
ours, cold = {}, {}
for line in open(f"{out}/qf.txt"):
    m = re.match(r"(\S+) (\S+)( cold)?: .*?\(([\d.]+) M bar·combinations/s", line)
    if m: (cold if m.group(3) else ours).setdefault((m.group(1), m.group(2)), []).append(float(m.group(4)) * 1e6)
peers = {}
for path in glob.glob(f"{out}/vectorbt-*.json"):
    data = path.split("vectorbt-")[1].rsplit("-", 1)[0]
    for name, r in json.load(open(path))["grids"].items():
        peers.setdefault((data, name), []).append(r["bar_combinations_per_second"])
for path in glob.glob(f"{out}/vectorbt_sma-*.json"):
    data = path.split("vectorbt_sma-")[1].rsplit("-", 1)[0]
    speed = json.load(open(path))["bar_combinations_per_second"]
    # The same grid either way: the built-in sweep, or the crossings written as expressions.
    for grid in ("sma_builtin", "sma_expression"):
        peers.setdefault((data, grid), []).append(speed)
print("| data | grid | QuantForge, warm (M bar·comb/s) | vectorbt, warm | ratio | QuantForge, a fresh process's first sweep | ratio |")
print("|---|---|---:|---:|---:|---:|---:|")
for key in sorted(ours):
    q = statistics.median(ours[key]) / 1e6
    c = statistics.median(cold[key]) / 1e6 if key in cold else float("nan")
    if key in peers:
        v = statistics.median(peers[key]) / 1e6
        print(f"| {key[0]} | {key[1]} | {q:.1f} | {v:.2f} | {q / v:.1f}x | {c:.1f} | {c / v:.1f}x |")
    else:
        print(f"| {key[0]} | {key[1]} | {q:.1f} | | | {c:.1f} | |")
for data in sorted({k[0] for k in ours}):
    if (data, "sma_expression") in ours and (data, "sma_builtin") in ours:
        e, b = statistics.median(ours[(data, "sma_expression")]), statistics.median(ours[(data, "sma_builtin")])
        print(f"\n{data}: the SMA cross as an expression runs at {e / b:.2f}x the built-in sma_cross sweep (warm)")
PY
