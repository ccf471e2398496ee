#!/usr/bin/env bash
# Benchmark of the posters (issue #4): how long all demo posters (3 CPTS + the territory, every
# format) add to a release build, with a cold cache and with a warm one. Prints the figures.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p site --bin cpts
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
run() { # label, then env assignments
    local label=$1; shift
    local start end
    start=$(date +%s%N)
    env "$@" ./target/release/cpts build --content content --out "$out" 2>"$out/log" >/dev/null
    end=$(date +%s%N)
    printf '%-32s build %5d ms   %s\n' "$label" $(((end - start) / 1000000)) \
        "$(grep -h '^Affiches :' "$out/log" || echo 'Affiches : aucune (police absente)')"
    grep -h '^Site construit' "$out/log" | sed 's/^/    /'
}
run "sans affiches (police absente)" CPTS_FONTS_DIR=/nonexistent
rm -rf "$out/.cache"
run "affiches, cache froid" CPTS_TODAY=2026-11-26
run "affiches, cache chaud" CPTS_TODAY=2026-11-26
