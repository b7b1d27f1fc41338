#!/usr/bin/env bash
# The REST API's throughput and latency side by side with its FastAPI peer, in one run on one
# database: `qf serve` (release) and Benchmarks/peers/fastapi_service.py (uvicorn + uvloop +
# httptools, asyncpg, PyJWT, orjson; one worker per core) serve the same endpoints with the same
# SQL and envelopes over a bench database of 1,000 strategies on the project's PostgreSQL
# cluster; wrk loads each in turn (passes alternate the two, so a slow phase of a shared machine
# hits both). Before timing, the two servers' answers are checked equal.
#   PASSES=2 DURATION=10 CONNECTIONS=32 Benchmarks/service.sh     (results in .qf/bench/service/)
set -euo pipefail
cd "$(dirname "$0")/.."
passes=${PASSES:-2}
duration=${DURATION:-10}
connections=${CONNECTIONS:-32}
out=.qf/bench/service
qf_port=18081
peer_port=18082
secret=bench-secret-bench-secret-bench-secret-42
mkdir -p "$out"
rm -f "$out"/*.txt
Benchmarks/setup-peers.sh service
if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = 0 ]; then apt-get install -y -qq wrk; else sudo apt-get install -y -qq wrk; fi
fi
swift build -c release --product qf
qf=.build/release/qf

# The project's cluster (started if need be), and a bench database of its own on it.
bench_db=qf_bench
source Benchmarks/bench-database.sh
psql -q -h "$host" -p "$port" -U postgres -d qf_bench -c "
  INSERT INTO strategies (name, description, strategy_type, config, parameters, owner_id, tags, category, total_return, sharpe_ratio, created_at)
  SELECT 'strategy ' || g, 'benchmark strategy number ' || g, 'algorithmic_trading', '{\"agent\": \"dqn\", \"epochs\": 10, \"net\": [128, 128]}',
         '{\"lr\": 0.001, \"gamma\": 0.99}', (SELECT id FROM users WHERE username = 'bench'), ARRAY['bench', 'group' || (g % 10)], 'momentum',
         (g % 200) - 50, ((g % 40) - 20) / 10.0, TIMESTAMP '2026-01-01' + g * INTERVAL '1 minute'
  FROM generate_series(1, 1000) g"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
DATABASE_URL=$url QF_JWT_SECRET=$secret "$qf" serve --port $qf_port --no-migrate >"$out/qf-serve.log" 2>&1 &
pids+=($!)
DATABASE_DSN=$dsn QF_JWT_SECRET=$secret .venv-peers/bin/uvicorn --app-dir Benchmarks/peers fastapi_service:app --port $peer_port \
  --workers "$(nproc)" --loop uvloop --http httptools --no-access-log --log-level warning >"$out/peer.log" 2>&1 &
pids+=($!)
for port_ in $qf_port $peer_port; do
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port_/healthz" >/dev/null && break; sleep 0.2; done
done
token=$(curl -sf -X POST "http://127.0.0.1:$qf_port/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"username": "bench", "password": "bench-pass-2026"}' | python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["access_token"])')
id=$(psql -tA -h "$host" -p "$port" -U postgres -d qf_bench -c "SELECT max(id) FROM strategies")

endpoints=("healthz|/healthz" "list|/api/v1/strategies?page=3&size=20" "filtered|/api/v1/strategies?type=algorithmic_trading&tags=group3&search=number%201&sort=-sharpe_ratio&size=20"
           "detail|/api/v1/strategies/$id")
# Same answers first (request ids and timestamps aside).
for entry in "${endpoints[@]}"; do
  path=${entry#*|}
  python3 - "http://127.0.0.1:$qf_port$path" "http://127.0.0.1:$peer_port$path" "$token" <<'PY'
import json, sys, urllib.request
def get(url):
    request = urllib.request.Request(url, headers={"Authorization": "Bearer " + sys.argv[3]})
    body = json.load(urllib.request.urlopen(request))
    body.pop("request_id"); body.pop("timestamp")
    return body
ours, peer = get(sys.argv[1]), get(sys.argv[2])
if ours != peer:
    sys.exit(f"answers differ for {sys.argv[1]}:\n{json.dumps(ours)[:600]}\n{json.dumps(peer)[:600]}")
PY
done
echo "both servers answer the same"

for pass in $(seq 1 "$passes"); do
  for entry in "${endpoints[@]}"; do
    name=${entry%%|*}
    path=${entry#*|}
    for server in qf peer; do
      port_=$qf_port
      [ $server = qf ] || port_=$peer_port
      echo "== pass $pass/$passes: $server $name"
      wrk -t2 -c"$connections" -d"${duration}s" --latency -H "Authorization: Bearer $token" "http://127.0.0.1:$port_$path" \
        >"$out/$name-$server-$pass.txt"
    done
  done
done
# Job submission (QuantForge only: the peer serves no training API): POST /api/v1/training/jobs
# from 4 connections — validation, the job row and its queued task in one transaction each.
strategy=$(curl -sf -X POST "http://127.0.0.1:$qf_port/api/v1/strategies" -H "authorization: Bearer $token" -H 'content-type: application/json' \
  -d '{"name": "submit bench", "strategy_type": "algorithmic_trading"}' | python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["id"])')
cat >"$out/submit.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"name": "bench job", "strategy_id": $strategy, "config": {"task_name": "synthetic", "dataset_name": "synthetic:ar1", "agent_name": "synthetic:ppo"}, "hyperparameters": {"epochs": 1}}'
LUA
for pass in $(seq 1 "$passes"); do
  echo "== pass $pass/$passes: qf submit"
  wrk -t2 -c4 -d"${duration}s" --latency -s "$out/submit.lua" -H "Authorization: Bearer $token" "http://127.0.0.1:$qf_port/api/v1/training/jobs" \
    >"$out/submit-qf-$pass.txt"
done
# Logins under a crowd: LOGIN_CONNECTIONS clients (default 50) post a valid login for DURATION
# seconds against each server; bcrypt cost 12 for both (the user's stored hash). A 503 is
# honoured (wait Retry-After, retry), as a well-behaved client does.
login_connections=${LOGIN_CONNECTIONS:-50}
for pass in $(seq 1 "$passes"); do
  for server in qf peer; do
    port_=$qf_port
    [ $server = qf ] || port_=$peer_port
    echo "== pass $pass/$passes: $server login ($login_connections clients)"
    python3 Benchmarks/peers/login_load.py "http://127.0.0.1:$port_/api/v1/auth/login" bench bench-pass-2026 "$login_connections" "$duration" \
      >"$out/login-$server-$pass.json"
  done
done
python3 Benchmarks/compare_service.py "$out" "$connections" | tee "$out/service-comparison.md"
