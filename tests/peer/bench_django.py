#!/usr/bin/env python3
"""The Django reference measured the way tests/BENCHMARKS.md measures us.

    PEER_DIR=../shared/peer python3 tests/peer/bench_django.py [--n 2000] [--starts 10]

Runs with the reference's own interpreter (PEER_PYTHON, default
/tmp/peer-venv/bin/python; set it up with ../shared/peer/setup.sh) and its
SQLite database (PEER_DB).

1. Per-request CPU time: Django's test client in a loop, in process (the
   full middleware and DRF stack, SQLite on local disk), for the same
   operations as `cargo bench -p integration-tests --bench handlers`.
2. Cold start: a new Python process doing `django.setup()` and one request
   (`info` with a Bearer token), timed from spawn to the answer; median of
   --starts runs. The analogue of our `coldstart` bench.

Prints one JSON object per measurement.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

PEER_DIR = os.path.abspath(os.environ.get("PEER_DIR", os.path.join(os.path.dirname(__file__), "../../../shared/peer")))
PEER_PYTHON = os.environ.get("PEER_PYTHON", "/tmp/peer-venv/bin/python")

SETUP = r"""
import os, sys, time
sys.path.insert(0, PEER_DIR)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django
django.setup()
from django.test import Client
from users.models import User
from rest_framework_simplejwt.tokens import RefreshToken
alice = User.objects.get(username="alice")
refresh = RefreshToken.for_user(alice)
access = str(refresh.access_token)
refresh = str(refresh)
client = Client(HTTP_HOST="127.0.0.1")
"""

LOOP = r"""
import json
def measure(name, n, fn):
    fn()  # warm up
    c0, w0 = time.process_time(), time.perf_counter()
    for _ in range(n):
        r = fn()
        assert r.status_code < 500, (name, r.status_code)
    c1, w1 = time.process_time(), time.perf_counter()
    print(json.dumps({"kind": "request", "op": name, "n": n,
                      "cpu_us": (c1 - c0) / n * 1e6, "wall_us": (w1 - w0) / n * 1e6}), flush=True)

client.post("/api/v1/users/login", {"username": "alice", "password": "correct horse battery staple"},
            content_type="application/json")
session = Client(HTTP_HOST="127.0.0.1")
session.post("/api/v1/users/login", {"username": "alice", "password": "correct horse battery staple"},
             content_type="application/json")
N = int(os.environ["BENCH_N"])
measure("info by session", N, lambda: session.get("/api/v1/users/login/jwt/info"))
measure("info by Bearer", N, lambda: client.get("/api/v1/users/login/jwt/info", HTTP_AUTHORIZATION="Bearer " + access))
measure("info unauthenticated (401)", N, lambda: Client(HTTP_HOST="127.0.0.1").get("/api/v1/users/login/jwt/info"))
measure("verify access token", N, lambda: client.post("/api/v1/users/login/simpleJWT/verify", {"token": access}, content_type="application/json"))
measure("verify refresh token", N, lambda: client.post("/api/v1/users/login/simpleJWT/verify", {"token": refresh}, content_type="application/json"))
measure("refresh (no rotation)", N, lambda: client.post("/api/v1/users/login/simpleJWT/refresh", {"refresh": refresh}, content_type="application/json"))
K = max(3, N // 400)
measure("login (with PBKDF2, 1.5M iterations)", K, lambda: Client(HTTP_HOST="127.0.0.1").post(
    "/api/v1/users/login", {"username": "alice", "password": "correct horse battery staple"}, content_type="application/json"))
measure("obtain pair (with PBKDF2)", K, lambda: client.post(
    "/api/v1/users/login/simpleJWT", {"username": "alice", "password": "correct horse battery staple"}, content_type="application/json"))
"""

COLD = r"""
import os, sys, time
start = float(sys.argv[1])
PEER_DIR = sys.argv[2]
sys.path.insert(0, PEER_DIR)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django
django.setup()
setup_done = time.time()
from django.test import Client
r = Client(HTTP_HOST="127.0.0.1").get("/api/v1/users/login/jwt/info", HTTP_AUTHORIZATION="Bearer " + sys.argv[3])
assert r.status_code == 200, r.status_code
done = time.time()
print(f"{setup_done - start} {done - start}", flush=True)
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000, help="requests per cheap operation")
    ap.add_argument("--starts", type=int, default=10, help="cold starts")
    args = ap.parse_args()
    env = dict(os.environ, BENCH_N=str(args.n), DJANGO_SETTINGS_MODULE="config.settings")
    code = "PEER_DIR = %r\n" % PEER_DIR + SETUP + LOOP
    subprocess.run([PEER_PYTHON, "-c", code], cwd=PEER_DIR, env=env, check=True)

    token = subprocess.run([PEER_PYTHON, "-c", "PEER_DIR = %r\n" % PEER_DIR + SETUP + "print(access)"],
                           cwd=PEER_DIR, env=env, check=True, capture_output=True, text=True).stdout.strip()
    setups, totals = [], []
    for _ in range(args.starts):
        start = time.time()
        out = subprocess.run([PEER_PYTHON, "-c", COLD, str(start), PEER_DIR, token], cwd=PEER_DIR, env=env,
                             check=True, capture_output=True, text=True).stdout.split()
        setups.append(float(out[0]))
        totals.append(float(out[1]))
    print(json.dumps({"kind": "cold start", "op": "python + django.setup() + info by Bearer", "starts": args.starts,
                      "setup_ms_p50": statistics.median(setups) * 1e3,
                      "first_response_ms_p50": statistics.median(totals) * 1e3,
                      "first_response_ms_min": min(totals) * 1e3,
                      "first_response_ms_max": max(totals) * 1e3}), flush=True)


if __name__ == "__main__":
    sys.exit(main())
