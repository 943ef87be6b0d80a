#!/usr/bin/env python3
"""Differential test: our Lambda functions vs the Django reference ("peer").

    python3 tests/peer/compare.py [--ours http://127.0.0.1:9000] [--peer http://127.0.0.1:8001]
                                  [--peer-rotate http://127.0.0.1:8002] [--only TEXT] [--verbose]

Every case in cases() (the table below) is sent to both servers (concurrently) and the answers are
compared after normalisation: status; body (JWTs -> <jwt>, the reason after
"JSON parse error - " -> <reason>, HTML error pages -> their title); the headers
in RELEVANT; every Set-Cookie (value -> <session32>/<csrf32> plus whether it is
new or the one sent, expires= -> <date> when it agrees with Max-Age); the names
of any other header; and for every JWT in a JSON body its header, claim order
and types, lifetime, jti format, user and signature. One line per case:

    OK name              no difference
    DIFF name            a difference to fix (peer vs ours follows, indented; a "note:"
                         line flags a known cause, e.g. a peer oddity)
    EXPECTED-DIFF name   a difference API.md or README.md lists as deliberate, or that
                         API.md's text prescribes explicitly (the note says which); where
                         ours must give a specific answer instead, it is checked too
                         (want=), otherwise only the deliberate part is masked (mask=)
    SKIP name            not applicable (rotation cases when ours does not rotate)

One rule applies to every case (vary_rule): on the four tutorial views `Vary` is always
`Accept, Cookie` (API.md "Headers on every response"; README lists it), where the peer
sends `Accept` when Basic authentication or a 406 decides before the session is read. So
peer `Accept` vs ours `Accept, Cookie` there is masked; anything else still counts.

Exit code 0 (it is a report), 2 if a server cannot be reached.

Run ours with throttling out of the way (the cases guess passwords on purpose,
and repeated runs fall in one throttle window):
    THROTTLE_USERNAME_ADDRESS_LIMIT=100000 THROTTLE_USERNAME_LIMIT=100000 THROTTLE_IP_LIMIT=100000 \
    CORS_ALLOWED_ORIGINS= JWT_AUTH_REFRESH_COOKIE= SIGNING_KEY=<PEER_SECRET> bash tests/serve.sh

(serve.sh turns on CORS and the refresh cookie for its demo page unless
those are set: empty turns them off, so ours answers with the defaults.)

For the rotation cases (against the rotating peer, --peer-rotate), also set
ROTATE_REFRESH_TOKENS=true and REFRESH_REUSE_DETECTION=false: simplejwt has no
reuse detection, and one case presents an already-rotated token, which with
detection on (our default) revokes the family, as README describes.

Fixtures, idempotent, on both sides: `dave` (inactive) and `erin` (active,
password reset every run; one case changes it to test session invalidation).
The peer side goes through its Django shell, ours through target/debug/authctl;
when a user already exists on our side its id is read with `authctl show`.
Against the local stack (moto enforces IAM), run this after
`source .tools/stack/env` (the stack's admin, endpoints and tables).
The peer checks passwords with PBKDF2 (~1 s each): 29 cases do so.
Standard library only.
"""
import argparse
import base64
import email.utils
import hashlib
import hmac
import http.client
import json
import os
import random
import re
import string
import subprocess
import sys
import time
import urllib.parse
import uuid
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
KEY = os.environ.get("PEER_SECRET", "peer-and-ours-share-this-signing-key-0123456789abcdef")
PEER_DIR = os.environ.get("PEER_DIR", "/work/shared/peer")
PEER_PYTHON = os.environ.get("PEER_PYTHON", "/tmp/peer-venv/bin/python")
DYNAMODB = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:8000")
USERS_TABLE = os.environ.get("USERS_TABLE", "auth-users")
TIMEOUT = 30

PASSWORDS = {
    "alice": "correct horse battery staple",
    "bob": "hunter2-Secret!",
    "dave": "dave-pass-123",   # fixture, inactive on both sides
    "erin": "erin-pass-123",   # fixture, active; its password is changed by one case
}
ERIN_NEW_PASSWORD = "erin-pass-456"
GONE_ID = 999999               # a user id that exists on neither side

API = "/api/v1/users/"
L, LO, JL, INFO = "login", "logout", "login/jwt", "login/jwt/info"
OB, RF, VF, BL = ("login/simpleJWT", "login/simpleJWT/refresh",
                  "login/simpleJWT/verify", "login/simpleJWT/blacklist")

RELEVANT = ["Content-Type", "Allow", "Vary", "WWW-Authenticate", "X-Frame-Options",
            "X-Content-Type-Options", "Referrer-Policy", "Cross-Origin-Opener-Policy"]
IGNORED = {"date", "server", "content-length", "connection", "keep-alive",
           "transfer-encoding", "set-cookie"}
IGNORED_PREFIXES = ("x-amzn-", "x-amz-", "apigw-", "lambda-runtime-")

# Deliberate differences (notes shown with EXPECTED-DIFF).
D1 = "API.md deliberate #1: the reference answers 500, ours a 4xx"
D2 = "API.md deliberate #2: login/jwt tokens carry iat/exp; a jwt-auth token without exp is refused"
D3 = "API.md deliberate #3: 'Token is invalid or expired' instead of simplejwt's wording"
D6 = "API.md deliberate #6: an inactive user is refused on jwt-auth"
D7 = "API.md deliberate #7: 413 for a body over 64 KiB"
R_OPT = "README: OPTIONS metadata renders/parses list only what we do"
R_MULTI = "README: multipart/form-data gets 415"
R_HTML = "README: no browsable API, always JSON"
R_CODE = "README: refresh for an inactive user carries code no_active_account"
A_KEY = ("README (API.md Session login): a login over a live session of the same user issues a new "
         "session key and ends the old session; Django keeps the key")
R_JTI = ("README (API.md intro: a clear 4xx where the reference answers 500): a refresh/blacklist token "
         "without jti -> 401 Token has no id")
R_ODD = ("README: a boolean/float user_id/id claim (true, 1.0) is refused like any non-integer one; "
         "Django coerces it to an integer (true -> 1) and lets the user in (API.md allows only 1 and \"1\")")
EMU = ("ours' 500 (text/plain problem+json, no security headers) comes from `cargo lambda watch`, which "
       "cannot put non-UTF-8 bytes into the API Gateway event; the function never runs")
A_OBJ = ("README (API.md Session login): login with a JSON string or null body -> 400 Malformed request; "
         "the reference answers 500")
R_IAT = "README (API.md: not-yet-valid -> Error decoding token): a jwt-auth token with a future iat"
R_500 = "README: a non-integer user_id/id claim gets a 4xx, not the reference's 500"
A_STR = ("README (API.md Session login): non-string username/password -> 400 Malformed request "
         "(the reference checks the password and answers 403)")
A_VARY = ("API.md (Headers on every response), README: Vary is always 'Accept, Cookie' on the tutorial views; "
          "the reference sends 'Accept' when Basic auth or a 406 decides first")
TUTORIAL = {API + p for p in (L, LO, JL, INFO)}
R_STORE = ("README (Frontends, always on; RFC 6749 5.1): a response that carries a token or sets a "
           "session cookie has Cache-Control: no-store and Pragma: no-cache")
R_AUTH_TIME = ("README (refresh-token families): refresh tokens carry auth_time, the login time their "
               "family's REFRESH_TOKEN_MAX_LIFETIME counts from")

# What ours answers when `cargo lambda watch` refuses a request (EMU): its own 500.
EMU_WANT = dict(status=500, body='{"type":"https://httpstatuses.com/500","status":500,'
                                 '"title":"Internal Server Error"}')


# --------------------------------------------------------------------------- sides

class Side:
    """One server under test, plus what the cases learned about it."""

    def __init__(self, name, base):
        u = urllib.parse.urlsplit(base)
        self.name, self.base = name, base
        self.host, self.port = u.hostname, u.port or 80
        self.ids = {"gone": GONE_ID}   # username -> id on this side
        self.v = {}                    # values saved by earlier cases (sessions, tokens)
        self.other = None              # the other side (to borrow its origin)

    @property
    def origin(self):
        return "http://%s:%d" % (self.host, self.port)

    def user_label(self, value):
        """A user id claim value -> 'alice (str)' etc., so sides with other ids compare."""
        names = {i: n for n, i in self.ids.items()}
        try:
            name = names.get(int(value), "id %r" % (value,))
        except (TypeError, ValueError):
            name = repr(value)
        if isinstance(value, bool):
            name = repr(value)
        return "%s (%s)" % (name, type(value).__name__)


class Resp:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def first(self, name):
        vals = self.all(name)
        return vals[0] if vals else None

    def cookies(self):
        out = {}
        for c in self.all("Set-Cookie"):
            name, _, rest = c.partition("=")
            out[name.strip()] = rest.split(";")[0]
        return out

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return None


def send(side, method, path, headers, body):
    conn = http.client.HTTPConnection(side.host, side.port, timeout=TIMEOUT)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for k, v in headers:
            conn.putheader(k, v)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        r = conn.getresponse()
        return Resp(r.status, r.getheaders(), r.read())
    finally:
        conn.close()


