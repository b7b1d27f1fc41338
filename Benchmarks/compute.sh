#!/usr/bin/env bash
# Compute benchmarks side by side with PyTorch, in one run, on the same number of threads:
# `qf bench compute` (release build) then Benchmarks/peers/torch_compute.py, then the ratios.
#   THREADS=1 Benchmarks/compute.sh        (results in .qf/bench/)
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${THREADS:-1}
out=.qf/bench
mkdir -p "$out"
Benchmarks/setup-peers.sh
swift build -c release --product qf
echo "== QuantForge (threads $threads)"
.build/release/qf bench compute --threads "$threads" --json "$out/compute-qf.json"
echo "== PyTorch (threads $threads)"
.venv-peers/bin/python Benchmarks/peers/torch_compute.py --threads "$threads" --json "$out/compute-torch.json"
echo "== Side by side"
python3 Benchmarks/compare_compute.py "$out/compute-qf.json" "$out/compute-torch.json" | tee "$out/compute-comparison.md"
