#!/usr/bin/env bash
# Clients generated from docs/openapi.yaml, used against a running stack
# (issue 25):
#
#   bash tests/clients/run.sh [BASE_URL]      (default http://127.0.0.1:9000)
#
# 1. openapi-python-client (PyPI) generates the Python client into
#    target/clients/python/ (package `auth_api_client`), failing on any
#    warning; tests/clients/smoke.py drives the stack at BASE_URL with it:
#    sign-up, email verification, a password login, a token pair, who am
#    I, refresh, blacklist, password reset (see there). The stack is
#    tests/serve.sh's (sign-up open, emails through moto's SES).
# 2. Meanwhile (the smoke test waits a minute between two emails to one
#    address), openapi-typescript (npm) generates the types into
#    target/clients/ts/schema.d.ts and @hey-api/openapi-ts (npm) an SDK
#    into target/clients/hey-api/, each with no warning, and
#    `tsc --noEmit` checks tests/clients/typed-calls.ts against both
#    (openapi-fetch for the types).
# Each generator's operation count is printed. The same commands, by
# hand: README, "Generate a client".
# Installs tests/clients/requirements.txt into the virtualenv
# .tools/clients/ and tests/clients/package-lock.json into
# .tools/clients-node/ (npm ci), each again only when it changes.
# Env: MOTO_PORT (the stack's moto, for its SES: default 8000), and
# smoke.py's (SMOKE_USERNAME, SMOKE_PASSWORD, MAIL_TIMEOUT).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
started=$SECONDS
base="${1:-http://127.0.0.1:9000}"
base="${base%/}"
say() { echo "clients: $* ($((SECONDS - started)) s)"; }

venv=.tools/clients
pip_stamp="$venv/.requirements.sha256"
pip_want="$(sha256sum tests/clients/requirements.txt | cut -d' ' -f1)"
if [ ! -x "$venv/bin/python3" ] || [ "$(cat "$pip_stamp" 2>/dev/null)" != "$pip_want" ]; then
  say "installing tests/clients/requirements.txt into $venv/"
  "${PYTHON:-python3}" -m venv "$venv"
  "$venv/bin/pip" install --disable-pip-version-check -q -r tests/clients/requirements.txt
  echo "$pip_want" > "$pip_stamp"
fi
node_dir=.tools/clients-node
node_stamp=.tools/.clients-node.sha256
node_want="$(cat tests/clients/package.json tests/clients/package-lock.json | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$node_stamp" 2>/dev/null)" != "$node_want" ] || [ ! -d "$node_dir/node_modules" ]; then
  say "installing tests/clients/package-lock.json's npm packages into $node_dir/"
  mkdir -p "$node_dir"
  cp tests/clients/package.json tests/clients/package-lock.json "$node_dir/"
  (cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$node_want" > "$node_stamp"
fi
bin="$node_dir/node_modules/.bin"

out=target/clients
rm -rf "$out"
mkdir -p "$out"

# A generator's output (colours stripped), less the lines it prints on
# success: anything else (a warning, an error) fails the step.
quiet_or_fail() {
  local name="$1" log="$2" expected="$3"
  if sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -vE "$expected" | grep -q .; then
    echo "clients: $name said more than it does on a clean run:" >&2
    cat "$log" >&2
    exit 1
  fi
}

# 1. Python: generate (ruff, its default formatter, from the same venv),
#    then the smoke test, in the background.
if ! PATH="$PWD/$venv/bin:$PATH" "$venv/bin/openapi-python-client" generate \
    --path docs/openapi.yaml --output-path "$out/python" --fail-on-warning > "$out/python.log" 2>&1; then
  cat "$out/python.log" >&2
  exit 1
fi
quiet_or_fail openapi-python-client "$out/python.log" "^Generating $out/python$"
count=$(find "$out/python/auth_api_client/api" -name '*.py' ! -name __init__.py | wc -l)
say "openapi-python-client $("$venv/bin/openapi-python-client" --version | awk '{print $NF}'): $count operations, $(du -sh "$out/python/auth_api_client" | cut -f1) in $out/python/"

"$venv/bin/python3" tests/clients/smoke.py "$base" &
smoke=$!
trap 'kill "$smoke" 2>/dev/null || true' EXIT

# 2. TypeScript, while the smoke test runs.
mkdir -p "$out/ts"
"$bin/openapi-typescript" docs/openapi.yaml -o "$out/ts/schema.d.ts" > "$out/ts.log" 2>&1 \
  || { cat "$out/ts.log" >&2; exit 1; }
quiet_or_fail openapi-typescript "$out/ts.log" "^✨ openapi-typescript [0-9.]+$|^🚀 docs/openapi.yaml → $out/ts/schema.d.ts \[[0-9.]+m?s\]$"
count=$(grep -cE '^        (get|put|post|delete|options|head|patch|trace): operations\["' "$out/ts/schema.d.ts")
say "openapi-typescript $("$bin/openapi-typescript" --version | awk '{print $NF}'): $count operations, $(wc -c < "$out/ts/schema.d.ts") bytes in $out/ts/schema.d.ts"

"$bin/openapi-ts" -f tests/clients/openapi-ts.config.mjs --no-log-file > "$out/hey-api.log" 2>&1 \
  || { cat "$out/hey-api.log" >&2; exit 1; }
# shellcheck disable=SC2016
quiet_or_fail @hey-api/openapi-ts "$out/hey-api.log" '^@hey-api/openapi-ts v[0-9.]+$|^$|^\[Job 1\] (~ Generating\.\.\.|  \[1\] \./docs/openapi\.yaml|✓ .*/target/clients/hey-api · [0-9]+ files · [0-9.]+m?s)$'
count=$(grep -c '^export const ' "$out/hey-api/sdk.gen.ts")
say "@hey-api/openapi-ts $("$bin/openapi-ts" --version): $count operations, $(du -sh "$out/hey-api" | cut -f1) in $out/hey-api/"

"$bin/tsc" -p tests/clients/tsconfig.json
say "tsc $("$bin/tsc" --version | awk '{print $NF}') --noEmit: tests/clients/typed-calls.ts compiles against both"

status=0
wait "$smoke" || status=$?
trap - EXIT
if [ "$status" -ne 0 ]; then
  say "the Python smoke test failed"
  exit "$status"
fi
say "done"
