"""The peer of `qf serve` for Benchmarks/service.sh: the same endpoints done the way a FastAPI
service would do them at its fastest — uvicorn with uvloop and httptools, asyncpg (no ORM),
PyJWT, orjson — against the same database, with the same SQL and the same response envelopes:

- GET /healthz
- GET /api/v1/strategies?page&size&sort : bearer JWT (HS256, kid) verified, the session checked
  live in user_sessions (the same statement qf runs), a page of strategies carrying its total
- GET /api/v1/strategies/{id}
- POST /api/v1/auth/login : the user's bcrypt hash checked the usual FastAPI way (bcrypt in
  Starlette's thread pool, no bound on waiting logins) and an access token issued; no rate limit
  or session row (qf does both, so it does more work per login)

With REDIS_URL set, the session check is cached in Redis first (Benchmarks/redis.sh).

Run: DATABASE_DSN=postgresql://... QF_JWT_SECRET=... [REDIS_URL=redis://...] uvicorn fastapi_service:app --workers N
"""
import os
import secrets
import time

import asyncpg
import bcrypt
import jwt
import orjson
from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

app = FastAPI()
SECRET = os.environ["QF_JWT_SECRET"]
KID = os.environ.get("QF_JWT_KID", "k1")
SORTABLE = {"created_at", "updated_at", "name", "status", "strategy_type", "total_return", "sharpe_ratio"}
COLUMNS = """s.id, s.name, s.description, s.strategy_type::text, coalesce(s.status::text, 'draft'), coalesce(s.version, '1.0.0'),
    coalesce(s.config, '{}')::text, coalesce(s.parameters, '{}')::text, s.total_return::float8, s.sharpe_ratio::float8,
    s.max_drawdown::float8, s.win_rate::float8, s.owner_id, s.parent_strategy_id, coalesce(s.tags, '{}'), s.category,
    s.created_at, s.updated_at, s.last_run_at"""
LIVE = """
WITH live AS (
    SELECT s.id, u.username, coalesce(u.is_superuser, false) AS superuser
    FROM user_sessions s JOIN users u ON u.id = s.user_id
    WHERE s.session_token = $1 AND s.user_id = $2 AND s.is_active
      AND s.expires_at > CURRENT_TIMESTAMP AND coalesce(u.is_active, true)
), touched AS (
    UPDATE user_sessions SET last_activity_at = CURRENT_TIMESTAMP
    WHERE id IN (SELECT id FROM live) AND last_activity_at < CURRENT_TIMESTAMP - INTERVAL '1 minute'
)
SELECT username, superuser FROM live"""


@app.on_event("startup")
async def startup():
    app.state.pool = await asyncpg.create_pool(os.environ["DATABASE_DSN"], min_size=4, max_size=20,
                                               server_settings={"TimeZone": "UTC", "application_name": "fastapi-peer"})
    # With REDIS_URL, the session check is cached in Redis as the seed's design has it (redis-py's
    # asyncio client with the hiredis parser): a 60-second entry, written only if absent.
    app.state.redis = None
    if os.environ.get("REDIS_URL"):
        import redis.asyncio
        app.state.redis = redis.asyncio.from_url(os.environ["REDIS_URL"])


def envelope(data, status=200, message="Success", request_id=None):
    body = {"code": status, "data": data, "message": message, "request_id": request_id or "req_" + secrets.token_hex(12),
            "success": True, "timestamp": int(time.time())}
    return Response(orjson.dumps(body, option=orjson.OPT_SORT_KEYS), status_code=status, media_type="application/json; charset=utf-8")


def failure(status, kind, message, details=()):
    body = {"error": {"code": status, "details": list(details), "message": message, "type": kind}, "request_id": "req_" + secrets.token_hex(12),
            "success": False, "timestamp": int(time.time())}
    return Response(orjson.dumps(body, option=orjson.OPT_SORT_KEYS), status_code=status, media_type="application/json; charset=utf-8")


def iso(value):
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")


def strategy(row):
    return {"id": row[0], "name": row[1], "description": row[2], "strategy_type": row[3], "status": row[4], "version": row[5],
            "config": orjson.loads(row[6]), "parameters": orjson.loads(row[7]),
            "performance": {"total_return": row[8], "sharpe_ratio": row[9], "max_drawdown": row[10], "win_rate": row[11]},
            "owner_id": row[12], "parent_strategy_id": row[13], "tags": list(row[14]), "category": row[15],
            "created_at": iso(row[16]), "updated_at": iso(row[17]), "last_run_at": iso(row[18])}


