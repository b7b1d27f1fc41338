"""Timing protocol shared by QuantForge's peer scripts, identical to `qf bench`'s (Timing.swift)
and to ../shared/peers/rl/common.py: warm up, calibrate an inner loop to last at least
`min_time`, take `repeats` samples, report the median seconds per call."""
import json
import os
import platform
import statistics
import time


def time_fn(fn, repeats=7, min_time=0.3, warmup=20):
    for _ in range(warmup):
        fn()
    inner = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        dt = time.perf_counter() - t0
        if dt >= min_time or inner >= 1_000_000:
            break
        inner = min(1_000_000, max(inner * 2, int(inner * min_time / max(dt, 1e-9) * 1.2)))
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        samples.append((time.perf_counter() - t0) / inner)
    samples.sort()
    return {"median_seconds": statistics.median(samples), "min_seconds": samples[0],
            "max_seconds": samples[-1], "inner": inner, "repeats": repeats}


def machine():
    info = {"python": platform.python_version(), "platform": platform.platform(), "nproc": os.cpu_count()}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return info


def save(path, obj):
    if path:
        with open(path, "w") as f:
            json.dump(obj, f, indent=1)
