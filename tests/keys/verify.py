#!/usr/bin/env python3
"""Our access and refresh tokens, verified by independent implementations
against a running local stack that signs with a private key (issue 13):

* discovery: {base}/api/v1/users/.well-known/openid-configuration names the
  issuer and the jwks_uri;
* PyJWT's PyJWKClient fetches the JWKS from jwks_uri, picks the key by kid
  and verifies every access and refresh token with the algorithm, issuer and
  audience (and refuses another audience, another issuer, a tampered token);
* simplejwt's own TokenBackend (djangorestframework-simplejwt) decodes them
  with ALGORITHM, the public key from the JWKS as VERIFYING_KEY, AUDIENCE and
  ISSUER, and again with JWK_URL;
* API Gateway's JWT authorizer rules (kid in the JWKS, RSA signature, iss,
  aud, exp, nbf, iat, the route's scope) pass an access token and refuse a
  refresh token (its audience) and a login/jwt token (no iss, no aud);
* a refresh token never passes for an access token (issue 21, RFC 8725
  §3.11-3.12, RFC 9068): access tokens are typed `at+jwt`, refresh tokens
  name the refresh endpoint as their audience, so PyJWT, simplejwt and API
  Gateway, checking iss, aud and the signature, refuse them even for a
  route that requires no scope.

    python3 tests/keys/verify.py --base http://127.0.0.1:9300 --alg RS256 \\
        --audience example-services --scope auth/access

Exit code 0 when every check passes; prints one line per check.
"""
import argparse
import json
import sys
import time
import urllib.request

import jwt
from jwt import PyJWKClient

CREDENTIALS = {"username": "alice", "password": "correct horse battery staple"}


def call(url, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.load(resp)


def check(name, ok, detail=""):
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else f": {detail}"), flush=True)
    return ok