# --------------------------------------------------------------------------- request building helpers

def val(x, s):
    """Case fields may be plain values or functions of the side."""
    return x(s) if callable(x) else x


def J(obj):
    """JSON body (compact)."""
    return lambda s: ("application/json", json.dumps(val(obj, s), separators=(",", ":")).encode())


def F(pairs):
    """Form body; pairs may repeat a key."""
    return lambda s: ("application/x-www-form-urlencoded", urllib.parse.urlencode(val(pairs, s)).encode())


def RAW(ctype, data):
    """Raw body with the given Content-Type (None: no Content-Type header)."""
    return lambda s: (ctype, data if isinstance(data, bytes) else data.encode("utf-8"))


def creds(user, password=None):
    return {"username": user, "password": PASSWORDS[user] if password is None else password}


def basic(user, password=None, raw=None):
    if raw is None:
        raw = ("%s:%s" % (user, PASSWORDS[user] if password is None else password)).encode()
    return "Basic " + base64.b64encode(raw).decode()


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def unb64u(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def sign(claims, alg="HS256", key=KEY, header=None):
    header = {"alg": alg, "typ": "JWT"} if header is None else header
    seg = (b64u(json.dumps(header, separators=(",", ":")).encode()) + "."
           + b64u(json.dumps(claims, separators=(",", ":")).encode()))
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}.get(alg)
    sig = hmac.new(key.encode(), seg.encode(), digest).digest() if digest else b""
    return seg + "." + b64u(sig)


def simple(typ="access", user="alice", drop=(), uid=str, alg="HS256", key=KEY, age=0, **extra):
    """A simplejwt-style token, made per side at request time. age: seconds in the past it was issued."""
    def make(s):
        now = int(time.time()) - age
        life = 300 if typ == "access" else 86400
        c = {"token_type": typ, "exp": now + life, "iat": now, "jti": uuid.uuid4().hex,
             "user_id": uid(s.ids[user])}
        for k in drop:
            c.pop(k, None)
        c.update(extra)
        return sign(c, alg, key)
    return make


def tut(user="alice", drop=(), alg="HS256", key=KEY, age=0, life=86400, **extra):
    """A token like ours from login/jwt: {"id","username","iat","exp"}."""
    def make(s):
        now = int(time.time()) - age
        c = {"id": s.ids[user], "username": user, "iat": now, "exp": now + life}
        for k in drop:
            c.pop(k, None)
        c.update(extra)
        return sign(c, alg, key)
    return make


def bad_sig(tokfn):
    def make(s):
        tok = val(tokfn, s)
        return tok[:-4] + ("AAAA" if not tok.endswith("AAAA") else "BBBB")
    return make


def BEARER(tok, scheme="Bearer"):
    return [("Authorization", lambda s: scheme + " " + val(tok, s))]


def JWTAUTH(tok):
    return [("jwt-auth", tok)]


def saved(key, *path):
    """A value saved by an earlier case: saved('S1', 'csrftoken')."""
    def get(s):
        v = s.v[key]
        for p in path:
            v = v[p]
        return v
    return get


def sess(key, csrf=True, **override):
    """Cookies of session `key` (sessionid + csrftoken), with overrides (None drops one)."""
    def make(s):
        c = {"sessionid": s.v[key]["sessionid"]}
        if csrf:
            c["csrftoken"] = s.v[key]["csrftoken"]
        for k, v in override.items():
            if v is None:
                c.pop(k, None)
            else:
                c[k] = val(v, s)
        return c
    return make


def xcsrf(key, transform=None):
    return [("X-CSRFToken", lambda s: (transform or (lambda t: t))(s.v[key]["csrftoken"]))]


CSRF_CHARS = string.ascii_letters + string.digits


def mask_csrf(secret):
    """Django's masked form of a CSRF secret (64 chars)."""
    mask = "".join(random.choice(CSRF_CHARS) for _ in range(32))
    return mask + "".join(CSRF_CHARS[(CSRF_CHARS.index(x) + CSRF_CHARS.index(m)) % len(CSRF_CHARS)]
                          for x, m in zip(secret, mask))


def rand32():
    return "".join(random.choice(CSRF_CHARS) for _ in range(32))


def save_session(key):
    def save(s, r):
        c = r.cookies()
        if "sessionid" in c:
            s.v[key] = {"sessionid": c["sessionid"], "csrftoken": c.get("csrftoken")}
    return save


def save_json(key):
    def save(s, r):
        if r.status == 200 and isinstance(r.json(), dict):
            s.v[key] = r.json()
    return save


class W:
    """What ours must answer where the peer's answer is deliberately not followed:
    the peer's (normalised) answer to the case named `like`, with `over` replacing fields."""

    def __init__(self, like=None, **over):
        self.like, self.over = like, over


class Case:
    def __init__(self, name, method, path, headers=(), body=None, cookies=None, expect=None,
                 want=None, mask=None, save=None, rotate=False, note=None):
        self.name, self.method, self.path = name, method, API + path
        self.headers, self.body, self.cookies = headers, body, cookies
        self.expect, self.want, self.mask, self.save, self.rotate = expect, want, mask, save, rotate
        self.note = note   # a remark printed with DIFF (does not change the verdict)


class Action:
    """An out-of-band step run on both sides (e.g. change a password)."""

    def __init__(self, name, fn):
        self.name, self.fn = name, fn


# --------------------------------------------------------------------------- masks for deliberate differences

def _body_json(obs):
    try:
        return json.loads(obs["body"])
    except (ValueError, TypeError, KeyError):
        return None


def mask_options(obs, who):
    data = _body_json(obs)
    if isinstance(data, dict):
        data.pop("renders", None)
        data.pop("parses", None)
        obs = dict(obs, body=json.dumps(data, separators=(",", ":")))
    return obs


def mask_no_active_code(obs, who):
    data = _body_json(obs)
    if who == "ours" and isinstance(data, dict) and data.get("code") == "no_active_account":
        data.pop("code")
        obs = dict(obs, body=json.dumps(data, separators=(",", ":")))
    return obs


def mask_tut_iat_exp(obs, who):
    if who != "ours" or "tokens" not in obs:
        return obs
    toks = {}
    for k, shape in obs["tokens"].items():
        shape = dict(shape)
        shape["claims"] = ", ".join(c for c in shape["claims"].split(", ")
                                    if not c.startswith(("iat:", "exp:")))
        for k2 in ("exp-iat", "iat"):
            shape.pop(k2, None)
        toks[k] = shape
    return dict(obs, tokens=toks)


def wording3(obs):
    """simplejwt 5.5's 'Token is invalid' / 'Token is expired' -> our 'Token is invalid or expired'."""
    b = obs.get("body")
    if isinstance(b, str):
        b = b.replace('"Token is invalid"', '"Token is invalid or expired"')
        b = b.replace('"Token is expired"', '"Token is invalid or expired"')
        obs = dict(obs, body=b)
    return obs


# --------------------------------------------------------------------------- the cases

def field_cases(what, path, field, number):
    """`what` (at `path`) with its one field `field` missing, blank, null and a number."""
    return [
        Case(what + " {}", "POST", path, body=J({})),
        Case(what + " blank", "POST", path, body=J({field: ""})),
        Case(what + " null", "POST", path, body=J({field: None})),
        Case(what + " number", "POST", path, body=J({field: number})),
    ]


