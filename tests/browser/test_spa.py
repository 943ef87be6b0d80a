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
  - passkeys (tests/serve.sh turns them on, RP id localhost), with a CDP
    virtual authenticator (internal, resident keys, user verification):
    log in with the password, a wrong password adds no passkey, a passkey
    is added (options, the browser's credential, its toJSON() posted) and
    listed; after logout it logs in in session mode (who am I works) and
    in JWT mode (who am I with Bearer works, the list shows its last use);
    it is removed (a wrong password refused first) and, logged out, no
    longer logs in (the page says the API refused it); a new passkey makes
    no assertion while the authenticator does not verify the user (the
    page says no passkey was used, nothing is posted), and logs in once it
    does; a browser without WebAuthn is told so, and sends nothing;
  - sign-up with a passkey (tests/serve.sh turns it on), on a fresh virtual
    authenticator: a taken username is refused before any passkey is
    made; a new user signs up (options, the browser's credential, its
    toJSON() posted with a name) and is asked to check their email; their
    passkey login before verifying is refused with the resend notice; the
    verification email's link (read from moto's SES) verifies the address;
    the passkey then logs in as the new user (who am I, their passkey
    listed as used, their account shown); with the password field left
    empty, their passkey (an assertion, in place of the password they do
    not have) confirms adding a second passkey, then removing one;
  - a page on an origin that is not allowed can read no API response;
  - a cross-site form cannot log the browser in (login CSRF);
  - self-service accounts (tests/serve.sh turns sign-up on, and its emails'
    links open the demo page): sign up a fresh user, "check your email",
    a login before verifying is refused with the resend notice, the
    verification email's link (read from moto's SES) verifies the address
    and takes the key out of the address bar, the new user logs in, the
    used link is refused; then "forgot password" for that user, the reset
    email's link opens the reset form, mismatched passwords are refused, the
    new password is set, the old one is refused and the new one works.
    The API sends at most one email a minute to an address: the reset is
    asked for a minute after the sign-up's email (the wait is the longest
    part of the test).

Env: API (default http://localhost:9000), PAGE (the demo page's URL, default
http://localhost:3000/), FOREIGN_PORT (default 3001; that page is served
here, on 127.0.0.1), MOTO_PORT (moto, as for tests/serve.sh: default 8000),
CHROMIUM (default /usr/bin/chromium), ARTIFACTS (default
target/browser-artifacts).
"""

import base64
import contextlib
import html
import http.server
import json
import os
import re
import secrets
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
MOTO = f"http://127.0.0.1:{int(os.environ.get('MOTO_PORT', '8000'))}"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = os.environ.get("ARTIFACTS", "target/browser-artifacts")
USERS = "/api/v1/users"
REFRESH_COOKIE = "refresh"  # JWT_AUTH_REFRESH_COOKIE as tests/serve.sh sets it
ALICE = {"id": 1, "username": "alice"}
PASSWORD = "correct horse battery staple"
# An action the page never finishes (a fetch waiting on a login dialog) fails here.
ACTION_TIMEOUT_MS = 15_000
# An account email not in moto's SES by then fails (the mailer's first run
# starts its function).
MAIL_TIMEOUT = 90
# The API's gap between two emails to one address, with a margin.
MAIL_GAP = 62
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
        "/registration",
        "/registration/verify-email",
        "/registration/resend-email",
        "/password/reset",
        "/password/reset/confirm",
        "/passkeys",
        "/login/passkey/options",
        "/registration/passkey/options",
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

    def click(self, button, selector=None):
        """Clicks a button of the demo page (its id, or a `selector`) and
        waits for its action to finish; returns the log entries it added,
        oldest first, each {"what", "status", "body"} (body parsed as JSON
        where it is)."""
        page = self.page
        done = int(page.evaluate("document.body.dataset.done || 0"))
        before = page.locator("#log > li").count()
        page.click(selector or f"#{button}")
        try:
            page.wait_for_function(
                f"Number(document.body.dataset.done || 0) > {done}", timeout=ACTION_TIMEOUT_MS
            )
        except PlaywrightTimeout:
            fail(f"{button}: the page's request did not resolve in {ACTION_TIMEOUT_MS} ms")
        entries = self.entries(page.locator("#log > li").count() - before)
        self.check_cookies()
        return entries

    def entries(self, n):
        """The page's n newest log entries, oldest first."""
        entries = self.page.evaluate(
            """n => [...document.querySelectorAll("#log > li")].slice(0, n).reverse()
                 .map(li => ({ what: li.firstChild.textContent, status: li.dataset.status,
                               body: li.lastChild.textContent }))""",
            n,
        )
        for e in entries:
            with contextlib.suppress(ValueError):
                e["body"] = json.loads(e["body"])
        return entries

    def open_link(self, link, posts=True):
        """Opens an email's link; waits for what the page does on landing
        (posting a verification key: `posts`), and returns its log entries."""
        page = self.page
        page.goto(link)
        if posts:
            try:
                page.wait_for_function(
                    "Number(document.body.dataset.done || 0) > 0", timeout=ACTION_TIMEOUT_MS
                )
            except PlaywrightTimeout:
                fail(f"the landing's request did not resolve in {ACTION_TIMEOUT_MS} ms")
        self.check_cookies()
        return self.entries(page.locator("#log > li").count())

    def text(self, selector):
        return self.page.inner_text(selector).strip()

    def visible(self, selector):
        return self.page.is_visible(selector)


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


