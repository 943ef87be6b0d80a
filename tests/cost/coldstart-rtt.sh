#!/usr/bin/env bash
# Cold starts in AWS conditions, before and after issue 16's item 4 (the
# DynamoDB connection opened during init while the signing key is read from
# SSM): tests/BENCHMARKS.md §9.
#
#   bash tests/cost/coldstart-rtt.sh [lambda_emulate options] [CASE...]
#   e.g. bash tests/cost/coldstart-rtt.sh --rtt-ms 20 --runs 31 info login
#
# Builds two sets of function binaries from one snapshot of this checkout
# (HEAD plus its uncommitted changes to shared/ and functions/), in a
# worktree under target/item4/: "after" as it is, "before" with
# tests/cost/before-item4.patch applied (the patch takes the change out of
# shared/src/runtime.rs, nothing else), so the two differ by that change
# only. Then runs both side by side through lambda_emulate (their cold
# starts take turns) with the signing key in SSM and a latency proxy in
# front of DynamoDB and SSM: by default 10 ms round trips and 2 more per new
# connection (TCP and TLS handshakes), at 1,769 MB (one vCPU), 21 cold
# starts each of info, token-refresh and login. Figures also go to
# target/lambda-emulate/coldstart-rtt.json.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
source tests/tools.sh

cases=() options=()
while [ $# -gt 0 ]; do
  case "$1" in
    --*) options+=("$1" "$2"); shift 2 ;;
    *) cases+=("$1"); shift ;;
  esac
done
[ ${#cases[@]} -gt 0 ] || cases=(info token-refresh login)
functions=$(printf '%s\n' "${cases[@]}" | cut -d: -f1 | sort -u)
packages=$(printf -- '-p %s ' $functions)

snap=target/item4
rm -rf "$snap/src" "$snap/before" "$snap/after"
git worktree prune
git worktree add --detach "$snap/src" HEAD >/dev/null
trap 'git worktree remove --force "$snap/src" 2>/dev/null || true' EXIT
if ! git diff --quiet HEAD -- shared functions; then
  git diff HEAD -- shared functions | git -C "$snap/src" apply
fi
# Start from this checkout's compiled dependencies (only our crates rebuild).
if [ ! -d "$snap/release/deps" ] && [ -d target/release/deps ]; then
  mkdir -p "$snap/release"
  cp -a target/release/deps target/release/build target/release/.fingerprint "$snap/release/"
fi
build() {
  # shellcheck disable=SC2086
  cargo build --release --manifest-path "$snap/src/Cargo.toml" --target-dir "$snap" $packages
  mkdir -p "$snap/$1"
  for f in $functions; do cp "$snap/release/$f" "$snap/$1/"; done
}
build after
git -C "$snap/src" apply "$PWD/tests/cost/before-item4.patch"
build before

mkdir -p target/lambda-emulate
cargo run --release -p integration-tests --bin lambda_emulate -- \
  --sizes 1769 --rtt-ms 10 --handshake-rtts 2 --warm 0 --runs 21 \
  --bin-dir "before=$snap/before" --bin-dir "after=$snap/after" \
  --out target/lambda-emulate/coldstart-rtt.json "${options[@]}" "${cases[@]}"
