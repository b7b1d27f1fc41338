"""Schemathesis hooks for QuantForge's API: sign every request in as the test's user.

Each case gets a token of a session that is still alive: a case of POST /auth/logout or
/auth/refresh ends or rotates the session it is sent with, so those get a session of their own
(a refresh token for /auth/refresh), and the shared session is replaced whenever a request comes
back 401 for it.
"""
import json
import os
import time
import urllib.error
import urllib.request

import schemathesis

BASE = os.environ["QF_ST_URL"]
USERNAME = os.environ["QF_ST_USERNAME"]
PASSWORD = os.environ["QF_ST_PASSWORD"]


def login():
    """A new session; waits out a 429 (the password hashing gate is busy with the fuzzer's logins)."""
    for _ in range(120):
        request = urllib.request.Request(
            BASE + "/api/v1/auth/login",
            data=json.dumps({"username": USERNAME, "password": PASSWORD}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                data = json.load(response)["data"]
            return data["access_token"], data["refresh_token"]
        except urllib.error.HTTPError as error:
            if error.code != 429:
                raise
            time.sleep(float(error.headers.get("Retry-After") or 1))
    raise RuntimeError("login kept answering 429")


@schemathesis.auth(refresh_interval=5)
class SessionAuth:
    def get(self, case, ctx):
        return login()

    def set(self, case, data, ctx):
        path = case.operation.path
        if path in ("/api/v1/auth/logout", "/api/v1/auth/refresh"):
            access, refresh = login()
            token = refresh if path.endswith("/refresh") else access
        else:
            token = data[0]
        case.headers = case.headers or {}
        case.headers["Authorization"] = "Bearer " + token
