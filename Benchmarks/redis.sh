#!/usr/bin/env bash
# Authenticated requests with and without Redis, in one run on one database (issue 18): two
# `qf serve` (release) on the same bench database, one with REDIS_URL (a redis-server of the
# script's own, no persistence) and one without, and the FastAPI peer (Benchmarks/peers) likewise
# twice; wrk loads each in turn, passes alternating so a slow phase of the shared machine hits all.
# Endpoints: the profile (`GET /users/me`: the session check and one row), a strategy by id (also
# on the peer, which caches its session check in Redis the same way), and a completed evaluation
# with its charts (the result cache's case). Before timing, the servers' answers are checked equal.
#   PASSES=3 DURATION=10 CONNECTIONS=32 Benchmarks/redis.sh     (results in .qf/bench/redis/)
set -euo pipefail
cd "$(dirname "$0")/.."
passes=${PASSES:-3}
duration=${DURATION:-10}
connections=${CONNECTIONS:-32}
out=.qf/bench/redis
plain_port=18091
redis_port=18092
peer_plain_port=18093
peer_redis_port=18094
redis_server_port=16379
secret=bench-secret-bench-secret-bench-secret-42
mkdir -p "$out"
rm -f "$out"/*.txt
for tool in wrk redis-server; do
  if ! command -v $tool >/dev/null; then
    package=$tool; [ $tool = redis-server ] && package=redis-server
    if [ "$(id -u)" = 0 ]; then apt-get install -y -qq $package; else sudo apt-get install -y -qq $package; fi
  fi
done
Benchmarks/setup-peers.sh service
swift build -c release --product qf
qf=.build/release/qf

bench_db=qf_bench_redis
source Benchmarks/bench-database.sh
# A strategy, and a completed evaluation whose charts are an equity curve of 2,000 points (the
# size a daily backtest over eight years answers).
psql -q -h "$host" -p "$port" -U postgres -d qf_bench_redis -c "
  INSERT INTO strategies (name, description, strategy_type, config, parameters, owner_id)
  VALUES ('bench', 'benchmark strategy', 'algorithmic_trading', '{\"rule\": \"sma_cross\"}', '{\"fast\": 10, \"slow\": 30}',
          (SELECT id FROM users WHERE username = 'bench'));
  INSERT INTO evaluations (name, evaluation_type, status, config, results, charts, user_id, completed_at)
  SELECT 'bench', 'backtest', 'completed', '{\"rule\": \"sma_cross\"}', '{\"sharpe_ratio\": 1.25, \"total_return\": 0.5}',
         jsonb_build_array(jsonb_build_object('type', 'equity', 'values', (SELECT jsonb_agg(round((1 + g / 2000.0)::numeric, 6)) FROM generate_series(1, 2000) g))),
         (SELECT id FROM users WHERE username = 'bench'), CURRENT_TIMESTAMP"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
redis-server --port $redis_server_port --bind 127.0.0.1 --save "" --appendonly no --daemonize no --loglevel warning >"$out/redis.log" 2>&1 &
pids+=($!)
DATABASE_URL=$url QF_JWT_SECRET=$secret "$qf" serve --port $plain_port --no-migrate >"$out/plain-serve.log" 2>&1 &
pids+=($!)
REDIS_URL=redis://127.0.0.1:$redis_server_port DATABASE_URL=$url QF_JWT_SECRET=$secret "$qf" serve --port $redis_port --no-migrate >"$out/redis-serve.log" 2>&1 &
pids+=($!)
for peer in plain redis; do
  peer_port=$peer_plain_port; extra=()
  [ $peer = plain ] || { peer_port=$peer_redis_port; extra=(REDIS_URL=redis://127.0.0.1:$redis_server_port); }
  env "${extra[@]}" DATABASE_DSN=$dsn QF_JWT_SECRET=$secret .venv-peers/bin/uvicorn --app-dir Benchmarks/peers fastapi_service:app --port $peer_port \
    --workers "$(nproc)" --loop uvloop --http httptools --no-access-log --log-level warning >"$out/peer-$peer.log" 2>&1 &
  pids+=($!)
done
for port_ in $plain_port $redis_port $peer_plain_port $peer_redis_port; do
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port_/healthz" >/dev/null && break; sleep 0.2; done
done
token=$(curl -sf -X POST "http://127.0.0.1:$plain_port/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"username": "bench", "password": "bench-pass-2026"}' | python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["access_token"])')
strategy=$(psql -tA -h "$host" -p "$port" -U postgres -d qf_bench_redis -c "SELECT max(id) FROM strategies")
evaluation=$(psql -tA -h "$host" -p "$port" -U postgres -d qf_bench_redis -c "SELECT max(id) FROM evaluations")

endpoints=("me|/api/v1/users/me" "strategy|/api/v1/strategies/$strategy" "evaluation|/api/v1/evaluations/$evaluation")
for entry in "${endpoints[@]}"; do
  path=${entry#*|}
  python3 - "http://127.0.0.1:$plain_port$path" "http://127.0.0.1:$redis_port$path" "$token" <<'PY'
import json, sys, urllib.request
def get(url):
    request = urllib.request.Request(url, headers={"Authorization": "Bearer " + sys.argv[3]})
    body = json.load(urllib.request.urlopen(request))
    body.pop("request_id"); body.pop("timestamp")
    body["data"].pop("last_login_at", None); body["data"].pop("login_count", None)
    return body
plain = get(sys.argv[1]); get(sys.argv[2]); cached = get(sys.argv[2])   # the second answer from Redis
if plain != cached:
    sys.exit(f"answers differ for {sys.argv[1]}:\n{json.dumps(plain)[:600]}\n{json.dumps(cached)[:600]}")
PY
done
path=/api/v1/strategies/$strategy
python3 - "http://127.0.0.1:$plain_port$path" "http://127.0.0.1:$peer_plain_port$path" "http://127.0.0.1:$peer_redis_port$path" "$token" <<'PY'
import json, sys, urllib.request
def get(url):
    request = urllib.request.Request(url, headers={"Authorization": "Bearer " + sys.argv[4]})
    body = json.load(urllib.request.urlopen(request))
    body.pop("request_id"); body.pop("timestamp")
    return body
ours = get(sys.argv[1])
for url in sys.argv[2:4]:
    get(url)
    if get(url) != ours:
        sys.exit(f"the peer at {url} answers differently")
PY
echo "the servers answer the same"
redis-cli -p $redis_server_port --scan --pattern '*' | sed 's/^/  redis holds /'

for pass in $(seq 1 "$passes"); do
  for entry in "${endpoints[@]}"; do
    name=${entry%%|*}
    path=${entry#*|}
    servers=(plain redis)
    [ "$name" = strategy ] && servers+=(peerplain peerredis)
    for server in "${servers[@]}"; do
      case $server in
        plain) port_=$plain_port ;; redis) port_=$redis_port ;; peerplain) port_=$peer_plain_port ;; peerredis) port_=$peer_redis_port ;;
      esac
      echo "== pass $pass/$passes: $server $name"
      wrk -t2 -c"$connections" -d"${duration}s" --latency -H "Authorization: Bearer $token" "http://127.0.0.1:$port_$path" \
        >"$out/$name-$server-$pass.txt"
    done
  done
done
grep -h "fallbacks\|redis_available" <(curl -sf "http://127.0.0.1:$redis_port/metrics") | grep -v '^#' || true
python3 Benchmarks/compare_redis.py "$out" "$connections" | tee "$out/redis-comparison.md"
