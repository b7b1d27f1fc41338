#!/usr/bin/env bash
# Walk-forward side by side with vectorbt: rolling windows of 730 in-sample and 182 out-of-sample
# BTC days, the 4,538-cell SMA grid swept per window, the best by Sharpe run out of sample and the
# parts stitched. Both print each window's choice and the stitched return; they must agree.
#   Benchmarks/walkforward.sh   (after Benchmarks/overfitting.sh has made the BTC files)
set -euo pipefail
cd "$(dirname "$0")/.."
out=.qf/bench/overfitting
[ -f "$out/btc_daily.h5" ] || Benchmarks/overfitting.sh
swift build -c release --product qf
for pass in 1 2 3; do
  echo "== QuantForge pass $pass"
  /usr/bin/time -f "qf walkforward: %e s" .build/release/qf walkforward --data "$out/btc_daily.h5" --grid slow=10:208:2 --grid fast=2:51 \
    --train 730 --test 182 --fill close --convention vectorbt --commission 0.0001 --cash 10000 --overfitting-partitions 0 --json > "$out/qf-walkforward-$pass.json"
done
.venv-peers/bin/python -c "
import json; d = json.load(open('$out/qf-walkforward-1.json'))
print('qf choices', [[int(w['parameters']['fast']), int(w['parameters']['slow'])] for w in d['windows']], 'stitched return', d['metrics']['total_return'])"
echo "== vectorbt"
(cd Benchmarks/peers && "$OLDPWD/.venv-peers/bin/python" vectorbt_walkforward.py "$OLDPWD/$out/btc_daily.csv" --train 730 --test 182 --json "$OLDPWD/$out/vectorbt-walkforward.json")
