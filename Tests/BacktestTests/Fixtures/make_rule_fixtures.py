"""Rules written as expressions, run by vectorbt on the same signals, for
BacktestTests/RuleAgreementTests.swift. The signals are computed here with pandas, independently
of QuantForge's expression evaluator, and handed to vbt.Portfolio.from_signals (close fills,
init cash 10,000, fees 0.0001, daily frequency) with its default conflict handling. Writes
rules.json beside this script: for each data set (TradeMaster's BTC and DJI daily bars) and each
cell of each rule's grid, the total return, final value, trade count (closed and open) and Sharpe
ratio.

    Benchmarks/setup-peers.sh backtest
    .venv-peers/bin/python Tests/BacktestTests/Fixtures/make_rule_fixtures.py [SHARED_DIR]
"""
import itertools
import json
import os
import warnings

import numpy as np
import pandas as pd

warnings.filterwarnings("ignore")
from trademaster_files import FILES, HERE


def wilder_rsi(x, p):
    x = x.to_numpy()
    r = np.full(len(x), np.nan)
    g = s = 0.0
    for i in range(p, len(x)):
        if i == p:
            d = np.diff(x[:p + 1])
            g = d[d > 0].sum() / p
            s = -d[d <= 0].sum() / p
        else:
            d = x[i] - x[i - 1]
            g = (g * (p - 1) + max(d, 0.0)) / p
            s = (s * (p - 1) + max(-d, 0.0)) / p
        r[i] = (50.0 if g == 0 else 100.0) if s == 0 else 100.0 - 100.0 / (1.0 + g / s)
    return pd.Series(r, index=x.index if hasattr(x, "index") else None)


def cross(a, b):
    return (a.shift(1) < b.shift(1)) & (a > b)


def zscore(c, w):
    return (c - c.rolling(w).mean()) / c.rolling(w).std()


# Each rule: its expressions (as QuantForge reads them), its grid, and the same signals in pandas.
RULES = [
    {
        "name": "donchian",
        "entry": "close > shift(highest(high, {n}), 1)",
        "exit": "close < shift(lowest(low, {m}), 1)",
        "grid": {"n": [10, 20, 55], "m": [5, 10, 20]},
        "pandas": lambda d, p: dict(entries=d.close > d.high.rolling(p["n"]).max().shift(1),
                                    exits=d.close < d.low.rolling(p["m"]).min().shift(1)),
    },
    {
        "name": "zscore",
        "entry": "zscore(close, {w}) < -{k}",
        "exit": "zscore(close, {w}) > 0",
        "grid": {"w": [10, 20, 50], "k": [1.0, 1.5, 2.0]},
        "pandas": lambda d, p: dict(entries=zscore(d.close, p["w"]) < -p["k"], exits=zscore(d.close, p["w"]) > 0),
    },
    {
        "name": "rsi_levels",
        "entry": "rsi(close, {p}) < {lower}",
        "exit": "rsi(close, {p}) > 100 - {lower}",
        "grid": {"p": [7, 14], "lower": [25, 30, 35]},
        "pandas": lambda d, p: dict(entries=pd.Series(wilder_rsi(d.close, p["p"]).to_numpy() < p["lower"], index=d.index),
                                    exits=pd.Series(wilder_rsi(d.close, p["p"]).to_numpy() > 100 - p["lower"], index=d.index)),
    },
    {
        "name": "ema_long_short",
        "entry": "crossed_above(ema(close, {fast}), ema(close, {slow}))",
        "exit": "rsi(close, 14) > 75",
        "short_entry": "crossed_below(ema(close, {fast}), ema(close, {slow}))",
        "short_exit": "rsi(close, 14) < 25",
        "grid": {"fast": [5, 12], "slow": [26, 50]},
        "pandas": lambda d, p: dict(
            entries=cross(d.close.ewm(span=p["fast"], adjust=False, min_periods=p["fast"]).mean(),
                          d.close.ewm(span=p["slow"], adjust=False, min_periods=p["slow"]).mean()),
            exits=pd.Series(wilder_rsi(d.close, 14).to_numpy() > 75, index=d.index),
            short_entries=cross(d.close.ewm(span=p["slow"], adjust=False, min_periods=p["slow"]).mean(),
                                d.close.ewm(span=p["fast"], adjust=False, min_periods=p["fast"]).mean()),
            short_exits=pd.Series(wilder_rsi(d.close, 14).to_numpy() < 25, index=d.index)),
    },
]


def main():
    import vectorbt as vbt
    out = {"rules": [], "data": {}}
    for rule in RULES:
        names = list(rule["grid"])
        cells = [dict(zip(names, values)) for values in itertools.product(*(rule["grid"][n] for n in names))]
        out["rules"].append({k: rule[k] for k in ("name", "entry", "exit", "short_entry", "short_exit") if k in rule} | {"cells": cells})
    for key, path in FILES.items():
        frame = pd.read_csv(path, float_precision="round_trip")
        frame = frame.rename(columns=str.lower)
        results = {}
        for rule in out["rules"]:
            spec = next(r for r in RULES if r["name"] == rule["name"])
            rows = []
            for cell in rule["cells"]:
                signals = spec["pandas"](frame, cell)
                pf = vbt.Portfolio.from_signals(frame.close, **signals, init_cash=10_000, fees=0.0001, freq="1D")
                rows.append([float(pf.total_return()), float(pf.final_value()), int(pf.trades.count()), float(pf.sharpe_ratio())])
            results[rule["name"]] = rows
        out["data"][key] = results
    with open(os.path.join(HERE, "rules.json"), "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
