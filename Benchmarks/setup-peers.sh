#!/usr/bin/env bash
# Creates .venv-peers/ (git-ignored) with the Python peers QuantForge is measured against, from
# PyPI. Idempotent: packages already present are not fetched again.
#   Benchmarks/setup-peers.sh            torch + numpy (Compute benchmarks)
#   Benchmarks/setup-peers.sh all        also stable-baselines3, gymnasium, vectorbt, pandas, h5py
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-peers
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
packages=(numpy torch)
if [ "${1:-}" = all ]; then
  packages+=(stable-baselines3 gymnasium vectorbt pandas h5py)
fi
missing=()
for p in "${packages[@]}"; do
  "$venv/bin/python" -c "import importlib.util,sys; sys.exit(0 if importlib.util.find_spec('${p//-/_}'.replace('stable_baselines3','stable_baselines3')) else 1)" 2>/dev/null || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  "$venv/bin/python" -m pip install --quiet --upgrade pip
  "$venv/bin/python" -m pip install --quiet "${missing[@]}"
fi
"$venv/bin/python" -c "import torch, numpy; print('peers ready: torch', torch.__version__, 'numpy', numpy.__version__)"
