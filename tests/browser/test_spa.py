"""The demo frontend (examples/spa/) in headless Chromium, against the local
stack that tests/serve.sh runs (tests/browser/run.sh starts and stops it).

Checks, one step each, with a screenshot per step in ARTIFACTS:
  - a request the API answers 401 before login resolves in the page (no
    browser login dialog);
  - the session flow: login, who am I, logout, who am I is 401 again;
  - the JWT flow: obtain, who am I with Bearer, a refresh ahead of an expired
    token (its exp), a refresh after a 401, logout by blacklist, and that the
    refresh token is dead afterwards;
  - at every step, document.cookie shows neither sessionid nor the refresh
    cookie (both are in the browser, HttpOnly);
  - a page on an origin that is not allowed can read no API response;
  - a cross-site form cannot log the browser in (login CSRF).

Env: API (default http://localhost:9000), PAGE (the demo page's URL, default
http://localhost:3000/), FOREIGN_PORT (default 3001; that page is served
here, on 127.0.0.1), CHROMIUM (default /usr/bin/chromium), ARTIFACTS
(default target/browser-artifacts).
"""

import base64
import contextlib
import http.server
import json
import os
import re
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import sync_playwright

API = os.environ.get("API", "http://localhost:9000").rstrip("/")
PAGE = os.environ.get("PAGE", "http://localhost:3000/")
FOREIGN = f"http://127.0.0.1:{int(os.environ.get('FOREIGN_PORT', '3001'))}"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = os.environ.get("ARTIFACTS", "target/browser-artifacts")
USERS = "/api/v1/users"
REFRESH_COOKIE = "refresh"  # JWT_AUTH_REFRESH_COOKIE as tests/serve.sh sets it
ALICE = {"id": 1, "username": "alice"}
PASSWORD = "correct horse battery staple"
# An action the page never finishes (a fetch waiting on a login dialog) fails here.
ACTION_TIMEOUT_MS = 15_000
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # The stack listens on 127.0.0.1 only: do not try ::1 first.
    "--host-resolver-rules=MAP localhost 127.0.0.1",
]


def fail(message):
    raise AssertionError(message)


def check(condition, message):
    if not condition:
        fail(message)


# --- the stack ---------------------------------------------------------------


def warm_up():
    """Waits until every function the page calls answers: `cargo lambda
    watch` starts (and may build) each one at its first request."""
    base = API.replace("//localhost", "//127.0.0.1") + USERS
    paths = [
        "/login",
        "/logout",
        "/login/jwt/info",
        "/login/simpleJWT",
        "/login/simpleJWT/refresh",
        "/login/simpleJWT/blacklist",
    ]
    for path in paths:
        deadline = time.monotonic() + 600
        while True:
            try:
                urllib.request.urlopen(base + path, timeout=600).close()
                break
            except urllib.error.HTTPError:
                break  # an answer (401, 405): the function runs
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
    with urllib.request.urlopen(PAGE, timeout=30) as page:
        check(b"Auth API demo" in page.read(), f"{PAGE} is not the demo page")


FOREIGN_PAGE = """<!doctype html>
<title>A foreign origin</title>
<h1>A page on an origin the API does not allow</h1>
<form method="post" action="%(api)s/api/v1/users/login">
  <input name="username" value="alice">
  <input name="password" type="password" value="%(password)s">
  <button id="login">log in</button>
</form>
<pre id="out"></pre>
<script>
const USERS = "%(api)s/api/v1/users";
const creds = JSON.stringify({ username: "alice", password: "%(password)s" });
const json = { "Content-Type": "application/json" };

// One fetch: what the page could read of it, or how it failed.
async function attempt(name, path, init) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), 8000);
  try {
    const r = await fetch(USERS + path, { ...init, signal: ctl.signal });
    return { name, outcome: "resolved", type: r.type, status: r.status, body: await r.text() };
  } catch (err) {
    return { name, outcome: ctl.signal.aborted ? "timed out" : "rejected", error: String(err) };
  } finally {
    clearTimeout(timer);
  }
}

async function probe() {
  const inc = { credentials: "include" };
  const results = [
    await attempt("GET info with cookies", "/login/jwt/info", inc),
    await attempt("GET info without cookies", "/login/jwt/info", {}),
    await attempt("POST login, JSON (preflighted)", "/login",
                  { ...inc, method: "POST", headers: json, body: creds }),
    await attempt("POST simpleJWT, JSON (preflighted)", "/login/simpleJWT",
                  { ...inc, method: "POST", headers: json, body: creds }),
    await attempt("POST refresh with cookies", "/login/simpleJWT/refresh",
                  { ...inc, method: "POST", headers: json, body: "{}" }),
    await attempt("POST login, form (no preflight)", "/login",
                  { ...inc, method: "POST",
                    body: new URLSearchParams({ username: "alice", password: "%(password)s" }) }),
    await attempt("GET info, no-cors", "/login/jwt/info", { ...inc, mode: "no-cors" }),
  ];
  document.getElementById("out").textContent = JSON.stringify(results, null, 2);
  return results;
}
</script>
"""


