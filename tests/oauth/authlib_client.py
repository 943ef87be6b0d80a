#!/usr/bin/env python3
"""The OAuth provider used by a client nobody here wrote: Python's Authlib,
as a confidential back-end client (issue 24), against a running local stack
with OAUTH_ENABLED, a private-key ALGORITHM and ISSUER:

* discovery: RFC 8414's metadata names the token, revocation and
  introspection endpoints and the client authentication methods;
* client_credentials with client_secret_basic and with client_secret_post
  (Authlib's OAuth2Session); a wrong secret is invalid_client;
* the access token verifies with the published JWKS (PyJWT's PyJWKClient:
  Authlib's own JOSE module is deprecated), typed at+jwt, with the RFC 9068
  claims;
* introspection (Authlib's introspect_token) says active with the token's
  client_id and scope; after revocation (revoke_token) it says inactive.

    python3 tests/oauth/authlib_client.py --base http://127.0.0.1:9300 \\
        --client-id ID --client-secret SECRET --scope "reports:read"

Exit code 0 when every check passes; prints one line per check.
"""
import argparse
import sys

import jwt
import requests
from authlib.integrations.requests_client import OAuth2Session, OAuthError

checks = 0


def check(condition, what):
    global checks
    if not condition:
        print(f"FAIL {what}")
        sys.exit(1)
    checks += 1
    print(f"ok   {what}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base", required=True)
    p.add_argument("--client-id", required=True)
    p.add_argument("--client-secret", required=True)
    p.add_argument("--scope", required=True)
    a = p.parse_args()
    issuer = f"{a.base}/api/v1/users"

    meta = requests.get(f"{issuer}/.well-known/oauth-authorization-server", timeout=10).json()
    check(meta["issuer"] == issuer, "metadata: issuer")
    token_url = meta["token_endpoint"]
    check(token_url == f"{issuer}/oauth/token", "metadata: token_endpoint")
    check("client_credentials" in meta["grant_types_supported"], "metadata: client_credentials")
    check("password" not in meta["grant_types_supported"], "metadata: no password grant")
    check(
        {"client_secret_basic", "client_secret_post"} <= set(meta["token_endpoint_auth_methods_supported"]),
        "metadata: both client authentication methods",
    )
    jwks = jwt.PyJWKClient(meta["jwks_uri"])

    tokens = []
    for method in ("client_secret_basic", "client_secret_post"):
        session = OAuth2Session(
            a.client_id, a.client_secret, scope=a.scope, token_endpoint_auth_method=method
        )
        token = session.fetch_token(token_url, grant_type="client_credentials")
        check(token["token_type"] == "Bearer" and token["expires_in"] > 0, f"{method}: a Bearer token")
        check(token["scope"] == a.scope, f"{method}: the scope asked for")
        tokens.append(token["access_token"])

    access = tokens[0]
    header = jwt.get_unverified_header(access)
    claims = jwt.decode(
        access,
        jwks.get_signing_key_from_jwt(access).key,
        algorithms=[header["alg"]],
        issuer=issuer,
        options={"verify_aud": False, "require": ["exp", "iat", "sub", "jti", "aud"]},
    )
    check(claims["sub"] == a.client_id, "the token verifies with the JWKS; sub is the client")
    check(header["typ"] == "at+jwt", "the token is typed at+jwt (RFC 9068)")
    check(claims["client_id"] == a.client_id and claims["scope"] == a.scope, "client_id and scope claims")
    check("user_id" not in claims, "no user in a client's own token")

    wrong = OAuth2Session(a.client_id, "not-the-secret", token_endpoint_auth_method="client_secret_basic")
    try:
        wrong.fetch_token(token_url, grant_type="client_credentials")
        check(False, "a wrong secret is refused")
    except OAuthError as e:
        check(e.error == "invalid_client", "a wrong secret is invalid_client")

    session = OAuth2Session(a.client_id, a.client_secret, token_endpoint_auth_method="client_secret_basic")
    introspect_url, revoke_url = meta["introspection_endpoint"], meta["revocation_endpoint"]
    info = session.introspect_token(introspect_url, token=access).json()
    check(info["active"] is True, "introspection: active")
    check(info["client_id"] == a.client_id and info["scope"] == a.scope, "introspection: client_id and scope")
    check(info["iss"] == issuer and info["jti"] == claims["jti"], "introspection: iss and jti")
    r = session.revoke_token(revoke_url, token=access, token_type_hint="access_token")
    check(r.status_code == 200, "revocation: 200")
    info = session.introspect_token(introspect_url, token=access).json()
    check(info == {"active": False}, "introspection after revocation: inactive")
    info = session.introspect_token(introspect_url, token=tokens[1]).json()
    check(info["active"] is True, "the other token is still active")
    info = session.introspect_token(introspect_url, token="garbage").json()
    check(info == {"active": False}, "garbage is inactive")
    print(f"authlib: {checks} checks passed")


if __name__ == "__main__":
    main()
