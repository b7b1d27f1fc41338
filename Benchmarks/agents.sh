#!/usr/bin/env bash
# Agent training throughput side by side with Stable-Baselines3, in one run, one thread each:
# DQN, PPO and A2C on the peers' benchmark environment with bench_sb3.py's settings (and PPO on 8
# copies of it, SB3 with a DummyVecEnv), alternating
# QuantForge and SB3 passes so slow phases of a shared machine hit both; plus DQN with
# TradeMaster's BTC setup (TradeMaster itself is not installable here: see BENCHMARKS.md).
#   PASSES=3 STEPS=50000 [FAMILY=avx2|avx512] Benchmarks/agents.sh   (results in .qf/bench/agents-FAMILY/)
set -euo pipefail
cd "$(dirname "$0")/.."
. Benchmarks/family.sh
passes=${PASSES:-3}
steps=${STEPS:-50000}
out=.qf/bench/agents-$family_tag
mkdir -p "$out"
rm -f "$out"/qf-*.json "$out"/sb3-*.json
Benchmarks/setup-peers.sh rl
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
done
python3 Benchmarks/compare_agents.py "$out" | tee "$out/agents-comparison.md"