def expect_refreshed(entries, *wanted):
    """As expect, after any refresh the page made first because the short
    access token's exp had passed."""
    while entries and "refresh (the access token's exp has passed)" in entries[0]["what"]:
        check(entries[0]["status"] == "200", f"the refresh failed: {entries[0]}")
        entries = entries[1:]
    return expect(entries, *wanted)


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


def b64_bytes(text):
    """base64 or base64url, padded or not."""
    return base64.urlsafe_b64decode(text.replace("+", "-").replace("/", "_").rstrip("=") + "==")


# Chromium's virtual authenticator (CDP WebAuthn domain), standing in for
# the user's: a platform one, with resident keys, that verifies the user.
VIRTUAL_AUTHENTICATOR = {
    "protocol": "ctap2",
    "transport": "internal",
    "hasResidentKey": True,
    "hasUserVerification": True,
    "isUserVerified": True,
}


def passkeys_flow(steps, b):
    """Passkeys through the page, with Chromium's virtual authenticator (CDP
    WebAuthn domain) standing in for the user's; alice ends logged out."""
    page = b.page
    cdp = b.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    authenticator = cdp.send(
        "WebAuthn.addVirtualAuthenticator", {"options": VIRTUAL_AUTHENTICATOR}
    )["authenticatorId"]

    def held():
        got = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
        return got["credentials"]

    def add(name):
        """Adds a passkey by the page's form; the API's answer (the passkey)."""
        page.fill("#passkey-name", name)
        page.fill("#passkey-password", PASSWORD)
        entries = b.click("passkey-add")
        expect_refreshed(
            entries, ("passkey options", 200), ("add a passkey", 201), ("my passkeys", 200)
        )
        return entries[-2]["body"]

    def login_by_passkey(flow):
        button, label, who = {
            "session": ("session-passkey", "session", "who am I (session)"),
            "jwt": ("jwt-passkey", "JWT", "who am I (Bearer)"),
        }[flow]
        entries = b.click(button)
        body = expect(
            entries,
            ("passkey login options", 200),
            (f"passkey login ({label})", 200),
            (who, 200),
        )
        check(body == ALICE, body)
        posted = b.sent("POST", "/login/passkey")[-1].post_data_json
        check(set(posted) == {"credential", "login"}, f"the page posted {sorted(posted)}")
        check(posted["login"] == {"session": "session", "jwt": "simpleJWT"}[flow], posted)
        status = b.text("#login-status")
        check(status == f"Logged in as alice ({label}, with a passkey).", status)
        return entries[1]["body"], posted["credential"]

    with steps.step("passkeys: log in with the password; a wrong password adds none", page):
        page.goto(PAGE)
        check(urllib.parse.urlsplit(page.url).hostname == "localhost",
              f"the page is at {page.url}: passkeys need the localhost RP id")
        check(not b.visible("#passkeys-unsupported"), "the page says it cannot use passkeys")
        expect(b.click("session-login"), ("session login", 200))
        page.fill("#passkey-name", "Wrong")
        page.fill("#passkey-password", "not the password")
        body = expect(b.click("passkey-add"), ("passkey options", 400))
        check(body == {"password": ["Wrong password."]}, body)
        status = b.text("#passkey-add-status")
        check("password: Wrong password." in status, status)
        check(page.get_attribute("#passkey-password", "aria-invalid") == "true", "not invalid")
        check(page.input_value("#passkey-password") == "", "the password stays in the form")
        check(held() == [], f"the authenticator made a credential: {held()}")

    with steps.step("passkeys: add a passkey", page):
        passkey = add("  Laptop ")
        check(set(passkey) == {"id", "name", "created", "last_used", "backed_up"}, passkey)
        check(passkey["name"] == "Laptop" and passkey["last_used"] is None, passkey)
        sent = b.sent("POST", "/passkeys/register")[-1]
        posted = sent.post_data_json
        check(posted["name"] == "  Laptop ", f"the page posted the name {posted['name']!r}")
        check(posted["credential"]["type"] == "public-key", posted["credential"])
        check(posted["credential"]["id"] == passkey["id"], "another credential id was kept")
        check({"clientDataJSON", "attestationObject"} <= set(posted["credential"]["response"]),
              "not a RegistrationResponseJSON (credential.toJSON())")
        check(sent.headers.get("x-csrftoken") == b.cookie("csrftoken")["value"],
              "the session's POST without the CSRF header")
        creds = held()
        check(len(creds) == 1 and creds[0]["isResidentCredential"], creds)
        check(creds[0]["rpId"] == "localhost", creds)
        check(b64_bytes(creds[0]["credentialId"]) == b64_bytes(passkey["id"]),
              "the authenticator holds another credential")
        status = b.text("#passkey-add-status")
        check(status.startswith("Passkey \u201cLaptop\u201d added"), status)
        check(page.input_value("#passkey-password") == "", "the password stays in the form")

    with steps.step("passkeys: it shows in the list", page):
        body = expect(b.click("passkeys-load"), ("my passkeys", 200))
        check(body == [passkey], body)
        items = page.locator("#passkey-list > li")
        check(items.count() == 1, f"{items.count()} passkeys listed")
        text = items.first.inner_text()
        check("Laptop" in text and "last used never" in text, text)
        check(items.first.get_attribute("data-id") == passkey["id"], "another id listed")
        check(not b.visible("#passkeys-empty"), "'No passkeys yet' with one")

    with steps.step("passkeys: log out, log in with the passkey (session)", page):
        expect(b.click("session-logout"), ("session logout", 200))
        check(b.cookie("sessionid") is None, "sessionid still there after logout")
        body, credential = login_by_passkey("session")
        check(body == {"message": "success"}, body)
        check(credential["id"] == passkey["id"], "another credential was used")
        check({"clientDataJSON", "authenticatorData", "signature", "userHandle"}
              <= set(credential["response"]), "not an AuthenticationResponseJSON")
        check(b.cookie("sessionid"), "no sessionid cookie after the passkey login")
        check(b.text("#session") == "logged in as alice", b.text("#session"))
        body = expect(b.click("session-whoami"), ("who am I (session)", 200))
        check(body == ALICE, body)

    with steps.step("passkeys: log out, log in with the passkey (JWT)", page):
        expect(b.click("session-logout"), ("session logout", 200))
        body, _ = login_by_passkey("jwt")
        check(set(body) == {"access"}, f"answered {body}: refresh belongs in the cookie")
        check(str(claims(body["access"])["user_id"]) == str(ALICE["id"]), claims(body["access"]))
        check(b.cookie(REFRESH_COOKIE), "no refresh cookie after the passkey login")
        check(b.cookie("sessionid") is None, "the JWT login made a session")
        body = expect_refreshed(b.click("jwt-whoami"), ("who am I (Bearer)", 200))
        check(body == ALICE, body)
        sent = b.sent("GET", "/login/jwt/info")[-1].headers.get("authorization", "")
        check(sent.startswith("Bearer "), f"sent {sent!r}")
        body = expect_refreshed(b.click("passkeys-load"), ("my passkeys", 200))
        check(len(body) == 1 and body[0]["last_used"], f"no last use listed: {body}")

    with steps.step("passkeys: remove the passkey (asks for the password)", page):
        item = page.locator(f"#passkey-list > li[data-id='{passkey['id']}']")
        item.locator("button.passkey-remove").click()
        check(item.locator("form.passkey-remove-form").is_visible(), "no password asked for")
        field = item.locator("input[type=password]")
        field_id = field.get_attribute("id")
        check(page.evaluate("document.activeElement.id") == field_id, "the password has no focus")
        field.fill("not the password")
        confirm = f"#{field_id.replace('password', 'form')} button.passkey-remove-confirm"
        body = expect_refreshed(b.click("passkey-remove", confirm), ("remove a passkey", 400))
        check(body == {"password": ["Wrong password."]}, body)
        check("password: Wrong password." in b.text("#passkeys-status"), b.text("#passkeys-status"))
        check(page.get_attribute(f"#{field_id}", "aria-invalid") == "true", "not invalid")
        field.fill(PASSWORD)
        body = expect_refreshed(
            b.click("passkey-remove", confirm), ("remove a passkey", 204), ("my passkeys", 200)
        )
        check(body == [], body)
        sent = b.sent("DELETE", f"/passkeys/{passkey['id']}")[-1]
        check(sent.post_data_json == {"password": PASSWORD}, "the page sent another body")
        check(sent.headers.get("authorization", "").startswith("Bearer "), "not as the token")
        check(page.locator("#passkey-list > li").count() == 0, "the passkey is still listed")
        check(b.visible("#passkeys-empty"), "no 'No passkeys yet'")
        status = b.text("#passkeys-status")
        check(status == "Passkey \u201cLaptop\u201d removed: it no longer logs you in.", status)

    with steps.step("passkeys: log out; the removed passkey no longer logs in", page):
        expect(b.click("jwt-logout"), ("log out (blacklist)", 200))
        check(len(held()) == 1, "the authenticator lost the passkey: the test proves nothing")
        body = expect(
            b.click("session-passkey"),
            ("passkey login options", 200),
            ("passkey login (session)", 400),
        )
        check(body == {"credential": ["Invalid credential."]}, body)
        check(b.cookie("sessionid") is None, "a removed passkey logged in")
        status = b.text("#login-status")
        check(status.startswith("Log in refused: the API did not accept this passkey."), status)

    with steps.step("passkeys: a passkey is refused while the user is unverified", page):
        cdp.send("WebAuthn.clearCredentials", {"authenticatorId": authenticator})
        expect(b.click("session-login"), ("session login", 200))
        phone = add("Phone")
        check(phone["name"] == "Phone", phone)
        expect(b.click("session-logout"), ("session logout", 200))
        cdp.send(
            "WebAuthn.setUserVerified", {"authenticatorId": authenticator, "isUserVerified": False}
        )
        # UV is required: Chromium's authenticator, failing to verify the
        # user, makes no assertion (NotAllowedError), so none reaches the
        # API (whose own refusal of an assertion without the UV flag is
        # the contract tests'). The page says no passkey was used.
        before = len(b.sent("POST", "/login/passkey"))
        body = expect(
            b.click("session-passkey"),
            ("passkey login options", 200),
            ("passkey (the browser)", "-"),
        )
        check(body.startswith("NotAllowedError"), body)
        check(len(b.sent("POST", "/login/passkey")) == before, "an unverified assertion was sent")
        check(b.cookie("sessionid") is None, "an unverified passkey logged in")
        status = b.text("#login-status")
        check(status.startswith("No passkey was used:") and "did not verify you" in status,
              status)
        # The same passkey, verified: the refusal was the verification's.
        cdp.send(
            "WebAuthn.setUserVerified", {"authenticatorId": authenticator, "isUserVerified": True}
        )
        login_by_passkey("session")
        expect(b.click("session-logout"), ("session logout", 200))

    other = b.context.new_page()
    try:
        with steps.step("passkeys: a browser without WebAuthn is told so", other):
            other.add_init_script("delete window.PublicKeyCredential")
            sent = []
            other.on("request", lambda r: sent.append(r.url))
            other.goto(PAGE)
            check(other.is_visible("#passkeys-unsupported"), "no notice without WebAuthn")
            done = int(other.evaluate("document.body.dataset.done || 0"))
            other.click("#session-passkey")
            other.wait_for_function(f"Number(document.body.dataset.done) > {done}")
            status = other.inner_text("#login-status")
            check(status.startswith("This browser cannot use passkeys on this page."), status)
            check(not [u for u in sent if u.startswith(API)], f"the page called the API: {sent}")
    finally:
        other.close()
    cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": authenticator})
    cdp.detach()


