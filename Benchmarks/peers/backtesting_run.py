"""Backtesting.py peer of `qf bench backtest --parts run`, as ../shared/peers/backtest/
31_perf_backtesting_py.py runs it: the README SmaCross(10, 20) (buy on the cross up, sell on the
cross down, exclusive orders), cash 10,000, commission 0.0001, on the bars of backtest_data.py;
`run()` includes the indicators, the bar loop and the statistics. Median of --repeats runs.

    .venv-peers/bin/python Benchmarks/peers/backtesting_run.py bars.csv --json out.json [--repeats 5]
"""
import argparse
import json
import statistics
import time
import warnings

import pandas as pd
import backtesting
from backtesting import Backtest, Strategy
from backtesting.lib import crossover

from timing import machine

warnings.filterwarnings('ignore')


def sma(a, n):
    return pd.Series(a).rolling(n).mean()


class SmaCross(Strategy):
    def init(self):
        self.ma1 = self.I(sma, self.data.Close, 10)
        self.ma2 = self.I(sma, self.data.Close, 20)

    def next(self):
        if crossover(self.ma1, self.ma2):
            self.buy()
        elif crossover(self.ma2, self.ma1):
            self.sell()


if __name__ == '__main__':
    parser = argparse.ArgumentParser()
    parser.add_argument('csv')
    parser.add_argument('--json')
    parser.add_argument('--repeats', type=int, default=5)
    args = parser.parse_args()
    df = pd.read_csv(args.csv, index_col=0, parse_dates=True)
    bt = Backtest(df, SmaCross, cash=10_000, commission=0.0001, exclusive_orders=True)
    bt.run()   # warm-up
    walls, stats = [], None
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        stats = bt.run()
        walls.append(time.perf_counter() - t0)
    med = statistics.median(walls)
    doc = {'machine': machine(), 'backtesting': backtesting.__version__, 'bars': len(df), 'seconds_all': walls, 'seconds_median': med,
           'bars_per_second': len(df) / med, 'equity_final': float(stats['Equity Final [$]']), 'trades': int(stats['# Trades']),
           'sharpe': float(stats['Sharpe Ratio'])}
    if args.json:
        json.dump(doc, open(args.json, 'w'), indent=1)
    print(json.dumps({k: v for k, v in doc.items() if k != 'machine'}))