async def authenticate(request, connection):
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    try:
        head = jwt.get_unverified_header(token)
        if head.get("kid") != KID:
            return None
        claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    except jwt.PyJWTError:
        return None
    if claims.get("typ") != "access":
        return None
    cache = app.state.redis
    key = "peer:session:" + claims["sid"]
    if cache is not None:
        cached = await cache.get(key)
        if cached is not None:
            user_id, superuser, _ = cached.split(b"\t", 2)
            return (int(user_id), superuser == b"1") if int(user_id) == int(claims["sub"]) else None
    row = await connection.fetchrow(LIVE, claims["sid"], int(claims["sub"]))
    if row is not None and cache is not None:
        await cache.set(key, f"{claims['sub']}\t{1 if row[1] else 0}\t{row[0]}", px=60_000, nx=True)
    return None if row is None else (int(claims["sub"]), row[1])


@app.post("/api/v1/auth/login")
async def login(request: Request):
    body = orjson.loads(await request.body())
    async with app.state.pool.acquire() as connection:
        row = await connection.fetchrow("SELECT id, hashed_password FROM users WHERE lower(username) = lower($1)", body.get("username", ""))
    password = str(body.get("password", "")).encode()
    if row is None or not await run_in_threadpool(bcrypt.checkpw, password, row[1].encode()):
        return failure(401, "authentication_error", "Incorrect username or password")
    now = int(time.time())
    token = jwt.encode({"sub": str(row[0]), "sid": secrets.token_hex(16), "typ": "access", "iat": now, "exp": now + 3600},
                       SECRET, algorithm="HS256", headers={"kid": KID})
    return envelope({"access_token": token, "token_type": "bearer", "expires_in": 3600}, message="Login successful")


@app.get("/healthz")
async def healthz():
    return envelope({"status": "ok"})


@app.get("/api/v1/strategies")
async def strategies(request: Request, page: int = 1, size: int = 20, sort: str = "-created_at", type: str | None = None,
                     tags: str | None = None, search: str | None = None):
    if page < 1 or not 1 <= size <= 100:
        return failure(400, "validation_error", "Validation error", [{"field": "size", "message": "must be a whole number from 1 to 100"}])
    order = []
    for part in sort.split(","):
        column = part.lstrip("-")
        if column not in SORTABLE:
            return failure(400, "validation_error", "Validation error", [{"field": "sort", "message": f"'{part}' is not sortable"}])
        order.append(f"s.{column} {'DESC NULLS LAST' if part.startswith('-') else 'ASC NULLS FIRST'}")
    async with app.state.pool.acquire() as connection:
        user = await authenticate(request, connection)
        if user is None:
            return failure(401, "authentication_error", "Invalid access token")
        clauses, args = ([], []) if user[1] else (["s.owner_id = $1"], [user[0]])
        if type is not None:
            args.append(type); clauses.append(f"s.strategy_type = ${len(args)}::strategy_type")
        if tags:
            args.append([t.strip() for t in tags.split(",") if t.strip()]); clauses.append(f"s.tags @> ${len(args)}::text[]")
        if search:
            escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            args.append(f"%{escaped}%"); clauses.append(f"(s.name ILIKE ${len(args)} OR s.description ILIKE ${len(args)})")
        where = "WHERE " + " AND ".join(f"({c})" for c in clauses) if clauses else ""
        if len(args) <= 1 and sort == "-created_at":
            # The default screen: a count and a page, two statements asyncpg has prepared (as qf).
            total = await connection.fetchval(f"SELECT count(*)::int8 FROM strategies s {where}", *args)
            rows = await connection.fetch(f"SELECT {COLUMNS} FROM strategies s {where} ORDER BY {', '.join(order + ['s.id ASC'])} "
                                          f"LIMIT {size} OFFSET {(page - 1) * size}", *args)
        else:
            # Filtered: the page carries its total as a window count, one statement (as qf);
            # a page past the end counts on its own.
            rows = await connection.fetch(f"SELECT {COLUMNS}, count(*) OVER ()::int8 AS total FROM strategies s {where} "
                                          f"ORDER BY {', '.join(order + ['s.id ASC'])} LIMIT {size} OFFSET {(page - 1) * size}", *args)
            if rows:
                total = rows[0]["total"]
            else:
                total = await connection.fetchval(f"SELECT count(*)::int8 FROM strategies s {where}", *args) if page > 1 else 0
    pages = (total + size - 1) // size
    return envelope({"items": [strategy(r) for r in rows], "total": total, "page": page, "size": size, "pages": pages})


@app.get("/api/v1/strategies/{strategy_id}")
async def strategy_detail(request: Request, strategy_id: int):
    async with app.state.pool.acquire() as connection:
        user = await authenticate(request, connection)
        if user is None:
            return failure(401, "authentication_error", "Invalid access token")
        row = await connection.fetchrow(f"SELECT {COLUMNS} FROM strategies s WHERE s.id = $1 AND (s.owner_id = $2 OR $3)",
                                        strategy_id, user[0], user[1])
    if row is None:
        return failure(404, "not_found", f"Strategy {strategy_id} not found")
    return envelope(strategy(row))
