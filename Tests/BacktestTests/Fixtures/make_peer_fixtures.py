"""Golden values from the peers themselves: Backtesting.py and vectorbt run the same strategies on
the same bars as the Swift tests (BacktestTests/PeerAgreementTests.swift), and their trades and
statistics are written to peers.json beside this script. Re-run after changing a case:

    Benchmarks/setup-peers.sh backtest
    .venv-peers/bin/python Tests/BacktestTests/Fixtures/make_peer_fixtures.py [SHARED_DIR]

Data: TradeMaster's BTC (daily, weekends included) and the Dow Jones index (daily, weekdays) from
../shared/data/trademaster, and hourly.csv here (a seeded random walk written by this script, so
that Backtesting.py resamples intraday equity to days).
"""
import json
import math
import os
import sys
import warnings

import numpy as np
import pandas as pd

warnings.filterwarnings("ignore")
HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "..", "..", "shared")
TM = os.path.join(SHARED, "data", "trademaster")
FILES = {
    "btc": os.path.join(TM, "algorithmic_trading", "BTC", "BTC.csv"),
    "dji": os.path.join(TM, "portfolio_management", "dj30", "DJI.csv"),
    "hourly": os.path.join(HERE, "hourly.csv"),
}


def write_hourly():
    rng = np.random.default_rng(20261130)
    n = 3_000
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.004, n)))
    open_ = np.r_[100.0, close[:-1]] * (1 + rng.normal(0, 0.0005, n))
    high = np.maximum(open_, close) * (1 + np.abs(rng.normal(0, 0.002, n)))
    low = np.minimum(open_, close) * (1 - np.abs(rng.normal(0, 0.002, n)))
    idx = pd.date_range("2021-03-01", periods=n, freq="h")
    df = pd.DataFrame({"date": idx.strftime("%Y-%m-%d %H:%M:%S"), "open": open_, "high": high, "low": low,
                       "close": close, "volume": np.full(n, 1000.0)})
    df.to_csv(FILES["hourly"], index=False, float_format="%.10f")


def load(name):
    df = pd.read_csv(FILES[name])
    df = df.rename(columns=str.lower)
    idx = pd.DatetimeIndex(pd.to_datetime(df["date"]))
    return pd.DataFrame({"Open": df["open"].to_numpy(float), "High": df["high"].to_numpy(float),
                         "Low": df["low"].to_numpy(float), "Close": df["close"].to_numpy(float)}, index=idx)


def clean(v):
    if isinstance(v, pd.Timedelta):
        return v.total_seconds()
    if isinstance(v, (np.floating, float)):
        return None if math.isnan(v) else float(v)
    if isinstance(v, (np.integer, int)):
        return int(v)
    return None


def sma(a, n):
    return pd.Series(a).rolling(n).mean()


def zscore(a, n):
    s = pd.Series(a)
    return (s - s.rolling(n).mean()) / s.rolling(n).std(ddof=0)


def backtesting_case(name, data, spec, commission, cash, allow_short):
    from backtesting import Backtest, Strategy
    from backtesting.lib import crossover

    p = spec["parameters"]

    class SmaCross(Strategy):
        def init(self):
            self.f = self.I(sma, self.data.Close, int(p["fast"]))
            self.s = self.I(sma, self.data.Close, int(p["slow"]))

        def next(self):
            if crossover(self.f, self.s):
                self.buy()
            elif crossover(self.s, self.f):
                self.sell() if allow_short else self.position.close()

    class MeanReversion(Strategy):
        wanted = 0

        def init(self):
            self.z = self.I(zscore, self.data.Close, int(p["window"]))

        def next(self):
            z, entry, exit_ = self.z[-1], p["entry"], p["exit"]
            if z < -entry:
                if self.wanted != 1:
                    self.buy(); self.wanted = 1
            elif z > entry:
                if self.wanted != -1:
                    (self.sell() if allow_short else self.position.close()); self.wanted = -1
            elif self.wanted == 1 and z >= -exit_:
                self.position.close(); self.wanted = 0
            elif self.wanted == -1 and z <= exit_:
                self.position.close(); self.wanted = 0

    strategy = {"sma_cross": SmaCross, "mean_reversion": MeanReversion}[spec["name"]]
    df = load(data)
    st = Backtest(df, strategy, cash=cash, commission=commission, exclusive_orders=True).run()
    tr = st["_trades"]
    stats = {k: clean(v) for k, v in st.items() if not k.startswith("_") and clean(v) is not None}
    return {"name": name, "peer": "backtesting.py", "data": data, "strategy": spec, "fill": "next_open",
            "commission": commission, "cash": cash, "allow_short": allow_short, "stats": stats,
            "equity": [float(x) for x in st["_equity_curve"]["Equity"].to_numpy()],
            "trades": [{"entry_bar": int(r.EntryBar), "exit_bar": int(r.ExitBar), "size": float(r.Size),
                        "entry_price": float(r.EntryPrice), "exit_price": float(r.ExitPrice), "pnl": float(r.PnL),
                        "return": float(r.ReturnPct), "commission": float(r.Commission)} for r in tr.itertuples()]}


