#!/usr/bin/env bash
# Side-by-side load benchmark with wrk, on the release build, loopback only, bounded runs.
#
# Starts `persona serve` (rate limits off) and, next to it, a bare actix-web server
# (examples/bare_route.rs) that answers with the very bytes the service returned for each route.
# The machine may be shared and loaded, so the runs are interleaved: each round runs every route
# once against the bare route and at once against the service (bare, service, bare, service …),
# and the figures are the medians over ROUNDS rounds, so that load that comes and goes hits both
# sides alike. For each route it prints the median requests/s and p99 latency of both sides and
# the median (and range) of the per-round share service / bare:
#   GET  /api/v1/health
#   GET  /api/v1/generate/{id}        a completed job with 3 personas
#   GET  /api/v1/generate?limit=20
#   GET  /api/v1/experiments
# then job creation (POST /api/v1/generate, durable: committed before 200) while the worker runs
# the jobs, and the server's resident memory before and after the read rounds.
#
# Usage: scripts/load-test.sh [SECONDS_PER_RUN [ROUNDS]]   (defaults 3 and 5)
# Environment: WRK_THREADS (1), WRK_CONNECTIONS (32), PERSONA_BINARY (the build to measure),
# PIN=1 (servers on CPU 0, wrk on CPU 1, with taskset), NICE=-5 (run all three at that
# priority; below 0 needs root). Needs wrk (apt-get install -y wrk), curl, python3.
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-3}"
rounds="${2:-5}"
threads="${WRK_THREADS:-1}"
connections="${WRK_CONNECTIONS:-32}"
server_cpu=()
wrk_cpu=()
if [ "${PIN:-0}" = 1 ]; then
  server_cpu=(taskset -c 0)
  wrk_cpu=(taskset -c 1)
fi
priority=(nice -n "${NICE:-0}")
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
  "${priority[@]}" "${server_cpu[@]}" "$persona_binary" serve --port "$port" --db "$work/persona.db" --data-dir "$work/data" \
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
"${priority[@]}" "${server_cpu[@]}" "$target/examples/bare_route" "$bare_port" "$work/bare" >"$work/bare.log" 2>&1 &
bare_pid=$!
bare="http://127.0.0.1:$bare_port"
for _ in $(seq 1 100); do curl -fsS "$bare/health" >/dev/null 2>&1 && break; sleep 0.1; done

# Prints "<req/s> <p99 in ms> <non-2xx>" for one wrk run.
measure() {
  local out
  out=$("${priority[@]}" "${wrk_cpu[@]}" wrk -t"$threads" -c"$connections" -d"${duration}s" --latency "$@")
  printf '%s\n' "$out" | awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /Requests\/sec/ { rps = $2 }
    $1 == "99%" { p99 = ms($2) }
    /Non-2xx/ { bad = $4 }
    END { printf "%d %.2f %d\n", rps, p99, bad + 0 }'
}

routes=(
  "GET /api/v1/health|/api/v1/health|health"
  "GET /api/v1/generate/{id}|/api/v1/generate/$job_id|job"
  "GET /api/v1/generate?limit=20|/api/v1/generate?limit=20|jobs"
  "GET /api/v1/experiments|/api/v1/experiments|experiments"
)
echo "wrk: $threads thread(s), $connections connections, ${duration}s per run, $rounds interleaved rounds (bare, service per route)"
rss_before=$(rss_kb "$server_pid")
: >"$work/runs"
for round in $(seq 1 "$rounds"); do
  for route in "${routes[@]}"; do
    IFS='|' read -r name path file <<<"$route"
    read -r bare_rps bare_p99 _ < <(measure "$bare/$file")
    read -r rps p99 bad < <(measure "$base$path")
    printf '%s|%s|%s|%s|%s|%s|%s|%s\n' "$round" "$name" "$(wc -c <"$work/bare/$file")" \
      "$rps" "$p99" "$bad" "$bare_rps" "$bare_p99" >>"$work/runs"
  done
  echo "round $round of $rounds done" >&2
done
rss_after=$(rss_kb "$server_pid")
python3 - "$work/runs" <<'PY'
import statistics, sys
rows = [line.rstrip("\n").split("|") for line in open(sys.argv[1])]
routes = []
for r in rows:
    if r[1] not in routes:
        routes.append(r[1])
print(f"{'route':32} {'bytes':>7} {'service req/s':>14} {'p99 ms':>7} {'bare req/s':>11} {'p99 ms':>7} {'share':>6} {'share range':>12}")
for name in routes:
    runs = [r for r in rows if r[1] == name]
    rps = [int(r[3]) for r in runs]
    p99 = [float(r[4]) for r in runs]
    bad = sum(int(r[5]) for r in runs)
    bare_rps = [int(r[6]) for r in runs]
    bare_p99 = [float(r[7]) for r in runs]
    shares = [100 * a / b for a, b in zip(rps, bare_rps) if b > 0]
    print(f"{name:32} {runs[0][2]:>7} {statistics.median(rps):>14.0f} {statistics.median(p99):>7.2f} "
          f"{statistics.median(bare_rps):>11.0f} {statistics.median(bare_p99):>7.2f} "
          f"{statistics.median(shares):>5.0f}% {min(shares):>5.0f}-{max(shares):.0f}%"
          + (f"  non-2xx {bad}" if bad else ""))
PY
echo "server resident memory: ${rss_before} kB before the read rounds, ${rss_after} kB after"

# Job creation while the worker runs them (one job of one persona each, on a tiny file).
cat > "$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"data":"tiny.csv","count":1}'
wrk.headers["Content-Type"] = "application/json"
LUA
# Three runs (or ROUNDS, if fewer), median.
: >"$work/posts"
for _ in $(seq 1 $((rounds < 3 ? rounds : 3))); do
  measure -s "$work/post.lua" "$base/api/v1/generate" >>"$work/posts"
done
python3 - "$work/posts" <<'PY'
import statistics, sys
runs = [line.split() for line in open(sys.argv[1])]
rps = [int(r[0]) for r in runs]
p99 = [float(r[1]) for r in runs]
bad = sum(int(r[2]) for r in runs)
print(f"{'POST /api/v1/generate':32} median {statistics.median(rps):.0f} req/s (runs: {', '.join(map(str, rps))}), "
      f"p99 {statistics.median(p99):.2f} ms" + (f", non-2xx {bad}" if bad else ""))
PY
total=$(curl -fsS -D - -o /dev/null "$base/api/v1/generate?limit=1" | awk 'tolower($1)=="x-total-count:" {print $2+0}')
completed=$(curl -fsS -D - -o /dev/null "$base/api/v1/generate?status=completed&limit=1" | awk 'tolower($1)=="x-total-count:" {print $2+0}')
echo "jobs in the database after the POST run: $total ($completed completed by the worker so far)"
