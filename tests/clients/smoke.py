"""The Python client generated from docs/openapi.yaml, against the local stack.

    .tools/clients/bin/python3 tests/clients/smoke.py BASE_URL

tests/clients/run.sh generates the client (openapi-python-client) into
target/clients/python/ (package `auth_api_client`) and runs this with the
stack of tests/serve.sh at BASE_URL. Every request to the API goes through
the generated client (its operation functions, models and parsed
responses); each answer's status and body are checked, as parsed and as
sent:

  1. sign-up (`registration`, sign-up is open on that stack) of a fresh
     user; a password login before verifying is refused
     (`email_not_verified`); the verification email's key, read from
     moto's SES as the browser test reads it, verifies the address
     (`registration/verify-email`; once: the used key is 404); the new
     user logs in with their password (`login/simpleJWT`) and is who
     `login/jwt/info` says;
  2. the demo user's token pair (`login/simpleJWT`; with the stack's
     refresh cookie, the access token in the body and the refresh token
     in its HttpOnly cookie), who-am-I with the access token as Bearer,
     a refresh (with the cookie and the CSRF token, as the demo page
     does, or with the body's refresh token when the stack has no
     cookie), the blacklist, and the blacklisted refresh token refused;
  3. a password reset for the new user (`password/reset`), the reset
     email's uid and token, mismatched passwords refused, the new
     password set (`password/reset/confirm`): the old password and the
     user's earlier access token are refused, the new password logs in.
The API sends at most one email a minute to an address: step 3 waits
until a minute after the sign-up's email (run.sh runs the TypeScript
checks meanwhile).

Env: MOTO_PORT (the stack's moto, for SES: default 8000), CLIENT_DIR
(default target/clients/python), SMOKE_USERNAME / SMOKE_PASSWORD (the
demo user, default alice), MAIL_TIMEOUT (seconds to wait for an email,
default 30).
"""

import html
import json
import os
import re
import secrets
import sys
import time
import urllib.parse
import urllib.request
from http.cookies import SimpleCookie

BASE = (sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:9000").rstrip("/")
MOTO = f"http://127.0.0.1:{int(os.environ.get('MOTO_PORT', '8000'))}"
USERNAME = os.environ.get("SMOKE_USERNAME", "alice")
PASSWORD = os.environ.get("SMOKE_PASSWORD", "correct horse battery staple")
MAIL_TIMEOUT = float(os.environ.get("MAIL_TIMEOUT", "30"))
MAIL_GAP = 61  # seconds: one email a minute per address, and a second's margin

sys.path.insert(0, os.environ.get("CLIENT_DIR", "target/clients/python"))

from auth_api_client import AuthenticatedClient, Client  # noqa: E402
from auth_api_client.api.accounts import (  # noqa: E402
    password_reset,
    password_reset_confirm,
    registration,
    verify_email,
)
from auth_api_client.api.simplejwt import (  # noqa: E402
    token_blacklist,
    token_obtain_pair,
    token_refresh,
)
from auth_api_client.api.tutorial_jwt import info  # noqa: E402
from auth_api_client.models import (  # noqa: E402
    AccessAndRefresh,
    AccessOnly,
    Credentials,
    Detail,
    EmailNotVerified,
    EmailRequest,
    InfoResponse200,
    Pair,
    PasswordResetConfirm,
    PasswordResetConfirmErrors,
    RefreshRequest,
    Registration,
    TokenBlacklistResponse200,
    TokenNotValid,
    VerifyEmailRequest,
)

checked = 0


def fail(message):
    print(f"clients: python: FAILED: {message}", file=sys.stderr, flush=True)
    sys.exit(1)


def check(condition, message):
    global checked
    if not condition:
        fail(message)
    checked += 1


def expect(label, response, status, body, model=None):
    """The response to `label` has `status`, its JSON body is `body` (None:
    any) and the generated client parsed it into `model`; the parsed body."""
    sent = response.content.decode("utf-8", "replace")
    check(response.status_code == status, f"{label}: {response.status_code} {sent}, not {status}")
    if body is not None:
        check(json.loads(response.content) == body, f"{label}: body {sent}, not {json.dumps(body)}")
    if model is not None:
        models = model if isinstance(model, tuple) else (model,)
        check(isinstance(response.parsed, models),
              f"{label}: parsed as {type(response.parsed).__name__}, not {' or '.join(m.__name__ for m in models)}")
    print(f"clients: python: {label}: {status}", flush=True)
    return response.parsed


def cookies(response):
    """The cookies a response sets, by name (a Morsel each)."""
    jar = SimpleCookie()
    for header in response.headers.get_list("set-cookie"):
        jar.load(header)
    return jar


# --- email, read from moto's SES as tests/browser/test_spa.py reads it -------


def sent_emails(address):
    with urllib.request.urlopen(f"{MOTO}/moto-api/data.json", timeout=30) as resp:
        data = json.load(resp)
    return [
        m
        for m in data.get("ses", {}).get("Message", [])
        if address.lower() in [a.lower() for a in m.get("destinations", {}).get("ToAddresses", [])]
    ]


def email_link(address, subject, already):
    """The link in the first email to `address` after its first `already`,
    once moto's SES has it; checks the subject."""
    deadline = time.monotonic() + MAIL_TIMEOUT
    while True:
        emails = sent_emails(address)
        if len(emails) > already:
            break
        if time.monotonic() > deadline:
            fail(f"no email to {address} in {MAIL_TIMEOUT} s ({already} before)")
        time.sleep(0.3)
    email = emails[already]
    check(email.get("subject") == subject, f"subject {email.get('subject')!r}, not {subject!r}")
    links = [html.unescape(h) for h in re.findall(r'href="([^"]+)"', email.get("body", ""))]
    check(len(links) == 1, f"{len(links)} links in the email")
    print(f"clients: python: email to {address}: {subject!r}", flush=True)
    return links[0]


def link_params(link, names):
    """The `names` of a link's query (the demo page's `verify=` or `uid=` and `token=`)."""
    params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(link).query))
    check(all(params.get(n) for n in names), f"the link {link} lacks {names}")
    return [params[n] for n in names]


