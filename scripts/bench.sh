#!/usr/bin/env bash
# Build-speed benchmark: prints figures, asserts nothing. Needs Hugo for the comparison
# (installed here from Debian when missing). Extra arguments go to cpts-bench, e.g.
#   ./scripts/bench.sh --only corpus --pages 2000
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v hugo >/dev/null; then
    echo "Installing Hugo (Debian package) for the comparison…"
    sudo_if_needed=""
    [ "$(id -u)" -eq 0 ] || sudo_if_needed="sudo"
    $sudo_if_needed apt-get update -qq && $sudo_if_needed apt-get install -y -qq hugo >/dev/null
fi
# cpts-bench runs the `cpts` binary found beside it in the same target folder.
cargo build --release -q -p site -p cpts-bench --bin cpts --bin cpts-bench
exec "${CARGO_TARGET_DIR:-target}/release/cpts-bench" "$@"
