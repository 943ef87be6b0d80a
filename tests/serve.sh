#!/usr/bin/env bash
# Runs the whole API locally, one command:
#   - installs cargo-lambda and moto into .tools/ if missing,
#   - starts moto's DynamoDB-API server on 127.0.0.1:8000, unless
#     AWS_ENDPOINT_URL_DYNAMODB already names a server (e.g. DynamoDB Local),
#   - creates the tables and seeds alice / bob,
#   - serves every endpoint with `cargo lambda watch` on
#     http://127.0.0.1:9000/api/v1/users/... (loopback only),
#   - serves the demo frontend examples/spa/ on http://localhost:3000, and
#     lets it call the API: unless set (an empty value turns them off),
#     CORS_ALLOWED_ORIGINS=http://localhost:3000,http://127.0.0.1:3000 and
#     JWT_AUTH_REFRESH_COOKIE=refresh.
# Ctrl-C stops everything it started.
# Env: PORT (default 9000), SPA_PORT (default 3000), SIGNING_KEY (default: a
#      dev key kept in .tools/), AWS_ENDPOINT_URL_DYNAMODB,
#      USERS_TABLE / SESSIONS_TABLE / BLACKLIST_TABLE, and every setting the
#      functions read (README, "Settings").
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source tests/tools.sh

port="${PORT:-9000}"
spa_port="${SPA_PORT:-3000}"
# The demo page's origins may call the API, and its refresh token lives in
# an HttpOnly cookie. Only when unset: `VAR=` (empty) turns either off.
export CORS_ALLOWED_ORIGINS="${CORS_ALLOWED_ORIGINS-http://localhost:$spa_port,http://127.0.0.1:$spa_port}"
export JWT_AUTH_REFRESH_COOKIE="${JWT_AUTH_REFRESH_COOKIE-refresh}"
pids=()
cleanup() {
  trap - EXIT INT TERM
  [ "${#pids[@]}" -eq 0 ] || kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if [ -z "${AWS_ENDPOINT_URL_DYNAMODB:-}" ]; then
  if port_busy 8000; then
    echo "serve: 127.0.0.1:8000 is taken. Stop what runs there, or set AWS_ENDPOINT_URL_DYNAMODB to use that server." >&2
    exit 1
  fi
  # moto, applying one write at a time: atomic, as DynamoDB applies each write.
  python3 tests/moto_server.py -H 127.0.0.1 -p 8000 > .tools/moto.log 2>&1 &
  pids+=("$!")
  export AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:8000"
  for _ in $(seq 100); do port_busy 8000 && break; sleep 0.1; done
  port_busy 8000 || { echo "serve: moto did not start, see .tools/moto.log" >&2; exit 1; }
  echo "serve: moto DynamoDB-API server on $AWS_ENDPOINT_URL_DYNAMODB (in memory: state ends with this command)"
fi
if port_busy "$port"; then
  echo "serve: 127.0.0.1:$port is taken; set PORT to use another port." >&2
  exit 1
fi

if [ -z "${SIGNING_KEY:-}" ]; then
  [ -s .tools/dev-signing-key ] || head -c 48 /dev/urandom | base64 | tr -d '\n' > .tools/dev-signing-key
  SIGNING_KEY="$(cat .tools/dev-signing-key)"
  export SIGNING_KEY
fi

echo "serve: building the functions and authctl (first time: a few minutes)"
cargo build --quiet --workspace --bins

./target/debug/authctl create-tables
seed() {
  local out status=0
  out="$(printf '%s' "$2" | ./target/debug/authctl create-user "$1" --password-stdin 2>&1)" || status=$?
  case "$status" in
    0) echo "serve: user $1 created, id $out" ;;
    4) printf '%s' "$2" | ./target/debug/authctl set-password "$1" --password-stdin >/dev/null
       echo "serve: user $1 exists; password reset to the demo one" ;;
    *) echo "$out" >&2; exit "$status" ;;
  esac
}
seed alice 'correct horse battery staple'
seed bob 'hunter2-Secret!'

# The demo frontend: static files, on loopback. A busy port only costs the page.
page="http://localhost:$spa_port/"
[ "$port" = 9000 ] || page="${page}?api=http://localhost:$port"
if port_busy "$spa_port"; then
  echo "serve: 127.0.0.1:$spa_port is taken: not serving the demo page (set SPA_PORT to use another port)." >&2
  page=""
else
  python3 -m http.server --bind 127.0.0.1 "$spa_port" --directory examples/spa > .tools/spa.log 2>&1 &
  pids+=("$!")
fi

cat <<BANNER

serve: the API is at http://127.0.0.1:$port/api/v1/users/ (Ctrl-C stops everything)
  curl -i -X POST 127.0.0.1:$port/api/v1/users/login -H 'Content-Type: application/json' \\
       -d '{"username":"alice","password":"correct horse battery staple"}'
serve: CORS_ALLOWED_ORIGINS=$CORS_ALLOWED_ORIGINS JWT_AUTH_REFRESH_COOKIE=$JWT_AUTH_REFRESH_COOKIE
BANNER
[ -z "$page" ] || echo "serve: the demo frontend (examples/spa/) is at $page"
echo
cargo lambda watch -A 127.0.0.1 -P "$port" --disable-cors &
pids+=("$!")
wait "${pids[@]}"
