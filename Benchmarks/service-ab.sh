#!/usr/bin/env bash
# Two `qf` builds side by side on the bench database that Benchmarks/service.sh left (1,000
# strategies of user `bench`): the strategy list and detail under wrk, alternating passes, to
# measure what one change costs or gains on a request's path.
#   Benchmarks/service-ab.sh OLD_QF NEW_QF      (PASSES=3 DURATION=8 CONNECTIONS=32)
set -euo pipefail
cd "$(dirname "$0")/.."
old=$1 new=$2
passes=${PASSES:-3}
duration=${DURATION:-8}
connections=${CONNECTIONS:-32}
base=$("$new" migrate status | sed -n 's/^database: //p' | head -1)
read -r host port < <(python3 -c '
import sys, urllib.parse as u
url = u.urlparse(sys.argv[1]); q = u.parse_qs(url.query)
print(q.get("host", ["localhost"])[0], url.port or 5432)' "$base")
url="postgres://postgres@:$port/qf_bench?host=$host"
secret=bench-secret-bench-secret-bench-secret-42
DATABASE_URL=$url QF_JWT_SECRET=$secret "$old" serve --port 18201 --no-migrate >/dev/null 2>&1 & p1=$!
DATABASE_URL=$url QF_JWT_SECRET=$secret "$new" serve --port 18202 --no-migrate >/dev/null 2>&1 & p2=$!
trap 'kill $p1 $p2 2>/dev/null || true' EXIT
for port_ in 18201 18202; do
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port_/healthz" >/dev/null && break; sleep 0.2; done
done
token=$(curl -sf -X POST "http://127.0.0.1:18201/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"username": "bench", "password": "bench-pass-2026"}' | python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["access_token"])')
id=$(psql -tA -h "$host" -p "$port" -U postgres -d qf_bench -c "SELECT max(id) FROM strategies")
for pass in $(seq 1 "$passes"); do
  for entry in "list|/api/v1/strategies?page=3&size=20" "detail|/api/v1/strategies/$id"; do
    for side in old:18201 new:18202; do
      rate=$(wrk -t2 -c"$connections" -d"${duration}s" -H "Authorization: Bearer $token" "http://127.0.0.1:${side#*:}${entry#*|}" | sed -n 's/Requests\/sec: *//p')
      echo "pass $pass ${entry%%|*} ${side%%:*} $rate"
    done
  done
done