@contextlib.contextmanager
def foreign_server():
    """Serves FOREIGN_PAGE on FOREIGN, an origin the API does not allow."""
    body = (FOREIGN_PAGE % {"api": API, "password": PASSWORD}).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    port = int(FOREIGN.rsplit(":", 1)[1])
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


# --- the page ----------------------------------------------------------------


def claims(token):
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


class Browser:
    """The demo page in one browser profile, and what it sent."""

    def __init__(self, context):
        self.context = context
        self.page = context.new_page()
        self.requests = []  # every request of the demo page (not preflights)
        self.page.on("request", lambda r: self.requests.append(r))
        self.httponly_seen = set()

    def sent(self, method, path):
        return [
            r for r in self.requests if r.method == method and r.url == API + USERS + path
        ]

    def cookie(self, name):
        # Any path: the refresh cookie's is the simplejwt endpoints'.
        host = urllib.parse.urlsplit(API).hostname
        found = [
            c for c in self.context.cookies() if c["name"] == name and c["domain"] == host
        ]
        check(len(found) <= 1, f"two {name} cookies: {found}")
        return found[0] if found else None

    def check_cookies(self):
        """document.cookie shows neither sessionid nor the refresh cookie;
        those the browser holds are HttpOnly."""
        visible = self.page.evaluate("document.cookie")
        names = {c.split("=", 1)[0].strip() for c in visible.split(";") if c.strip()}
        for name in ("sessionid", REFRESH_COOKIE):
            check(name not in names, f"document.cookie shows {name}: {visible!r}")
            held = self.cookie(name)
            if held:
                check(held["httpOnly"], f"{name} is not HttpOnly: {held}")
                check(held["value"] not in visible, f"document.cookie shows {name}'s value")
                self.httponly_seen.add(name)

    def click(self, button):
        """Clicks a button of the demo page and waits for its action to
        finish; returns the log entries it added, oldest first, each
        {"what", "status", "body"} (body parsed as JSON where it is)."""
        page = self.page
        done = int(page.evaluate("document.body.dataset.done || 0"))
        before = page.locator("#log > li").count()
        page.click(f"#{button}")
        try:
            page.wait_for_function(
                f"Number(document.body.dataset.done || 0) > {done}", timeout=ACTION_TIMEOUT_MS
            )
        except PlaywrightTimeout:
            fail(f"{button}: the page's request did not resolve in {ACTION_TIMEOUT_MS} ms")
        entries = page.evaluate(
            """n => [...document.querySelectorAll("#log > li")].slice(0, n).reverse()
                 .map(li => ({ what: li.firstChild.textContent, status: li.dataset.status,
                               body: li.lastChild.textContent }))""",
            page.locator("#log > li").count() - before,
        )
        for e in entries:
            with contextlib.suppress(ValueError):
                e["body"] = json.loads(e["body"])
        self.check_cookies()
        return entries


def expect(entries, *wanted):
    """Each entry's label contains the wanted text and has the wanted status."""
    got = [(e["what"], e["status"]) for e in entries]
    check(len(entries) == len(wanted), f"log entries {got}, expected {wanted}")
    for entry, (what, status) in zip(entries, wanted):
        check(
            what in entry["what"] and entry["status"] == str(status),
            f"log entries {got}, expected {wanted}; bodies {[e['body'] for e in entries]}",
        )
    return entries[-1]["body"]


# --- the steps ---------------------------------------------------------------


