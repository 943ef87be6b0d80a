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
#      (tests/oauth/authlib_client.py);
#   4. on that stack, a confidential third-party client driven by panva's
#      openid-client (Node.js) with headless Chromium (playwright-core)
#      filling the hosted login and consent pages: discovery, the code
#      flow with PKCE, the ID token (verified again by jose), userinfo,
#      remembered consent, refresh rotation and reuse, introspection,
#      revocation, prompt=none (tests/oauth/openid_client.mjs); then, in
#      the same browser, the partner app tests/serve.sh serves
#      (examples/oauth-client/, a third-party client on its own origin),
#      and the login page's second step for bob, who turns TOTP on
#      (otpauth computes his code).
# Installs the Python packages of tests/keys/requirements.txt into .tools/,
# and the npm packages pinned by tests/oauth/package-lock.json into
# .tools/oauth-node/ (npm ci; again only when the lock file changes).
# Needs node and npm, and Chromium at /usr/bin/chromium or CHROMIUM
# (Debian: apt-get install chromium; .ci/run installs it): never downloads
# a browser.
# Ports: moto 8300, API 9300 (SPA_PORT 3300), so a running tests/serve.sh
# is left alone; the openid-client script serves its redirect URI on
# 127.0.0.1:3390. Stops everything it started. KEYS_STACK_ONLY=1 skips
# the contract suites. Screenshots of a failed browser step:
# target/oauth-artifacts/<alg>/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
source tests/tools.sh
pip_stamp=.tools/.keys-requirements.sha256
want="$(sha256sum tests/keys/requirements.txt | cut -d' ' -f1)"
if [ "$(cat "$pip_stamp" 2>/dev/null)" != "$want" ]; then
  .tools/bin/pip install --disable-pip-version-check -q -r tests/keys/requirements.txt
  echo "$want" > "$pip_stamp"
fi
chromium="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$chromium" ]; then
  echo "keys: no Chromium at $chromium (Debian: apt-get install chromium; or set CHROMIUM)" >&2
  exit 1
fi
node_dir=.tools/oauth-node
node_stamp=.tools/.oauth-node.sha256
node_want="$(cat tests/oauth/package.json tests/oauth/package-lock.json | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$node_stamp" 2>/dev/null)" != "$node_want" ] || [ ! -d "$node_dir/node_modules" ]; then
  echo "keys: installing tests/oauth/package-lock.json's npm packages into $node_dir/"
  mkdir -p "$node_dir"
  cp tests/oauth/package.json tests/oauth/package-lock.json "$node_dir/"
  (cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$node_want" > "$node_stamp"
fi
# Run from there, its imports resolve in $node_dir/node_modules.
cp tests/oauth/openid_client.mjs "$node_dir/"
rm -rf target/oauth-artifacts
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
  echo "keys: the OAuth provider with $alg, used by openid-client in Chromium"
  redirect_uri=http://127.0.0.1:3390/cb
  rp="$(source .tools/stack-9300/env && ./target/debug/authctl clients add "Relying party ($alg)" \
    --redirect-uri "$redirect_uri" --scope "openid profile email")"
  node "$node_dir/openid_client.mjs" --base "$base/api/v1/users" --alg "$alg" \
    --client-id "$(sed -n 's/^client_id=//p' <<< "$rp")" \
    --client-secret "$(sed -n 's/^client_secret=//p' <<< "$rp")" \
    --redirect-uri "$redirect_uri" --username alice --password 'correct horse battery staple' \
    --chromium "$chromium" --artifacts "target/oauth-artifacts/$alg" \
    --partner http://localhost:3302/ \
    --mfa-username bob --mfa-password 'hunter2-Secret!' \
    || { tail -n 40 target/keys-serve.log >&2; exit 1; }
  stop
done
