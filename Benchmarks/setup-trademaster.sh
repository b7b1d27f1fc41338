#!/usr/bin/env bash
# Makes TradeMaster itself runnable for Benchmarks/peers/trademaster_dqn.py (git-ignored results):
#   .qf/peers/TradeMaster/   the part of its source tree the BTC DQN job reads (code, configs, BTC
#                            splits), exported at the commit measured;
#   .venv-trademaster/       a venv of its own: TradeMaster needs NumPy 1 (it calls NumPy in ways
#                            NumPy 2 refuses), mmcv 1.7 (its config and registries) and the
#                            modules its package imports on the way (ray, tslearn, statsmodels...).
# TradeMaster is not on PyPI. SOURCE is a clone of https://github.com/TradeMaster-NTU/TradeMaster
# or its git directory; default $TRADEMASTER_SOURCE, else the mirror `fetch` leaves on this
# machine. Idempotent; exits 3 with the reason when no source is found (agents.sh then runs
# without TradeMaster and says so).
#   Benchmarks/setup-trademaster.sh [SOURCE]
set -euo pipefail
cd "$(dirname "$0")/.."
commit=c1c4838b518a85ecec6d4ded40be8815ade5f41d  # 2024-02-28, the newest on GitHub when measured
tree=.qf/peers/TradeMaster
venv=.venv-trademaster
source=${1:-${TRADEMASTER_SOURCE:-/work/.mirror/TradeMaster-NTU+TradeMaster/repo}}
config=configs/algorithmic_trading/algorithmic_trading_BTC_deepscalper_deepscalper_adam_mse.py

if [ ! -f "$tree/$config" ]; then
  if ! git -C "$source" cat-file -e "$commit^{commit}" 2>/dev/null; then
    echo "TradeMaster not found: $source is not a clone holding commit $commit" >&2
    echo "  (git clone https://github.com/TradeMaster-NTU/TradeMaster and pass its path)" >&2
    exit 3
  fi
  # File by file: the repository's large data files are absent from partial mirrors, and
  # `git archive` stops at the first missing one even outside the paths asked for.
  rm -rf "$tree.tmp" && mkdir -p "$tree.tmp"
  git -C "$source" ls-tree -r --name-only "$commit" -- trademaster configs tools/algorithmic_trading \
      data/algorithmic_trading/BTC/train.csv data/algorithmic_trading/BTC/valid.csv data/algorithmic_trading/BTC/test.csv |
    while read -r f; do
      case "$f" in *.ipynb) continue ;; esac
      mkdir -p "$tree.tmp/$(dirname "$f")"
      git -C "$source" show "$commit:$f" > "$tree.tmp/$f"
    done
  rm -rf "$tree" && mv "$tree.tmp" "$tree"
fi

imports="import sys; sys.path.insert(0, '$tree'); import mmcv, torch, trademaster.agents.algorithmic_trading.dqn, trademaster.trainers.algorithmic_trading.trainer, trademaster.environments.algorithmic_trading.environment"
if ! [ -x "$venv/bin/python" ] || ! "$venv/bin/python" -W ignore -c "$imports" >/dev/null 2>&1; then
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  pip=("$venv/bin/python" -m pip install --quiet --disable-pip-version-check)
  constraints=$(mktemp) && trap 'rm -f "$constraints" "$constraints.err"' EXIT
  printf 'numpy<2\npandas<2.3\npyarrow<18\nyapf==0.40.1\n' > "$constraints"
  "${pip[@]}" -c "$constraints" torch numpy pandas gym prettytable plotly scipy matplotlib psutil iopath \
    statsmodels scikit-learn tslearn fastdtw "ray[tune]" pyarrow pydantic opencv-python yapf
  # mmcv 1.7.1 ships as a source package whose setup.py needs pkg_resources (setuptools < 70);
  # MMCV_WITH_OPS=0 builds its pure-Python part, all TradeMaster's config and registries use.
  "${pip[@]}" "setuptools<70" wheel 2> >(grep -v -e "dependency resolver" -e "requires setuptools" >&2)
  MMCV_WITH_OPS=0 "${pip[@]}" -c "$constraints" --no-build-isolation mmcv==1.7.1
  "${pip[@]}" "setuptools>=77"  # what torch asks for, once mmcv is built
  "$venv/bin/python" -W ignore -c "$imports" >/dev/null 2>"$constraints.err" || { cat "$constraints.err" >&2; exit 1; }
fi
echo "TradeMaster $commit ready in $tree, venv $venv"
