#!/usr/bin/env bash
# The demo frontend (examples/spa/) in a real browser: starts the local stack
# as the README's run command does (tests/serve.sh, with a short access token
# lifetime so that the page's automatic refresh really happens), runs
# tests/browser/test_spa.py in headless Chromium against it, and stops the
# stack whatever happens. Screenshots of each step: target/browser-artifacts/.
# Needs Chromium (Debian: `apt-get install chromium`; .ci/run installs it).
# Installs Playwright (tests/browser/requirements.txt) into .tools/browser/;
# it drives that Chromium and never downloads a browser.
# Env: PORT (API, default 9000), SPA_PORT (the page, default 3000),
#      FOREIGN_PORT (a page on a foreign origin, default 3001),
#      ACCESS_TOKEN_LIFETIME (default 5 s), CHROMIUM (default /usr/bin/chromium),
#      AWS_ENDPOINT_URL_DYNAMODB (as for tests/serve.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

chromium="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$chromium" ]; then
  echo "browser: no Chromium at $chromium (Debian: apt-get install chromium; or set CHROMIUM)" >&2
  exit 1
fi

venv=.tools/browser
requirements=tests/browser/requirements.txt
if [ ! -x "$venv/bin/python3" ] || ! cmp -s "$requirements" "$venv/requirements.txt"; then
  echo "browser: installing $(grep -v '^#' "$requirements" | xargs) into $venv/"
  "${PYTHON:-python3}" -m venv "$venv"
  "$venv/bin/pip" install --disable-pip-version-check -q -r "$requirements"
  cp "$requirements" "$venv/requirements.txt"
fi

api_port="${PORT:-9000}"
spa_port="${SPA_PORT:-3000}"
foreign_port="${FOREIGN_PORT:-3001}"
if (exec 3<>"/dev/tcp/127.0.0.1/$foreign_port") 2>/dev/null; then
  echo "browser: 127.0.0.1:$foreign_port is taken (FOREIGN_PORT chooses another)" >&2
  exit 1
fi

artifacts=target/browser-artifacts
rm -rf "$artifacts"
mkdir -p "$artifacts"

# serve.sh's own CORS and refresh cookie defaults, as a developer gets them.
unset CORS_ALLOWED_ORIGINS JWT_AUTH_REFRESH_COOKIE
export PORT="$api_port" SPA_PORT="$spa_port"
export ACCESS_TOKEN_LIFETIME="${ACCESS_TOKEN_LIFETIME:-5}"

page="http://localhost:$spa_port/"
[ "$api_port" = 9000 ] || page="${page}?api=http://localhost:$api_port"
export API="http://localhost:$api_port" PAGE="$page" FOREIGN_PORT="$foreign_port" \
  ARTIFACTS="$artifacts" CHROMIUM="$chromium"
STACK_LOG="$artifacts/serve.log" bash tests/with-stack.sh \
  "$venv/bin/python3" tests/browser/test_spa.py
