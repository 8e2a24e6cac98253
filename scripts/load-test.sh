#!/usr/bin/env bash
# Load benchmark with wrk (release build, 32 connections) for:
#   GET  /api/v1/health
#   GET  /api/v1/generate/{id}
#   POST /api/v1/generate      (durable job creation)
# Rate limits are turned off. Prints requests/s and p99 latency for each.
# Usage: scripts/load-test.sh [DURATION_SECONDS]   (needs wrk: apt-get install -y wrk)
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-10}"
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install -y wrk)" >&2; exit 1; }
command -v curl >/dev/null || { echo "curl is not installed" >&2; exit 1; }

cargo build --release --locked --bin persona >&2
binary="${CARGO_TARGET_DIR:-target}/release/persona"
work="$(mktemp -d)"
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

mkdir -p "$work/data"
printf 'participant_id,role,response\nP1,Nurse,I want fewer night shifts and I hate the paging system.\nP2,Driver,I always check the route app before I leave.\n' > "$work/data/tiny.csv"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

# One worker thread for jobs so that the HTTP side gets the CPU: this measures the API.
PERSONA_RATE_LIMIT_ENABLED=false PERSONA_WORKER_CONCURRENCY=1 RUST_LOG=warn \
  "$binary" serve --port "$port" --db "$work/persona.db" --data-dir "$work/data" \
  --output-dir "$work/output" --log-level warn >"$work/server.log" 2>&1 &
server_pid=$!
base="http://127.0.0.1:$port"
for _ in $(seq 1 100); do curl -fsS "$base/api/v1/health" >/dev/null 2>&1 && break; sleep 0.1; done

job_id=$(curl -fsS -X POST "$base/api/v1/generate" -H 'Content-Type: application/json' \
  -d '{"data":"tiny.csv","count":1}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["job_id"])')

cat > "$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"data":"tiny.csv","count":1}'
wrk.headers["Content-Type"] = "application/json"
LUA

run() {
  local name="$1"; shift
  local out
  out=$(wrk -t2 -c32 -d"${duration}s" --latency "$@")
  local rps p99
  rps=$(printf '%s\n' "$out" | awk '/Requests\/sec/ {print $2}')
  p99=$(printf '%s\n' "$out" | awk '$1=="99%" {print $2}')
  local non2xx
  non2xx=$(printf '%s\n' "$out" | awk '/Non-2xx/ {print $4}')
  printf '%-32s %12s req/s   p99 %8s   non-2xx %s\n' "$name" "$rps" "$p99" "${non2xx:-0}"
}

echo "wrk: 2 threads, 32 connections, ${duration}s each"
run "GET /api/v1/health" "$base/api/v1/health"
run "GET /api/v1/generate/{id}" "$base/api/v1/generate/$job_id"
run "POST /api/v1/generate" -s "$work/post.lua" "$base/api/v1/generate"
jobs_created=$(sqlite3 "$work/persona.db" 'SELECT COUNT(*) FROM jobs' 2>/dev/null || echo "?")
echo "jobs rows in the database after the POST run: $jobs_created"
