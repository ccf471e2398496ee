#!/usr/bin/env bash
# Builds the form handler (`cpts-handler`, crate functions, feature aws) for AWS Lambda
# (provided.al2023) as target/lambda/cpts-handler/bootstrap.zip — the file infra/template.yaml
# deploys — and prints its size (budget: under 6 MB).
#
#   ./scripts/package-lambda.sh            # x86_64 (what this project's toolchain builds)
#   ./scripts/package-lambda.sh --arm64    # arm64 (cheaper; needs the aarch64 Rust target), then
#                                          # deploy with --parameter-overrides Architecture=arm64
#
# The zip holds the binary (`bootstrap`), the territory it routes requests with (`territory/`,
# from content/territory) and, when content/templates exists, the templates that replace the
# built-in ones (`templates/`; a broken one stops the handler at start, so check with
# `cpts check` first): rebuild and redeploy after either changes.
set -euo pipefail
cd "$(dirname "$0")/.."

arch=${1:---x86-64}
case "$arch" in
    --x86-64 | --arm64) ;;
    *) echo "usage: $0 [--x86-64 | --arm64]" >&2; exit 2 ;;
esac

# cargo-lambda (PyPI) drives the build. It links through Zig (PyPI `ziglang`, found by
# cargo-zigbuild as `python3 -m ziglang`) even for x86_64 on an x86_64 host: this machine's glibc
# (Debian 12: 2.36) is newer than Amazon Linux 2023's (2.34), and a natively linked binary could
# ask for symbols Lambda does not have. Zig links against the older glibc.
pip_install() { python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore "$@"; }
command -v cargo-lambda >/dev/null 2>&1 || pip_install cargo-lambda
python3 -c 'import ziglang' 2>/dev/null || pip_install ziglang

# Staged so that the zip holds `territory/…` beside `bootstrap`, where the handler looks for it
# (CPTS_TERRITORY_DIR defaults to $LAMBDA_TASK_ROOT/territory).
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp -r content/territory "$stage/territory"
# …and `templates/` beside it too (CPTS_TEMPLATES_DIR defaults to $LAMBDA_TASK_ROOT/templates).
include=(--include territory)
if [ -d content/templates ]; then
    cp -r content/templates "$stage/templates"
    include+=(--include templates)
fi

# Size: the workspace's release profile keeps line tables for readable backtraces and optimises
# for speed. The Lambda binary drops every symbol and is optimised for size (62 MB → 10.5 MB, the
# zip 17 MB → 4.4 MB): a request spends its time waiting for DynamoDB and SES, not in our code,
# and a smaller package loads faster at a cold start.
export CARGO_PROFILE_RELEASE_STRIP=symbols
export CARGO_PROFILE_RELEASE_OPT_LEVEL=s

out="$PWD/target/lambda"
(cd "$stage" && cargo lambda build --manifest-path "$OLDPWD/Cargo.toml" \
    --release --package functions --bin cpts-handler --features aws "$arch" \
    --output-format zip --lambda-dir "$out" "${include[@]}")

zip="$out/cpts-handler/bootstrap.zip"
bytes=$(stat -c %s "$zip")
echo "$zip: $bytes bytes ($(awk -v b="$bytes" 'BEGIN { printf "%.2f", b / 1000000 }') MB; budget 6 MB)"
unzip -l "$zip" | tail -n +4 | head -n -2 | awk '{print "  " $4 " (" $1 " bytes)"}' | head -8
[ "$bytes" -lt 6000000 ] || { echo "over the 6 MB budget" >&2; exit 1; }