def passkey_signup_flow(steps, b):
    """Sign-up with a passkey through the page, on a fresh virtual
    authenticator: the new user verifies their address by the emailed link,
    as the password sign-up's user does (accounts_flow), and logs in with
    the passkey alone; they end logged out."""
    page = b.page
    run = f"{int(time.time())}{secrets.token_hex(2)}"
    user = f"pk{run}"
    email = f"{user}@example.com"
    cdp = b.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    authenticator = cdp.send(
        "WebAuthn.addVirtualAuthenticator", {"options": VIRTUAL_AUTHENTICATOR}
    )["authenticatorId"]

    authenticators = [authenticator]

    def held(which=authenticator):
        got = cdp.send("WebAuthn.getCredentials", {"authenticatorId": which})
        return got["credentials"]

    def sign_up(username):
        page.fill("#passkey-signup-username", username)
        page.fill("#passkey-signup-email", email)
        return b.click("passkey-signup")

    with steps.step("passkey sign-up: a taken username is refused before any passkey", page):
        page.goto(PAGE)
        check(not b.visible("#passkeys-unsupported"), "the page says it cannot use passkeys")
        page.fill("#passkey-signup-name", "Laptop")
        body = expect(sign_up("alice"), ("passkey sign-up options", 400))
        check(body == {"username": ["A user with that username already exists."]}, body)
        status = b.text("#passkey-signup-status")
        check("username: A user with that username already exists." in status, status)
        for field, invalid in [("username", "true"), ("email", None), ("name", None)]:
            got = page.get_attribute(f"#passkey-signup-{field}", "aria-invalid")
            check(got == invalid, f"#passkey-signup-{field} aria-invalid={got!r}")
        check(held() == [], f"the authenticator made a credential: {held()}")
        check(b.sent("POST", "/registration/passkey") == [], "a credential was posted")

    with steps.step("passkey sign-up: sign up with a passkey, check your email", page):
        check(sent_emails(email) == [], f"{email} had emails already")
        entries = sign_up(user)
        body = expect(
            entries, ("passkey sign-up options", 200), ("sign up with a passkey", 201)
        )
        check(body == {"detail": "Verification e-mail sent."}, body)
        options = entries[0]["body"]["publicKey"]
        check(options["user"]["name"] == user, f"the passkey is for {options['user']}")
        check(options["authenticatorSelection"]["userVerification"] == "required", options)
        sent = b.sent("POST", "/registration/passkey/options")[-1]
        check(sent.post_data_json == {"username": user, "email": email},
              f"the page sent {sent.post_data_json}")
        sent = b.sent("POST", "/registration/passkey")[-1]
        posted = sent.post_data_json
        check(set(posted) == {"credential", "name"}, f"the page posted {sorted(posted)}")
        check(posted["name"] == "Laptop", f"the page posted the name {posted['name']!r}")
        check(posted["credential"]["type"] == "public-key", posted["credential"])
        check({"clientDataJSON", "attestationObject"} <= set(posted["credential"]["response"]),
              "not a RegistrationResponseJSON (credential.toJSON())")
        check(sent.headers.get("x-csrftoken") == b.cookie("csrftoken")["value"],
              "an anonymous POST without the CSRF header")
        origin = urllib.parse.urlsplit(PAGE)
        check(sent.all_headers().get("origin") == f"{origin.scheme}://{origin.netloc}",
              f"Origin: {sent.all_headers().get('origin')}")
        creds = held()
        check(len(creds) == 1 and creds[0]["isResidentCredential"], creds)
        check(creds[0]["rpId"] == "localhost", creds)
        check(b64_bytes(creds[0]["credentialId"]) == b64_bytes(posted["credential"]["id"]),
              "the authenticator holds another credential")
        check(b64_bytes(creds[0]["userHandle"]) == b64_bytes(options["user"]["id"]),
              "the passkey holds another user handle")
        status = b.text("#passkey-signup-status")
        check(status.startswith(f"Check your email: we sent a link to {email}."), status)
        check("Log in with a passkey" in status, status)
        check(page.input_value("#passkey-signup-name") == "", "the name stays in the form")
        check(page.get_attribute("#passkey-signup-username", "aria-invalid") is None,
              "still invalid")

    with steps.step("passkey sign-up: a passkey login before verifying shows the notice", page):
        body = expect(
            b.click("session-passkey"),
            ("passkey login options", 200),
            ("passkey login (session)", 403),
        )
        check(body == {"detail": "E-mail is not verified.", "code": "email_not_verified"}, body)
        check(b.cookie("sessionid") is None, "an unverified address logged in")
        check(b.visible("#unverified"), "no notice for the unverified address")
        check(page.input_value("#resend-email") == email, "the resend form lacks the address")

    with steps.step("passkey sign-up: the verification email's link verifies the address", page):
        link = email_link(email, "Please confirm your e-mail address", 0)
        key = link_params(link, ["verify"])["verify"]
        body = expect(b.open_link(link), ("verify e-mail", 200))
        check(body == {"detail": "ok"}, body)
        posted = b.sent("POST", "/registration/verify-email")[-1]
        check(posted.post_data_json == {"key": key}, "the page posted another key")
        status = b.text("#verify-status")
        check(status.startswith("Your e-mail address is verified.") and "passkey" in status,
              status)
        check_secret_gone(b, key)

    with steps.step("passkey sign-up: the passkey logs in as the new user", page):
        entries = b.click("session-passkey")
        body = expect(
            entries,
            ("passkey login options", 200),
            ("passkey login (session)", 200),
            ("who am I (session)", 200),
        )
        check(body.get("username") == user and body.get("id") not in (None, 1, 2), body)
        user_id = body["id"]
        check(entries[1]["body"] == {"message": "success"}, entries[1]["body"])
        credential = b.sent("POST", "/login/passkey")[-1].post_data_json["credential"]
        check(b64_bytes(credential["id"]) == b64_bytes(held()[0]["credentialId"]),
              "another credential was used")
        check(b.cookie("sessionid"), "no sessionid cookie after the passkey login")
        status = b.text("#login-status")
        check(status == f"Logged in as {user} (session, with a passkey).", status)
        check(not b.visible("#unverified"), "the unverified notice outlived the login")
        check(b.text("#session") == f"logged in as {user}", b.text("#session"))
        body = expect(b.click("passkeys-load"), ("my passkeys", 200))
        check(len(body) == 1 and body[0]["name"] == "Laptop" and body[0]["last_used"],
              f"the new user's passkeys: {body}")
        body = expect(b.click("profile-load"), ("my account", 200))
        check(body.get("username") == user and body.get("email") == email, body)
        status = b.text("#profile-status")
        check(status == f"Logged in as {user} (user {user_id}).", status)

    with steps.step("passkey sign-up: with no password, the passkey confirms adding a second one", page):
        check(b.visible("#passkey-password-hint"), "no hint to leave the password empty")
        first = held()[0]
        # The new passkey's options exclude the user's passkeys, and an
        # authenticator keeps one discoverable credential per site and user:
        # the second is made on another device. Here the first passkey moves
        # off this authenticator once it has confirmed (when the page asks
        # for those options) and, the second made, onto a security key.
        options_url = API + USERS + "/passkeys/register/options"
        moved = []

        def move_first(route):
            if route.request.method == "POST" and not moved:
                # As it is now: its signature counter moved with the assertion.
                moved.extend(held())
                cdp.send("WebAuthn.removeCredential", {
                    "authenticatorId": authenticator, "credentialId": first["credentialId"]})
            route.continue_()

        page.route(options_url, move_first)
        try:
            page.fill("#passkey-name", "Phone")
            page.fill("#passkey-password", "")
            entries = b.click("passkey-add")
        finally:
            page.unroute(options_url, move_first)
            if moved:
                key = {**VIRTUAL_AUTHENTICATOR, "transport": "usb"}  # a security key
                authenticators.append(cdp.send(
                    "WebAuthn.addVirtualAuthenticator", {"options": key}
                )["authenticatorId"])
                cdp.send("WebAuthn.addCredential",
                         {"authenticatorId": authenticators[-1], "credential": moved[0]})
        body = expect(
            entries,
            ("confirm with a passkey (options)", 200),
            ("passkey options", 200),
            ("add a passkey", 201),
            ("my passkeys", 200),
        )
        check(sorted(p["name"] for p in body) == ["Laptop", "Phone"], f"the passkeys: {body}")
        excluded = entries[1]["body"]["publicKey"].get("excludeCredentials", [])
        check([b64_bytes(c["id"]) for c in excluded] == [b64_bytes(first["credentialId"])],
              f"the options exclude {excluded}")
        check(b.sent("POST", "/login/passkey/options")[-1].post_data_json == {},
              "the page posted a body to login/passkey/options")
        posted = b.sent("POST", "/passkeys/register/options")[-1].post_data_json
        check(set(posted) == {"credential"}, f"the page posted {sorted(posted)}")
        check(b64_bytes(posted["credential"]["id"]) == b64_bytes(first["credentialId"]),
              "another credential confirmed")
        check({"authenticatorData", "signature"} <= set(posted["credential"]["response"]),
              "not an AuthenticationResponseJSON (credential.toJSON())")
        check(len(moved) == 1 and moved[0]["credentialId"] == first["credentialId"], moved)
        creds = held() + held(authenticators[-1])
        check(len(creds) == 2 and all(c["isResidentCredential"] for c in creds), creds)
        items = page.locator("#passkey-list > li")
        check(items.count() == 2, f"{items.count()} passkeys listed")
        status = b.text("#passkey-add-status")
        check(status.startswith("Passkey \u201cPhone\u201d added"), status)
        passkeys = body

    with steps.step("passkey sign-up: with no password, the passkey confirms removing one", page):
        laptop = next(p for p in passkeys if p["name"] == "Laptop")
        item = page.locator(f"#passkey-list > li[data-id='{laptop['id']}']")
        item.locator("button.passkey-remove").click()
        form = item.locator("form.passkey-remove-form")
        check(form.is_visible(), "no password asked for")
        check("Leave it empty to confirm with your passkey" in form.inner_text(),
              "no hint to leave the password empty")
        form.locator("input[type=password]").fill("")
        form_id = form.get_attribute("id")
        body = expect(
            b.click("passkey-remove", f"#{form_id} button.passkey-remove-confirm"),
            ("confirm with a passkey (options)", 200),
            ("remove a passkey", 204),
            ("my passkeys", 200),
        )
        check([p["name"] for p in body] == ["Phone"], f"the passkeys left: {body}")
        sent = b.sent("DELETE", f"/passkeys/{laptop['id']}")[-1]
        check(set(sent.post_data_json) == {"credential"}, "the page sent another body")
        used = b64_bytes(sent.post_data_json["credential"]["id"])
        creds = held() + held(authenticators[-1])
        check(used in {b64_bytes(c["credentialId"]) for c in creds}, "an unknown credential")
        check(page.locator("#passkey-list > li").count() == 1, "the passkey is still listed")
        status = b.text("#passkeys-status")
        check(status == "Passkey \u201cLaptop\u201d removed: it no longer logs you in.", status)

    expect(b.click("session-logout"), ("session logout", 200))
    check(b.cookie("sessionid") is None, "sessionid still there after logout")
    for which in authenticators:
        cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": which})
    cdp.detach()


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


