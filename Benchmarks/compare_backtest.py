"""Side-by-side tables for Benchmarks/backtest.sh: medians over the passes of one run, the ratios
against the bars of issue 4, and whether QuantForge's sweep gives vectorbt's numbers."""
import csv
import glob
import json
import math
import os
import statistics
import sys


def load(pattern):
    return [json.load(open(p)) for p in sorted(glob.glob(pattern))]


def main():
    out = sys.argv[1]
    ours = load(os.path.join(out, 'qf-[0-9]*.json'))
    vbt = load(os.path.join(out, 'vectorbt-*.json'))
    btp = load(os.path.join(out, 'backtesting-*.json'))
    single = json.load(open(os.path.join(out, 'qf-single.json')))

    def ours_named(prefix):
        return [r for run in ours for r in run if r['name'].startswith(prefix)]

    print(f"{len(ours)} + {len(vbt)} + {len(btp)} passes; vectorbt {vbt[0]['vectorbt']}, Backtesting.py {btp[0]['backtesting']}\n")
    print('| benchmark | QuantForge | peer | speed-up (per pass) | bar |')
    print('|---|---:|---:|---:|---|')
    for label, prefix in (('sweep, 4,538 combinations × 100 k bars, all cores', 'sweep sma_cross 4,538 combinations, all cores'),
                          ('sweep, same, one thread', 'sweep sma_cross 4,538 combinations, 1 thread')):
        q = [r['bars_per_second'] for r in ours_named(prefix)]
        v = [p['bar_combinations_per_second'] for p in vbt]
        ratios = [a / b for a, b in zip(q, v)]
        bar = '≥ 30× ' + ('✔' if statistics.median(q) / statistics.median(v) >= 30 else '✘') if 'all cores' in label else ''
        print(f"| {label} | {statistics.median(q) / 1e6:.1f} M bar·comb/s | {statistics.median(v) / 1e6:.2f} M (vectorbt, 1 process) | "
              f"**{statistics.median(q) / statistics.median(v):.0f}×** ({min(ratios):.0f}–{max(ratios):.0f}) | {bar} |")
    q = [r['seconds'] for r in ours_named('Backtesting.py-style run')]
    b = [p['seconds_median'] for p in btp]
    ratios = [y / x for x, y in zip(q, b)]
    ok = statistics.median(b) / statistics.median(q) >= 100
    print(f"| one Backtesting.py-style run, 100 k bars, with statistics | {statistics.median(q) * 1e3:.2f} ms | {statistics.median(b) * 1e3:.0f} ms (Backtesting.py) | "
          f"**{statistics.median(b) / statistics.median(q):.0f}×** ({min(ratios):.0f}–{max(ratios):.0f}) | ≥ 100× {'✔' if ok else '✘'} |")
    for r in single:
        ok = r['bars_per_second'] >= 250e6
        print(f"| {r['name']}, {r['bars'] / 1e6:.0f} M bars, one core | {r['bars_per_second'] / 1e6:.0f} M bars/s | | | ≥ 250 M bars/s {'✔' if ok else '✘'} |")
    anchor = os.path.join(out, 'peers', 'perf_numpy_vectorized.json')
    if os.path.exists(anchor):
        a = json.load(open(anchor))
        print(f"| numpy vectorized anchor, 10 M bars (same run) | | {a['numpy_full']['bars_per_s_median'] / 1e6:.0f} M bars/s | | |")
        print(f"| numba fused-loop anchor, 10 M bars (same run) | | {a['numba_fused_single_loop']['bars_per_s_median'] / 1e6:.0f} M bars/s | | |")

    # The same numbers: every combination's total return and Sharpe against vectorbt's.
    mine = {(int(r['fast']), int(r['slow'])): r for r in csv.DictReader(open(os.path.join(out, 'sweep-qf.csv')))}
    theirs = list(csv.DictReader(open(os.path.join(out, 'sweep-vectorbt.csv'))))
    worst_tr = worst_sh = 0.0
    agree = 0
    for t in theirs:
        m = mine[(int(t['fast']), int(t['slow']))]
        dtr = abs(float(m['total_return']) - float(t['total_return'])) / max(1, abs(float(t['total_return'])))
        dsh = abs(float(m['sharpe']) - float(t['sharpe'])) / max(1, abs(float(t['sharpe'])))
        worst_tr, worst_sh = max(worst_tr, dtr), max(worst_sh, dsh)
        agree += dtr <= 1e-9 and dsh <= 1e-9
    print(f"\nsame numbers: {agree} of {len(theirs)} combinations agree with vectorbt to 1e-9 in total return and Sharpe "
          f"(largest relative differences {worst_tr:.1e} and {worst_sh:.1e})")
    for r in btp[:1]:
        q = ours_named('Backtesting.py-style run')[0]['check']
        print(f"Backtesting.py run: equity final {r['equity_final']:.6f} vs ours {q['equity_final']:.6f}; trades {r['trades']} vs {int(q['trades'])}; "
              f"Sharpe {r['sharpe']:.6f} vs {q['sharpe']:.6f}")


if __name__ == '__main__':
    main()