def vectorbt_case(name, data, spec, fees, fixed_fees, slippage, cash, freq):
    import vectorbt as vbt
    p = spec["parameters"]
    close = load(data).Close
    fast = vbt.MA.run(close, int(p["fast"]))
    slow = vbt.MA.run(close, int(p["slow"]))
    pf = vbt.Portfolio.from_signals(close, fast.ma_crossed_above(slow), fast.ma_crossed_below(slow), init_cash=cash,
                                    fees=fees, fixed_fees=fixed_fees, slippage=slippage, freq=freq)
    st = pf.stats()
    stats = {k: clean(v) for k, v in st.items() if clean(v) is not None}
    rec = pf.trades.records_readable
    return {"name": name, "peer": "vectorbt", "data": data, "strategy": spec, "fill": "close", "commission": fees,
            "fixed_fee": fixed_fees, "slippage_bps": slippage * 1e4, "cash": cash, "freq_seconds": pd.Timedelta(freq).total_seconds(),
            "stats": stats, "equity": [float(x) for x in pf.value().to_numpy()],
            "trades": [{"entry_bar": int(close.index.get_loc(r["Entry Timestamp"])), "size": float(r["Size"]),
                        "exit_bar": int(close.index.get_loc(r["Exit Timestamp"])), "entry_price": float(r["Avg Entry Price"]),
                        "exit_price": float(r["Avg Exit Price"]), "pnl": float(r["PnL"]), "return": float(r["Return"]),
                        "open": r["Status"] == "Open"} for _, r in rec.iterrows()]}


if __name__ == "__main__":
    import backtesting
    import vectorbt
    write_hourly()
    sma_spec = lambda f, s: {"name": "sma_cross", "parameters": {"fast": f, "slow": s}}
    cases = [
        backtesting_case("btc_sma_long_short", "btc", sma_spec(10, 30), 0.002, 1_000_000, True),
        backtesting_case("dji_sma_long_only", "dji", sma_spec(20, 50), 0.001, 100_000, False),
        backtesting_case("hourly_sma_long_short", "hourly", sma_spec(10, 20), 0.0001, 10_000, True),
        backtesting_case("btc_mean_reversion", "btc", {"name": "mean_reversion", "parameters": {"window": 20, "entry": 1.5, "exit": 0.0}},
                         0.001, 1_000_000, True),
        vectorbt_case("vbt_btc_sma", "btc", sma_spec(10, 30), 0.001, 0.0, 0.0, 10_000, "1D"),
        vectorbt_case("vbt_dji_sma_costs", "dji", sma_spec(20, 50), 0.0005, 1.0, 0.001, 100_000, "1D"),
        vectorbt_case("vbt_hourly_sma", "hourly", sma_spec(5, 20), 0.0001, 0.0, 0.0, 10_000, "1h"),
    ]
    out = {"generated_by": "Tests/BacktestTests/Fixtures/make_peer_fixtures.py",
           "versions": {"backtesting": backtesting.__version__, "vectorbt": vectorbt.__version__, "pandas": pd.__version__,
                        "numpy": np.__version__}, "cases": cases}
    with open(os.path.join(HERE, "peers.json"), "w") as f:
        json.dump(out, f, indent=0)
    for c in cases:
        print(c["name"], len(c["trades"]), "trades", {k: c["stats"].get(k) for k in ("Return [%]", "Total Return [%]", "Sharpe Ratio")})
