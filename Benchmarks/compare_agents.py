"""Prints QuantForge's and Stable-Baselines3's training throughput side by side (Markdown): each
side's median env steps/s over the passes of one run, and the ratio of the medians. The bars:
PPO >= 20x SB3 (issue 5), DQN >= 14x SB3 (issue 21's restatement; issue 5 had asked 20x), DQN on
TradeMaster's BTC setup >= 100x TradeMaster's ~90 steps/s (issue 5). TradeMaster's own training job,
where the run measured it (Benchmarks/peers/trademaster_dqn.py), is set beside that figure: with one
torch thread as every peer here, and with its config's eight.

    python3 Benchmarks/compare_agents.py .qf/bench/agents
"""
import glob
import json
import os
import statistics
import sys

TRADEMASTER_STEPS_PER_SECOND = 90  # issue 5's figure for TradeMaster's DQN on this kind of machine


def main():
    d = sys.argv[1]
    ours = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(d, "qf-*.json")))]
    rows = []
    for algo, bar in [("dqn", 14), ("ppo", 20), ("a2c", None), ("ppo_vec8", None)]:
        q = statistics.median(r["steps_per_second"] for run in ours for r in run if r["algo"] == algo)
        peer = [json.load(open(p))[0] for p in sorted(glob.glob(os.path.join(d, f"sb3-{algo}-*.json")))]
        s = statistics.median(r["steps_per_second"] for r in peer)
        per_pass = [r["steps_per_second"] / p["steps_per_second"] for run, p in zip(ours, peer) for r in run if r["algo"] == algo]
        rows.append((algo, q, f"SB3 (torch {peer[0]['torch']})", s, bar, f"{min(per_pass):.1f}–{max(per_pass):.1f}"))
    tm_ours = [r["steps_per_second"] for run in ours for r in run if r["algo"] == "trademaster_dqn"]
    tm = statistics.median(tm_ours)
    measured = []
    for tag, name in [("1thread", "one torch thread"), ("config", "its config's threads")]:
        peer = [json.load(open(p))[0] for p in sorted(glob.glob(os.path.join(d, f"trademaster-{tag}-*.json")))]
        if peer:
            per_pass = [q / p["steps_per_second"] for q, p in zip(tm_ours, peer)]
            rows.append(("trademaster_dqn", tm, f"TradeMaster, {name} ({peer[0]['threads']}; torch {peer[0]['torch']})",
                         statistics.median(p["steps_per_second"] for p in peer), None, f"{min(per_pass):.1f}–{max(per_pass):.1f}"))
            measured.append((name, peer))
    rows.append(("trademaster_dqn", tm, "TradeMaster, issue 5's figure (not a run)", TRADEMASTER_STEPS_PER_SECOND, 100, "-"))
    cpu = json.load(open(glob.glob(os.path.join(d, "sb3-dqn-*.json"))[0]))[0]["machine"].get("cpu", "?")
    print(f"CPU {cpu}; one thread each; medians over {len(ours)} passes\n")
    print("| task | QuantForge env steps/s | peer | peer env steps/s | ratio (per-pass range) | bar |")
    print("|---|---:|---|---:|---:|---:|")
    for algo, q, name, s, bar, spread in rows:
        print(f"| {algo} | {q:,.0f} | {name} | {s:,.0f} | {q / s:.1f}x ({spread}) | {f'{bar}x' if bar else '-'} |")
    for name, peer in measured:
        job = statistics.median(p["job_steps_per_second"] for p in peer)
        print(f"\nTradeMaster with {name}: its whole training job (with the validation episode and checkpoint of each "
              f"epoch) ran {job:,.0f} env steps/s; exploring {statistics.median(p['explore_seconds'] for p in peer):.1f} s and "
              f"updating {statistics.median(p['update_seconds'] for p in peer):.1f} s of {peer[0]['steps']:,} env steps "
              f"and {peer[0]['gradient_steps']:,} gradient steps")
    if not measured:
        print("\nTradeMaster itself was not run (Benchmarks/setup-trademaster.sh found no clone of it)")
    # Issue 21's bar: DQN at >= 90% of the arithmetic its steps must do at this core's ceilings.
    # TradeMaster's setup is measured against its own floor the same way (no bar: it tells how
    # much of its gap to the bar is arithmetic on a slow core).
    floors = {}
    for algo, title, bar in [("dqn", "DQN", ", bar 90%"), ("trademaster_dqn", "DQN on TradeMaster's BTC setup", "")]:
        floors[algo] = print_floor([r for run in ours for r in run if r["algo"] == algo and r.get("floor")], title, bar)
    # Whether 100x the measured TradeMaster is within reach of the same arithmetic at all.
    for name, peer in measured:
        if floors.get("trademaster_dqn"):
            need = 100 * statistics.median(p["steps_per_second"] for p in peer)
            print(f"100x TradeMaster with {name} is {need:,.0f} env steps/s: {100 * need / floors['trademaster_dqn']:.0f}% of that floor")


def print_floor(runs, title, bar):
    """Prints the run's floor and returns it (steps/s). Each pass probes the ceilings after its
    run; a busy machine can only make a probe slower, so the floor uses the fastest probe of the
    run (the highest, strictest floor), and the arithmetic of each pass (the target network's
    share varies a little)."""
    if not runs:
        return None
    fma = max(r["floor"]["ceiling"]["fma_flops_per_second"] for r in runs)
    divider = min(r["floor"]["ceiling"]["divider_seconds_per_eight_lanes"] for r in runs)
    floor = [1 / (r["floor"]["product_flops_per_step"] / fma + r["floor"]["adam_parameters_per_step"] / 8 * divider) for r in runs]
    reached = [100 * r["steps_per_second"] / f for r, f in zip(runs, floor)]
    f0 = runs[0]["floor"]
    probes = ", ".join(f"{r['floor']['ceiling']['fma_flops_per_second'] / 1e9:.1f}" for r in runs)
    print(f"\n{title} against its float32 floor ({f0['ceiling']['family']} registers): floor "
          f"{statistics.median(floor):,.0f} steps/s ({f0['product_flops_per_step'] / 1e6:.2f} MFLOP of products and "
          f"Adam on {f0['adam_parameters_per_step']:,.0f} parameters a step, at the run's fastest probes: FMA "
          f"{fma / 1e9:.1f} GFLOP/s (passes: {probes}), "
          f"{divider * 1e9:.2f} ns per 8-lane root and division); QuantForge reaches "
          f"{statistics.median(reached):.0f}% (per pass {min(reached):.0f}–{max(reached):.0f}%){bar}")
    return statistics.median(floor)


if __name__ == "__main__":
    main()
