#!/usr/bin/env bash
# Runs every check and test, one command: formatting, clippy, unit tests,
# contract tests against a real DynamoDB-API server (moto, started by the
# test harness on a free loopback port), and the end-to-end test over HTTP
# through `cargo lambda watch`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source tests/tools.sh

cargo fmt --all --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
# The end-to-end test runs the function binaries through `cargo lambda watch`.
cargo build --workspace --bins --quiet
cargo test --workspace