# --- the flows ---------------------------------------------------------------


def anonymous():
    """A client with no credentials (it keeps the cookies it is given)."""
    return Client(base_url=BASE, raise_on_unexpected_status=True)


def login(client, username, password, label):
    """A password login with `login/simpleJWT`: the access token."""
    r = token_obtain_pair.sync_detailed(client=client, body=Credentials(username=username, password=password))
    pair = expect(label, r, 200, None, (Pair, AccessOnly))
    check(r.headers.get("cache-control") == "no-store", f"{label}: Cache-Control {r.headers.get('cache-control')}")
    return pair.access


def who_am_i(access, username, label):
    r = info.sync_detailed(client=AuthenticatedClient(base_url=BASE, token=access, raise_on_unexpected_status=True))
    me = expect(label, r, 200, None, InfoResponse200)
    check(me.username == username and me.id >= 1, f"{label}: {r.content!r}")
    return me


def sign_up(client):
    """Step 1; the new user's name, address, password, access token, and
    when its email went."""
    tag = secrets.token_hex(6)
    user, email = f"client-{tag}", f"client-{tag}@example.com"
    password = f"generated client {secrets.token_hex(8)}"
    check(sent_emails(email) == [], f"{email} had emails already")
    r = registration.sync_detailed(
        client=client,
        body=Registration(username=user, email=email, password1=password, password2=password),
    )
    signed_up = time.monotonic()  # the sign-up's email took the address's slot by now
    expect("sign up (registration)", r, 201, {"detail": "Verification e-mail sent."}, Detail)

    r = token_obtain_pair.sync_detailed(client=client, body=Credentials(username=user, password=password))
    refused = expect("log in before verifying (login/simpleJWT)", r, 403,
                     {"detail": "E-mail is not verified.", "code": "email_not_verified"}, EmailNotVerified)
    check(refused.code == "email_not_verified", refused)

    link = email_link(email, "Please confirm your e-mail address", 0)
    (key,) = link_params(link, ["verify"])
    r = verify_email.sync_detailed(client=client, body=VerifyEmailRequest(key=key))
    expect("verify the address (registration/verify-email)", r, 200, {"detail": "ok"}, Detail)
    r = verify_email.sync_detailed(client=client, body=VerifyEmailRequest(key=key))
    expect("the used key again", r, 404, {"detail": "Not found."})

    access = login(client, user, password, "the new user logs in (login/simpleJWT)")
    me = who_am_i(access, user, "who am I, the new user (login/jwt/info, Bearer)")
    check(me.id > 2, f"the new user has the id {me.id} (alice's or bob's)")
    return user, email, password, access, signed_up