class Steps:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.shots = 0

    @contextlib.contextmanager
    def step(self, name, page):
        print(f"browser: {name}", flush=True)
        self.shots += 1
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60]
        shot = os.path.join(ARTIFACTS, f"{self.shots:02d}-{slug}.png")
        try:
            yield
        except Exception:
            self.failed += 1
            with contextlib.suppress(Exception):
                page.screenshot(path=shot.replace(".png", "-FAILED.png"), full_page=True)
            raise
        page.screenshot(path=shot, full_page=True)
        self.passed += 1


def session_flow(steps, b):
    page = b.page
    with steps.step("open the demo page", page):
        page.goto(PAGE)
        check(page.input_value("#api") == API, f"API field: {page.input_value('#api')}")
        b.check_cookies()

    with steps.step("who am I before login: the 401 resolves", page):
        body = expect(b.click("session-whoami"), ("who am I (session)", 401))
        check(body == {"detail": "Authentication credentials were not provided."}, body)

    with steps.step("session: log in", page):
        body = expect(b.click("session-login"), ("session login", 200))
        check(body == {"message": "success"}, body)
        check(b.cookie("sessionid"), "no sessionid cookie after login")
        csrf = b.cookie("csrftoken")
        check(csrf and not csrf["httpOnly"], f"csrftoken: {csrf}")
        check("csrftoken=" in page.evaluate("document.cookie"), "the page cannot read csrftoken")

    with steps.step("session: who am I", page):
        body = expect(b.click("session-whoami"), ("who am I (session)", 200))
        check(body == ALICE, body)

    with steps.step("session: log out", page):
        expect(b.click("session-logout"), ("session logout", 200))
        sent = b.sent("POST", "/logout")[-1].headers
        check(sent.get("x-csrftoken") == b.cookie("csrftoken")["value"], f"logout sent {sent}")
        check(b.cookie("sessionid") is None, "sessionid still there after logout")

    with steps.step("session: who am I after logout is 401", page):
        expect(b.click("session-whoami"), ("who am I (session)", 401))


def jwt_flow(steps, b):
    page = b.page

    def refreshes():
        return len(b.sent("POST", "/login/simpleJWT/refresh"))

    def wait_past_exp(token):
        exp = claims(token)["exp"]
        print(f"browser:   waiting {max(0.0, exp + 0.5 - time.time()):.1f} s for exp", flush=True)
        time.sleep(max(0.0, exp + 0.5 - time.time()))

    def bearer_sent():
        return b.sent("GET", "/login/jwt/info")[-1].headers.get("authorization", "")

    with steps.step("JWT: obtain tokens", page):
        body = expect(b.click("jwt-login"), ("obtain tokens", 200))
        check(set(body) == {"access"}, f"obtain answered {body}: refresh belongs in the cookie")
        access = body["access"]
        cookie = b.cookie(REFRESH_COOKIE)
        check(cookie, "no refresh cookie after obtain")
        check(cookie["path"] == USERS + "/login/simpleJWT", cookie)
        lifetime = claims(access)["exp"] - claims(access)["iat"]
        print(f"browser:   access token lifetime {lifetime} s", flush=True)

    with steps.step("JWT: who am I with Bearer", page):
        before = refreshes()
        body = expect(b.click("jwt-whoami"), ("who am I (Bearer)", 200))
        check(body == ALICE, body)
        check(bearer_sent() == f"Bearer {access}", f"sent {bearer_sent()!r}")
        check(refreshes() == before, "refreshed a token that had not expired")

    with steps.step("JWT: past exp, who am I refreshes first", page):
        wait_past_exp(access)
        before = refreshes()
        body = expect(
            b.click("jwt-whoami"),
            ("refresh (the access token's exp has passed)", 200),
            ("who am I (Bearer)", 200),
        )
        check(body == ALICE, body)
        check(refreshes() == before + 1, "no refresh request")
        sent = b.sent("POST", "/login/simpleJWT/refresh")[-1].headers
        check(sent.get("x-csrftoken") == b.cookie("csrftoken")["value"], f"refresh sent {sent}")
        new = bearer_sent().removeprefix("Bearer ")
        check(new != access and claims(new)["exp"] > claims(access)["exp"], "same token")
        access = new

    with steps.step("JWT: without the exp check, a 401 refreshes and retries", page):
        page.uncheck("#check-exp")
        wait_past_exp(access)
        before = refreshes()
        body = expect(
            b.click("jwt-whoami"),
            ("who am I (Bearer)", 401),
            ("refresh (the API answered 401)", 200),
            ("who am I (Bearer), retried", 200),
        )
        check(body == ALICE, body)
        check(refreshes() == before + 1, "no refresh request")
        page.check("#check-exp")

    with steps.step("JWT: log out (blacklist)", page):
        old = b.cookie(REFRESH_COOKIE)
        body = expect(b.click("jwt-logout"), ("log out (blacklist)", 200))
        check(body == {}, body)
        check(b.cookie(REFRESH_COOKIE) is None, "the refresh cookie outlived the blacklist")

    with steps.step("JWT: after logout, refresh fails", page):
        entries = b.click("jwt-refresh")
        check(entries[-1]["status"] in ("400", "401"), f"refresh without cookie: {entries}")
        expect(b.click("jwt-whoami"), ("who am I (Bearer)", "-"))
        # The old refresh token, put back into the browser: blacklisted.
        b.context.add_cookies([old])
        body = expect(b.click("jwt-refresh"), ("refresh (asked for)", 401))
        check(body.get("detail") == "Token is blacklisted", body)
        b.context.clear_cookies(name=REFRESH_COOKIE)


