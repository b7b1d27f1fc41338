#!/usr/bin/env bash
# The overfitting statistics of a sweep (deflated Sharpe ratio and PBO by CSCV, 16 blocks) on the
# 4,538-cell SMA grid over BTC daily bars, side by side with numpy computing the same from
# vectorbt's per-bar returns of every cell (block sums, all 12,870 splits as matrix products).
# Both must print the same PBO; the times are of the statistics alone.
#   Benchmarks/overfitting.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=.qf/bench/overfitting
mkdir -p "$out"
Benchmarks/setup-peers.sh backtest
swift build -c release --product qf
qf=.build/release/qf
py=.venv-peers/bin/python
shared=${QF_SHARED_DIR:-../shared}
# BTC daily bars as the peers read them (date index, lower-case columns).
$py - "$shared/data/trademaster/algorithmic_trading/BTC/BTC.csv" "$out/btc_daily.csv" <<'PY'
import sys, pandas as pd
d = pd.read_csv(sys.argv[1])
d = d.rename(columns=str.lower)
d['date'] = pd.to_datetime(d['date'])
d[['date', 'open', 'high', 'low', 'close']].assign(volume=1.0).to_csv(sys.argv[2], index=False)
PY
$qf ingest "$out/btc_daily.csv" --symbol BTC --out "$out/btc_daily.h5" > /dev/null
for pass in 1 2 3; do
  echo "== QuantForge pass $pass"
  $qf sweep --data "$out/btc_daily.h5" --grid slow=10:208:2 --grid fast=2:51 --fill close --commission 0.0001 --cash 10000 \
    --convention vectorbt --top 1 | grep -E "probability|deflated|computed"
done
echo "== numpy (from vectorbt's returns)"
(cd Benchmarks/peers && "$OLDPWD/$py" numpy_overfitting.py "$OLDPWD/$out/btc_daily.csv" --repeats 2 --json "$OLDPWD/$out/numpy.json")
