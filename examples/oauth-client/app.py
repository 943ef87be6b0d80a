#!/usr/bin/env python3
"""A third-party app that offers "Log in with <this service>": an OpenID
Connect relying party on its own origin (http://localhost:3002 by default),
a confidential client using the authorization-code flow with PKCE, written
with Python's standard library only, so that every step shows.

    OAUTH_ISSUER=http://localhost:9000/api/v1/users \
    OAUTH_CLIENT_ID=... OAUTH_CLIENT_SECRET=... python3 examples/oauth-client/app.py

`tests/serve.sh` with OAUTH_ENABLED=true registers it (`authctl clients
add`, third-party: its users see the consent page) and starts it.

GET /          a page with the "Log in with …" link, or who you are
GET /login     → the provider's authorization endpoint (state, nonce, PKCE S256)
GET /callback  ← the code: checks state and iss (RFC 9207), redeems the code
               at the token endpoint (client_secret_basic + code_verifier),
               checks the id_token's iss, aud, nonce and exp (its signature
               is the token endpoint's TLS word here, OpenID Connect Core
               §3.1.3.7; a library such as openid-client or Authlib also
               checks it against the JWKS), then calls userinfo
GET /logout    forgets the local session (the provider's stays)
"""

import base64
import hashlib
import html
import json
import os
import secrets
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from http import cookies
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ISSUER = os.environ.get("OAUTH_ISSUER", "http://localhost:9000/api/v1/users").rstrip("/")
CLIENT_ID = os.environ["OAUTH_CLIENT_ID"]
CLIENT_SECRET = os.environ["OAUTH_CLIENT_SECRET"]
PORT = int(os.environ.get("PORT", "3002"))
HOST = os.environ.get("HOST", "127.0.0.1")
REDIRECT_URI = os.environ.get("OAUTH_REDIRECT_URI", f"http://localhost:{PORT}/callback")
SERVICE = os.environ.get("OAUTH_SERVICE_NAME", "this service")

# Pending logins (by a random cookie) and logged-in visitors (by another).
pending = {}
sessions = {}


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def discovery():
    with urllib.request.urlopen(f"{ISSUER}/.well-known/openid-configuration", timeout=10) as r:
        return json.load(r)


def post_form(url, fields):
    body = urllib.parse.urlencode(fields).encode()
    basic = base64.b64encode(
        f"{urllib.parse.quote(CLIENT_ID, safe='')}:{urllib.parse.quote(CLIENT_SECRET, safe='')}".encode()
    ).decode()
    request = urllib.request.Request(
        url,
        data=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Authorization": f"Basic {basic}",
            "Accept": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def claims_of(jwt: str) -> dict:
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Partner app</title>
<style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}}
pre{{background:#f4f4f4;padding:1rem;overflow:auto}}</style></head>
<body><h1>Partner app</h1><p><em>A third-party app on its own origin.</em></p>{body}</body></html>"""


class Handler(BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):  # no codes or tokens in the console
        sys.stderr.write(f"oauth-client: {self.command} {self.path.split('?')[0]}\n")

    def cookie(self, name):
        jar = cookies.SimpleCookie(self.headers.get("Cookie", ""))
        return jar[name].value if name in jar else None

    def send(self, status, body="", headers=()):
        data = body.encode()
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        if data:
            self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def page(self, body, status=200, headers=()):
        self.send(status, PAGE.format(body=body), headers)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        route = {"/": self.home, "/login": self.login, "/callback": self.callback, "/logout": self.logout}
        handler = route.get(url.path)
        if handler is None:
            return self.send(404, "not found")
        handler(query)

    def home(self, _):
        visitor = sessions.get(self.cookie("partner_session") or "")
        if not visitor:
            return self.page(f'<p><a id="login-with" href="/login">Log in with {html.escape(SERVICE)}</a></p>')
        return self.page(
            f'<p id="welcome">Hello, {html.escape(visitor["userinfo"].get("preferred_username", visitor["userinfo"]["sub"]))}.</p>'
            f'<h2>id_token claims</h2><pre id="claims">{html.escape(json.dumps(visitor["claims"], indent=2))}</pre>'
            f'<h2>userinfo</h2><pre id="userinfo">{html.escape(json.dumps(visitor["userinfo"], indent=2))}</pre>'
            '<p><a href="/logout">Log out of the partner app</a></p>'
        )

    def login(self, _):
        meta = discovery()
        verifier = b64url(secrets.token_bytes(32))
        state, nonce, key = secrets.token_urlsafe(16), secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        pending[key] = {"verifier": verifier, "state": state, "nonce": nonce, "at": time.time()}
        challenge = b64url(hashlib.sha256(verifier.encode()).digest())
        params = {
            "response_type": "code",
            "client_id": CLIENT_ID,
            "redirect_uri": REDIRECT_URI,
            "scope": "openid profile email",
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        location = f"{meta['authorization_endpoint']}?{urllib.parse.urlencode(params)}"
        self.send(302, headers=[("Location", location), ("Set-Cookie", f"partner_login={key}; HttpOnly; Path=/; SameSite=Lax")])

    def callback(self, query):
        login = pending.pop(self.cookie("partner_login") or "", None)
        if not login or not secrets.compare_digest(query.get("state", ""), login["state"]):
            return self.page("<p>That login was not started here (state mismatch).</p>", 400)
        meta = discovery()
        if query.get("iss") != meta["issuer"]:
            return self.page("<p>The answer came from another issuer (RFC 9207).</p>", 400)
        if "error" in query:
            return self.page(f'<p id="error">The provider said: {html.escape(query["error"])}.</p><p><a href="/">Back</a></p>', 400)
        status, tokens = post_form(
            meta["token_endpoint"],
            {"grant_type": "authorization_code", "code": query.get("code", ""),
             "redirect_uri": REDIRECT_URI, "code_verifier": login["verifier"]},
        )
        if status != 200:
            return self.page(f"<p>The token endpoint refused the code: {html.escape(tokens.get('error', str(status)))}.</p>", 502)
        claims = claims_of(tokens["id_token"])
        checks = [
            claims.get("iss") == meta["issuer"],
            claims.get("aud") == CLIENT_ID or CLIENT_ID in (claims.get("aud") or []),
            secrets.compare_digest(str(claims.get("nonce", "")), login["nonce"]),
            claims.get("exp", 0) > time.time(),
        ]
        if not all(checks):
            return self.page("<p>The id_token is not for this login.</p>", 400)
        request = urllib.request.Request(meta["userinfo_endpoint"], headers={"Authorization": f"Bearer {tokens['access_token']}"})
        with urllib.request.urlopen(request, timeout=10) as r:
            userinfo = json.load(r)
        if userinfo.get("sub") != claims.get("sub"):
            return self.page("<p>userinfo names someone else.</p>", 400)
        key = secrets.token_urlsafe(16)
        sessions[key] = {"claims": claims, "userinfo": userinfo}
        self.send(302, headers=[("Location", "/"), ("Set-Cookie", f"partner_session={key}; HttpOnly; Path=/; SameSite=Lax")])

    def logout(self, _):
        sessions.pop(self.cookie("partner_session") or "", None)
        self.send(302, headers=[("Location", "/"), ("Set-Cookie", "partner_session=; Max-Age=0; Path=/")])


if __name__ == "__main__":
    print(f"oauth-client: the partner app is at http://localhost:{PORT}/ (issuer {ISSUER})", flush=True)
    ThreadingHTTPServer((HOST, PORT), Handler).serve_forever()
