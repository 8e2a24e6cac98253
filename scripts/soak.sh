#!/usr/bin/env bash
# Soak test (issue 14): a release server on 127.0.0.1 under mixed load for a set time, then idle.
#
#   reads      wrk, 16 connections: job list, one job, experiments, health (rate limits off)
#   creations  2 loops: POST /api/v1/generate (an interview CSV of SOAK_PARTICIPANTS participants,
#              default 3000, six answers each; real pipeline),
#              then follow the job's SSE stream (GET /api/v1/generate/{id}/events) to its end
#   webhooks   a receiver on 127.0.0.1 subscribed to generation.completed; deliveries are counted
#
# Reports throughput, p99 latency and errors of each, and the server's resident memory before
# the load, at its peak and IDLE_SECONDS after the load ends (default 60 s, the issue's "a minute
# after a burst of generation ends"). Bounded: everything stops after DURATION + drain + idle.
# Loopback only: the server, the receiver and every client bind or connect to 127.0.0.1.
#
# Usage:  scripts/soak.sh [DURATION_SECONDS] [IDLE_SECONDS]      (defaults: 60 60)
#         PERSONA_BIN=path/to/persona scripts/soak.sh             (skip the release build)
# Needs:  wrk (Debian/Ubuntu: apt-get update && apt-get install -y wrk), curl, python3.
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-60}"
idle="${2:-60}"
for tool in wrk curl python3; do
  command -v "$tool" >/dev/null || {
    echo "$tool is not installed (wrk: apt-get update && apt-get install -y wrk)" >&2
    exit 1
  }
done

if [ -z "${PERSONA_BIN:-}" ]; then
  cargo build --release --locked --bin persona >&2
  PERSONA_BIN="${CARGO_TARGET_DIR:-target}/release/persona"
