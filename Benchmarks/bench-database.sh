# Sourced by the service benchmarks: a fresh bench database `$bench_db` on the project's
# PostgreSQL cluster (started if need be), migrated, with the user `bench` (password
# bench-pass-2026). Needs $qf and $secret; sets $host, $port, $url (for qf) and $dsn (for asyncpg).
base=$("$qf" migrate status | sed -n 's/^database: //p' | head -1)
read -r host port < <(python3 -c '
import sys, urllib.parse as u
url = u.urlparse(sys.argv[1]); q = u.parse_qs(url.query)
print(q.get("host", ["localhost"])[0], url.port or 5432)' "$base")
psql -q -h "$host" -p "$port" -U postgres -d postgres -c "DROP DATABASE IF EXISTS $bench_db WITH (FORCE)" -c "CREATE DATABASE $bench_db"
url="postgres://postgres@:$port/$bench_db?host=$host"
dsn="postgresql://postgres@/$bench_db?host=$host&port=$port"
DATABASE_URL=$url "$qf" migrate up >/dev/null
DATABASE_URL=$url QF_USER_PASSWORD=bench-pass-2026 QF_JWT_SECRET=$secret "$qf" user create bench --email bench@example.com >/dev/null
