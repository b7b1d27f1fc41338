"""numpy peer of `qf sweep`'s overfitting statistics: the same 4,538-cell SMA grid as
vectorbt_sweep.py run by vectorbt on a bar file, its per-bar returns (a T x N matrix, vectorbt's
`Portfolio.returns()`), and from them the deflated Sharpe ratio of the best cell and PBO by CSCV,
written the fast way a numpy user would: block sums once, every split's in-sample sums as one
matrix product, ranks by broadcasting. Only the statistics are timed (not vectorbt's sweep).

    .venv-peers/bin/python Benchmarks/peers/numpy_overfitting.py bars.csv --partitions 16 --json out.json [--repeats 3]
"""
import argparse
import itertools
import json
import math
import statistics
import time

import numpy as np
import pandas as pd
import vectorbt as vbt

from timing import machine
from vectorbt_sweep import COMBOS, CHUNK_ELEMS


def returns_matrix(close):
    chunk = max(1, CHUNK_ELEMS // len(close))
    parts = []
    for k in range(0, len(COMBOS), chunk):
        combos = COMBOS[k:k + chunk]
        fast = vbt.MA.run(close, [c[0] for c in combos], short_name='fast')
        slow = vbt.MA.run(close, [c[1] for c in combos], short_name='slow')
        pf = vbt.Portfolio.from_signals(close, fast.ma_crossed_above(slow), fast.ma_crossed_below(slow),
                                        init_cash=10_000, fees=0.0001, freq='1D')
        parts.append(pf.returns().to_numpy())
    return np.concatenate(parts, axis=1)


def sharpe(total, squares, n):
    var = (squares - total * total / n) / (n - 1)
    out = np.zeros_like(total)
    ok = var > 0
    out[ok] = (total[ok] / n[ok] if np.ndim(n) else total[ok] / n) / np.sqrt(var[ok])
    return out


def statistics_of(M, S):
    T, N = M.shape
    blocks = np.array_split(np.arange(T), S)
    lengths = np.array([len(b) for b in blocks], dtype=float)
    B1 = np.stack([M[b].sum(axis=0) for b in blocks])
    B2 = np.stack([(M[b] ** 2).sum(axis=0) for b in blocks])
    Z = np.zeros((math.comb(S, S // 2), S))
    for k, combo in enumerate(itertools.combinations(range(S), S // 2)):
        Z[k, list(combo)] = 1
    n_in = (Z @ lengths)[:, None]
    n_out = T - n_in
    in1, in2 = Z @ B1, Z @ B2
    out1, out2 = B1.sum(axis=0) - in1, B2.sum(axis=0) - in2
    sr_in = sharpe(in1, in2, np.broadcast_to(n_in, in1.shape))
    sr_out = sharpe(out1, out2, np.broadcast_to(n_out, out1.shape))
    w = np.argmax(sr_in, axis=1)
    target = sr_out[np.arange(len(w)), w][:, None]
    rank = (sr_out < target).sum(axis=1) + ((sr_out == target).sum(axis=1) + 1) / 2
    omega = rank / (N + 1)
    lam = np.log(omega / (1 - omega))
    # The deflated Sharpe ratio of the best cell over the whole series.
    srs = sharpe(M.sum(axis=0), (M ** 2).sum(axis=0), np.full(N, float(T)))
    sel = int(np.argmax(srs))
    r = M[:, sel]
    d = r - r.mean()
    m2 = np.mean(d ** 2)
    skew, kurt = np.mean(d ** 3) / m2 ** 1.5, np.mean(d ** 4) / m2 ** 2
    g, nd, V = 0.5772156649015329, statistics.NormalDist(), np.var(srs, ddof=1)
    sr0 = math.sqrt(V) * ((1 - g) * nd.inv_cdf(1 - 1 / N) + g * nd.inv_cdf(1 - 1 / (N * math.e)))
    sr = srs[sel]
    dsr = nd.cdf((sr - sr0) * math.sqrt(T - 1) / math.sqrt(1 - skew * sr + (kurt - 1) / 4 * sr ** 2))
    return {'pbo': float(np.mean(lam <= 0)), 'median_logit': float(np.median(lam)), 'deflated_sharpe': dsr, 'expected_maximum': sr0,
            'selected_fast_slow': list(COMBOS[sel])}


if __name__ == '__main__':
    parser = argparse.ArgumentParser()
    parser.add_argument('csv')
    parser.add_argument('--partitions', type=int, default=16)
    parser.add_argument('--json')
    parser.add_argument('--repeats', type=int, default=3)
    args = parser.parse_args()
    close = pd.read_csv(args.csv, index_col=0, parse_dates=True)['close']
    M = returns_matrix(close)
    walls = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        figures = statistics_of(M, args.partitions)
        walls.append(time.perf_counter() - t0)
        print(f'numpy overfitting statistics: {walls[-1]:.2f} s', flush=True)
    doc = {'machine': machine(), 'numpy': np.__version__, 'bars': len(close), 'cells': M.shape[1], 'partitions': args.partitions,
           'seconds_all': walls, 'seconds_median': statistics.median(walls), **figures}
    if args.json:
        json.dump(doc, open(args.json, 'w'), indent=1)
    print(json.dumps({k: v for k, v in doc.items() if k != 'machine'}))
