"""Prints QuantForge's and Stable-Baselines3's training throughput side by side (Markdown): each
side's median env steps/s over the passes of one run, and the ratio of the medians. The bars of
issue 5: DQN and PPO >= 20x SB3; DQN on TradeMaster's BTC setup >= 100x TradeMaster's ~90 steps/s.

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
    for algo, bar in [("dqn", 20), ("ppo", 20), ("a2c", None), ("ppo_vec8", None)]:
        q = statistics.median(r["steps_per_second"] for run in ours for r in run if r["algo"] == algo)
        peer = [json.load(open(p))[0] for p in sorted(glob.glob(os.path.join(d, f"sb3-{algo}-*.json")))]
        s = statistics.median(r["steps_per_second"] for r in peer)
        per_pass = [r["steps_per_second"] / p["steps_per_second"] for run, p in zip(ours, peer) for r in run if r["algo"] == algo]
        rows.append((algo, q, f"SB3 (torch {peer[0]['torch']})", s, bar, f"{min(per_pass):.1f}–{max(per_pass):.1f}"))
    tm = statistics.median(r["steps_per_second"] for run in ours for r in run if r["algo"] == "trademaster_dqn")
    rows.append(("trademaster_dqn", tm, "TradeMaster (issue figure, not run here)", TRADEMASTER_STEPS_PER_SECOND, 100, "-"))
    cpu = json.load(open(glob.glob(os.path.join(d, "sb3-dqn-*.json"))[0]))[0]["machine"].get("cpu", "?")
    print(f"CPU {cpu}; one thread each; medians over {len(ours)} passes\n")
    print("| task | QuantForge env steps/s | peer | peer env steps/s | ratio (per-pass range) | bar |")
    print("|---|---:|---|---:|---:|---:|")
    for algo, q, name, s, bar, spread in rows:
        print(f"| {algo} | {q:,.0f} | {name} | {s:,.0f} | {q / s:.1f}x ({spread}) | {f'{bar}x' if bar else '-'} |")
    floors = [r["floor"] for run in ours for r in run if r["algo"] == "dqn" and r.get("floor")]
    if floors:
        # Issue 21's bar: DQN at >= 90% of the arithmetic its steps must do at this core's ceilings.
        c = floors[0]["ceiling"]
        print(f"\nDQN against its float32 floor ({c['family']} registers; measured after each pass): "
              f"floor {statistics.median(f['steps_per_second'] for f in floors):,.0f} steps/s "
              f"({statistics.median(f['product_flops_per_step'] for f in floors) / 1e6:.2f} MFLOP of products and Adam on "
              f"{statistics.median(f['adam_parameters_per_step'] for f in floors):,.0f} parameters a step; FMA "
              f"{statistics.median(f['ceiling']['fma_flops_per_second'] for f in floors) / 1e9:.1f} GFLOP/s, "
              f"{statistics.median(f['ceiling']['divider_seconds_per_eight_lanes'] for f in floors) * 1e9:.2f} ns per 8-lane root and division); "
              f"QuantForge reaches {statistics.median(f['percent_reached'] for f in floors):.0f}% "
              f"(per pass {min(f['percent_reached'] for f in floors):.0f}–{max(f['percent_reached'] for f in floors):.0f}%), bar 90%")


if __name__ == "__main__":
    main()
