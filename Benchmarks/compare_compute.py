"""Prints the Compute benchmark figures of QuantForge and PyTorch side by side (Markdown), with
the ratios and the bars of issue 2: >= 5x PyTorch at batch 64; >= 1.2x PyTorch and >= 70% of
the measured sgemm peak at 256-256-256-3 batch 1024.

    python3 Benchmarks/compare_compute.py qf.json torch.json
"""
import json
import sys


def main():
    ours = json.load(open(sys.argv[1]))
    theirs = json.load(open(sys.argv[2]))
    peak = max(r["gflops"] for r in ours["sgemm"])
    print(f"OpenBLAS kernel {ours['blas_core']}, {ours['blas_threads']} thread(s); "
          f"PyTorch {theirs['torch']}, {theirs['threads']} thread(s); CPU {theirs['machine'].get('cpu', '?')}\n")
    print("| sgemm n | QuantForge (OpenBLAS) GFLOP/s | torch.mm GFLOP/s |")
    print("|---:|---:|---:|")
    for a, b in zip(ours["sgemm"], theirs["sgemm"]):
        print(f"| {a['n']} | {a['gflops']:.1f} | {b['gflops']:.1f} |")
    print(f"\nsgemm peak (best of the sizes above): {peak:.1f} GFLOP/s\n")
    print("| training step (fwd + MSE + bwd + Adam) | QuantForge µs | PyTorch µs (best Adam) | speed-up | QuantForge GFLOP/s (exact) | % of sgemm peak |")
    print("|---|---:|---:|---:|---:|---:|")
    for a, b in zip(ours["train_step"], theirs["train_step"]):
        d, h, o, bs = a["d_in"], a["hidden"], a["d_out"], a["batch"]
        exact = 3 * 2.0 * bs * (d * h + h * h + h * o) - 2.0 * bs * d * h  # no dX for the input layer
        gflops = exact / (a["us_per_step"] * 1e-6) / 1e9
        ratio = b["us_per_step"] / a["us_per_step"]
        print(f"| {d}→{h}→{h}→{o}, batch {bs} | {a['us_per_step']:.1f} | {b['us_per_step']:.1f} ({b['adam']}) | "
              f"{ratio:.2f}× | {gflops:.1f} | {100 * gflops / peak:.0f}% |")
    print("\n| batch-1 forward + argmax | QuantForge µs | PyTorch µs | speed-up |")
    print("|---|---:|---:|---:|")
    for a, b in zip(ours["forward_batch1"], theirs["forward_batch1"]):
        print(f"| {a['d_in']}→128→128→3 | {a['us']:.2f} | {b['us']:.2f} | {b['us'] / a['us']:.1f}× |")


if __name__ == "__main__":
    main()
