#!/usr/bin/env bash
# Runs every check and test, one command: formatting, clippy, unit tests,
# contract tests against a real DynamoDB-API server (moto, started by the
# test harness on a free loopback port, IAM enforced: each function signs as
# a user with its template.yaml statements), and the end-to-end test over
# HTTP through `cargo lambda watch`; then the reverse IAM check (every
# action the template grants was used by some test).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source tests/tools.sh

cargo fmt --all --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
# The end-to-end test runs the function binaries through `cargo lambda watch`.
cargo build --workspace --bins --quiet
# What each function sends to DynamoDB and SSM, recorded by the suites.
rm -rf target/iam-observed
cargo test --workspace
cargo test --quiet -p integration-tests --test deploy -- --ignored every_granted_action_is_used_by_some_test
