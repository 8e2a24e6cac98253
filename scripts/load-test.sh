#!/usr/bin/env bash
# Side-by-side load benchmark with wrk, on the release build, loopback only, bounded runs.
#
# Starts `persona serve` (rate limits off) and, next to it, a bare actix-web server
# (examples/bare_route.rs) that answers with the very bytes the service returned for each route.
# For each read route it runs wrk against the bare route and then the service, in the same window,
# REPEAT times, and prints requests/s, p99 and the service's share of the bare figure:
#   GET  /api/v1/health
#   GET  /api/v1/generate/{id}        a completed job with 3 personas
#   GET  /api/v1/generate?limit=20
#   GET  /api/v1/experiments
# then job creation (POST /api/v1/generate, durable: committed before 200) while the worker runs
# the jobs, and the server's resident memory before and after the read runs.
#
# Usage: scripts/load-test.sh [DURATION_SECONDS [REPEAT]]   (defaults 5 and 2)
# Environment: WRK_THREADS (1), WRK_CONNECTIONS (32), PERSONA_BINARY (the build to measure). Needs wrk (apt-get install -y wrk), curl,
# python3.
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-5}"
repeat="${2:-2}"
threads="${WRK_THREADS:-1}"
connections="${WRK_CONNECTIONS:-32}"
for tool in wrk curl python3; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed (wrk: apt-get install -y wrk)" >&2; exit 1; }
done

cargo build --release --locked --bin persona --example bare_route >&2
target="${CARGO_TARGET_DIR:-target}/release"
# PERSONA_BINARY measures another build (an older commit's, say) against the same yardstick.
persona_binary="${PERSONA_BINARY:-$target/persona}"
work="$(mktemp -d)"
server_pid=""
bare_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
  [ -n "$bare_pid" ] && kill "$bare_pid" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

mkdir -p "$work/data" "$work/bare"
for name in a b c d e; do cp examples/interviews.csv "$work/data/interviews-$name.csv"; done
printf 'participant_id,role,response\nP1,Nurse,I want fewer night shifts and I hate the paging system.\nP2,Driver,I always check the route app before I leave.\n' > "$work/data/tiny.csv"

port=$(free_port)
PERSONA_RATE_LIMIT_ENABLED=false RUST_LOG=warn \
  "$persona_binary" serve --port "$port" --db "$work/persona.db" --data-dir "$work/data" \
  --output-dir "$work/output" --log-level warn >"$work/server.log" 2>&1 &
server_pid=$!
base="http://127.0.0.1:$port"
for _ in $(seq 1 100); do curl -fsS "$base/api/v1/health" >/dev/null 2>&1 && break; sleep 0.1; done

# 25 completed jobs of 3 personas over 5 experiments (one per data file).
job_id=""
for i in $(seq 1 25); do
  name=$(printf 'a\nb\nc\nd\ne\n' | sed -n "$(( (i - 1) % 5 + 1 ))p")
  job_id=$(curl -fsS -X POST "$base/api/v1/generate" -H 'Content-Type: application/json' \
    -d "{\"data\":\"interviews-$name.csv\",\"count\":3}" | json_field '["job_id"]')
done
for _ in $(seq 1 600); do
  done_count=$(curl -fsS -D - -o /dev/null "$base/api/v1/generate?status=completed&limit=1" \
    | awk 'tolower($1)=="x-total-count:" {print $2+0}')
  [ "${done_count:-0}" -ge 25 ] && break
  sleep 0.2
done
[ "${done_count:-0}" -ge 25 ] || { echo "the 25 setup jobs did not complete:" >&2; cat "$work/server.log" >&2; exit 1; }

# The bare server answers with the same bytes.
curl -fsS "$base/api/v1/health" >"$work/bare/health"
curl -fsS "$base/api/v1/generate/$job_id" >"$work/bare/job"
curl -fsS "$base/api/v1/generate?limit=20" >"$work/bare/jobs"
curl -fsS "$base/api/v1/experiments" >"$work/bare/experiments"
bare_port=$(free_port)
"$target/examples/bare_route" "$bare_port" "$work/bare" >"$work/bare.log" 2>&1 &
bare_pid=$!
bare="http://127.0.0.1:$bare_port"
for _ in $(seq 1 100); do curl -fsS "$bare/health" >/dev/null 2>&1 && break; sleep 0.1; done

# Prints "<req/s> <p99 in ms> <non-2xx>" for one wrk run.
measure() {
  local out
  out=$(wrk -t"$threads" -c"$connections" -d"${duration}s" --latency "$@")
  printf '%s\n' "$out" | awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /Requests\/sec/ { rps = $2 }
    $1 == "99%" { p99 = ms($2) }
    /Non-2xx/ { bad = $4 }
    END { printf "%d %.2f %d\n", rps, p99, bad + 0 }'
}

echo "wrk: $threads thread(s), $connections connections, ${duration}s per run, $repeat run(s) per route"
printf '%-32s %9s %14s %9s %14s %9s %6s\n' route bytes "service req/s" "p99 ms" "bare req/s" "p99 ms" share
rss_before=$(rss_kb "$server_pid")
compare() {
  local name="$1" path="$2" file="$3" run
  for run in $(seq 1 "$repeat"); do
    read -r bare_rps bare_p99 _ < <(measure "$bare/$file")
    read -r rps p99 bad < <(measure "$base$path")
    local share
    share=$(awk -v a="$rps" -v b="$bare_rps" 'BEGIN { printf "%d%%", (b > 0 ? 100 * a / b : 0) }')
    printf '%-32s %9s %14s %9s %14s %9s %6s%s\n' "$name" "$(wc -c <"$work/bare/$file")" \
      "$rps" "$p99" "$bare_rps" "$bare_p99" "$share" "$([ "$bad" -gt 0 ] && echo "  non-2xx $bad")"
  done
}
compare "GET /api/v1/health" "/api/v1/health" health
compare "GET /api/v1/generate/{id}" "/api/v1/generate/$job_id" job
compare "GET /api/v1/generate?limit=20" "/api/v1/generate?limit=20" jobs
compare "GET /api/v1/experiments" "/api/v1/experiments" experiments
rss_after=$(rss_kb "$server_pid")
echo "server resident memory: ${rss_before} kB before the read runs, ${rss_after} kB after"

# Job creation while the worker runs them (one job of one persona each, on a tiny file).
cat > "$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"data":"tiny.csv","count":1}'
wrk.headers["Content-Type"] = "application/json"
LUA
read -r rps p99 bad < <(measure -s "$work/post.lua" "$base/api/v1/generate")
printf '%-32s %14s req/s   p99 %s ms%s\n' "POST /api/v1/generate" "$rps" "$p99" "$([ "$bad" -gt 0 ] && echo "   non-2xx $bad")"
total=$(curl -fsS -D - -o /dev/null "$base/api/v1/generate?limit=1" | awk 'tolower($1)=="x-total-count:" {print $2+0}')
completed=$(curl -fsS -D - -o /dev/null "$base/api/v1/generate?status=completed&limit=1" | awk 'tolower($1)=="x-total-count:" {print $2+0}')
echo "jobs in the database after the POST run: $total ($completed completed by the worker so far)"
