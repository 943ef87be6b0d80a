#!/usr/bin/env bash
# Tokens other services verify (issue 13), CI step: for RS256 and ES256,
#   1. the whole contract test suite with that algorithm, ISSUER, AUDIENCE
#      and ACCESS_TOKEN_SCOPE set (TEST_ALGORITHM; tests/src/lib.rs);
#   2. the local stack signing with a fresh key of that algorithm, verified
#      by PyJWT's PyJWKClient, simplejwt's TokenBackend and API Gateway's
#      JWT authorizer rules (tests/keys/verify.py);
#   3. on that stack, with the OAuth provider on, a confidential client
#      registered by `authctl clients add` and driven by Python's Authlib:
#      client_credentials, introspection, revocation
#      (tests/oauth/authlib_client.py).
# Ports: moto 8300, API 9300 (SPA_PORT 3300), so a running tests/serve.sh
# is left alone. Stops everything it started. KEYS_STACK_ONLY=1 skips
# the contract suites.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
source tests/tools.sh
pip_stamp=.tools/.keys-requirements.sha256
want="$(sha256sum tests/keys/requirements.txt | cut -d' ' -f1)"
if [ "$(cat "$pip_stamp" 2>/dev/null)" != "$want" ]; then
  .tools/bin/pip install --disable-pip-version-check -q -r tests/keys/requirements.txt
  echo "$want" > "$pip_stamp"
fi
cargo build --quiet --workspace --bins

pids=()
stop() {
  [ "${#pids[@]}" -eq 0 ] || kill -- "${pids[@]}" 2>/dev/null || true
  for p in "${pids[@]}"; do kill -- "-$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pids=()
}
trap stop EXIT INT TERM

for alg in RS256 ES256; do
  if [ "${KEYS_STACK_ONLY:-}" != 1 ]; then
    echo "keys: contract suite with $alg"
    TEST_ALGORITHM=$alg cargo test --quiet -p integration-tests --test contract
  fi

  echo "keys: the local stack signing with $alg, verified independently"
  key="$(./target/debug/authctl keys generate --alg "$alg")"
  base=http://127.0.0.1:9300
  # serve.sh puts the key into SSM; the functions read it there.
  ALGORITHM=$alg SIGNING_KEYS="$key" ISSUER="$base/api/v1/users" AUDIENCE=example-services \
    OAUTH_ENABLED=true \
    ACCESS_TOKEN_SCOPE=auth/access MOTO_PORT=8300 \
    CORS_ALLOWED_ORIGINS= JWT_AUTH_REFRESH_COOKIE= \
    PORT=9300 SPA_PORT=3300 setsid bash tests/serve.sh > target/keys-serve.log 2>&1 &
  pids+=("$!")
  for _ in $(seq 300); do
    curl -sf -o /dev/null "$base/api/v1/users/.well-known/jwks.json" && break
    sleep 1
  done
  python3 tests/keys/verify.py --base "$base" --alg "$alg" --audience example-services \
    --scope auth/access || { tail -n 40 target/keys-serve.log >&2; exit 1; }
  echo "keys: the OAuth provider with $alg, used by Authlib"
  client="$(source .tools/stack-9300/env && ./target/debug/authctl clients add "Reports ($alg)" \
    --grant client_credentials --scope "reports:read reports:write")"
  python3 tests/oauth/authlib_client.py --base "$base" --scope "reports:read" \
    --client-id "$(sed -n 's/^client_id=//p' <<< "$client")" \
    --client-secret "$(sed -n 's/^client_secret=//p' <<< "$client")" \
    || { tail -n 40 target/keys-serve.log >&2; exit 1; }
  stop
done
