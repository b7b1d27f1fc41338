"""pandas peer for `qf ingest`: read_csv(parse_dates) + h5py writing the same columns with the
same layout QuantForge writes (int64 ns timestamps, float64 columns, chunks of 65,536, shuffle +
gzip level 4), as ../shared/peers/ingest/pandas_ingest.py does. Also times reading one float64
column back with h5py. Median of `--repeats` runs.

    .venv-peers/bin/python Benchmarks/peers/pandas_ingest.py bars.csv --json out.json
"""
import argparse
import os
import statistics
import tempfile
import time

import h5py
import numpy as np
import pandas as pd

from timing import machine, save


def ingest(csv, out, chunk):
    x = pd.read_csv(csv, parse_dates=["date"])
    with h5py.File(out, "w") as f:
        g = f.create_group("symbols/X")
        opts = dict(chunks=(chunk,), maxshape=(None,), shuffle=True, compression="gzip", compression_opts=4)
        g.create_dataset("timestamp", data=x["date"].values.astype("datetime64[ns]").astype(np.int64), **opts)
        for c in ("open", "high", "low", "close", "volume"):
            g.create_dataset(c, data=x[c].values.astype(np.float64), **opts)
    return len(x)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("csv")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--chunk", type=int, default=65_536)
    ap.add_argument("--json")
    args = ap.parse_args()
    size = os.path.getsize(args.csv)
    out = os.path.join(tempfile.mkdtemp(), "out.h5")
    times = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        rows = ingest(args.csv, out, args.chunk)
        times.append(time.perf_counter() - t0)
    m = statistics.median(times)
    reads = []
    with h5py.File(out, "r") as f:
        d = f["symbols/X/close"]
        d[:]  # warm the page cache
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            values = d[:]
            reads.append(time.perf_counter() - t0)
    r = statistics.median(reads)
    result = {"machine": machine(), "pandas": pd.__version__, "h5py": h5py.__version__, "rows": rows, "bytes": size,
              "ingest_seconds": m, "rows_per_second": rows / m, "mb_per_second": size / m / 1e6, "ingest_samples": times,
              "read_seconds": r, "read_gb_per_second": values.nbytes / r / 1e9}
    print(f"pandas+h5py ingest: {rows} rows, {size / 1e6:.1f} MB in {m:.2f} s: {rows / m:,.0f} rows/s, {size / m / 1e6:.1f} MB/s")
    print(f"h5py column read (float64, compressed, page cache): {values.nbytes / r / 1e9:.2f} GB/s")
    save(args.json, result)


if __name__ == "__main__":
    main()
