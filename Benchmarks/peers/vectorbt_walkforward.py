"""vectorbt peer of `qf walkforward`: rolling windows of TRAIN in-sample and TEST out-of-sample
bars; per window the 4,538-cell SMA grid of vectorbt_sweep.py swept in sample (MA.run +
from_signals, close fills, fees 0.0001, init cash 10,000), the best cell by Sharpe ratio chosen
(first on ties; NaN and the infinite Sharpe vectorbt gives a cell that never trades last) and run out of sample with its averages computed from the window's first
bar. Timed end to end; writes each window's choice to check QuantForge's.

    .venv-peers/bin/python Benchmarks/peers/vectorbt_walkforward.py bars.csv --train 730 --test 182 --json out.json
"""
import argparse
import json
import time

import numpy as np
import pandas as pd
import vectorbt as vbt

from timing import machine
from vectorbt_sweep import COMBOS, sweep


def walk_forward(close, train, test):
    choices, parts = [], []
    start = train
    while start + 2 <= len(close):
        end = min(start + test, len(close))
        _, sharpe = sweep(close.iloc[start - train:start])
        best = int(np.argmax(np.where(np.isfinite(sharpe), sharpe, -np.inf)))   # vectorbt says inf for a cell that never trades
        fast, slow = COMBOS[best]
        warm = close.iloc[start - train:end]
        f, s = vbt.MA.run(warm, fast).ma, vbt.MA.run(warm, slow).ma
        entries = ((f > s) & (f.shift(1) < s.shift(1))).iloc[train:]
        exits = ((f < s) & (f.shift(1) > s.shift(1))).iloc[train:]
        pf = vbt.Portfolio.from_signals(close.iloc[start:end], entries, exits, init_cash=10_000, fees=0.0001, freq='1D')
        parts.append(pf.total_return())
        choices.append([fast, slow])
        start += test
    return choices, parts


if __name__ == '__main__':
    parser = argparse.ArgumentParser()
    parser.add_argument('csv')
    parser.add_argument('--train', type=int, default=730)
    parser.add_argument('--test', type=int, default=182)
    parser.add_argument('--json')
    args = parser.parse_args()
    close = pd.read_csv(args.csv, index_col=0, parse_dates=True)['close']
    sweep(close.iloc[:300])   # warm-up: numba compile / cache load
    t0 = time.perf_counter()
    choices, parts = walk_forward(close, args.train, args.test)
    wall = time.perf_counter() - t0
    doc = {'machine': machine(), 'vectorbt': vbt.__version__, 'bars': len(close), 'windows': len(choices), 'cells': len(COMBOS),
           'seconds': wall, 'choices': choices, 'stitched_return': float(np.prod([1 + r for r in parts]) - 1)}
    if args.json:
        json.dump(doc, open(args.json, 'w'), indent=1)
    print(json.dumps({k: v for k, v in doc.items() if k != 'machine'}))
