#!/usr/bin/env bash
# Load benchmark of the registration form: starts `cpts serve` (release, fresh data folder, SQLite)
# on 127.0.0.1, drives it with 50 concurrent clients posting valid forms, prints registrations/s and
# p50/p90/p99 latency, first at saturation then at 1 000 registrations/s offered, then stops the
# server. Bounded: 20 000 registrations or 60 s per run.
set -euo pipefail
cd "$(dirname "$0")/.."
port=${PORT:-8790}
cargo build --release -q -p site --bin cpts
cargo build --release -q -p functions --example registrations_load
data=$(mktemp -d)
./target/release/cpts serve --content content --port "$port" --data "$data" >"$data/serve.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 120); do
    curl -sf "http://127.0.0.1:$port/api/health" >/dev/null 2>&1 && break
    sleep 0.5
done
load() {
    ./target/release/examples/registrations_load --port "$port" --clients "${CLIENTS:-50}" \
        --count "${COUNT:-20000}" --seconds "${SECONDS_MAX:-60}" "$@"
}
echo "== Saturation: 50 clients, each sending its next form as soon as it has an answer"
load
echo "== Target load: 1 000 registrations/s offered by 50 clients"
load --rate "${RATE:-1000}"
sleep 2
echo "outbox: $(find "$data/outbox" -name '*.eml' | wc -l) mails written; $(curl -s "http://127.0.0.1:$port/api/health")"
