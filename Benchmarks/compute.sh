#!/usr/bin/env bash
# Compute benchmarks side by side with PyTorch, in one run, on the same number of threads.
# QuantForge (`qf bench compute`, release build) and the PyTorch peer run in alternating passes,
# so slow phases of a shared machine hit both; the comparison uses each side's median over passes.
#   THREADS=1 PASSES=3 [FAMILY=avx2|avx512] Benchmarks/compute.sh   (results in .qf/bench/compute-FAMILY/)
set -euo pipefail
cd "$(dirname "$0")/.."
. Benchmarks/family.sh
threads=${THREADS:-1}
passes=${PASSES:-3}
out=.qf/bench/compute-$family_tag
mkdir -p "$out"
rm -f "$out"/compute-qf-*.json "$out"/compute-torch-*.json
Benchmarks/setup-peers.sh
swift build -c release --product qf
for pass in $(seq 1 "$passes"); do
  echo "== pass $pass/$passes: QuantForge (threads $threads)"
  .build/release/qf bench compute --threads "$threads" --json "$out/compute-qf-$pass.json"
  echo "== pass $pass/$passes: PyTorch (threads $threads)"
  .venv-peers/bin/python Benchmarks/peers/torch_compute.py --threads "$threads" --json "$out/compute-torch-$pass.json"
done
echo "== Side by side (medians over $passes passes)"
python3 Benchmarks/compare_compute.py --ours "$out"/compute-qf-*.json --theirs "$out"/compute-torch-*.json \
  | tee "$out/compute-comparison.md"
