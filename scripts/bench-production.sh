#!/usr/bin/env bash
# Load benchmark of the production path on one machine: Caddy (TLS, its internal CA) in front of
# `cpts run` (release, fresh data folder, SQLite), which sends its mails over SMTP to a real SMTP
# server (aiosmtpd) on loopback. Prints, for the registrations straight to `cpts run` and then
# through Caddy over HTTPS (a new TLS session per visitor), registrations/s and p50/p90/p99 at
# saturation and at 1 000 registrations/s offered; then the mails the SMTP server received per
# second. Bounded: COUNT registrations (20 000) or SECONDS_MAX (60 s) per run, on 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
app_port=${APP_PORT:-8791}
proxy_port=${PROXY_PORT:-8792}
command -v caddy >/dev/null || { echo "caddy manque : sudo apt-get install caddy" >&2; exit 1; }
python3 -c 'import aiosmtpd' 2>/dev/null || python3 -m pip install -q aiosmtpd
cargo build --release -q -p site --bin cpts
cargo build --release -q -p functions --example registrations_load

work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# The SMTP server prints its ports on one JSON line and serves until its input closes.
mkfifo "$work/smtp-in"
python3 functions/tests/smtp_server.py "$work/spool" <"$work/smtp-in" >"$work/smtp.json" &
pids+=($!)
exec 3>"$work/smtp-in"
for _ in $(seq 1 100); do [ -s "$work/smtp.json" ] && break; sleep 0.1; done
smtp_port=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ports"]["plain"])' "$work/smtp.json")

cp -r content "$work/content"
sed -i "s|^base_url = .*|base_url = \"https://127.0.0.1:$proxy_port\"|" "$work/content/site.toml"
CPTS_SMTP_HOST=127.0.0.1 CPTS_SMTP_PORT="$smtp_port" CPTS_SMTP_SECURITY=none \
    CPTS_MAIL_FROM="CPTS <ne-pas-repondre@example.org>" \
    ./target/release/cpts run --content "$work/content" --data "$work/data" \
    --listen "127.0.0.1:$app_port" --trusted-proxy 127.0.0.1 >"$work/run.log" 2>&1 &
pids+=($!)

cat >"$work/Caddyfile" <<EOF
{
	admin off
	auto_https disable_redirects
	skip_install_trust
	http_port $((proxy_port + 1))
	default_sni 127.0.0.1
	storage file_system {
		root $work/caddy
	}
	log {
		output discard
	}
}
https://127.0.0.1:$proxy_port {
	tls internal
	reverse_proxy 127.0.0.1:$app_port {
		transport http {
			keepalive 5s
		}
	}
}
EOF
HOME="$work" XDG_DATA_HOME="$work" XDG_CONFIG_HOME="$work" \
    caddy run --config "$work/Caddyfile" --adapter caddyfile >"$work/caddy.log" 2>&1 &
pids+=($!)

root="$work/caddy/pki/authorities/local/root.crt"
for _ in $(seq 1 240); do
    [ -s "$root" ] && curl -sf --cacert "$root" "https://127.0.0.1:$proxy_port/api/health" >/dev/null 2>&1 && break
    sleep 0.5
done
curl -sf --cacert "$root" "https://127.0.0.1:$proxy_port/api/health" >/dev/null \
    || { echo "Caddy ou cpts run ne répond pas :"; tail -20 "$work/run.log" "$work/caddy.log"; exit 1; }

mails() { find "$work/spool" -name '*.json' | wc -l; }
# CPU seconds (user + system) each process used so far: where the time goes.
cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($14 + $15) / hz}' "/proc/$1/stat"; }
smtp_pid=${pids[0]} cpts_pid=${pids[1]} caddy_pid=${pids[2]}
run=0
measured() {
    local before_cpts before_caddy before_smtp
    before_cpts=$(cpu "$cpts_pid") before_caddy=$(cpu "$caddy_pid") before_smtp=$(cpu "$smtp_pid")
    /usr/bin/time -f "%U %S" -o "$work/load.time" \
        ./target/release/examples/registrations_load --clients "${CLIENTS:-50}" \
        --count "${COUNT:-20000}" --seconds "${SECONDS_MAX:-60}" --first $((run * 100000)) \
        --origin "https://127.0.0.1:$proxy_port" "$@"
    run=$((run + 1))
    python3 - "$before_cpts" "$(cpu "$cpts_pid")" "$before_caddy" "$(cpu "$caddy_pid")" \
        "$before_smtp" "$(cpu "$smtp_pid")" "$(cat "$work/load.time")" <<'PY'
import sys
a = [float(x) for x in sys.argv[1:7]]
load = sum(float(x) for x in sys.argv[7].split())
print(f"CPU seconds: cpts run {a[1] - a[0]:.1f}, Caddy {a[3] - a[2]:.1f}, "
      f"SMTP server {a[5] - a[4]:.1f}, load generator {load:.1f} (2 cores)")
PY
}

echo "== Straight to cpts run (HTTP, 127.0.0.1:$app_port), saturation: 50 clients"
measured --port "$app_port"
echo "== Straight to cpts run, 1 000 registrations/s offered"
measured --port "$app_port" --rate "${RATE:-1000}"
echo "== Through Caddy (HTTPS, a new TLS session per visitor), saturation: 50 clients"
measured --port "$proxy_port" --tls-root "$root"
echo "== Through Caddy, 1 000 registrations/s offered"
started_mails=$(mails)
started=$(date +%s.%N)
measured --port "$proxy_port" --tls-root "$root" --rate "${RATE:-1000}"

# Mails: the SMTP server's count until it stops growing for 3 s.
last=$(mails); last_at=$(date +%s.%N); still=0
while [ "$still" -lt 6 ]; do
    sleep 0.5
    now=$(mails)
    if [ "$now" -gt "$last" ]; then last=$now; last_at=$(date +%s.%N); still=0; else still=$((still + 1)); fi
done
python3 - "$started_mails" "$last" "$started" "$last_at" <<'EOF'
import sys
before, after, t0, t1 = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
sent = after - before
print(f"mails: {sent} received by the SMTP server during and after the last run, "
      f"{sent / max(t1 - t0, 1e-9):.0f} mails/s (from the run's start to the last mail)")
EOF
# The queue left behind, drained with no registration coming in: the sender's own pace.
pending() { curl -s --cacert "$root" "https://127.0.0.1:$proxy_port/api/health" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pending_mails"])'; }
p0=$(pending); m0=$(mails); sleep 10; p1=$(pending); m1=$(mails)
echo "mails with no load: $((m1 - m0)) received in 10 s ($(( (m1 - m0) / 10 ))/s); pending $p0 → $p1"
echo "health: $(curl -s --cacert "$root" "https://127.0.0.1:$proxy_port/api/health")"