# --- self-service accounts ---------------------------------------------------


def sent_emails(address):
    """The emails moto's SES sent to address, oldest first."""
    with urllib.request.urlopen(f"{MOTO}/moto-api/data.json", timeout=30) as resp:
        data = json.load(resp)
    return [
        m
        for m in data.get("ses", {}).get("Message", [])
        if address.lower()
        in [a.lower() for a in m.get("destinations", {}).get("ToAddresses", [])]
    ]


def email_link(address, subject, already):
    """Waits for a new email (after the first `already`) to address; the
    link in its HTML body, after checking its subject."""
    deadline = time.monotonic() + MAIL_TIMEOUT
    while True:
        emails = sent_emails(address)
        if len(emails) > already:
            break
        if time.monotonic() > deadline:
            fail(f"no email to {address} in {MAIL_TIMEOUT} s ({already} before)")
        time.sleep(0.5)
    check(len(emails) == already + 1, f"{len(emails) - already} new emails to {address}")
    email = emails[-1]
    check(email.get("subject") == subject, f"subject {email.get('subject')!r}, not {subject!r}")
    links = [html.unescape(h) for h in re.findall(r'href="([^"]+)"', email.get("body", ""))]
    check(len(links) == 1, f"{len(links)} links in the email")
    print(f"browser:   email to {address}: {subject!r}", flush=True)
    return links[0]


