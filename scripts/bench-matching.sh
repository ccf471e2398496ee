#!/usr/bin/env bash
# Matching benchmark (#6): prints figures, asserts nothing. On the synthetic national territory
# (35 000 communes, 100 000 doctors, built in memory): one request among every doctor (best, then
# choice and explain; median and p99), and a re-examination of 1 000 000 waiting cases (time,
# proposals made, peak memory). Extra arguments go to cpts-bench, e.g.
#   ./scripts/bench-matching.sh --cases 200000 --requests 2000
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p cpts-bench --bin cpts-bench
exec "${CARGO_TARGET_DIR:-target}/release/cpts-bench" --only matching "$@"
