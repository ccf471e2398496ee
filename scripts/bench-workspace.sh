#!/usr/bin/env bash
# Coordination workspace benchmark (#13): prints figures, asserts nothing. Search among 100 000
# requests on SQLite (p50/p95/p99 of a name with a typo, a phone, a birth year, a commune; in one
# CPTS and across the territory), then the to-do list of a CPTS with 10 000 open requests (reading
# it, and rendering the whole page). Extra arguments go to overview-bench, e.g.
#   ./scripts/bench-workspace.sh --requests 20000 --runs 20
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p cpts-bench --bin cpts-bench --bin overview-bench
target="${CARGO_TARGET_DIR:-target}/release"
"$target/cpts-bench" --only search
exec "$target/overview-bench" "$@"
