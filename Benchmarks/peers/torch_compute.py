"""PyTorch CPU peer for `qf bench compute`: the same MLP training step (forward, MSE, backward,
Adam), the same shapes as ../shared/peers/rl/bench_torch_mlp.py, batch-1 forward + argmax, and
torch.mm GFLOP/s, on the same number of threads.

    .venv-peers/bin/python Benchmarks/peers/torch_compute.py --threads 1 --json out.json
"""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F

from timing import machine, save, time_fn

TRAIN_SHAPES = [(32, 128, 3, 32), (32, 128, 3, 64), (32, 128, 3, 256), (256, 256, 3, 1024)]


def mlp(d_in, h, d_out):
    return nn.Sequential(nn.Linear(d_in, h), nn.ReLU(), nn.Linear(h, h), nn.ReLU(), nn.Linear(h, d_out))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--min-time", type=float, default=0.3)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--json")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    out = {"machine": machine(), "torch": torch.__version__, "threads": torch.get_num_threads(),
           "sgemm": [], "train_step": [], "forward_batch1": []}

    for n in (64, 128, 256, 512, 1024):
        a, b = torch.randn(n, n), torch.randn(n, n)
        c = torch.empty(n, n)
        t = time_fn(lambda: torch.mm(a, b, out=c), args.repeats, args.min_time, warmup=3)
        gflops = 2 * n ** 3 / t["median_seconds"] / 1e9
        out["sgemm"].append({"n": n, "gflops": gflops, "timing": t})
        print(f"torch.mm n={n:4d}: {gflops:7.1f} GFLOP/s")

    for d_in, h, d_out, batch in TRAIN_SHAPES:
        best = None
        for impl in ("fused", "foreach"):
            model = mlp(d_in, h, d_out)
            opt = torch.optim.Adam(model.parameters(), lr=1e-3, **{impl: True})
            x, target = torch.randn(batch, d_in), torch.randn(batch, d_out)

            def step():
                opt.zero_grad(set_to_none=True)
                F.mse_loss(model(x), target).backward()
                opt.step()

            t = time_fn(step, args.repeats, args.min_time)
            flops = 3 * 2.0 * batch * (d_in * h + h * h + h * d_out)
            rec = {"d_in": d_in, "hidden": h, "d_out": d_out, "batch": batch, "adam": impl,
                   "us_per_step": t["median_seconds"] * 1e6, "gflops": flops / t["median_seconds"] / 1e9, "timing": t}
            print(f"torch train {d_in}->{h}->{h}->{d_out} B={batch:4d} adam={impl:7s}: "
                  f"{rec['us_per_step']:8.1f} us/step {rec['gflops']:7.1f} GFLOP/s")
            if best is None or rec["us_per_step"] < best["us_per_step"]:
                best = rec
        out["train_step"].append(best)

    for d_in in (11, 32):
        model = mlp(d_in, 128, 3)
        x = torch.randn(1, d_in)

        def act():
            with torch.no_grad():
                return model(x).argmax(dim=1).item()

        t = time_fn(act, args.repeats, args.min_time, warmup=50)
        out["forward_batch1"].append({"d_in": d_in, "us": t["median_seconds"] * 1e6, "timing": t})
        print(f"torch forward b=1 {d_in}->128->128->3 + argmax: {t['median_seconds'] * 1e6:6.2f} us")
    save(args.json, out)


if __name__ == "__main__":
    main()