def link_params(link, wanted):
    """The query of an email's link to the demo page: on PAGE's origin, with
    PAGE's `api=` first when it has one, then exactly the `wanted` names."""
    page, got = urllib.parse.urlsplit(PAGE), urllib.parse.urlsplit(link)
    check(
        (got.scheme, got.netloc, got.path) == (page.scheme, page.netloc, page.path),
        f"the link goes to {got.scheme}://{got.netloc}{got.path}, not the demo page {PAGE}",
    )
    pairs = urllib.parse.parse_qsl(got.query)
    api = urllib.parse.parse_qsl(page.query)
    check(pairs[: len(api)] == api, f"the link's query does not start with {page.query}")
    params = dict(pairs[len(api) :])
    check(sorted(params) == sorted(wanted), f"the link carries {sorted(params)}, not {wanted}")
    return params


def check_secret_gone(b, secret):
    """Used or not, the link's secret is out of the address bar, and in no
    storage, cookie or text of the page."""
    page = b.page
    check(secret not in page.url, "the key or token is still in the address bar")
    query = urllib.parse.parse_qsl(urllib.parse.urlsplit(page.url).query)
    check(
        query == urllib.parse.parse_qsl(urllib.parse.urlsplit(PAGE).query),
        f"the address bar shows {page.url}, expected {PAGE}'s query",
    )
    stored = page.evaluate(
        """() => JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage),
                                 document.cookie, history.state])"""
    )
    check(secret not in stored, "the key or token is stored by the page")
    check(secret not in page.content(), "the page shows the key or token")


