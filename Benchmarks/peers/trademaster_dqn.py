"""TradeMaster's own DQN training on its BTC configuration, timed: the peer of `qf bench agents
--algos trademaster_dqn`. Nothing of TradeMaster's is rewritten here: the objects are built by
TradeMaster's builders from its config file
`configs/algorithmic_trading/algorithmic_trading_BTC_deepscalper_deepscalper_adam_mse.py`, as its
`tools/algorithmic_trading/train.py` builds them, and `trainer.train_and_valid()` runs its whole
training job (20 epochs over the BTC training split, 128 environment steps then 128 gradient
steps of batch 64, a validation episode and a checkpoint after each epoch).

The script only watches: it counts the training environment's steps and times TradeMaster's
`explore_env` and `update_net` calls on the agent instance, so it reports two rates:
- `steps_per_second`: training environment steps per second of exploring and updating, the same
  work `qf bench agents` times (the figure compared; validation and checkpoints left out);
- `job_steps_per_second`: the same steps over the whole `train_and_valid()` call.

    python trademaster_dqn.py --repo DIR [--threads N] [--json out.json]

DIR is a TradeMaster source tree (Benchmarks/setup-trademaster.sh makes one). `--threads`
overrides the config's `num_threads` (8): TradeMaster sets torch's thread count from it.
"""
import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from timing import machine  # noqa: E402

CONFIG = "configs/algorithmic_trading/algorithmic_trading_BTC_deepscalper_deepscalper_adam_mse.py"


class Stopwatch:
    """Accumulates the wall time and the number of the calls of a wrapped function."""

    def __init__(self):
        self.seconds = 0.0
        self.calls = 0

    def wrap(self, fn):
        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - t0
                self.calls += 1
        return timed


def build(repo, threads, work_dir):
    """TradeMaster's objects for its BTC DQN job, built the way its train.py builds them."""
    from mmcv import Config
    import torch
    from trademaster.utils import replace_cfg_vals, set_seed
    from trademaster.nets.builder import build_net
    from trademaster.environments.builder import build_environment
    from trademaster.datasets.builder import build_dataset
    from trademaster.agents.builder import build_agent
    from trademaster.optimizers.builder import build_optimizer
    from trademaster.losses.builder import build_loss
    from trademaster.trainers.builder import build_trainer
    from trademaster.transition.builder import build_transition

    set_seed(2023)  # what train.py does on import
    cfg = replace_cfg_vals(Config.fromfile(os.path.join(repo, CONFIG)))
    cfg.data.update({"test_dynamic": "-1"})
    cfg.trainer.work_dir = work_dir  # absolute, so the checkpoints land in a temporary directory
    if threads:
        cfg.trainer.num_threads = threads
    dataset = build_dataset(cfg)
    device = torch.device("cpu")
    train_env = build_environment(cfg, default_args=dict(dataset=dataset, task="train"))
    valid_env = build_environment(cfg, default_args=dict(dataset=dataset, task="valid"))
    test_env = build_environment(cfg, default_args=dict(dataset=dataset, task="test"))
    cfg.act.update(dict(action_dim=train_env.action_dim, state_dim=train_env.state_dim))
    act = build_net(cfg.act)
    agent = build_agent(cfg, default_args=dict(action_dim=train_env.action_dim, state_dim=train_env.state_dim, act=act, cri=None,
                                               act_optimizer=build_optimizer(cfg, default_args=dict(params=act.parameters())),
                                               cri_optimizer=None, criterion=build_loss(cfg), transition=build_transition(cfg),
                                               device=device))
    trainer = build_trainer(cfg, default_args=dict(train_environment=train_env, valid_environment=valid_env,
                                                   test_environment=test_env, agent=agent, device=device))
    return cfg, train_env, agent, trainer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repo", required=True, help="a TradeMaster source tree")
    ap.add_argument("--threads", type=int, help="torch threads (default: the config's num_threads, 8)")
    ap.add_argument("--json")
    args = ap.parse_args()
    repo = os.path.abspath(args.repo)
    json_path = os.path.abspath(args.json) if args.json else None  # before the chdir below
    if not os.path.isfile(os.path.join(repo, CONFIG)):
        raise SystemExit(f"--repo {repo}: no {CONFIG} there; Benchmarks/setup-trademaster.sh makes the tree")
    warnings.filterwarnings("ignore")
    os.chdir(repo)  # the config's data paths are relative to the repository
    sys.path.insert(0, repo)
    import torch

    with tempfile.TemporaryDirectory(prefix="qf-trademaster-") as work_dir, open(os.devnull, "w") as quiet:
        with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):  # gym's import banner
            cfg, train_env, agent, trainer = build(repo, args.threads, work_dir)
        # Stopwatches count calls too: the environment's steps and the optimizer's updates.
        steps, updates, explore, update = Stopwatch(), Stopwatch(), Stopwatch(), Stopwatch()
        train_env.step = steps.wrap(train_env.step)
        agent.optimizer_update = updates.wrap(agent.optimizer_update)
        agent.explore_env = explore.wrap(agent.explore_env)
        agent.update_net = update.wrap(agent.update_net)
        t0 = time.perf_counter()
        with contextlib.redirect_stdout(quiet):
            trainer.train_and_valid()
        job_seconds = time.perf_counter() - t0

    training_seconds = explore.seconds + update.seconds
    n = steps.calls
    result = dict(algo="trademaster_dqn", steps=n, gradient_steps=updates.calls, seconds=training_seconds,
                  steps_per_second=n / training_seconds, explore_seconds=explore.seconds, update_seconds=update.seconds,
                  job_seconds=job_seconds, job_steps_per_second=n / job_seconds, epochs=cfg.trainer.epochs,
                  threads=torch.get_num_threads(), torch=torch.__version__, machine=machine())
    print(f"TradeMaster DQN (BTC, {result['threads']} torch threads): {n} env steps and {updates.calls} gradient steps in "
          f"{training_seconds:.2f} s of exploring ({explore.seconds:.2f}) and updating ({update.seconds:.2f}), "
          f"{result['steps_per_second']:.0f} env steps/s; whole job {job_seconds:.2f} s, {result['job_steps_per_second']:.0f} env steps/s")
    if json_path:
        with open(json_path, "w") as f:
            json.dump([result], f, indent=1)


if __name__ == "__main__":
    main()
