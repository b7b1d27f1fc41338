#!/usr/bin/env bash
# Ingest and column-read benchmarks side by side with pandas read_csv + h5py, in one run.
# A ~1 GB OHLCV CSV of minute bars is generated once by `qf data synth` (kept in .qf/bench/);
# QuantForge and the peer then ingest it in alternating passes with the same layout (int64 ns
# timestamps, float64 columns, chunks of 65,536, shuffle + deflate 4), and read one float64 column
# back from the page cache.   ROWS=16000000 PASSES=3 Benchmarks/ingest.sh
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${ROWS:-16000000}
passes=${PASSES:-3}
out=.qf/bench
mkdir -p "$out"
Benchmarks/setup-peers.sh ingest
swift build -c release --product qf
qf=.build/release/qf
csv="$out/bars-$rows.csv"
[ -f "$csv" ] || $qf data synth --out "$csv" --bars "$rows" --spacing 60 --start 2000-01-01
ls -l "$csv"
rm -f "$out"/ingest-qf-*.txt "$out"/ingest-pandas-*.json
for pass in $(seq 1 "$passes"); do
  echo "== pass $pass/$passes: QuantForge"
  /usr/bin/time -f "%e s %M KB" $qf ingest "$csv" --symbol X --out "$out/bars.h5" 2>&1 | tee "$out/ingest-qf-$pass.txt"
  echo "== pass $pass/$passes: pandas + h5py"
  .venv-peers/bin/python Benchmarks/peers/pandas_ingest.py "$csv" --repeats 1 --json "$out/ingest-pandas-$pass.json"
done
$qf ingest "$csv" --symbol X --out "$out/bars-raw.h5" --compression none > /dev/null
echo "== column reads (page cache)"
$qf bench read "$out/bars.h5" --json "$out/read-qf.json"
$qf bench read "$out/bars-raw.h5" --json "$out/read-qf-raw.json"
python3 Benchmarks/compare_ingest.py "$out" "$csv" | tee "$out/ingest-comparison.md"