def accounts_flow(steps, b):
    page = b.page
    run = f"{int(time.time())}{secrets.token_hex(2)}"
    user = f"spa{run}"
    email = f"{user}@example.com"
    password = f"violet kestrel {secrets.token_hex(3)} lantern"
    new_password = f"amber heron {secrets.token_hex(3)} harbour"

    def login(username, pw):
        page.fill("#username", username)
        page.fill("#password", pw)
        return b.click("session-login")

    with steps.step("accounts: sign-up errors show by field", page):
        page.goto(PAGE)
        # Nobody logged in (the foreign origin's form left alice's session).
        expect(b.click("session-logout"), ("session logout", 200))
        page.click("a[href='#accounts']")
        page.fill("#signup-username", user)
        page.fill("#signup-email", f"other{run}@example.com")
        page.fill("#signup-password1", password)
        page.fill("#signup-password2", password + "!")
        body = expect(b.click("signup"), ("sign up", 400))
        check(body == {"password2": ["The two password fields didn't match."]}, body)
        status = b.text("#signup-status")
        check("password again: The two password fields didn't match." in status, status)
        page.fill("#signup-username", "alice")
        page.fill("#signup-password2", password)
        body = expect(b.click("signup"), ("sign up", 400))
        check(body == {"username": ["A user with that username already exists."]}, body)
        status = b.text("#signup-status")
        check("username: A user with that username already exists." in status, status)
        for field, invalid in [
            ("username", "true"),
            ("email", None),
            ("password1", None),
            ("password2", None),
        ]:
            got = page.get_attribute(f"#signup-{field}", "aria-invalid")
            check(got == invalid, f"#signup-{field} aria-invalid={got!r}")

    with steps.step("accounts: sign up, check your email", page):
        already = len(sent_emails(email))
        check(already == 0, f"{email} had emails already")
        page.fill("#signup-username", user)
        page.fill("#signup-email", email)
        body = expect(b.click("signup"), ("sign up", 201))
        check(body == {"detail": "Verification e-mail sent."}, body)
        signed_up = time.monotonic()  # the API took the email's slot by now
        check(b.visible("#check-email"), "no 'check your email' after sign-up")
        check(not b.visible("#signup-form"), "the sign-up form is still shown")
        notice = b.text("#check-email")
        check("Check your email" in notice and email in notice, notice)
        check(page.get_attribute("#signup-username", "aria-invalid") is None, "still invalid")
        check(page.input_value("#signup-password1") == "", "the password stays in the form")

    with steps.step("accounts: a login before verifying shows the resend notice", page):
        check(not b.visible("#unverified"), "the unverified notice shows before a login")
        body = expect(login(user, password), ("session login", 403))
        check(body == {"detail": "E-mail is not verified.", "code": "email_not_verified"}, body)
        check(b.cookie("sessionid") is None, "an unverified address logged in")
        check(b.visible("#unverified"), "no notice for the unverified address")
        notice = b.text("#unverified")
        check("not verified" in notice, notice)
        check(page.input_value("#resend-email") == email, "the resend form lacks the address")
        # Within a minute of the sign-up's email: answered, nothing sent.
        body = expect(b.click("resend"), ("resend the email", 200))
        check(body == {"detail": "ok"}, body)
        check(email in b.text("#resend-status"), b.text("#resend-status"))

    with steps.step("accounts: the verification email's link verifies the address", page):
        link = email_link(email, "Please confirm your e-mail address", already)
        key = link_params(link, ["verify"])["verify"]
        entries = b.open_link(link)
        body = expect(entries, ("verify e-mail", 200))
        check(body == {"detail": "ok"}, body)
        posted = b.sent("POST", "/registration/verify-email")[-1]
        check(posted.post_data_json == {"key": key}, "the page posted another key")
        check(key not in json.dumps(posted.headers), "a request header carries the key")
        check(b.text("#verify-status").startswith("Your e-mail address is verified."),
              b.text("#verify-status"))
        check_secret_gone(b, key)
        check(page.input_value("#username") == "", "the demo's username is filled in")
        check(b.visible("#verify-login"), "no way to log in after verifying")
        page.click("#verify-login")
        check(page.evaluate("document.activeElement.id") == "username", "log in: no focus")

    with steps.step("accounts: the new user logs in", page):
        body = expect(login(user, password), ("session login", 200))
        check(body == {"message": "success"}, body)
        check(not b.visible("#unverified"), "the unverified notice outlived the login")
        check(b.text("#login-status") == f"Logged in as {user} (session).", b.text("#login-status"))
        body = expect(b.click("session-whoami"), ("who am I (session)", 200))
        check(body.get("username") == user and body.get("id") not in (None, 1, 2), body)
        check(b.text("#session") == f"logged in as {user}", b.text("#session"))

    with steps.step("accounts: the used verification link is refused", page):
        body = expect(b.open_link(link), ("verify e-mail", 404))
        check(body == {"detail": "Not found."}, body)
        status = b.text("#verify-status")
        check(status.startswith("This verification link is not valid"), status)
        check(b.visible("#verify-resend-form"), "no resend form for a dead link")
        check(not b.visible("#verify-login"), "log in offered for a dead link")
        check_secret_gone(b, key)

    with steps.step("accounts: forgot password", page):
        wait = signed_up + MAIL_GAP - time.monotonic()
        if wait > 0:
            print(f"browser:   waiting {wait:.1f} s: one email a minute per address", flush=True)
            time.sleep(wait)
        already = len(sent_emails(email))
        page.fill("#forgot-email", email)
        body = expect(b.click("forgot"), ("forgot password", 200))
        check(body == {"detail": "Password reset e-mail has been sent."}, body)
        status = b.text("#forgot-status")
        check(email in status and "on its way" in status, status)

    with steps.step("accounts: the reset email's link opens the reset form", page):
        link = email_link(email, "Password reset", already)
        params = link_params(link, ["uid", "token"])
        entries = b.open_link(link, posts=False)
        check(entries == [], f"the reset link posted before the form was sent: {entries}")
        check(b.visible("#reset-form"), "no reset form")
        check(not b.visible("#verify-section"), "the verification landing shows")
        check(page.evaluate("document.activeElement.id") == "reset-heading", "no focus")
        check_secret_gone(b, params["token"])

    with steps.step("accounts: mismatched new passwords are refused", page):
        page.fill("#new-password1", new_password)
        page.fill("#new-password2", new_password + "?")
        body = expect(b.click("reset-confirm"), ("set a new password", 400))
        check(body == {"new_password2": ["The two password fields didn't match."]}, body)
        status = b.text("#reset-status")
        check("didn't match" in status, status)
        check(page.get_attribute("#new-password2", "aria-invalid") == "true", "not invalid")
        check(b.visible("#reset-form"), "the form went with a fixable error")

    with steps.step("accounts: set the new password", page):
        page.fill("#new-password2", new_password)
        body = expect(b.click("reset-confirm"), ("set a new password", 200))
        check(body == {"detail": "Password has been reset with the new password."}, body)
        posted = b.sent("POST", "/password/reset/confirm")[-1].post_data_json
        check(
            posted
            == {
                "uid": params["uid"],
                "token": params["token"],
                "new_password1": new_password,
                "new_password2": new_password,
            },
            "the page posted other values",
        )
        check(b.text("#reset-status").startswith("Your password has been reset."),
              b.text("#reset-status"))
        check(not b.visible("#reset-form"), "the form outlived its link")
        check(b.visible("#reset-login"), "no way to log in after the reset")
        check_secret_gone(b, params["token"])
        # The reset ended every session of the user.
        expect(b.click("session-whoami"), ("who am I (session)", 401))

    with steps.step("accounts: the old password is refused, the new one works", page):
        page.click("#reset-login")
        check(page.evaluate("document.activeElement.id") == "username", "log in: no focus")
        body = expect(login(user, password), ("session login", 403))
        check(body == "(empty body)", body)
        check(b.text("#login-status").startswith("Log in refused"), b.text("#login-status"))
        check(b.cookie("sessionid") is None, "the old password logged in")
        expect(login(user, new_password), ("session login", 200))
        body = expect(b.click("session-whoami"), ("who am I (session)", 200))
        check(body.get("username") == user, body)

    with steps.step("accounts: my account shows and saves my names", page):
        body = expect(b.click("profile-load"), ("my account", 200))
        check(body.get("username") == user and body.get("email") == email, body)
        check(page.input_value("#profile-email") == email, "the address is not shown")
        page.fill("#profile-first-name", "  Ada ")
        page.fill("#profile-last-name", "Lovelace")
        body = expect(b.click("profile-save"), ("save my account", 200))
        check((body.get("first_name"), body.get("last_name")) == ("Ada", "Lovelace"), body)
        sent = b.sent("PATCH", "/user")[-1]
        check(sent.post_data_json == {"first_name": "  Ada ", "last_name": "Lovelace"},
              f"the page sent {sent.post_data_json}")
        check("x-csrftoken" in sent.headers, "a session PATCH without the CSRF header")
        check(b.text("#profile-status") == "Saved.", b.text("#profile-status"))

    new_email = f"new{user}@example.com"
    with steps.step("accounts: a new address waits for its link", page):
        page.fill("#profile-email", new_email)
        body = expect(b.click("profile-save"), ("save my account", 200))
        check(body.get("email") == email, f"the address moved before its link: {body}")
        status = b.text("#profile-status")
        check(new_email in status and "open the link" in status, status)
        link = email_link(new_email, "Please confirm your e-mail address", 0)
        key = link_params(link, ["verify"])["verify"]
        body = expect(b.open_link(link), ("verify e-mail", 200))
        check(body == {"detail": "ok"}, body)
        check_secret_gone(b, key)
        body = expect(b.click("profile-load"), ("my account", 200))
        check(body.get("email") == new_email, f"the address did not move: {body}")
        # The old address is told (an email without a link).
        deadline = time.monotonic() + MAIL_TIMEOUT
        while not any(m.get("subject") == "E-mail changed" for m in sent_emails(email)):
            check(time.monotonic() < deadline, f"no 'E-mail changed' to {email}")
            time.sleep(0.5)

    with steps.step("accounts: delete my account", page):
        page.fill("#delete-password", password)
        body = expect(b.click("delete-account"), ("delete my account", 400))
        check(body == {"password": ["Wrong password."]}, body)
        check("password: Wrong password." in b.text("#delete-status"), b.text("#delete-status"))
        page.fill("#delete-password", new_password)
        expect(b.click("delete-account"), ("delete my account", 204))
        check(b.text("#delete-status").startswith("Your account is deleted."),
              b.text("#delete-status"))
        check(b.cookie("sessionid") is None, "the session cookie outlived the account")
        expect(b.click("session-whoami"), ("who am I (session)", 401))
        expect(login(user, new_password), ("session login", 403))


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
                passkeys_flow(steps, b)
                passkey_signup_flow(steps, b)
                foreign_origin(steps, b)
                accounts_flow(steps, b)
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