fi
work="$(mktemp -d)"
server_pid=""
receiver_pid=""
sampler_pid=""
cleanup() {
  for pid in $sampler_pid $receiver_pid $server_pid; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
hook_port=$(free_port)
base="http://127.0.0.1:$port"
mkdir -p "$work/data"

# Participants in 6 groups, 6 answers each: a realistic input for the real pipeline.
python3 - "$work/data/interviews.csv" "${SOAK_PARTICIPANTS:-3000}" <<'PY'
import csv, random, sys
random.seed(7)
topics = [
    ("scheduling", ["night shifts", "the rota app", "swapping shifts", "overtime"]),
    ("routes", ["traffic", "the route planner", "late deliveries", "fuel costs"]),
    ("billing", ["invoices", "the payment portal", "refunds", "tax forms"]),
    ("learning", ["course videos", "quizzes", "certificates", "mentors"]),
    ("travel", ["hotel bookings", "expense reports", "flight delays", "visas"]),
    ("support", ["ticket queues", "chat bots", "call waiting", "knowledge base"]),
]
with open(sys.argv[1], "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["participant_id", "role", "question", "response"])
    for p in range(int(sys.argv[2])):
        group, words = topics[p % len(topics)]
        for q in range(6):
            a, b = random.sample(words, 2)
            w.writerow([f"P{p:03d}", group, f"Q{q}",
                        f"I always struggle with {a} and I want {b} to be simpler; "
                        f"honestly {a} takes me {random.randint(5, 90)} minutes every day."])
PY

# The webhook receiver: counts POSTs, answers 204.
cat > "$work/receiver.py" <<'PY'
import http.server, sys
count_file = sys.argv[2]
count = 0
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        global count
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        count += 1
        with open(count_file, "w") as f:
            f.write(str(count))
        self.send_response(204)
        self.end_headers()
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
echo 0 > "$work/deliveries"
python3 "$work/receiver.py" "$hook_port" "$work/deliveries" &
receiver_pid=$!

PERSONA_RATE_LIMIT_ENABLED=false PERSONA_WEBHOOKS_ALLOW_PRIVATE_TARGETS=true \
PERSONA_WORKER_CONCURRENCY=2 PERSONA_WEBHOOKS_RETRY_DELAYS_SECONDS=1,2 RUST_LOG=warn \
  "$PERSONA_BIN" serve --host 127.0.0.1 --port "$port" --db "$work/persona.db" \
  --data-dir "$work/data" --output-dir "$work/output" --log-level warn >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do curl -fsS "$base/api/v1/health" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fsS "$base/api/v1/health" >/dev/null || { echo "the server did not start:" >&2; cat "$work/server.log" >&2; exit 1; }

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$server_pid/status" 2>/dev/null || echo 0; }
( while kill -0 "$server_pid" 2>/dev/null; do echo "$(date +%s.%N) $(rss_kb)"; sleep 0.5; done ) > "$work/rss" &
sampler_pid=$!

curl -fsS -X POST "$base/api/v1/webhooks" -H 'Content-Type: application/json' \
  -d "{\"url\":\"http://127.0.0.1:$hook_port/hook\",\"events\":[\"generation.completed\"]}" >/dev/null
seed_job=$(curl -fsS -X POST "$base/api/v1/generate" -H 'Content-Type: application/json' \
  -d '{"data":"interviews.csv","count":3}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["job_id"])')
curl -fsS -N --max-time 120 "$base/api/v1/generate/$seed_job/events" >/dev/null || true
sleep 2
rss_before=$(rss_kb)

cat > "$work/reads.lua" <<LUA
local paths = {
  "/api/v1/generate?limit=50&include=result",
  "/api/v1/generate/$seed_job",
  "/api/v1/experiments?limit=20",
  "/api/v1/health",
}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
LUA

# The creation loops: POST a job, follow its event stream to the end, repeat until time is up.
cat > "$work/creator.py" <<'PY'
import json, sys, time, urllib.request
base, until, out = sys.argv[1], float(sys.argv[2]), sys.argv[3]
posts, streams, ended, errors = [], 0, 0, 0
while time.time() < until:
    body = json.dumps({"data": "interviews.csv", "count": 3}).encode()
    req = urllib.request.Request(base + "/api/v1/generate", data=body,
                                 headers={"Content-Type": "application/json"})
    t = time.time()
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            job = json.load(r)["job_id"]
        posts.append(time.time() - t)
    except Exception:
        errors += 1
        continue
    try:
        with urllib.request.urlopen(base + f"/api/v1/generate/{job}/events", timeout=300) as r:
            streams += 1
            # The server ends the stream after the job's terminal event.
            for _ in r:
                pass
        ended += 1
    except Exception:
        errors += 1
with open(out, "w") as f:
    json.dump({"posts": posts, "streams": streams, "ended": ended, "errors": errors}, f)
PY

echo "soak: ${duration}s of mixed load on $base (reads: wrk 2 threads x 16 connections; 2 creation loops)" >&2
until=$(python3 -c "import time; print(time.time() + $duration)")
python3 "$work/creator.py" "$base" "$until" "$work/creator-1.json" &
c1=$!
python3 "$work/creator.py" "$base" "$until" "$work/creator-2.json" &
c2=$!
wrk -t2 -c16 -d"${duration}s" --latency -s "$work/reads.lua" "$base" > "$work/wrk.txt"
wait "$c1" "$c2"
load_end=$(date +%s.%N)

# Let queued jobs and deliveries finish, bounded.
total() { curl -fsS -o /dev/null -D - "$base/api/v1/generate?status=$1&limit=1" | awk 'tolower($1)=="x-total-count:" {print $2+0}'; }
for _ in $(seq 1 120); do
  [ "$(total running)" = "0" ] && [ "$(total pending)" = "0" ] && break
  sleep 1
done
echo "idle for ${idle}s to measure memory after the load" >&2
sleep "$idle"
rss_after=$(rss_kb)
kill "$sampler_pid" 2>/dev/null || true
rss_peak=$(awk 'BEGIN {m=0} $2>m {m=$2} END {print m}' "$work/rss")

completed=$(total completed)
failed=$(total failed)

python3 - "$work" "$duration" "$rss_before" "$rss_peak" "$rss_after" "$completed" "$failed" "$idle" <<'PY'
import json, re, sys, os
work, duration, before, peak, after, completed, failed, idle = sys.argv[1:]
wrk = open(os.path.join(work, "wrk.txt")).read()
rps = re.search(r"Requests/sec:\s+([\d.]+)", wrk).group(1)
p99 = re.search(r"^\s+99%\s+(\S+)", wrk, re.M).group(1)
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", wrk)
sock = re.search(r"Socket errors: (.*)", wrk)
posts, streams, ended, errors = [], 0, 0, 0
for n in (1, 2):
    d = json.load(open(os.path.join(work, f"creator-{n}.json")))
    posts += d["posts"]; streams += d["streams"]; ended += d["ended"]; errors += d["errors"]
posts.sort()
post_p99 = posts[min(len(posts) - 1, int(len(posts) * 0.99))] * 1000 if posts else 0
deliveries = open(os.path.join(work, "deliveries")).read().strip()
mb = lambda kb: f"{int(kb) / 1024:.0f} MB"
print(f"reads (wrk, {duration}s)      {rps} req/s   p99 {p99}   non-2xx {non2xx.group(1) if non2xx else 0}"
      f"   socket errors {sock.group(1) if sock else 'none'}")
print(f"creations                 {len(posts)} jobs posted ({len(posts) / float(duration):.2f}/s)   "
      f"POST p99 {post_p99:.0f} ms   errors {errors}")
print(f"SSE streams               {streams} opened, {ended} followed to the end")
print(f"jobs                      {completed} completed, {failed} failed")
print(f"webhook deliveries        {deliveries} received (generation.completed)")
print(f"resident memory           before {mb(before)}   peak {mb(peak)}   {idle}s after {mb(after)}")
PY
