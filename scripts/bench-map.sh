#!/usr/bin/env bash
# Availability map benchmark (#3): prints figures, asserts nothing.
# 1. map-bench: the map's extra build time and data sizes, for the demo and for a synthetic national
#    territory (extra arguments go to it, e.g. --communes 35000 --doctors 100000 --runs 3);
# 2. the demo built and served on 127.0.0.1, loaded in headless Chromium: bytes transferred (gzip)
#    without JavaScript and with MapLibre, time from navigation to MapLibre's `idle`.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x /usr/bin/chromium ]; then
    SUDO=$([ "$(id -u)" -eq 0 ] || echo sudo)
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
(cd site && npm ci --no-audit --no-fund --loglevel=error)
cargo build --release -q -p site -p cpts-bench --bin cpts --bin map-bench
target="${CARGO_TARGET_DIR:-target}"
"$target/release/map-bench" "$@"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
CPTS_TODAY=2026-11-24 "$target/release/cpts" build --content content --out "$out" 2>&1 | grep -E '^Site construit'
SITE_DIR="$out/site" node tests/browser/bench.mjs
