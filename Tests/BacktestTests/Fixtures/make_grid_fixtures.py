"""Each library's own SMA-cross grid on real two-decimal prices, for
BacktestTests/LibraryArithmeticTests.swift: where two rolling means tie in exact arithmetic the
last bit of each decides a crossing, so QuantForge must round as the library it imitates does.
Writes grid.json beside this script:

- `closes` / `opens`: TradeMaster's BTC and DJI bars rounded to two decimals, as text (both
  sides parse the same decimal strings);
- `vectorbt_means` / `pandas_means`: for every window 2..208, a checksum of the bits of
  vectorbt's `MA.run(close, w).ma` and of pandas' `Series.rolling(w).mean()`
  (Σ bits[i]·(2i+1) mod 2⁶⁴, NaN as 0x7ff8000000000000: any changed bit changes it);
- `vectorbt_grid`: total return of every cell of the grid fast 2..51 × slow 10..208 step 2,
  fast < slow (4,538 cells): MA.run + ma_crossed_above/below + Portfolio.from_signals (close
  fills, init cash 10,000, fees 0.0001), as Benchmarks/peers/vectorbt_sweep.py;
- `backtesting_grid`: for the same cells, Backtesting.py's trade count and final equity of
  SmaCross with pandas' rolling means (next-open fills, cash 1,000,000, commission 0.001),
  long only.

    Benchmarks/setup-peers.sh backtest
    .venv-peers/bin/python Tests/BacktestTests/Fixtures/make_grid_fixtures.py [SHARED_DIR]
"""
import json
import os
import time
import warnings

import numpy as np
import pandas as pd

warnings.filterwarnings("ignore")
from trademaster_files import FILES, HERE
FAST = range(2, 52)
SLOW = range(10, 210, 2)
COMBOS = [(f, s) for s in SLOW for f in FAST if f < s]
WINDOWS = range(2, 209)
NAN_BITS = np.uint64(0x7FF8000000000000)


def checksum(values):
    bits = np.asarray(values, dtype=np.float64).view(np.uint64).copy()
    bits[np.isnan(np.asarray(values, dtype=np.float64))] = NAN_BITS
    weights = np.arange(len(bits), dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    with np.errstate(over="ignore"):
        return str(int(np.sum(bits * weights, dtype=np.uint64)))


def two_decimals(column):
    return [f"{x:.2f}" for x in column]


def vectorbt_part(close):
    import vectorbt as vbt
    means = {str(w): checksum(vbt.MA.run(close, w).ma.to_numpy()) for w in WINDOWS}
    fast = vbt.MA.run(close, [c[0] for c in COMBOS], short_name="fast")
    slow = vbt.MA.run(close, [c[1] for c in COMBOS], short_name="slow")
    pf = vbt.Portfolio.from_signals(close, fast.ma_crossed_above(slow), fast.ma_crossed_below(slow), init_cash=10_000, fees=0.0001, freq="1D")
    return means, [float(x) for x in pf.total_return().to_numpy()]


def backtesting_part(frame):
    from backtesting import Backtest, Strategy
    from backtesting.lib import crossover

    def sma(a, n):
        return pd.Series(a).rolling(n).mean()

    class SmaCross(Strategy):
        fast = 10
        slow = 30

        def init(self):
            self.f = self.I(sma, self.data.Close, self.fast)
            self.s = self.I(sma, self.data.Close, self.slow)

        def next(self):
            if crossover(self.f, self.s):
                self.buy()
            elif crossover(self.s, self.f):
                self.position.close()

    bt = Backtest(frame, SmaCross, cash=1_000_000, commission=0.001, exclusive_orders=True)
    rows = []
    for f, s in COMBOS:
        st = bt.run(fast=f, slow=s)
        rows.append([int(st["# Trades"]), float(st["Equity Final [$]"])])
    return rows


if __name__ == "__main__":
    import backtesting
    import vectorbt
    out = {"generated_by": "Tests/BacktestTests/Fixtures/make_grid_fixtures.py",
           "versions": {"backtesting": backtesting.__version__, "vectorbt": vectorbt.__version__, "pandas": pd.__version__, "numpy": np.__version__},
           "combos": COMBOS, "data": {}}
    for name, path in FILES.items():
        df = pd.read_csv(path).rename(columns=str.lower)
        closes, opens = two_decimals(df["close"]), two_decimals(df["open"])
        close = pd.Series([float(x) for x in closes], index=pd.DatetimeIndex(pd.to_datetime(df["date"])))
        frame = pd.DataFrame({"Open": [float(x) for x in opens], "High": np.nan, "Low": np.nan, "Close": close.to_numpy()}, index=close.index)
        frame["High"] = frame[["Open", "Close"]].max(axis=1)
        frame["Low"] = frame[["Open", "Close"]].min(axis=1)
        t0 = time.time()
        vbt_means, vbt_grid = vectorbt_part(close)
        pandas_means = {str(w): checksum(close.reset_index(drop=True).rolling(w).mean().to_numpy()) for w in WINDOWS}
        t1 = time.time()
        bt_grid = backtesting_part(frame)
        print(name, len(closes), "bars; vectorbt", round(t1 - t0, 1), "s; backtesting.py", round(time.time() - t1, 1), "s", flush=True)
        out["data"][name] = {"closes": closes, "opens": opens, "vectorbt_means": vbt_means, "pandas_means": pandas_means,
                             "vectorbt_grid": vbt_grid, "backtesting_grid": bt_grid}
    with open(os.path.join(HERE, "grid.json"), "w") as f:
        json.dump(out, f, separators=(",", ":"))
