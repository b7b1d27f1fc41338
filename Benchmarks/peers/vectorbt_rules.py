"""vectorbt peer of `qf sweep --entry … --grid` (Benchmarks/expressions.sh): the same rule grids
with signals computed in pandas (one rolling series per distinct window, as a vectorbt user
writes them), run by Portfolio.from_signals (close fills, init cash 10,000, fees 0.0001) in chunks
of ~10 M bar x combinations, total return and Sharpe computed. The time covers signals, portfolio
and metrics. Grids:

- donchian: entry close > highest(high, n) of the bars before, exit close < lowest(low, m) of the
  bars before; n 5..100 step 5 x m 5..50 step 5 (200 cells);
- zscore: entry (close - mean) / std (ddof 1) over w < -k, exit > 0; w 10..100 step 10 x k 1, 1.5,
  2, 2.5 (40 cells).

    .venv-peers/bin/python Benchmarks/peers/vectorbt_rules.py bars.csv --json out.json [--repeats 1]
"""
import argparse
import json
import statistics
import time

import numpy as np
import pandas as pd
import vectorbt as vbt

from timing import machine

CHUNK_ELEMS = 10_000_000
GRIDS = {
    "donchian": [(n, m) for n in range(5, 101, 5) for m in range(5, 51, 5)],
    "zscore": [(w, k) for w in range(10, 101, 10) for k in (1.0, 1.5, 2.0, 2.5)],
}


def signals(name, frame, cells):
    close = frame["close"]
    if name == "donchian":
        highest = {n: frame["high"].rolling(n).max().shift(1) for n in {c[0] for c in cells}}
        lowest = {m: frame["low"].rolling(m).min().shift(1) for m in {c[1] for c in cells}}
        entries = pd.concat([close > highest[n] for n, _ in cells], axis=1, keys=range(len(cells)))
        exits = pd.concat([close < lowest[m] for _, m in cells], axis=1, keys=range(len(cells)))
    else:
        z = {w: (close - close.rolling(w).mean()) / close.rolling(w).std() for w in {c[0] for c in cells}}
        entries = pd.concat([z[w] < -k for w, k in cells], axis=1, keys=range(len(cells)))
        exits = pd.concat([z[w] > 0 for w, _ in cells], axis=1, keys=range(len(cells)))
    return entries, exits


def sweep(name, frame, freq):
    cells = GRIDS[name]
    chunk = max(1, CHUNK_ELEMS // len(frame))
    returns = []
    for k in range(0, len(cells), chunk):
        part = cells[k:k + chunk]
        entries, exits = signals(name, frame, part)
        close = pd.concat([frame["close"]] * len(part), axis=1, keys=range(len(part)))
        pf = vbt.Portfolio.from_signals(close, entries, exits, init_cash=10_000, fees=0.0001, freq=freq)
        returns.append(pf.total_return().to_numpy())
        pf.sharpe_ratio()
    return np.concatenate(returns)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("csv")
    parser.add_argument("--json", required=True)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--freq", default="1min")
    args = parser.parse_args()
    frame = pd.read_csv(args.csv, index_col=0, parse_dates=True, float_precision="round_trip")
    frame.columns = [c.lower() for c in frame.columns]
    results = {"machine": machine(), "bars": len(frame), "grids": {}}
    for name in GRIDS:
        sweep(name, frame.iloc[:2_000], args.freq)  # warm up numba
        times = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            sweep(name, frame, args.freq)
            times.append(time.perf_counter() - t0)
        seconds = statistics.median(times)
        cells = len(GRIDS[name])
        results["grids"][name] = {"cells": cells, "seconds": seconds, "bar_combinations_per_second": cells * len(frame) / seconds}
        print(f"vectorbt {name}: {cells} cells x {len(frame)} bars in {seconds:.2f} s ({cells * len(frame) / seconds / 1e6:.2f} M bar-combinations/s)")
    with open(args.json, "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
