"""Prints the Compute benchmark figures of QuantForge and PyTorch side by side (Markdown): each
side's median over the passes of one run, the ratio of the medians, and the range of per-pass
ratios. The bars of issue 2: >= 5x PyTorch at batch 64; >= 1.2x PyTorch and >= 70% of the
measured sgemm peak at 256-256-256-3, batch 1024. Issue 21: each product of a training step at
>= 80% of the machine's sgemm ceiling (the best sgemm either side measured in the run).

    python3 Benchmarks/compare_compute.py --ours qf-1.json qf-2.json --theirs torch-1.json torch-2.json
"""
import argparse
import json
import statistics


def load(paths):
    return [json.load(open(p)) for p in paths]


def medians(runs, section, value):
    return [statistics.median(run[section][i][value] for run in runs) for i in range(len(runs[0][section]))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ours", nargs="+", required=True)
    ap.add_argument("--theirs", nargs="+", required=True)
    args = ap.parse_args()
    ours, theirs = load(args.ours), load(args.theirs)
    first, peer = ours[0], theirs[0]
    print(f"Products on {first.get('gemm_backend', 'openblas')}; OpenBLAS kernel {first['blas_core']}, {first['blas_threads']} thread(s); PyTorch {peer['torch']}, "
          f"{peer['threads']} thread(s); CPU {peer['machine'].get('cpu', '?')}; {len(ours)} + {len(theirs)} passes\n")

    our_gemm, their_gemm = medians(ours, "sgemm", "gflops"), medians(theirs, "sgemm", "gflops")
    peak = max(our_gemm + their_gemm)
    print("| sgemm n | QuantForge `gemm` GFLOP/s | torch.mm GFLOP/s |")
    print("|---:|---:|---:|")
    for rec, a, b in zip(first["sgemm"], our_gemm, their_gemm):
        print(f"| {rec['n']} | {a:.1f} | {b:.1f} |")
    print(f"\nsgemm ceiling (best median above, either side): {peak:.1f} GFLOP/s\n")

    if "products" in first:
        own, blas = medians(ours, "products", "gflops"), medians(ours, "products", "openblas_gflops")
        print("| product of a training step | m×n×k | QuantForge GFLOP/s | % of ceiling | OpenBLAS alone GFLOP/s | % of ceiling |")
        print("|---|---:|---:|---:|---:|---:|")
        for rec, a, b in zip(first["products"], own, blas):
            print(f"| {rec['name']} | {rec['m']}×{rec['n']}×{rec['k']} | {a:.1f} | {100 * a / peak:.0f}% | {b:.1f} | {100 * b / peak:.0f}% |")
        print()

    our_step, their_step = medians(ours, "train_step", "us_per_step"), medians(theirs, "train_step", "us_per_step")
    print("| training step (fwd + MSE + bwd + Adam) | QuantForge µs | PyTorch µs | speed-up (per-pass range) "
          "| QuantForge GFLOP/s (exact) | % of sgemm peak |")
    print("|---|---:|---:|---:|---:|---:|")
    for i, rec in enumerate(first["train_step"]):
        d, h, o, bs = rec["d_in"], rec["hidden"], rec["d_out"], rec["batch"]
        exact = 3 * 2.0 * bs * (d * h + h * h + h * o) - 2.0 * bs * d * h  # no dX for the input layer
        gflops = exact / (our_step[i] * 1e-6) / 1e9
        per_pass = [t["train_step"][i]["us_per_step"] / q["train_step"][i]["us_per_step"] for q, t in zip(ours, theirs)]
        print(f"| {d}→{h}→{h}→{o}, batch {bs} | {our_step[i]:.1f} | {their_step[i]:.1f} | "
              f"**{their_step[i] / our_step[i]:.2f}×** ({min(per_pass):.2f}–{max(per_pass):.2f}) | {gflops:.1f} | "
              f"{100 * gflops / peak:.0f}% |")

    our_fwd, their_fwd = medians(ours, "forward_batch1", "us"), medians(theirs, "forward_batch1", "us")
    print("\n| batch-1 forward + argmax | QuantForge µs | PyTorch µs | speed-up |")
    print("|---|---:|---:|---:|")
    for rec, a, b in zip(first["forward_batch1"], our_fwd, their_fwd):
        print(f"| {rec['d_in']}→128→128→3 | {a:.2f} | {b:.2f} | {b / a:.1f}× |")


if __name__ == "__main__":
    main()
