#!/usr/bin/env bash
# Builds the Ardennes demo site and serves it on http://127.0.0.1:8000/ (Ctrl+C to stop).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p site --bin cpts
./target/release/cpts build --content content --out dist
echo "Site de démonstration : http://127.0.0.1:8000/"
exec python3 -m http.server 8000 --bind 127.0.0.1 --directory dist/site
