#!/usr/bin/env bash
# Creates .venv-peers/ (git-ignored) with the Python peers QuantForge is measured against, from
# PyPI. Idempotent: packages already present are not fetched again.
#   Benchmarks/setup-peers.sh [compute] [ingest] [rl] [backtest] [service]    (default: compute)
# A package whose import name differs is written package:module.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-peers
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
groups=("$@")
[ ${#groups[@]} -gt 0 ] || groups=(compute)
packages=(numpy)
for g in "${groups[@]}"; do
  case "$g" in
    compute) packages+=(torch) ;;
    ingest) packages+=(pandas h5py) ;;
    rl) packages+=(torch stable-baselines3 gymnasium) ;;
    backtest) packages+=(vectorbt pandas backtesting) ;;
    service) packages+=(fastapi uvicorn uvloop httptools asyncpg PyJWT:jwt orjson bcrypt redis hiredis) ;;
    *) echo "unknown peer group $g (compute, ingest, rl, backtest, service)" >&2; exit 2 ;;
  esac
done
missing=()
for entry in "${packages[@]}"; do
  p=${entry%%:*}
  module=${entry#*:}
  [ "$module" != "$entry" ] || module=${p//-/_}
  "$venv/bin/python" -c "import importlib.util, sys; sys.exit(0 if importlib.util.find_spec('$module') else 1)" 2>/dev/null || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${missing[@]}"
fi
echo "peers ready in $venv: ${packages[*]%%:*}"