def refused(fn):
    try:
        fn()
    except jwt.PyJWTError as e:
        return type(e).__name__
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--alg", required=True)
    ap.add_argument("--audience", required=True)
    ap.add_argument("--scope", required=True)
    a = ap.parse_args()
    api = a.base.rstrip("/") + "/api/v1/users"
    results = []

    discovery = call(api + "/.well-known/openid-configuration")
    issuer = discovery["issuer"]
    results.append(check("discovery names this API as the issuer", issuer == api, issuer))
    results.append(check("discovery names the JWKS", discovery["jwks_uri"] == api + "/.well-known/jwks.json", discovery))
    results.append(check("discovery names the algorithm", discovery["id_token_signing_alg_values_supported"] == [a.alg], discovery))

    pair = call(api + "/login/simpleJWT", CREDENTIALS)
    refreshed = call(api + "/login/simpleJWT/refresh", {"refresh": pair["refresh"]})
    tutorial = call(api + "/login/jwt", CREDENTIALS)["token"]
    tokens = {"access": pair["access"], "refresh": pair["refresh"], "access (refreshed)": refreshed["access"]}
    # Whom each kind is for: access tokens the services' audience, refresh
    # tokens this service's refresh endpoint only.
    refresh_audience = issuer + "/login/simpleJWT/refresh"
    audience_of = {kind: refresh_audience if kind == "refresh" else a.audience for kind in tokens}
    for kind, token in tokens.items():
        typ = jwt.get_unverified_header(token).get("typ")
        want = "JWT" if kind == "refresh" else "at+jwt"
        results.append(check(f"the {kind} token is typed {want}", typ == want, typ))

    # PyJWT, keys from the JWKS by kid
    client = PyJWKClient(discovery["jwks_uri"])
    for kind, token in tokens.items():
        key = client.get_signing_key_from_jwt(token)
        claims = jwt.decode(token, key, algorithms=[a.alg], issuer=issuer, audience=audience_of[kind],
                            options={"require": ["exp", "iat", "jti", "iss", "aud"]})
        results.append(check(f"PyJWKClient verifies the {kind} token", claims["user_id"] == "1", claims))
        results.append(check(f"PyJWT refuses the {kind} token for another audience",
                             refused(lambda: jwt.decode(token, key, algorithms=[a.alg], issuer=issuer,
                                                        audience="someone-else")) == "InvalidAudienceError"))
        results.append(check(f"PyJWT refuses the {kind} token from another issuer",
                             refused(lambda: jwt.decode(token, key, algorithms=[a.alg], issuer="https://evil.example",
                                                        audience=audience_of[kind])) == "InvalidIssuerError"))
        tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
        results.append(check(f"PyJWT refuses the {kind} token tampered",
                             refused(lambda: jwt.decode(tampered, key, algorithms=[a.alg], issuer=issuer,
                                                        audience=audience_of[kind])) is not None))
        results.append(check(f"PyJWT refuses the {kind} token as HS256",
                             refused(lambda: jwt.decode(token, "secret", algorithms=["HS256"])) is not None))
    key = client.get_signing_key_from_jwt(pair["refresh"])
    results.append(check("PyJWT, checking issuer and audience for an access token, refuses the refresh token",
                         refused(lambda: jwt.decode(pair["refresh"], key, algorithms=[a.alg], issuer=issuer,
                                                    audience=a.audience)) == "InvalidAudienceError"))

    # simplejwt's TokenBackend, configured as a Django service would be
    import django
    from django.conf import settings
    jwk = client.get_signing_key_from_jwt(pair["access"])
    from cryptography.hazmat.primitives import serialization
    public_pem = jwk.key.public_bytes(serialization.Encoding.PEM,
                                      serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    settings.configure(
        SECRET_KEY="independent-verifier", USE_TZ=True,
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "rest_framework_simplejwt"],
        SIMPLE_JWT={"ALGORITHM": a.alg, "VERIFYING_KEY": public_pem, "AUDIENCE": a.audience, "ISSUER": issuer},
    )
    django.setup()
    from rest_framework_simplejwt.backends import TokenBackend
    from rest_framework_simplejwt.exceptions import TokenBackendError
    backends = {
        "VERIFYING_KEY": TokenBackend(a.alg, verifying_key=public_pem, audience=a.audience, issuer=issuer),
        "JWK_URL": TokenBackend(a.alg, audience=a.audience, issuer=issuer, jwk_url=discovery["jwks_uri"]),
    }
    for how, backend in backends.items():
        for kind, token in tokens.items():
            if kind == "refresh":
                try:
                    backend.decode(token, verify=True)
                    results.append(check(f"simplejwt TokenBackend ({how}) refuses the refresh token", False, "accepted"))
                except TokenBackendError:
                    results.append(check(f"simplejwt TokenBackend ({how}) refuses the refresh token", True))
                continue
            claims = backend.decode(token, verify=True)
            results.append(check(f"simplejwt TokenBackend ({how}) decodes the {kind} token",
                                 claims["token_type"] == "access" and claims["user_id"] == "1", claims))
        try:
            TokenBackend(a.alg, verifying_key=public_pem, audience="someone-else", issuer=issuer).decode(
                pair["access"], verify=True)
            results.append(check(f"simplejwt ({how}) refuses another audience", False, "accepted"))
        except TokenBackendError:
            results.append(check(f"simplejwt ({how}) refuses another audience", True))

    # API Gateway's JWT authorizer rules
    jwks = call(discovery["jwks_uri"])

    def authorizer(token, scope=a.scope):
        kid = jwt.get_unverified_header(token).get("kid")
        match = [k for k in jwks["keys"] if k["kid"] == kid]
        if not match:
            return "kid"
        if match[0]["kty"] != "RSA":
            return "RSA only"
        key = jwt.PyJWK(match[0]).key
        try:
            claims = jwt.decode(token, key, algorithms=["RS256"], options={"verify_aud": False, "verify_iss": False})
        except jwt.PyJWTError as e:
            return type(e).__name__
        now = time.time()
        if claims.get("iss") != issuer:
            return "iss"
        aud = claims.get("aud", claims.get("client_id"))
        if a.audience not in (aud if isinstance(aud, list) else [aud]):
            return "aud"
        if not claims.get("exp", 0) > now:
            return "exp"
        if any(claims.get(c, 0) > now for c in ("nbf", "iat")):
            return "nbf/iat"
        if scope and scope not in (claims.get("scope") or claims.get("scp") or "").split():
            return "scope"
        return None

    if a.alg == "RS256":
        results.append(check("API Gateway's rules pass the access token", authorizer(pair["access"]) is None,
                             authorizer(pair["access"])))
        results.append(check("API Gateway's rules pass the refreshed access token",
                             authorizer(refreshed["access"]) is None))
        results.append(check("API Gateway's rules refuse the refresh token (its audience)",
                             authorizer(pair["refresh"]) == "aud", authorizer(pair["refresh"])))
        results.append(check("API Gateway's rules refuse the refresh token on a route requiring no scope",
                             authorizer(pair["refresh"], scope=None) == "aud", authorizer(pair["refresh"], None)))
        results.append(check("API Gateway's rules refuse the login/jwt token (no iss)",
                             authorizer(tutorial) == "iss", authorizer(tutorial)))
    else:
        results.append(check(f"API Gateway's rules refuse {a.alg} (RSA only)",
                             authorizer(pair["access"]) == "RSA only", authorizer(pair["access"])))

    failed = results.count(False)
    print(f"{len(results) - failed} of {len(results)} checks passed ({a.alg})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
