#!/usr/bin/env bash
# Hyperparameter search (issue 19): a 16-trial DQN search on TradeMaster's BTC split
# (learning_rate log-uniform, gamma, batch_size; 10 epochs each, one seed) as
# `qf tune --distributed` — a parent training job whose trials are child jobs in PostgreSQL —
# taken by one `qf worker` process and then by two, same trials, same seeds, in one run; and the
# epochs successive halving (ASHA's rungs 1, 3, 9, η = 3) spends against running every trial to
# 9 epochs on the same space, three seeds per trial, with the best trial each finds.
#   PASSES=2 Benchmarks/tune.sh          (results in .qf/bench/tune/)
set -euo pipefail
cd "$(dirname "$0")/.."
passes=${PASSES:-2}
out=.qf/bench/tune
mkdir -p "$out"
abs=$(pwd)/$out
swift build -c release --product qf
qf=$(pwd)/.build/release/qf
export QF_SHARED_DIR=${QF_SHARED_DIR:-$(cd .. && pwd)/shared}
config=configs/algorithmic_trading/dqn_btc.json
space=(--search learning_rate=1e-4:1e-2:log --search gamma=0.9,0.95,0.99 --search batch_size=32,64,128)

# A database of its own on the project's cluster.
url=$($qf migrate status 2>&1 | sed -n 's/^database: //p' | head -1)
socket=${url#*host=}
port=$(echo "$url" | sed -E 's/.*@:([0-9]+)\/.*/\1/')
psql -h "$socket" -p "$port" -U postgres -qc "DROP DATABASE IF EXISTS qf_bench_tune" -c "CREATE DATABASE qf_bench_tune" postgres
export DATABASE_URL="postgres://postgres@:$port/qf_bench_tune?host=$socket"
$qf migrate up > /dev/null
rm -f "$out"/times-*.txt
for pass in $(seq 1 "$passes"); do
  for workers in 1 2; do
    echo "== pass $pass/$passes: qf tune --distributed, 16 trials × 10 epochs, $workers qf worker process(es)"
    rm -rf "$abs/data"
    pids=()
    for w in $(seq 1 "$workers"); do QF_DATA_DIR="$abs/data" $qf worker --queues training --poll-interval 0.05 > "$out/worker-$w.log" 2>&1 & pids+=($!); done
    sleep 1
    start=$(date +%s.%N)
    $qf tune --config "$config" "${space[@]}" --trials 16 --scheduler none --max-epochs 10 --distributed --json --best-config "$abs/best-$workers.json" > "$abs/distributed-$workers.json"
    end=$(date +%s.%N)
    kill "${pids[@]}"; wait "${pids[@]}" 2>/dev/null || true
    echo "workers$workers $(echo "$end - $start" | bc)" >> "$out/times-$pass.txt"
  done
done
echo "== successive halving against every trial to the end: 16 trials × 3 seeds, up to 9 epochs, both cores"
rm -rf "$abs/asha" "$abs/full"
start=$(date +%s.%N)
$qf tune --config "$config" "${space[@]}" --trials 16 --seeds 3 --scheduler asha --max-epochs 9 --min-epochs 1 --reduction 3 --out "$abs/asha" --json > "$abs/asha.json"
end=$(date +%s.%N)
echo "asha $(echo "$end - $start" | bc)" > "$out/halving.txt"
start=$(date +%s.%N)
$qf tune --config "$config" "${space[@]}" --trials 16 --seeds 3 --scheduler none --max-epochs 9 --out "$abs/full" --json > "$abs/full.json"
end=$(date +%s.%N)
echo "full $(echo "$end - $start" | bc)" >> "$out/halving.txt"
python3 - "$out" <<'PY' | tee "$out/tune-comparison.md"
import json, pathlib, statistics, sys
folder = pathlib.Path(sys.argv[1])
times = {}
for f in sorted(folder.glob("times-*.txt")):
    for line in f.read_text().split("\n"):
        if line.strip():
            name, seconds = line.split()
            times.setdefault(name, []).append(float(seconds))
one, two = statistics.median(times["workers1"]), statistics.median(times["workers2"])
r1, r2 = (json.loads((folder / f"distributed-{w}.json").read_text()) for w in (1, 2))
same = [t["trial"] for t in r1["trials"]] == [t["trial"] for t in r2["trials"]] and all(
    a["scores"] == b["scores"] for a, b in zip(r1["trials"], r2["trials"]))
print("| 16-trial search, 10 epochs each, one seed | wall time (s), median | trials/min |")
print("|---|---:|---:|")
print(f"| qf tune --distributed, 1 qf worker | {one:.1f} ({', '.join(f'{t:.1f}' for t in times['workers1'])}) | {16 / one * 60:.1f} |")
print(f"| qf tune --distributed, 2 qf workers | {two:.1f} ({', '.join(f'{t:.1f}' for t in times['workers2'])}) | {16 / two * 60:.1f} |")
print(f"\n2 workers take {two / one:.2f} of 1 worker's time ({one / two:.2f}× faster); the same trials with the same scores on both: {same}")
h = dict(line.split() for line in (folder / "halving.txt").read_text().split("\n") if line.strip())
asha, full = (json.loads((folder / f"{n}.json").read_text()) for n in ("asha", "full"))
share = asha["epochs_trained"] / full["epochs_trained"]
best_asha, best_full = asha["trials"][0], full["trials"][0]
rank = [t["trial"] for t in full["trials"]].index(best_asha["trial"]) + 1
print("\n| 16 trials × 3 seeds, up to 9 epochs | epochs trained | wall time (s) | best trial | its mean valid Sharpe |")
print("|---|---:|---:|---:|---:|")
print(f"| successive halving (rungs {asha['rungs']}, η 3) | {asha['epochs_trained']} | {float(h['asha']):.1f} | {best_asha['trial']} | {best_asha['statistics']['mean']:.3f} |")
print(f"| every trial to 9 epochs | {full['epochs_trained']} | {float(h['full']):.1f} | {best_full['trial']} | {best_full['statistics']['mean']:.3f} |")
print(f"\nsuccessive halving spends {share:.0%} of the epochs; its winner ranks {rank} of 16 when every trial runs to the end")
PY
