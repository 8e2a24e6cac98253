#!/usr/bin/env bash
# Property-based check of the running API against its own OpenAPI document, with schemathesis.
# Installs schemathesis (in target/) when missing, starts the real binary (debug build) with a
# token, a temporary database and no rate limits on a free port, runs every schemathesis check
# over every operation (per-operation exceptions, each with its reason, are in
# schemathesis.toml), and stops the server. Exit status: schemathesis's.
# Usage: scripts/api-check.sh [MAX_EXAMPLES]   (default 25 per operation)
set -euo pipefail
cd "$(dirname "$0")/.."
max_examples="${1:-25}"

if ! command -v st >/dev/null 2>&1; then
  venv="target/schemathesis-venv"
  if [ ! -x "$venv/bin/st" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet 'schemathesis>=4,<5'
  fi
  PATH="$PWD/$venv/bin:$PATH"
fi

cargo build --locked --bin persona >&2
binary="${CARGO_TARGET_DIR:-target}/debug/persona"
work="$(mktemp -d)"
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

mkdir -p "$work/data"
cp examples/interviews.csv "$work/data/"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
token="api-check-$RANDOM$RANDOM"
PERSONA_RATE_LIMIT_ENABLED=false PERSONA_API_AUTH_TOKEN="$token" PERSONA_WORKER_CONCURRENCY=1 \
  "$binary" serve --port "$port" --db "$work/persona.db" --data-dir "$work/data" \
  --output-dir "$work/output" --log-level warn >"$work/server.log" 2>&1 &
server_pid=$!
base="http://127.0.0.1:$port"
for _ in $(seq 1 200); do curl -fsS "$base/api/v1/health" >/dev/null 2>&1 && break; sleep 0.1; done

# The experiment schemathesis.toml steers `experiment_id` and `experiment` to.
PERSONA_CHECK_EXPERIMENT_ID=$(curl -fsS -X POST "$base/api/v1/experiments" -H "Authorization: Bearer $token" \
  -H 'Content-Type: application/json' -d '{"name": "api-check", "data_sources": ["interviews.csv"]}' |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')
export PERSONA_CHECK_EXPERIMENT_ID PERSONA_CHECK_BASE_URL="$base" PERSONA_CHECK_TOKEN="$token"
# schemathesis.toml names the hooks module, found on this path.
export PYTHONPATH="$PWD/scripts${PYTHONPATH:+:$PYTHONPATH}"

status=0
st --config-file schemathesis.toml --no-color run "$base/openapi.json" -H "Authorization: Bearer $token" \
  --max-examples "$max_examples" --seed 1 || status=$?
if [ "$status" -ne 0 ]; then
  echo "--- server log (tail)" >&2
  tail -n 50 "$work/server.log" >&2
fi
exit "$status"
