"""Stable-Baselines3 training throughput on the peers' benchmark environment, with the settings of
../shared/peers/rl/bench_sb3.py (its environment module is imported from there, so both sides
train on the same random walk): DQN (net [128,128], batch 64, buffer 100k, learning_starts 1000,
train_freq 1, gradient_steps 1, target_update_interval 1000), PPO (n_steps 2048, batch 64,
n_epochs 10, net [128,128]) and A2C (net [128,128], SB3 defaults). One thread, one algorithm per
fresh process; the wall time of `model.learn(steps)` only.

    python sb3_rl.py --algo dqn --steps 50000 --json out.json
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from timing import machine  # noqa: E402

SHARED = os.environ.get("QF_SHARED_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../shared"))
sys.path.insert(0, os.path.join(SHARED, "peers", "rl"))


def make_model(algo, env, envs=1):
    from stable_baselines3 import A2C, DQN, PPO
    net = dict(net_arch=[128, 128])
    if algo == "dqn":
        return DQN("MlpPolicy", env, policy_kwargs=net, batch_size=64, buffer_size=100_000, learning_starts=1000,
                   train_freq=1, gradient_steps=1, target_update_interval=1000, verbose=0, device="cpu", seed=0)
    if algo == "ppo":
        return PPO("MlpPolicy", env, policy_kwargs=net, n_steps=2048 // envs, batch_size=64, n_epochs=10, verbose=0, device="cpu", seed=0)
    if algo == "a2c":
        return A2C("MlpPolicy", env, policy_kwargs=net, verbose=0, device="cpu", seed=0)
    raise SystemExit(f"unknown algo {algo}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--algo", required=True, choices=["dqn", "ppo", "a2c"])
    ap.add_argument("--steps", type=int, default=50_000)
    ap.add_argument("--envs", type=int, default=1, help="copies in a DummyVecEnv (PPO: n_steps = 2048 / envs)")
    ap.add_argument("--json")
    args = ap.parse_args()
    import torch
    torch.set_num_threads(1)
    from trading_env import TradingEnv
    if args.envs > 1:
        from stable_baselines3.common.env_util import make_vec_env
        env = make_vec_env(TradingEnv, n_envs=args.envs, seed=0)
    else:
        env = TradingEnv()
    model = make_model(args.algo, env, args.envs)
    t0 = time.perf_counter()
    model.learn(total_timesteps=args.steps)
    seconds = time.perf_counter() - t0
    n = model.num_timesteps
    result = dict(algo=args.algo if args.envs == 1 else f"{args.algo}_vec{args.envs}", steps=n, seconds=seconds, steps_per_second=n / seconds, torch=torch.__version__,
                  machine=machine())
    print(f"SB3 {result['algo']}: {n} steps in {seconds:.2f} s, {n / seconds:.0f} env steps/s")
    if args.json:
        with open(args.json, "w") as f:
            json.dump([result], f, indent=1)


if __name__ == "__main__":
    main()
