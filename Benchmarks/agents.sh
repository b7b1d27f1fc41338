#!/usr/bin/env bash
# Agent training throughput side by side with Stable-Baselines3, in one run, one thread each:
# DQN, PPO and A2C on the peers' benchmark environment with bench_sb3.py's settings (and PPO on 8
# copies of it, SB3 with a DummyVecEnv), alternating
# QuantForge and SB3 passes so slow phases of a shared machine hit both; plus DQN with
# TradeMaster's BTC setup against TradeMaster's own training job, run with one torch thread and
# with its config's eight (Benchmarks/setup-trademaster.sh fetches nothing: it needs a clone of
# TradeMaster, which is not on PyPI; without one the run goes on without it and says so).
#   PASSES=3 STEPS=50000 [FAMILY=avx2|avx512] Benchmarks/agents.sh   (results in .qf/bench/agents-FAMILY/)
set -euo pipefail
cd "$(dirname "$0")/.."
. Benchmarks/family.sh
passes=${PASSES:-3}
steps=${STEPS:-50000}
out=.qf/bench/agents-$family_tag
mkdir -p "$out"
rm -f "$out"/qf-*.json "$out"/sb3-*.json "$out"/trademaster-*.json
Benchmarks/setup-peers.sh rl
if Benchmarks/setup-trademaster.sh; then trademaster=yes; else
  rc=$?; [ "$rc" -eq 3 ] || exit "$rc"
  trademaster=no; echo "agents.sh: TradeMaster not set up (above); its rows will be missing"
fi
swift build -c release --product qf
for pass in $(seq 1 "$passes"); do
  echo "== pass $pass/$passes: QuantForge"
  .build/release/qf bench agents --steps "$steps" --json "$out/qf-$pass.json"
  for algo in dqn ppo a2c; do
    echo "== pass $pass/$passes: SB3 $algo"
    .venv-peers/bin/python Benchmarks/peers/sb3_rl.py --algo "$algo" --steps "$steps" --json "$out/sb3-$algo-$pass.json"
  done
  echo "== pass $pass/$passes: SB3 ppo on 8 environments"
  .venv-peers/bin/python Benchmarks/peers/sb3_rl.py --algo ppo --envs 8 --steps "$steps" --json "$out/sb3-ppo_vec8-$pass.json"
  if [ "$trademaster" = yes ]; then
    echo "== pass $pass/$passes: TradeMaster DQN, one torch thread"
    .venv-trademaster/bin/python -W ignore Benchmarks/peers/trademaster_dqn.py --repo .qf/peers/TradeMaster --threads 1 --json "$out/trademaster-1thread-$pass.json"
    echo "== pass $pass/$passes: TradeMaster DQN, its config's threads"
    .venv-trademaster/bin/python -W ignore Benchmarks/peers/trademaster_dqn.py --repo .qf/peers/TradeMaster --json "$out/trademaster-config-$pass.json"
  fi
done
python3 Benchmarks/compare_agents.py "$out" | tee "$out/agents-comparison.md"
