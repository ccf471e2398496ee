#!/usr/bin/env bash
# Builds the Ardennes demo site and serves it on http://127.0.0.1:8000/ with the registration form
# working (Ctrl+C to stop).
set -euo pipefail
cd "$(dirname "$0")/.."
# Posters are set in the free font Inter (Debian package fonts-inter); without it the site is
# still built, without posters, and the build says how to install it.
if [ ! -f /usr/share/fonts/opentype/inter/Inter-Regular.otf ] && command -v apt-get >/dev/null; then
    SUDO=$([ "$(id -u)" -eq 0 ] || echo sudo)
    { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq fonts-inter >/dev/null; } ||
        echo "Police Inter non installée : les affiches ne seront pas générées."
fi
# The interactive map (MapLibre GL JS, pinned in site/package-lock.json) is copied into the site
# from site/node_modules; without it /carte/ keeps its server-drawn map and table.
if [ ! -d site/node_modules/maplibre-gl ]; then
    (cd site && npm ci --no-audit --no-fund --loglevel=error) ||
        echo "Paquets npm non installés : la carte interactive sera remplacée par la carte fixe."
fi
cargo build --release -p site --bin cpts
# Builds the site, serves it with live reload and the registration form (data in .cpts/).
exec ./target/release/cpts serve --content content --port 8000
