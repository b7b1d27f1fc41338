"""Side-by-side table for Benchmarks/ingest.sh: medians over the passes of one run.
The bars of issue 3: ingest at least 2x pandas; at least 1 GB/s reading a float64 column in
the page cache."""
import glob
import json
import os
import re
import statistics
import sys


def main():
    out, csv = sys.argv[1], sys.argv[2]
    size = os.path.getsize(csv)
    ours = []
    for path in sorted(glob.glob(os.path.join(out, "ingest-qf-*.txt"))):
        text = open(path).read()
        ours.append(float(re.search(r"([\d.]+) s, ([\d,]+) rows/s", text).group(1)))
        rows = int(re.search(r"Wrote .*?: (\d+) rows", text).group(1))
    peers = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(out, "ingest-pandas-*.json")))]
    theirs = [p["ingest_seconds"] for p in peers]
    q, t = statistics.median(ours), statistics.median(theirs)
    print(f"CSV: {rows:,} rows, {size / 1e9:.2f} GB; {len(ours)} + {len(theirs)} passes; pandas {peers[0]['pandas']}, h5py {peers[0]['h5py']}\n")
    print("| ingest (CSV → HDF5, shuffle + deflate 4) | seconds | rows/s | MB/s |")
    print("|---|---:|---:|---:|")
    print(f"| QuantForge `qf ingest` | {q:.2f} | {rows / q:,.0f} | {size / q / 1e6:.0f} |")
    print(f"| pandas `read_csv` + h5py | {t:.2f} | {rows / t:,.0f} | {size / t / 1e6:.0f} |")
    ratios = [b / a for a, b in zip(ours, theirs)]
    print(f"\nspeed-up: **{t / q:.2f}×** (per pass {min(ratios):.2f}–{max(ratios):.2f})\n")
    print("| read one float64 column (page cache) | GB/s |")
    print("|---|---:|")
    for name, path in [("compressed (default layout)", "read-qf.json"), ("uncompressed (`--compression none`)", "read-qf-raw.json")]:
        for r in json.load(open(os.path.join(out, path))):
            if "uncompressed" in name and r["mode"].startswith("parallel"):
                continue  # nothing to decode: the same as libhdf5
            print(f"| QuantForge, {name}, {r['mode']} | {r['gb_per_second']:.2f} |")
    print(f"| h5py, compressed | {statistics.median(p['read_gb_per_second'] for p in peers):.2f} |")


if __name__ == "__main__":
    main()
