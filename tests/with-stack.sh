#!/usr/bin/env bash
# Runs a command against a fresh local stack, then stops the stack:
#
#   bash tests/with-stack.sh COMMAND [ARGS...]
#
# starts tests/serve.sh (moto, the tables and demo users, the API on PORT,
# the demo page on SPA_PORT; every setting from the environment) in a
# process group of its own, waits until the API and the page accept
# connections, runs the command, and stops the whole group whatever
# happens. Exits with the command's status; on failure, shows the end of
# the stack's log.
# Env: PORT (default 9000), SPA_PORT (default 3000), STACK_LOG (serve.sh's
#      output, default target/stack.log), and whatever tests/serve.sh reads.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

api_port="${PORT:-9000}"
spa_port="${SPA_PORT:-3000}"
log="${STACK_LOG:-target/stack.log}"
mkdir -p "$(dirname "$log")"

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in "$api_port" "$spa_port"; do
  if port_busy "$p"; then
    echo "stack: 127.0.0.1:$p is taken (PORT and SPA_PORT choose others)" >&2
    exit 1
  fi
done

set -m
bash tests/serve.sh > "$log" 2>&1 &
stack=$!
set +m
stop() {
  trap - EXIT INT TERM
  kill -TERM -- "-$stack" 2>/dev/null || true
  for _ in $(seq 50); do
    kill -0 -- "-$stack" 2>/dev/null || break
    sleep 0.2
  done
  kill -KILL -- "-$stack" 2>/dev/null || true
  wait "$stack" 2>/dev/null || true
}
trap stop EXIT
trap 'exit 130' INT TERM

echo "stack: starting tests/serve.sh (log in $log)"
until port_busy "$api_port" && port_busy "$spa_port"; do
  if ! kill -0 "$stack" 2>/dev/null; then
    echo "stack: tests/serve.sh stopped:" >&2
    tail -n 30 "$log" >&2
    exit 1
  fi
  sleep 0.5
done

status=0
"$@" || status=$?
if [ "$status" -ne 0 ]; then
  echo "stack: $1 failed; the stack's log ($log) ends:" >&2
  tail -n 30 "$log" >&2
fi
exit "$status"
