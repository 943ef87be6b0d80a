#!/usr/bin/env bash
# One command for the Lambda-size figures of tests/BENCHMARKS.md §8: builds
# every function's release binary, measures each under the CPU share and
# memory limit of each Lambda MemorySize (tests/src/bin/lambda_emulate.rs,
# as root on cgroup v1; it says so and stops otherwise), merges the figures
# into tests/cost/measurements.json and recomputes the cost tables and the
# chart from them (tests/cost/cost.py).
#
#   bash tests/cost/measure.sh                      # every function and variant, the default sizes
#   bash tests/cost/measure.sh --runs 5 login info  # options and cases go to lambda_emulate
#
# Not part of tests/run.sh: it takes tens of minutes and its figures depend
# on the machine. Run it on a quiet machine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
source tests/tools.sh

# The functions: every crate under functions/ that runs the Lambda runtime.
functions=$(grep -l 'runtime::run' functions/*/src/main.rs | cut -d/ -f2)
# shellcheck disable=SC2046
cargo build --release $(printf -- '-p %s ' $functions)
cargo run --release -p integration-tests --bin lambda_emulate -- "$@"
python3 tests/cost/cost.py