def tokens(client):
    """Step 2, as the demo user."""
    r = token_obtain_pair.sync_detailed(client=client, body=Credentials(username=USERNAME, password=PASSWORD))
    pair = expect(f"obtain a token pair as {USERNAME} (login/simpleJWT)", r, 200, None, (Pair, AccessOnly))
    set_cookies = cookies(r)
    if isinstance(pair, Pair):
        mode, refresh = "body", pair.refresh
        check(list(json.loads(r.content)) == ["refresh", "access"], f"obtain: {r.content!r}")
    else:
        # JWT_AUTH_REFRESH_COOKIE (tests/serve.sh's default): {"access"}
        # and the refresh token in its HttpOnly cookie, with a csrftoken.
        mode = "cookie"
        check(list(json.loads(r.content)) == ["access"], f"obtain: {r.content!r}")
        names = [m.key for m in set_cookies.values()]
        check("csrftoken" in names and len(names) == 2, f"obtain set the cookies {names}")
        refresh_cookie = next(m for m in set_cookies.values() if m.key != "csrftoken")
        check(refresh_cookie["httponly"] and refresh_cookie["path"] == "/api/v1/users/login/simpleJWT",
              f"the refresh cookie: {refresh_cookie.OutputString()}")
        refresh = refresh_cookie.value
    print(f"clients: python: the refresh token comes in the {mode}", flush=True)
    who_am_i(pair.access, USERNAME, "who am I (login/jwt/info, Bearer)")

    if mode == "cookie":
        # As the demo page: the cookies the API set go back, and the CSRF
        # header repeats the csrftoken cookie; the body has no `refresh`.
        csrf = set_cookies["csrftoken"].value
        browser = Client(
            base_url=BASE,
            cookies={refresh_cookie.key: refresh, "csrftoken": csrf},
            headers={"X-CSRFToken": csrf},
            raise_on_unexpected_status=True,
        )
        r = token_refresh.sync_detailed(client=browser, body=RefreshRequest())
        renewed = expect("refresh with the cookie (login/simpleJWT/refresh)", r, 200, None,
                         (AccessOnly, AccessAndRefresh))
        rotated = cookies(r).get(refresh_cookie.key)
        refresh = rotated.value if rotated is not None else refresh
    else:
        r = token_refresh.sync_detailed(client=anonymous(), body=RefreshRequest(refresh=refresh))
        renewed = expect("refresh (login/simpleJWT/refresh)", r, 200, None, (AccessOnly, AccessAndRefresh))
        refresh = json.loads(r.content).get("refresh", refresh)  # with ROTATE_REFRESH_TOKENS
    check(renewed.access != pair.access, "the refresh answered the same access token")
    who_am_i(renewed.access, USERNAME, "who am I with the new access token")

    r = token_blacklist.sync_detailed(client=anonymous(), body=RefreshRequest(refresh=refresh))
    expect("blacklist the refresh token (login/simpleJWT/blacklist)", r, 200, {}, TokenBlacklistResponse200)
    r = token_refresh.sync_detailed(client=anonymous(), body=RefreshRequest(refresh=refresh))
    refused = expect("refresh with the blacklisted token", r, 401,
                     {"detail": "Token is blacklisted", "code": "token_not_valid"}, TokenNotValid)
    check(refused.detail == "Token is blacklisted", refused)
    check(r.headers.get("www-authenticate") == 'Bearer realm="api"', r.headers.get("www-authenticate"))


def reset(client, user, email, old_password, old_access, signed_up):
    """Step 3."""
    wait = signed_up + MAIL_GAP - time.monotonic()
    if wait > 0:
        print(f"clients: python: waiting {wait:.0f} s: one email a minute per address", flush=True)
        time.sleep(wait)
    already = len(sent_emails(email))
    r = password_reset.sync_detailed(client=client, body=EmailRequest(email=email))
    expect("ask for a password reset (password/reset)", r, 200,
           {"detail": "Password reset e-mail has been sent."}, Detail)
    uid, token = link_params(email_link(email, "Password reset", already), ["uid", "token"])

    new_password = f"reset by the generated client {secrets.token_hex(8)}"
    body = PasswordResetConfirm(uid=uid, token=token, new_password1=new_password, new_password2=new_password + "?")
    r = password_reset_confirm.sync_detailed(client=client, body=body)
    expect("mismatched new passwords (password/reset/confirm)", r, 400,
           {"new_password2": ["The two password fields didn't match."]}, PasswordResetConfirmErrors)
    body = PasswordResetConfirm(uid=uid, token=token, new_password1=new_password, new_password2=new_password)
    r = password_reset_confirm.sync_detailed(client=client, body=body)
    expect("set the new password (password/reset/confirm)", r, 200,
           {"detail": "Password has been reset with the new password."}, Detail)

    r = info.sync_detailed(client=AuthenticatedClient(base_url=BASE, token=old_access, raise_on_unexpected_status=True))
    expect("the access token from before the reset", r, 401, None)
    r = token_obtain_pair.sync_detailed(client=client, body=Credentials(username=user, password=old_password))
    expect("the old password", r, 401, {"detail": "No active account found with the given credentials"}, Detail)
    access = login(client, user, new_password, "the new password logs in (login/simpleJWT)")
    who_am_i(access, user, "who am I after the reset")


def main():
    started = time.monotonic()
    # A client per flow: each keeps the cookies the API sets, as a browser.
    user, email, password, access, signed_up = sign_up(anonymous())
    tokens(anonymous())
    reset(anonymous(), user, email, password, access, signed_up)
    print(f"clients: python: the generated client passed {checked} checks against {BASE} "
          f"in {time.monotonic() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()
