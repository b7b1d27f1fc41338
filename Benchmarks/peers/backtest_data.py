"""The bars of the backtest benchmarks, written as CSV for `qf ingest`: the peers' synthetic OHLC
(../shared/peers/backtest/common.py `synthetic_ohlc`: a geometric random walk from 100 with
sigma 0.001, seed 42, open = previous close, 1-minute bars from 2000-01-01).

    .venv-peers/bin/python Benchmarks/peers/backtest_data.py OUT.csv [--bars 100000]
"""
import argparse

import numpy as np
import pandas as pd


def synthetic_ohlc(n=100_000, seed=42, sigma=0.001, start_price=100.0):
    rng = np.random.default_rng(seed)
    logret = rng.normal(0.0, sigma, n)
    close = start_price * np.exp(np.cumsum(logret))
    open_ = np.r_[start_price, close[:-1]]
    wig = np.abs(rng.normal(0.0, sigma / 2, (2, n)))
    high = np.maximum(open_, close) * (1 + wig[0])
    low = np.minimum(open_, close) * (1 - wig[1])
    idx = pd.date_range('2000-01-01', periods=n, freq='min')
    return pd.DataFrame({'Open': open_, 'High': high, 'Low': low, 'Close': close, 'Volume': np.full(n, 1000.0)}, index=idx)


if __name__ == '__main__':
    parser = argparse.ArgumentParser()
    parser.add_argument('out')
    parser.add_argument('--bars', type=int, default=100_000)
    args = parser.parse_args()
    df = synthetic_ohlc(args.bars)
    df.index.name = 'date'
    # repr-exact floats, so QuantForge reads the very values the peers use
    df.to_csv(args.out, float_format='%.17g')