def foreign_origin(steps, b):
    page = b.context.new_page()
    try:
        with steps.step("a page on a foreign origin reads no API response", page):
            page.goto(FOREIGN + "/")
            results = page.evaluate("probe()")
            for r in results:
                print(f"browser:   {r}", flush=True)
                if r["name"].endswith("no-cors"):
                    check(
                        r["outcome"] == "resolved" and r["type"] == "opaque" and r["status"] == 0,
                        f"no-cors: {r}",
                    )
                    check(r["body"] == "", f"no-cors body readable: {r}")
                else:
                    check(r["outcome"] == "rejected", f"{r['name']}: {r}")
            check(b.cookie("sessionid") is None, "the foreign page's fetch logged the browser in")

        with steps.step("login CSRF: a cross-site form post is refused", page):
            with page.expect_navigation() as nav:
                page.click("#login")
            resp = nav.value
            body = resp.json()
            check(resp.status == 403, f"{resp.status} {body}")
            want = (
                f"CSRF Failed: Origin checking failed - {FOREIGN} "
                "does not match any trusted origins."
            )
            check(body == {"detail": want}, body)
            check(b.cookie("sessionid") is None, "the cross-site form logged the browser in")
    finally:
        page.close()

    with steps.step("the same form from the demo page's origin logs in", b.page):
        page = b.page
        page.evaluate(
            """([action, password]) => {
                 const f = Object.assign(document.createElement("form"),
                                         { method: "post", action });
                 for (const [name, value] of [["username", "alice"], ["password", password]])
                   f.append(Object.assign(document.createElement("input"), { name, value }));
                 document.body.append(f);
                 f.id = "same-site-form";
               }""",
            [API + USERS + "/login", PASSWORD],
        )
        with page.expect_navigation() as nav:
            page.evaluate("document.getElementById('same-site-form').submit()")
        check(nav.value.status == 200, f"{nav.value.status} {nav.value.text()}")
        check(b.cookie("sessionid"), "no session from the allowed origin's form")


def main():
    os.makedirs(ARTIFACTS, exist_ok=True)
    warm_up()
    steps = Steps()
    started = time.monotonic()
    error = False
    try:
        with (
            foreign_server(),
            sync_playwright() as pw,
            tempfile.TemporaryDirectory(prefix="spa-chromium-") as profile,
        ):
            context = pw.chromium.launch_persistent_context(
                profile,
                executable_path=CHROMIUM,
                headless=True,
                args=CHROMIUM_ARGS,
                viewport={"width": 1000, "height": 900},
            )
            try:
                b = Browser(context)
                session_flow(steps, b)
                jwt_flow(steps, b)
                check(
                    b.httponly_seen == {"sessionid", REFRESH_COOKIE},
                    f"only saw {b.httponly_seen} in the browser",
                )
                foreign_origin(steps, b)
            finally:
                context.close()
    except Exception:
        traceback.print_exc()
        error = True
    took = time.monotonic() - started
    print(f"browser: the browser part took {took:.1f} s; screenshots in {ARTIFACTS}/")
    print(f"browser: {steps.passed} passed, {steps.failed} failed")
    return 1 if error or steps.failed or not steps.passed else 0


if __name__ == "__main__":
    sys.exit(main())