def cases():
    al, bo, da = creds("alice"), creds("bob"), creds("dave")
    mp = b'--XyZ\r\nContent-Disposition: form-data; name="username"\r\n\r\nalice\r\n--XyZ--\r\n'
    MP = "multipart/form-data; boundary=XyZ"
    access = simple("access")
    refresh = simple("refresh", age=100)           # issued 100 s ago: a refreshed access must be fresh
    other_origin = lambda s: s.other.origin        # noqa: E731
    return [
        # ---- tokens and sessions used further down (password checks: obtain, jwt login)
        Case("obtain alice (JSON)", "POST", OB, body=J(al), save=save_json("pair")),
        Case("jwt login alice", "POST", JL, body=J(al), save=save_json("tut"),
             expect=D2, mask=mask_tut_iat_exp),

        # ---- OPTIONS on every endpoint
        Case("OPTIONS login", "OPTIONS", L, expect=R_OPT, mask=mask_options),
        Case("OPTIONS logout unauthenticated (401 before metadata)", "OPTIONS", LO),
        Case("OPTIONS logout with Bearer", "OPTIONS", LO, headers=BEARER(access), expect=R_OPT, mask=mask_options),
        Case("OPTIONS login/jwt", "OPTIONS", JL, expect=R_OPT, mask=mask_options),
        Case("OPTIONS info unauthenticated (401 before metadata)", "OPTIONS", INFO),
        Case("OPTIONS info with Bearer", "OPTIONS", INFO, headers=BEARER(access), expect=R_OPT, mask=mask_options),
        Case("OPTIONS obtain", "OPTIONS", OB, expect=R_OPT, mask=mask_options),
        Case("OPTIONS refresh", "OPTIONS", RF, expect=R_OPT, mask=mask_options),
        Case("OPTIONS verify", "OPTIONS", VF, expect=R_OPT, mask=mask_options),
        Case("OPTIONS blacklist", "OPTIONS", BL, expect=R_OPT, mask=mask_options),
    ] + [
        # ---- every wrong method on every endpoint (logout and info authenticated by Bearer, else they 401)
        Case("%s %s -> 405" % (m, path), m, path, headers=auth,
             body=J({}) if m in ("POST", "PUT", "PATCH") else None)
        for path, auth in ((L, ()), (JL, ()), (OB, ()), (RF, ()), (VF, ()), (BL, ()),
                           (LO, BEARER(access)), (INFO, BEARER(access)))
        for m in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
        if m not in (("GET", "HEAD") if path == INFO else ("POST",))
    ] + [
        # ---- more method cases
        Case("FOO verify -> 405", "FOO", VF),
        Case("PUT login with bad Basic -> 401 (auth first)", "PUT", L, headers=[("Authorization", "Basic !!!")]),
        Case("POST info unauthenticated -> 401", "POST", INFO),
        Case("GET logout unauthenticated -> 401", "GET", LO),
        Case("HEAD info with Bearer -> 200", "HEAD", INFO, headers=BEARER(access)),
        Case("HEAD info unauthenticated -> 401", "HEAD", INFO),

        # ---- info: nothing / Basic / Token
        Case("info no credentials", "GET", INFO),
        Case("info empty Authorization header", "GET", INFO, headers=[("Authorization", "")]),
        Case("info Basic alice", "GET", INFO, headers=[("Authorization", basic("alice"))]),
        Case("info Basic wrong password", "GET", INFO, headers=[("Authorization", basic("alice", "nope"))]),
        Case("info Basic inactive dave", "GET", INFO, headers=[("Authorization", basic("dave"))]),
        Case("info Basic no credentials", "GET", INFO, headers=[("Authorization", "Basic")]),
        Case("info Basic with spaces", "GET", INFO, headers=[("Authorization", "Basic YWxp Y2U6eA==")]),
        Case("info Basic bad base64", "GET", INFO, headers=[("Authorization", "Basic !!!")]),
        Case("info Basic base64 without padding", "GET", INFO, headers=[("Authorization", "Basic YWxpY2U6eA")]),
        Case("info Basic no colon", "GET", INFO, headers=[("Authorization", basic(None, raw=b"alice"))]),
        Case("info Basic raw non-UTF-8 bytes", "GET", INFO, headers=[("Authorization", "Basic \xff\xfe\xfd")],
             expect=EMU, want=W(**EMU_WANT)),
        Case("info Basic non-UTF-8 credentials (latin-1)", "GET", INFO,
             headers=[("Authorization", basic(None, raw=b"alice:\xff\xfe"))]),
        Case("info Basic base64 with non-alphabet chars", "GET", INFO,
             headers=[("Authorization", "Basic " + base64.b64encode(b"alice:nope").decode()[:4] + "*"
                       + base64.b64encode(b"alice:nope").decode()[4:])]),
        Case("info lowercase 'basic' bad base64", "GET", INFO, headers=[("Authorization", "basic !!!")]),
        Case("info Token abc", "GET", INFO, headers=[("Authorization", "Token abc")]),
        Case("info Token without value", "GET", INFO, headers=[("Authorization", "Token")]),
        Case("info Token with spaces", "GET", INFO, headers=[("Authorization", "Token a b")]),
        Case("info Token non-UTF-8", "GET", INFO, headers=[("Authorization", "Token \xff\xfe")],
             expect=EMU, want=W(**EMU_WANT)),
        Case("info lowercase 'token abc'", "GET", INFO, headers=[("Authorization", "token abc")]),
        Case("info Bearer non-UTF-8", "GET", INFO, headers=[("Authorization", "Bearer \xff\xfe")],
             expect=EMU, want=W(**EMU_WANT)),
        Case("info jwt-auth non-UTF-8", "GET", INFO, headers=[("jwt-auth", "\xff\xfe")],
             expect=EMU, want=W(**EMU_WANT)),
        Case("verify with an unrelated non-UTF-8 header (X-Foo)", "POST", VF, headers=[("X-Foo", "\xff\xfe")],
             body=J({"token": "garbage"}), expect=EMU, want=W(**EMU_WANT)),

        # ---- info: Bearer (simplejwt)
        Case("info Bearer crafted access", "GET", INFO, headers=BEARER(access)),
        Case("info Bearer obtained access", "GET", INFO, headers=BEARER(saved("pair", "access"))),
        Case("info Bearer without value", "GET", INFO, headers=[("Authorization", "Bearer")]),
        Case("info Bearer with two values", "GET", INFO, headers=[("Authorization", "Bearer a b")]),
        Case("info Bearer garbage", "GET", INFO, headers=BEARER("garbage")),
        Case("info Bearer bad signature", "GET", INFO, headers=BEARER(bad_sig(access))),
        Case("info Bearer signed with another key", "GET", INFO, headers=BEARER(simple(key="x" * 40))),
        Case("info Bearer expired", "GET", INFO, headers=BEARER(simple(age=400))),
        Case("info Bearer refresh token (wrong type)", "GET", INFO, headers=BEARER(refresh)),
        Case("info Bearer no exp", "GET", INFO, headers=BEARER(simple(drop=["exp"]))),
        Case("info Bearer no jti", "GET", INFO, headers=BEARER(simple(drop=["jti"]))),
        Case("info Bearer no token_type", "GET", INFO, headers=BEARER(simple(drop=["token_type"]))),
        Case("info Bearer no user_id", "GET", INFO, headers=BEARER(simple(drop=["user_id"]))),
        Case("info Bearer user gone", "GET", INFO, headers=BEARER(simple(user="gone"))),
        Case("info Bearer inactive dave", "GET", INFO, headers=BEARER(simple(user="dave"))),
        Case("info Bearer user_id \"1\" (string)", "GET", INFO, headers=BEARER(simple(uid=str))),
        Case("info Bearer user_id 1 (number)", "GET", INFO, headers=BEARER(simple(uid=int))),
        Case("info Bearer user_id 0", "GET", INFO, headers=BEARER(simple(user_id=0))),
        Case("info Bearer user_id true", "GET", INFO, headers=BEARER(simple(user_id=True)),
             expect=R_ODD, want=W("info Bearer no user_id")),
        Case("info Bearer user_id 1.0", "GET", INFO, headers=BEARER(lambda s: simple(user_id=float(s.ids["alice"]))(s)),
             expect=R_ODD, want=W("info Bearer no user_id")),
        Case("info Bearer with a login/jwt-style token", "GET", INFO, headers=BEARER(tut())),
        Case("info Bearer user_id \"abc\"", "GET", INFO, headers=BEARER(simple(user_id="abc")),
             expect=R_500, want=W("info Bearer no user_id")),
        Case("info Bearer HS512", "GET", INFO, headers=BEARER(simple(alg="HS512"))),
        Case("info Bearer alg none", "GET", INFO, headers=BEARER(simple(alg="none"))),
        Case("info Bearer future nbf", "GET", INFO,
             headers=BEARER(lambda s: simple(nbf=int(time.time()) + 120)(s))),
        Case("info lowercase 'bearer' (nothing presented)", "GET", INFO, headers=BEARER(access, "bearer")),
        Case("info Bearer with two spaces", "GET", INFO, headers=BEARER(access, "Bearer ")),
        Case("info Bearer valid + jwt-auth garbage", "GET", INFO,
             headers=lambda s: BEARER(access) + JWTAUTH("garbage")),
        Case("info Bearer garbage + jwt-auth valid", "GET", INFO,
             headers=lambda s: BEARER("garbage") + JWTAUTH(tut())),
        Case("info Basic bad + jwt-auth valid", "GET", INFO,
             headers=lambda s: [("Authorization", "Basic !!!")] + JWTAUTH(tut())),

        # ---- info: jwt-auth (the tutorial's token)
        Case("info jwt-auth token from jwt login", "GET", INFO, headers=JWTAUTH(saved("tut", "token"))),
        Case("info jwt-auth crafted (iat+exp)", "GET", INFO, headers=JWTAUTH(tut())),
        Case("info jwt-auth garbage", "GET", INFO, headers=JWTAUTH("garbage")),
        Case("info jwt-auth bad signature", "GET", INFO, headers=JWTAUTH(bad_sig(tut()))),
        Case("info jwt-auth expired", "GET", INFO, headers=JWTAUTH(tut(age=100, life=50))),
        Case("info jwt-auth no id", "GET", INFO, headers=JWTAUTH(tut(drop=["id"]))),
        Case("info jwt-auth id 0", "GET", INFO, headers=JWTAUTH(tut(id=0))),
        Case("info jwt-auth id \"1\" (string)", "GET", INFO,
             headers=JWTAUTH(lambda s: tut(id=str(s.ids["alice"]))(s))),
        Case("info jwt-auth id \"abc\"", "GET", INFO, headers=JWTAUTH(tut(id="abc")),
             expect=D1 + "; " + R_500, want=W("info jwt-auth id 0")),
        Case("info jwt-auth no exp (the tutorial's own format)", "GET", INFO, headers=JWTAUTH(tut(drop=["exp"])),
             expect=D2, want=W("info jwt-auth id 0")),
        Case("info jwt-auth exp not a number", "GET", INFO, headers=JWTAUTH(tut(exp="soon"))),
        Case("info jwt-auth user gone", "GET", INFO, headers=JWTAUTH(tut(user="gone"))),
        Case("info jwt-auth inactive dave", "GET", INFO, headers=JWTAUTH(tut(user="dave")),
             expect=D6, want=W("info jwt-auth user gone")),
        Case("info jwt-auth HS512", "GET", INFO, headers=JWTAUTH(tut(alg="HS512")),
             expect=D1, want=W("info jwt-auth garbage")),
        Case("info jwt-auth future nbf", "GET", INFO,
             headers=JWTAUTH(lambda s: tut(nbf=int(time.time()) + 120)(s)),
             expect=D1, want=W("info jwt-auth garbage")),
        Case("info jwt-auth future iat", "GET", INFO,
             headers=JWTAUTH(lambda s: tut(iat=int(time.time()) + 120)(s)),
             expect=D1 + "; " + R_IAT, want=W("info jwt-auth garbage")),
        Case("info jwt-auth empty header", "GET", INFO, headers=JWTAUTH("")),
        Case("info jwt-auth id true", "GET", INFO, headers=JWTAUTH(tut(id=True)),
             expect=R_ODD, want=W("info jwt-auth id 0")),
        Case("info jwt-auth id 1.0", "GET", INFO, headers=JWTAUTH(lambda s: tut(id=float(s.ids["alice"]))(s)),
             expect=R_ODD, want=W("info jwt-auth id 0")),
        Case("info jwt-auth with a simplejwt access token", "GET", INFO, headers=JWTAUTH(access)),
        Case("info Accept: application/xml (Bearer)", "GET", INFO,
             headers=lambda s: BEARER(access) + [("Accept", "application/xml")]),
        Case("info Accept: application/xml unauthenticated (406 before authentication)", "GET", INFO,
             headers=[("Accept", "application/xml")]),
        Case("info Accept: text/html unauthenticated", "GET", INFO, headers=[("Accept", "text/html")],
             expect=R_HTML, want=W("info no credentials")),

        # ---- session login: bodies
        Case("login alice (JSON) -> session S1", "POST", L, body=J(al), save=save_session("S1")),
        Case("login {}", "POST", L, body=J({})),
        Case("login missing password", "POST", L, body=J({"username": "alice"})),
        Case("login missing username", "POST", L, body=J({"password": "x"})),
        Case("login blank username", "POST", L, body=J({"username": "", "password": "x"})),
        Case("login blank password", "POST", L, body=J({"username": "alice", "password": ""})),
        Case("login null username", "POST", L, body=J({"username": None, "password": "x"})),
        Case("login username 0", "POST", L, body=J({"username": 0, "password": "x"})),
        Case("login username 123 (number)", "POST", L, body=J({"username": 123, "password": "x"}),
             expect=A_STR, want=W("login {}")),
        Case("login password [\"x\"] (list)", "POST", L, body=J({"username": "alice", "password": ["x"]}),
             expect=A_STR, want=W("login {}")),
        Case("login JSON array body", "POST", L, body=J(["alice"]), expect=D1, want=W("login {}")),
        Case("login JSON string body", "POST", L, body=J("alice"), expect=A_OBJ, want=W("login {}")),
        Case("login JSON null body", "POST", L, body=J(None), expect=A_OBJ, want=W("login {}")),
        Case("login empty JSON body", "POST", L, body=RAW("application/json", b"")),
        Case("login body without Content-Type", "POST", L, body=RAW(None, json.dumps(al))),
        Case("login form missing password", "POST", L, body=F([("username", "alice")])),
        Case("login text/plain -> 415", "POST", L, body=RAW("text/plain", json.dumps(al))),
        Case("login multipart/form-data", "POST", L, body=RAW(MP, mp), expect=R_MULTI,
             want=W("login text/plain -> 415",
                    body='{"detail":"Unsupported media type \\"multipart/form-data; boundary=XyZ\\" in request."}')),
        Case("login JSON parse error", "POST", L, body=RAW("application/json", '{"username":')),
        Case("login wrong password", "POST", L, body=J(creds("alice", "wrong"))),
        Case("login unknown user", "POST", L, body=J({"username": "nobody", "password": "x"})),
        Case("login inactive dave", "POST", L, body=J(da)),
        Case("login with bad Bearer -> 401", "POST", L, headers=BEARER("garbage"), body=J(al)),

        # ---- session S1: session auth and CSRF (all failures leave S1 alive)
        Case("login with live session S1, no X-CSRFToken -> CSRF", "POST", L, body=J(al),
             cookies=sess("S1")),
        Case("info session S1", "GET", INFO, cookies=sess("S1")),
        Case("POST info session S1 without CSRF", "POST", INFO, cookies=sess("S1")),
        Case("info session S1 with foreign Origin (GET is safe)", "GET", INFO, cookies=sess("S1"),
             headers=[("Origin", "http://evil.example")]),
        Case("info session S1 + Bearer garbage (session wins)", "GET", INFO, cookies=sess("S1"),
             headers=BEARER("garbage")),
        Case("OPTIONS logout session S1 without CSRF", "OPTIONS", LO, cookies=sess("S1"),
             expect=R_OPT, mask=mask_options),
        Case("logout S1 without csrftoken cookie", "POST", LO, cookies=sess("S1", csrf=False),
             headers=xcsrf("S1")),
        Case("logout S1 without X-CSRFToken", "POST", LO, cookies=sess("S1")),
        Case("logout S1 X-CSRFToken wrong length (31)", "POST", LO, cookies=sess("S1"),
             headers=xcsrf("S1", lambda t: t[:31])),
        Case("logout S1 X-CSRFToken invalid characters", "POST", LO, cookies=sess("S1"),
             headers=xcsrf("S1", lambda t: t[:31] + "!")),
        Case("logout S1 X-CSRFToken wrong value", "POST", LO, cookies=sess("S1"),
             headers=[("X-CSRFToken", lambda s: rand32())]),
        Case("logout S1 X-CSRFToken masked form of another secret", "POST", LO, cookies=sess("S1"),
             headers=[("X-CSRFToken", lambda s: mask_csrf(rand32()))]),
        Case("logout S1 foreign Origin", "POST", LO, cookies=sess("S1"), headers=lambda s: xcsrf("S1") + [
            ("Origin", "http://evil.example")]),
        Case("logout S1 foreign Origin and no csrftoken cookie", "POST", LO, cookies=sess("S1", csrf=False),
             headers=[("Origin", "http://evil.example")]),
        Case("logout S1 Origin null", "POST", LO, cookies=sess("S1"),
             headers=lambda s: xcsrf("S1") + [("Origin", "null")]),
        Case("logout S1 Origin of the other server's port", "POST", LO, cookies=sess("S1"),
             headers=lambda s: xcsrf("S1") + [("Origin", other_origin)]),
        Case("logout S1 Origin own host over https", "POST", LO, cookies=sess("S1"),
             headers=lambda s: xcsrf("S1") + [("Origin", s.origin.replace("http:", "https:"))]),
        Case("logout S1 csrftoken cookie wrong length", "POST", LO, cookies=sess("S1", csrftoken="short"),
             headers=[("X-CSRFToken", "short")]),
        Case("logout S1 csrftoken cookie invalid characters", "POST", LO,
             cookies=sess("S1", csrftoken="!" * 32), headers=[("X-CSRFToken", "!" * 32)]),
        Case("logout S1 csrftoken cookie masked (64), no header", "POST", LO,
             cookies=sess("S1", csrftoken=lambda s: mask_csrf(s.v["S1"]["csrftoken"]))),
        Case("logout S1 form field csrfmiddlewaretoken wrong", "POST", LO, cookies=sess("S1"),
             body=F(lambda s: [("csrfmiddlewaretoken", rand32())])),
        Case("verify with live session S1 cookie (no Vary: Cookie)", "POST", VF, cookies=sess("S1"),
             body=J(lambda s: {"token": access(s)})),
        Case("logout S1 with X-CSRFToken -> 200", "POST", LO, cookies=sess("S1"), headers=xcsrf("S1")),
        Case("info dead session S1", "GET", INFO, cookies=sess("S1")),
        Case("logout dead session S1", "POST", LO, cookies=sess("S1"), headers=xcsrf("S1")),
        Case("info dead session S1 + Bearer valid", "GET", INFO, cookies=sess("S1"), headers=BEARER(access)),
        Case("verify with dead session S1 cookie", "POST", VF, cookies=sess("S1"),
             body=J(lambda s: {"token": access(s)})),
        Case("info short sessionid 'abc'", "GET", INFO, cookies={"sessionid": "abc"}),
        Case("info empty sessionid", "GET", INFO, cookies={"sessionid": ""}),
        Case("info unknown 32-char sessionid", "GET", INFO,
             cookies=lambda s: {"sessionid": "".join(random.choice("abcdefghijklmnopqrstuvwxyz0123456789")
                                                     for _ in range(32))}),
        Case("info malformed csrftoken cookie, unauthenticated", "GET", INFO, cookies={"csrftoken": "short"}),
        Case("verify malformed csrftoken cookie", "POST", VF, cookies={"csrftoken": "short"},
             body=J(lambda s: {"token": access(s)})),

        # ---- more sessions: S2 (form login over a dead cookie), S3, S4/S5 (re-login), erin
        Case("login alice (form) with dead sessionid cookie -> S2", "POST", L, cookies=sess("S1", csrf=False),
             body=F([("username", "alice"), ("password", PASSWORDS["alice"])]), save=save_session("S2")),
        Case("logout S2 with masked X-CSRFToken (64) -> 200", "POST", LO, cookies=sess("S2"),
             headers=xcsrf("S2", mask_csrf)),
        Case("login alice with malformed csrftoken cookie -> S3", "POST", L, cookies={"csrftoken": "short"},
             body=J(al), save=save_session("S3")),
        Case("logout S3 with own Origin -> 200", "POST", LO, cookies=sess("S3"),
             headers=lambda s: xcsrf("S3") + [("Origin", s.origin)]),
        Case("login bob -> S4", "POST", L, body=J(bo), save=save_session("S4")),
        Case("login bob again over live S4 with CSRF -> S5", "POST", L, cookies=sess("S4"),
             headers=xcsrf("S4"), body=J(bo), save=save_session("S5"), expect=A_KEY),
        Case("info S4 after bob logged in again over it", "GET", INFO, cookies=sess("S4"), expect=A_KEY),
        Case("info S5 (bob)", "GET", INFO, cookies=sess("S5")),
        Case("login alice over bob's live S5 with CSRF -> S7 (flush, new key)", "POST", L, cookies=sess("S5"),
             headers=xcsrf("S5"), body=J(al), save=save_session("S7")),
        Case("info S5 after alice logged in over it", "GET", INFO, cookies=sess("S5")),
        Case("info S7 (alice)", "GET", INFO, cookies=sess("S7")),
        Case("GET logout with live session S7 -> 405 (no CSRF on GET)", "GET", LO, cookies=sess("S7")),
        Case("logout S7 with form field csrfmiddlewaretoken -> 200", "POST", LO, cookies=sess("S7"),
             body=F(lambda s: [("csrfmiddlewaretoken", s.v["S7"]["csrftoken"])])),
        Case("login erin -> S6", "POST", L, body=J(creds("erin")), save=save_session("S6")),
        Case("info S6 (erin)", "GET", INFO, cookies=sess("S6")),
        Action("change erin's password on both sides", lambda s: s.set_password("erin", ERIN_NEW_PASSWORD)),
        Case("info S6 after erin's password changed", "GET", INFO, cookies=sess("S6")),

        # ---- logout by other means
        Case("logout no credentials", "POST", LO),
        Case("logout with Bearer", "POST", LO, headers=BEARER(access)),
        Case("logout with jwt-auth", "POST", LO, headers=JWTAUTH(tut())),
        Case("logout with Basic alice", "POST", LO, headers=[("Authorization", basic("alice"))]),

        # ---- hand-written JWT login
        Case("jwt login {}", "POST", JL, body=J({})),
        Case("jwt login blank password", "POST", JL, body=J({"username": "alice", "password": ""})),
        Case("jwt login JSON array body", "POST", JL, body=J([]), expect=D1, want=W("jwt login {}")),
        Case("jwt login JSON parse error", "POST", JL, body=RAW("application/json", "{")),
        Case("jwt login text/plain -> 415", "POST", JL, body=RAW("text/plain", "x")),
        Case("jwt login wrong password", "POST", JL, body=J(creds("alice", "wrong")),
             expect=D1 + " (ours: 403 empty, as login)", want=W("login wrong password")),
        Case("jwt login unknown user", "POST", JL, body=J({"username": "nobody", "password": "x"}),
             expect=D1 + " (ours: 403 empty, as login)", want=W("login wrong password")),
        Case("jwt login inactive dave", "POST", JL, body=J(da),
             expect=D1 + " (ours: 403 empty, as login)", want=W("login wrong password")),
        Case("jwt login with bad Basic -> 401", "POST", JL, headers=[("Authorization", "Basic !!!")], body=J(al)),

        # ---- simplejwt obtain
        Case("obtain alice (form)", "POST", OB, body=F([("username", "alice"), ("password", PASSWORDS["alice"])])),
        Case("obtain {}", "POST", OB, body=J({})),
        Case("obtain missing password", "POST", OB, body=J({"username": "alice"})),
        Case("obtain blank username and password", "POST", OB, body=J({"username": "", "password": ""})),
        Case("obtain null username", "POST", OB, body=J({"username": None, "password": "x"})),
        Case("obtain boolean username", "POST", OB, body=J({"username": True, "password": "x"})),
        Case("obtain list username", "POST", OB, body=J({"username": ["alice"], "password": "x"})),
        Case("obtain object password", "POST", OB, body=J({"username": "alice", "password": {"a": 1}})),
        Case("obtain numeric username 123", "POST", OB, body=J({"username": 123, "password": "x"})),
        Case("obtain JSON array body", "POST", OB, body=J([])),
        Case("obtain JSON string body", "POST", OB, body=J("x")),
        Case("obtain JSON number body", "POST", OB, body=J(5)),
        Case("obtain JSON null body", "POST", OB, body=J(None)),
        Case("obtain empty JSON body", "POST", OB, body=RAW("application/json", b"")),
        Case("obtain body without Content-Type", "POST", OB, body=RAW(None, "{}")),
        Case("obtain text/plain with empty body", "POST", OB, body=RAW("text/plain", b"")),
        Case("obtain text/plain -> 415", "POST", OB, body=RAW("text/plain", "{}")),
        Case("obtain text/plain; charset=utf-8 -> 415", "POST", OB, body=RAW("text/plain; charset=utf-8", "{}")),
        Case("obtain application/xml -> 415", "POST", OB, body=RAW("application/xml", "<a/>")),
        Case("obtain application/json-patch+json -> 415", "POST", OB,
             body=RAW("application/json-patch+json", "{}")),
        Case("obtain APPLICATION/JSON (upper case)", "POST", OB, body=RAW("APPLICATION/JSON", "{}")),
        Case("obtain application/json; charset=utf-8", "POST", OB,
             body=RAW("application/json; charset=utf-8", "{}")),
        Case("obtain multipart/form-data", "POST", OB, body=RAW(MP, mp), expect=R_MULTI,
             want=W("obtain text/plain -> 415",
                    body='{"detail":"Unsupported media type \\"multipart/form-data; boundary=XyZ\\" in request."}')),
        Case("obtain JSON parse error", "POST", OB, body=RAW("application/json", '{"username":"alice",}')),
        Case("obtain JSON NaN", "POST", OB, body=RAW("application/json", '{"username":NaN,"password":"x"}')),
        Case("obtain JSON invalid UTF-8", "POST", OB,
             body=RAW("application/json", b'{"username":"\xff","password":"x"}'), expect=EMU, want=W(**EMU_WANT)),
        Case("verify form body with non-UTF-8 bytes", "POST", VF,
             body=RAW("application/x-www-form-urlencoded", b"token=\xff\xfe")),
        Case("obtain JSON trailing data", "POST", OB, body=RAW("application/json", '{} {}')),
        Case("obtain wrong password", "POST", OB, body=J(creds("alice", "wrong"))),
        Case("obtain unknown user", "POST", OB, body=J({"username": "nobody", "password": "x"})),
        Case("obtain inactive dave", "POST", OB, body=J(da)),
        Case("obtain username/password with surrounding spaces", "POST", OB,
             body=J({"username": " alice ", "password": " %s " % PASSWORDS["alice"]})),
        Case("obtain {} with garbage Bearer (no authentication here)", "POST", OB,
             headers=BEARER("garbage"), body=J({})),
        Case("obtain {} with Accept: application/xml", "POST", OB, headers=[("Accept", "application/xml")],
             body=J({})),

        # ---- refresh
        Case("refresh crafted refresh (issued 100 s ago)", "POST", RF, body=J(lambda s: {"refresh": refresh(s)})),
        Case("refresh obtained refresh", "POST", RF, body=J(lambda s: {"refresh": s.v["pair"]["refresh"]})),
        Case("refresh (form)", "POST", RF, body=F(lambda s: [("refresh", refresh(s))])),
        *field_cases("refresh", RF, "refresh", 123),
        Case("refresh JSON array body", "POST", RF, body=J([])),
        Case("refresh JSON parse error", "POST", RF, body=RAW("application/json", "[")),
        Case("refresh text/plain -> 415", "POST", RF, body=RAW("text/plain", "x")),
        Case("refresh garbage", "POST", RF, body=J({"refresh": "garbage"})),
        Case("refresh bad signature", "POST", RF, body=J(lambda s: {"refresh": bad_sig(refresh)(s)})),
        Case("refresh expired", "POST", RF, body=J(lambda s: {"refresh": simple("refresh", age=86500)(s)})),
        Case("refresh with an access token", "POST", RF, body=J(lambda s: {"refresh": access(s)})),
        Case("refresh no exp", "POST", RF, body=J(lambda s: {"refresh": simple("refresh", drop=["exp"])(s)})),
        Case("refresh no jti", "POST", RF, body=J(lambda s: {"refresh": simple("refresh", drop=["jti"])(s)}),
             expect=R_JTI, want=W("refresh no exp", body='{"detail":"Token has no id","code":"token_not_valid"}')),
        Case("refresh no token_type", "POST", RF,
             body=J(lambda s: {"refresh": simple("refresh", drop=["token_type"])(s)})),
        Case("refresh HS512", "POST", RF, body=J(lambda s: {"refresh": simple("refresh", alg="HS512")(s)})),
        Case("refresh no user_id", "POST", RF,
             body=J(lambda s: {"refresh": simple("refresh", drop=["user_id"])(s)})),
        Case("refresh user_id 1 (number)", "POST", RF,
             body=J(lambda s: {"refresh": simple("refresh", uid=int)(s)})),
        Case("refresh inactive dave", "POST", RF, body=J(lambda s: {"refresh": simple("refresh", user="dave")(s)}),
             expect=R_CODE, mask=mask_no_active_code),
        Case("refresh user gone", "POST", RF, body=J(lambda s: {"refresh": simple("refresh", user="gone")(s)}),
             expect=D1, want=W("refresh inactive dave",
                               body='{"detail":"No active account found for the given token.",'
                                    '"code":"no_active_account"}')),
        Case("refresh user_id \"abc\"", "POST", RF,
             body=J(lambda s: {"refresh": simple("refresh", user_id="abc")(s)}),
             expect=R_500 + " (on refresh: no_active_account)",
             want=W("refresh inactive dave", body='{"detail":"No active account found for the given token.",'
                                                  '"code":"no_active_account"}')),

        # ---- verify
        Case("verify crafted access", "POST", VF, body=J(lambda s: {"token": access(s)})),
        Case("verify crafted refresh", "POST", VF, body=J(lambda s: {"token": refresh(s)})),
        Case("verify obtained access", "POST", VF, body=J(lambda s: {"token": s.v["pair"]["access"]})),
        Case("verify (form)", "POST", VF, body=F(lambda s: [("token", access(s))])),
        *field_cases("verify", VF, "token", 5),
        Case("verify text/plain -> 415", "POST", VF, body=RAW("text/plain", "x")),
        Case("verify JSON parse error", "POST", VF, body=RAW("application/json", "{'token': 1}")),
        Case("verify garbage", "POST", VF, body=J({"token": "garbage"})),
        Case("verify bad signature", "POST", VF, body=J(lambda s: {"token": bad_sig(access)(s)})),
        Case("verify expired", "POST", VF, body=J(lambda s: {"token": simple(age=400)(s)})),
        Case("verify no exp", "POST", VF, body=J(lambda s: {"token": simple(drop=["exp"])(s)})),
        Case("verify no jti", "POST", VF, body=J(lambda s: {"token": simple(drop=["jti"])(s)})),
        Case("verify no token_type", "POST", VF, body=J(lambda s: {"token": simple(drop=["token_type"])(s)})),
        Case("verify no user_id", "POST", VF, body=J(lambda s: {"token": simple(drop=["user_id"])(s)})),
        Case("verify HS512", "POST", VF, body=J(lambda s: {"token": simple(alg="HS512")(s)})),
        Case("verify token with surrounding spaces", "POST", VF, body=J(lambda s: {"token": " %s " % access(s)})),
        Case("verify duplicate JSON key (last wins in Python)", "POST", VF,
             body=lambda s: ("application/json", ('{"token":"garbage","token":"%s"}' % access(s)).encode())),
        Case("verify repeated form key (last wins)", "POST", VF,
             body=F(lambda s: [("token", "garbage"), ("token", access(s))])),
        Case("verify Accept: image/* -> 406", "POST", VF, headers=[("Accept", "image/*")],
             body=J(lambda s: {"token": access(s)})),
        Case("verify empty Accept header -> 406", "POST", VF, headers=[("Accept", "")],
             body=J(lambda s: {"token": access(s)})),
        Case("verify Accept: application/xml, */*;q=0.1 (not 406)", "POST", VF,
             headers=[("Accept", "application/xml, */*;q=0.1")], body=J(lambda s: {"token": access(s)})),
        Case("verify body over 64 KiB", "POST", VF, body=J({"token": "a" * 70000}),
             expect=D7, want=W("verify text/plain -> 415", status=413,
                               body='{"detail":"Request body too large."}')),

        # ---- blacklist
        Case("blacklist {}", "POST", BL, body=J({})),
        Case("blacklist text/plain -> 415", "POST", BL, body=RAW("text/plain", "x")),
        Case("blacklist fresh refresh R", "POST", BL,
             body=J(lambda s: {"refresh": s.v.setdefault("R", simple("refresh")(s))})),
        Case("blacklist R again", "POST", BL, body=J(lambda s: {"refresh": s.v["R"]})),
        Case("refresh blacklisted R", "POST", RF, body=J(lambda s: {"refresh": s.v["R"]})),
        Case("verify blacklisted R", "POST", VF, body=J(lambda s: {"token": s.v["R"]})),
        Case("blacklist an access token", "POST", BL, body=J(lambda s: {"refresh": access(s)})),
        Case("blacklist garbage", "POST", BL, body=J({"refresh": "garbage"})),
        Case("blacklist expired refresh", "POST", BL,
             body=J(lambda s: {"refresh": simple("refresh", age=86500)(s)})),
        Case("blacklist refresh of a gone user", "POST", BL,
             body=J(lambda s: {"refresh": simple("refresh", user="gone")(s)})),
        Case("blacklist refresh of inactive dave", "POST", BL,
             body=J(lambda s: {"refresh": simple("refresh", user="dave")(s)})),
        Case("blacklist refresh without jti", "POST", BL,
             body=J(lambda s: {"refresh": simple("refresh", drop=["jti"])(s)}),
             expect=R_JTI, want=W("blacklist garbage", body='{"detail":"Token has no id","code":"token_not_valid"}')),
        Case("blacklist refresh without user_id", "POST", BL,
             body=J(lambda s: {"refresh": simple("refresh", drop=["user_id"])(s)})),
        Case("blacklist (form)", "POST", BL, body=F(lambda s: [("refresh", simple("refresh")(s))])),
        Case("blacklist the obtained refresh", "POST", BL, body=J(lambda s: {"refresh": s.v["pair"]["refresh"]})),
        Case("info Bearer obtained access after its refresh is blacklisted", "GET", INFO,
             headers=BEARER(saved("pair", "access"))),
        Case("refresh the blacklisted obtained refresh", "POST", RF,
             body=J(lambda s: {"refresh": s.v["pair"]["refresh"]})),

        # ---- rotation: peer on --peer-rotate vs ours (only if ours rotates)
        Case("rotate: refresh returns access and refresh", "POST", RF, rotate=True,
             body=J(lambda s: {"refresh": s.v.setdefault("ROT", simple("refresh")(s))}), save=save_json("rot")),
        Case("rotate: the presented refresh is blacklisted", "POST", RF, rotate=True,
             body=J(lambda s: {"refresh": s.v["ROT"]})),
        Case("rotate: the new refresh works", "POST", RF, rotate=True,
             body=J(lambda s: {"refresh": s.v["rot"]["refresh"]})),
        Case("rotate: verify the rotated-away refresh", "POST", VF, rotate=True,
             body=J(lambda s: {"token": s.v["ROT"]})),
    ]


