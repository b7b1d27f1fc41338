"""vectorbt peer of `qf bench backtest --parts sweep`, in the shape of
../shared/peers/backtest/30_perf_vectorbt_sweep.py: MA.run + ma_crossed_above/below +
Portfolio.from_signals(close fills, long-only, init_cash 10,000, fees 0.0001) + total_return and
sharpe_ratio, over the grid fast 2..51 x slow 10..208 step 2 with fast < slow (4,538
combinations), in chunks of ~10 M bar x combinations, on the bars of backtest_data.py. Writes the
timing and every combination's total return and Sharpe ratio (to check QuantForge's numbers).

    .venv-peers/bin/python Benchmarks/peers/vectorbt_sweep.py bars.csv --json out.json --rows rows.csv [--repeats 2]
"""
import argparse
import json
import statistics
import time

import numpy as np
import pandas as pd
import vectorbt as vbt

from timing import machine

FAST = np.arange(2, 52)
SLOW = np.arange(10, 210, 2)
COMBOS = [(int(f), int(s)) for s in SLOW for f in FAST if f < s]
CHUNK_ELEMS = 10_000_000


def sweep(close):
    chunk = max(1, CHUNK_ELEMS // len(close))
    tr, sh = [], []
    for k in range(0, len(COMBOS), chunk):
        combos = COMBOS[k:k + chunk]
        fast = vbt.MA.run(close, [c[0] for c in combos], short_name='fast')
        slow = vbt.MA.run(close, [c[1] for c in combos], short_name='slow')
        pf = vbt.Portfolio.from_signals(close, fast.ma_crossed_above(slow), fast.ma_crossed_below(slow),
                                        init_cash=10_000, fees=0.0001, freq='1min')
        tr.append(pf.total_return().to_numpy())
        sh.append(pf.sharpe_ratio().to_numpy())
    return np.concatenate(tr), np.concatenate(sh)


if __name__ == '__main__':
    parser = argparse.ArgumentParser()
    parser.add_argument('csv')
    parser.add_argument('--json')
    parser.add_argument('--rows')
    parser.add_argument('--repeats', type=int, default=2)
    args = parser.parse_args()
    frame = pd.read_csv(args.csv, index_col=0, parse_dates=True)
    close = frame['Close' if 'Close' in frame else 'close']
    sweep(close.iloc[:3_000])   # warm-up: numba compile / cache load
    walls = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        tr, sh = sweep(close)
        walls.append(time.perf_counter() - t0)
        print(f'vectorbt sweep: {walls[-1]:.1f} s', flush=True)
    med = statistics.median(walls)
    doc = {'machine': machine(), 'vectorbt': vbt.__version__, 'bars': len(close), 'combinations': len(COMBOS),
           'seconds_all': walls, 'seconds_median': med, 'bar_combinations_per_second': len(close) * len(COMBOS) / med,
           'checksum_total_return': float(tr.sum())}
    if args.json:
        json.dump(doc, open(args.json, 'w'), indent=1)
    if args.rows:
        pd.DataFrame({'fast': [c[0] for c in COMBOS], 'slow': [c[1] for c in COMBOS], 'total_return': tr, 'sharpe': sh}).to_csv(args.rows, index=False)
    print(json.dumps({k: v for k, v in doc.items() if k != 'machine'}))