# --------------------------------------------------------------------------- normalising answers

JWT_RE = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*")
PARSE_RE = re.compile(r'("JSON parse error - )(?:[^"\\]|\\.)*"')
DATE_RE = re.compile(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d[ -]\w{3}[ -]\d{4} \d\d:\d\d:\d\d GMT")


def norm_text(text):
    text = JWT_RE.sub("<jwt>", text)
    text = PARSE_RE.sub(r'\1<reason>"', text)
    return DATE_RE.sub("<date>", text)


def norm_side(text, side):
    """Per-side values in a body: the server's own / the other server's host, user ids."""
    text = text.replace("%s:%d" % (side.host, side.port), "<own host>")
    if side.other is not None:
        text = text.replace("%s:%d" % (side.other.host, side.other.port), "<other host>")
    names = {i: n for n, i in side.ids.items()}
    return re.sub(r'"id":(\d+)', lambda m: '"id":<id of %s>' % names[int(m.group(1))]
                  if int(m.group(1)) in names else m.group(0), text)


def norm_cookie(raw, sent):
    parts = [p.strip() for p in raw.split(";")]
    name, _, value = parts[0].partition("=")
    shown = value
    if name == "sessionid" and re.fullmatch(r"[a-z0-9]{32}", value):
        shown = "<session32>"
    elif name == "csrftoken" and re.fullmatch(r"[A-Za-z0-9]{32}", value):
        shown = "<csrf32>"
    if shown != value and name in sent:
        shown = shown[:-1] + (":same-as-sent>" if sent[name] == value else ":new>")
    max_age = None
    for p in parts[1:]:
        if p.lower().startswith("max-age="):
            try:
                max_age = int(p.split("=", 1)[1])
            except ValueError:
                pass
    attrs = []
    for p in parts[1:]:
        k, _, v = p.partition("=")
        if k.lower() == "expires" and v != "Thu, 01 Jan 1970 00:00:00 GMT":
            try:
                delta = email.utils.parsedate_to_datetime(v).timestamp() - time.time()
                ok = max_age is not None and abs(delta - max_age) <= 10
                note = "" if ok else " now%+ds, Max-Age %s" % (delta, max_age)
            except (TypeError, ValueError):
                note = " unparseable %r" % v
            attrs.append("%s=<date%s>" % (k, note))
        else:
            attrs.append(p)
    return "; ".join([name + "=" + shown] + attrs)


def token_shape(tok, side):
    try:
        h, p, sig = tok.split(".")
        header = unb64u(h).decode("utf-8", "replace")
        pairs = json.loads(unb64u(p), object_pairs_hook=lambda kv: kv)
    except ValueError as e:
        return {"error": "undecodable token (%s)" % e}
    # README (lifecycle): our tokens also carry a `kid` header and `fam`/`gen`
    # claims; they are compared without them (the rest must match).
    if getattr(side, "name", "") == "ours":
        try:
            hd = json.loads(header)
            if isinstance(hd, dict) and "kid" in hd:
                hd.pop("kid")
                header = json.dumps(hd, separators=(",", ":"), sort_keys=True)
        except ValueError:
            pass
        pairs = [(k, v) for k, v in pairs if k not in ("fam", "gen")]
    shape = {"header": header,
             "claims": ", ".join("%s:%s" % (k, type(v).__name__) for k, v in pairs)}
    d = dict(pairs)
    if isinstance(d.get("exp"), int) and isinstance(d.get("iat"), int):
        life = d["exp"] - d["iat"]
        # simplejwt takes exp from the refresh token's clock reading and iat from the access
        # token's, a moment later: across a second boundary the peer gives 299 for 300.
        shape["exp-iat"] = life + 1 if life + 1 in (300, 86400) else life
    if isinstance(d.get("iat"), int):
        off = d["iat"] - int(time.time())
        shape["iat"] = "now" if abs(off) <= 5 else "now%+ds" % off
    if "jti" in d:
        shape["jti"] = "32 lowercase hex" if re.fullmatch(r"[0-9a-f]{32}", str(d["jti"])) else repr(d["jti"])
    for k in ("token_type", "username"):
        if k in d:
            shape[k] = d[k]
    for k in ("user_id", "id"):
        if k in d:
            shape[k] = side.user_label(d[k])
    good = b64u(hmac.new(KEY.encode(), (h + "." + p).encode(), hashlib.sha256).digest())
    shape["signature"] = "HS256 with the shared key" if hmac.compare_digest(good, sig) else "NOT the shared key"
    return shape


def observe(side, resp, sent_cookies):
    o = {"status": resp.status}
    ctype = resp.first("Content-Type") or ""
    text = resp.body.decode("utf-8", "replace")
    if ctype.startswith("text/html"):
        m = re.search(r"<title>(.*?)</title>", text, re.S)
        o["body"] = "<HTML page: %s>" % (m.group(1).strip() if m else "%d bytes" % len(resp.body))
    else:
        o["body"] = norm_side(norm_text(text), side)
    o["headers"] = {h: " | ".join(resp.all(h)) for h in RELEVANT if resp.all(h)}
    o["set-cookie"] = [norm_cookie(c, sent_cookies) for c in resp.all("Set-Cookie")]
    o["other headers"] = sorted({k.lower() for k, _ in resp.headers}
                                - IGNORED - {h.lower() for h in RELEVANT}
                                - {k.lower() for k, _ in resp.headers if k.lower().startswith(IGNORED_PREFIXES)})
    data = resp.json() if ctype.startswith("application/json") else None
    if isinstance(data, dict):
        toks = {k: token_shape(v, side) for k, v in data.items()
                if isinstance(v, str) and JWT_RE.fullmatch(v)}
        if toks:
            o["tokens"] = toks
    return o


def run_one(side, case):
    """Build the request for this side, send it, observe the answer. Never raises."""
    try:
        headers = [(k, val(v, side)) for k, v in val(case.headers, side)]
        cookies = val(case.cookies, side) or {}
        if cookies:
            headers.append(("Cookie", "; ".join("%s=%s" % kv for kv in cookies.items())))
        body = None
        if case.body is not None:
            ctype, body = val(case.body, side)
            if ctype is not None:
                headers.append(("Content-Type", ctype))
    except (KeyError, TypeError) as e:
        return {"error": "cannot build the request (an earlier case did not save %s)" % e}, None
    try:
        resp = send(side, case.method, case.path, headers, body)
    except (OSError, http.client.HTTPException) as e:
        return {"error": "request failed: %r" % e}, None
    if case.save:
        case.save(side, resp)
    return observe(side, resp, cookies), resp


# --------------------------------------------------------------------------- comparing

ORDER = ["error", "status", "body", "headers", "set-cookie", "other headers", "tokens"]


def diff(a, b, prefix=""):
    """[(label, a_value, b_value)] for every leaf that differs."""
    out = []
    keys = [k for k in ORDER if k in a or k in b] + sorted((set(a) | set(b)) - set(ORDER))
    for k in keys:
        x, y = a.get(k), b.get(k)
        if x == y:
            continue
        label = (prefix + " " + k).strip()
        if isinstance(x, dict) or isinstance(y, dict):
            if isinstance(x, dict) and isinstance(y, dict):
                out += diff(x, y, label)
            else:
                out.append((label, x, y))
        else:
            out.append((label, x, y))
    return out


def vary_rule(case, peer_obs, ours_obs):
    """On a tutorial view, peer `Vary: Accept` vs ours `Vary: Accept, Cookie` is deliberate (A_VARY):
    -> (peer_obs with ours' Vary value, True); otherwise (peer_obs, False)."""
    ph, oh = peer_obs.get("headers") or {}, ours_obs.get("headers") or {}
    if case.path in TUTORIAL and ph.get("Vary") == "Accept" and oh.get("Vary") == "Accept, Cookie":
        return dict(peer_obs, headers=dict(ph, Vary="Accept, Cookie")), True
    return peer_obs, False


def always_on(peer_obs, ours_obs):
    """What every case may differ in by design, masked in ours' observation:
    -> (ours_obs masked, [notes])."""
    o, notes = dict(ours_obs), []
    credential = "tokens" in o or any("sessionid" in str(c) for c in o.get("set-cookie") or [])
    added = set(o.get("other headers") or []) - set(peer_obs.get("other headers") or [])
    if credential and {"cache-control", "pragma"} <= added:
        o["other headers"] = [h for h in o["other headers"] if h not in ("cache-control", "pragma")]
        notes.append(R_STORE)
    ptoks, otoks = peer_obs.get("tokens") or {}, o.get("tokens") or {}
    if "refresh" in otoks and "refresh" in ptoks:
        pc, oc = ptoks["refresh"].get("claims"), otoks["refresh"].get("claims")
        if isinstance(oc, str) and isinstance(pc, str) and oc == pc + ", auth_time:int":
            o["tokens"] = dict(otoks, refresh=dict(otoks["refresh"], claims=pc))
            notes.append(R_AUTH_TIME)
    return o, notes


def judge(case, p, o, peer_seen):
    """-> (verdict, diff lines, labels, note)."""
    d = diff(p, o)
    if not d:
        return "OK", d, ("peer", "ours"), None
    o, by_design = always_on(p, o)
    p, vary = vary_rule(case, p, o)

    def also_vary(note):
        return "; ".join(x for x in (note, A_VARY if vary else None, *by_design) if x)

    if not diff(p, o):
        return "EXPECTED-DIFF", d, ("peer", "ours"), also_vary(None)
    if not diff(wording3(p), o):
        return "EXPECTED-DIFF", d, ("peer", "ours"), also_vary(D3)
    if case.want is not None:
        ref = dict(wording3(peer_seen.get(case.want.like, {}))) if case.want.like else {}
        if case.want.like and not ref:
            return "DIFF", d, ("peer", "ours"), "(cannot check: case %r did not run)" % case.want.like
        ref, vary_ref = vary_rule(case, ref, o)
        ref.update(case.want.over)
        dd = diff(ref, {k: o.get(k) for k in ref})
        if not dd:
            vary = vary or vary_ref
            return "EXPECTED-DIFF", d, ("peer", "ours"), also_vary(case.expect)
        if case.want.like:
            wanted = "the peer's answer to %r%s" % (case.want.like, " with " + ", ".join(case.want.over)
                                                     if case.want.over else "")
        else:
            wanted = "given: " + ", ".join(case.want.over)
        return "DIFF", dd, ("want", "ours"), "%s, but ours differs from the expected answer (%s)" % (case.expect,
                                                                                                     wanted)
    if case.mask is not None:
        dd = diff(case.mask(wording3(p), "peer"), case.mask(o, "ours"))
        if not dd:
            return "EXPECTED-DIFF", d, ("peer", "ours"), also_vary(case.expect)
        return "DIFF", dd, ("peer", "ours"), "%s; what remains after masking that:" % also_vary(case.expect)
    if case.expect:
        return "EXPECTED-DIFF", d, ("peer", "ours"), also_vary(case.expect)
    if vary:
        return "DIFF", diff(p, o), ("peer", "ours"), also_vary(case.note) + "; what remains after masking that:"
    return "DIFF", d, ("peer", "ours"), case.note


def show(x):
    if x is None:
        return "(absent)"
    if isinstance(x, list):
        return "[]" if not x else ("\n" + "\n".join("          " + str(i) for i in x))
    return str(x)


def print_diff(lines, labels, note):
    if note:
        print("    note: " + note)
    for label, a, b in lines:
        print("    %s:" % label)
        print("      %s: %s" % (labels[0], show(a)))
        print("      %s: %s" % (labels[1], show(b)))


# --------------------------------------------------------------------------- fixtures

def peer_shell(code):
    env = dict(os.environ, PEER_SECRET=KEY)
    r = subprocess.run([PEER_PYTHON, "manage.py", "shell", "-v", "0", "-c", code], cwd=PEER_DIR,
                       env=env, capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise RuntimeError("peer shell failed: %s" % r.stderr.strip()[-2000:])
    return r.stdout


def ours_env():
    """authctl's environment: the local stack's admin (`source .tools/stack/env`
    before running this; moto enforces IAM), or without it DynamoDB Local's
    placeholder keys."""
    env = dict(os.environ)
    env.setdefault("AWS_ENDPOINT_URL_DYNAMODB", DYNAMODB)
    env.setdefault("AWS_REGION", "us-east-1")
    if "AWS_PROFILE" not in env:
        env.setdefault("AWS_ACCESS_KEY_ID", "local")
        env.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    return env


def authctl(args, stdin=None):
    return subprocess.run([os.path.join(REPO, "target", "debug", "authctl")] + args, cwd=REPO,
                          env=ours_env(), input=stdin, capture_output=True, text=True, timeout=120)


def ours_user_id(name):
    """Our user id of `name` (authctl show); None if absent."""
    r = authctl(["show", name])
    if r.returncode == 3:
        return None
    if r.returncode != 0:
        raise RuntimeError("authctl show %s: exit %d %s" % (name, r.returncode, r.stderr.strip()))
    for line in r.stdout.splitlines():
        if line.startswith("id: "):
            return int(line[4:])
    raise RuntimeError("authctl show %s: no id in %r" % (name, r.stdout))


def setup_peer(peer):
    out = peer_shell(r'''
import json
from users.models import User
for name, pw, active in %r:
    u, _ = User.objects.get_or_create(username=name)
    u.set_password(pw)
    u.is_active = active
    u.save()
print("IDS=" + json.dumps({u.username: u.id for u in User.objects.all()}))
''' % [("dave", PASSWORDS["dave"], False), ("erin", PASSWORDS["erin"], True)])
    ids = json.loads(out.split("IDS=", 1)[1])
    for name in ("alice", "bob", "dave", "erin"):
        peer.ids[name] = ids[name]


def setup_ours(ours):
    for name, active in (("dave", False), ("erin", True)):
        r = authctl(["create-user", name, "--password-stdin"], PASSWORDS[name])
        if r.returncode == 4 and name == "dave":
            pass                # taken, password never changed: keep it (a reset would
                                # revoke the tokens the cases craft for dave, gen 0)
        elif r.returncode == 4:   # taken: reset the password, look the id up
            r2 = authctl(["set-password", name, "--password-stdin"], PASSWORDS[name])
            if r2.returncode != 0:
                raise RuntimeError("authctl set-password %s: %s" % (name, r2.stderr.strip()))
        elif r.returncode != 0:
            raise RuntimeError("authctl create-user %s: exit %d %s" % (name, r.returncode, r.stderr.strip()))
        if not active:
            r3 = authctl(["deactivate", name])
            if r3.returncode != 0:
                raise RuntimeError("authctl deactivate %s: %s" % (name, r3.stderr.strip()))
    for name in ("alice", "bob", "dave", "erin"):
        uid = ours_user_id(name)
        if uid is None:
            raise RuntimeError("user %s not found in our users table %s" % (name, USERS_TABLE))
        ours.ids[name] = uid


def set_password_peer(name, pw):
    peer_shell("from users.models import User\nu = User.objects.get(username=%r)\n"
               "u.set_password(%r)\nu.save()\n" % (name, pw))


def set_password_ours(name, pw):
    r = authctl(["set-password", name, "--password-stdin"], pw)
    if r.returncode != 0:
        raise RuntimeError("authctl set-password %s: %s" % (name, r.stderr.strip()))


# --------------------------------------------------------------------------- main

def reachable(side):
    try:
        send(side, "OPTIONS", API + VF, [], None)
        return True
    except OSError:
        return False


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ours", default="http://127.0.0.1:9000")
    ap.add_argument("--peer", default="http://127.0.0.1:8001")
    ap.add_argument("--peer-rotate", default="http://127.0.0.1:8002",
                    help="a peer with ROTATE_REFRESH_TOKENS=True (same DB), for the rotation cases")
    ap.add_argument("--only", help="run only cases whose name contains this (cases they depend on may be missing)")
    ap.add_argument("--verbose", action="store_true", help="also print both normalised answers of OK cases")
    a = ap.parse_args()

    peer, ours = Side("peer", a.peer), Side("ours", a.ours)
    peer_rot = Side("peer", a.peer_rotate)
    peer.other, ours.other, peer_rot.other = ours, peer, ours
    for s in (peer, ours):
        if not reachable(s):
            print("cannot reach %s at %s" % (s.name, s.base))
            return 2

    print("setting up fixtures (dave inactive, erin active) on both sides ...", flush=True)
    try:
        setup_peer(peer)
        setup_ours(ours)
    except (RuntimeError, OSError, ValueError, KeyError, subprocess.SubprocessError) as e:
        print("fixture setup failed: %s" % e)
        return 2
    peer_rot.ids, peer_rot.v = peer.ids, peer.v
    peer.set_password = lambda name, pw: set_password_peer(name, pw)
    ours.set_password = lambda name, pw: set_password_ours(name, pw)
    print("user ids  peer: %s\n          ours: %s" % (peer.ids, ours.ids))

    # Does ours rotate refresh tokens?  (A crafted refresh token; no password check.)
    probe = send(ours, "POST", API + RF, [("Content-Type", "application/json")],
                 json.dumps({"refresh": simple("refresh")(ours)}).encode()).json() or {}
    ours_rotates = "refresh" in probe
    rot_ok = ours_rotates and reachable(peer_rot)
    if not ours_rotates:
        print("rotation cases skipped: ours answers refresh without a new refresh token "
              "(ROTATE_REFRESH_TOKENS is off on %s)" % ours.base)
    elif not rot_ok:
        print("rotation cases skipped: cannot reach the rotating peer at %s" % a.peer_rotate)
    print()

    counts = {"OK": 0, "DIFF": 0, "EXPECTED-DIFF": 0, "SKIP": 0}
    peer_seen = {}
    pool = ThreadPoolExecutor(max_workers=2)
    for case in cases():
        if a.only and a.only not in case.name:
            continue
        if isinstance(case, Action):
            print("-- %s" % case.name, flush=True)
            for s in (peer, ours):
                case.fn(s)
            continue
        if case.rotate and not rot_ok:
            counts["SKIP"] += 1
            print("SKIP %s" % case.name)
            continue
        ps = peer_rot if case.rotate else peer
        fp, fo = pool.submit(run_one, ps, case), pool.submit(run_one, ours, case)
        (p, _), (o, _) = fp.result(), fo.result()
        if "error" in p and "error" in o and p["error"].startswith("cannot build"):
            counts["SKIP"] += 1
            print("SKIP %s (%s)" % (case.name, p["error"]))
            continue
        peer_seen[case.name] = p
        verdict, lines, labels, note = judge(case, p, o, peer_seen)
        counts[verdict] += 1
        print("%s %s" % (verdict, case.name), flush=True)
        if verdict != "OK":
            print("    > %s %s" % (case.method, case.path))
            print_diff(lines, labels, note)
        elif a.verbose:
            print("    " + json.dumps(p, sort_keys=True))
    pool.shutdown()
    # Leave erin with the fixture password (the next run resets it anyway).
    try:
        set_password_peer("erin", PASSWORDS["erin"])
        set_password_ours("erin", PASSWORDS["erin"])
    except (RuntimeError, OSError, subprocess.SubprocessError) as e:
        print("note: could not reset erin's password: %s" % e)
    total = sum(counts.values())
    print("\n%d cases: %d OK, %d DIFF, %d EXPECTED-DIFF, %d SKIP"
          % (total, counts["OK"], counts["DIFF"], counts["EXPECTED-DIFF"], counts["SKIP"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
