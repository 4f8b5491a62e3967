#!/usr/bin/env bash
# What tracing costs (issue 15's aim: at most 5% fewer requests/s): the task
# list endpoint (GET /api/tasks?page=1&limit=10, as observability.sh) on two
# lsf-servers over copies of one database:
#   on:  OTEL_EXPORTER_OTLP_ENDPOINT set (a local sink that answers 200 to
#        every POST /v1/traces), OTEL_TRACES_SAMPLER_ARG=0.1: every request
#        reads its trace context, one in ten is recorded with its child spans
#        (the SQL statements) and exported
#   off: no endpoint (trace context still read and answered, nothing recorded)
# measured in turns, on/off then off/on (ABBA), as observability.sh does and
# for its reasons: this machine's run-to-run noise is larger than 5%, so each
# round gives the ratios on/off of requests/s and of the server's CPU time per
# request (utime + stime of all its threads, the exporter's included, from
# /proc over the run, divided by wrk's request count), and the medians judge.
#
# Usage: bench/tracing.sh <path to lsf-server>   (run.sh calls it after observability.sh)
# Environment: TRACE_ROUNDS (6; each round one "on" and one "off" run),
#   TRACE_DURATION (5s a run), TRACE_TASKS (200), TRACE_RATIO (0.1),
#   WRK_WARMUP (1s before each run), WRK_CONNS, WRK_THREADS,
#   BENCH_STRICT=1 (exit 1 when the aim is missed).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"

AIM_COST=0.05
TRACE_ROUNDS=${TRACE_ROUNDS:-6}
TRACE_TASKS=${TRACE_TASKS:-200}
TRACE_RATIO=${TRACE_RATIO:-0.1}
WRK_DURATION=${TRACE_DURATION:-5s}
WRK_WARMUP=${WRK_WARMUP:-1s}
CLK_TCK=$(getconf CLK_TCK)
LSF_BIN=${1:-}
if [ -z "$LSF_BIN" ] || [ ! -x "$LSF_BIN" ]; then
  bench_die "usage: $0 <path to lsf-server>"
fi
bench_need wrk:wrk curl:curl python3:python3
JWT_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
LIST='/api/tasks?page=1&limit=10'

# A collector that takes everything: POST /v1/traces -> 200 {}. Sets SINK_URL.
sink_start() {
  local port
  port=$(bench_free_port)
  bench_start sink python3 -c '
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"{}")
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
' "$port"
  SINK_URL=http://127.0.0.1:$port
  bench_wait_http sink "$SINK_URL/"
}

# trace_start <name> <db> [VAR=value ...]: lsf-server on a free port; sets TRACE_URL.
trace_start() {
  local name=$1 db=$2 port
  shift 2
  port=$(bench_free_port)
  mkdir -p "$BENCH_TMP/$name-data"
  bench_start "$name" env HOST=127.0.0.1 PORT="$port" DATA_DIR="$BENCH_TMP/$name-data" \
    DATABASE_URL="sqlite:$db" WEB_DIR="$BENCH_TMP/no-web" RATE_LIMIT=off LSF_ENV=test \
    ACCESS_LOG=off METRICS_PORT=0 JWT_SECRET="$JWT_SECRET" "$@" "$LSF_BIN" serve
  TRACE_URL=http://127.0.0.1:$port
  bench_wait_http "$name" "$TRACE_URL/health/live"
}

# One user with TRACE_TASKS tasks in $BENCH_TMP/seed.db; sets TRACE_COOKIE.
trace_seed() {
  local token i
  trace_start seed "$BENCH_TMP/seed.db"
  token=$(curl -s -D - -o /dev/null -H 'Content-Type: application/json' \
    --data '{"name":"Bench User","email":"bench-trace@example.com","password":"bench-password-1"}' \
    "$TRACE_URL/api/auth/register" | sed -n 's/^[Ss]et-[Cc]ookie: *token=\([^;[:space:]]*\).*/\1/p' | head -1)
  [ -n "$token" ] || bench_die "register gave no token cookie (see $BENCH_TMP/seed.log)"
  TRACE_COOKIE="Cookie: token=$token"
  for i in $(seq "$TRACE_TASKS"); do
    printf '{"title":"Tracing task %d","priority":"medium","tags":["bench"]}\n' "$i"
  done | while read -r body; do
    curl -sf -o /dev/null -H "$TRACE_COOKIE" -H 'Content-Type: application/json' --data "$body" \
      "$TRACE_URL/api/tasks" || exit 1
  done || bench_die "creating the tasks failed"
  bench_stop "$BENCH_LAST_PID"
}

cpu_ticks() {
  awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# trace_measure <on|off> <url> <pid>: one warmed-up wrk run; appends
# "<on|off>|round|rps|p50|p99|errors|cpu µs per request" to RUNS.
trace_measure() {
  local status t0 t1 requests
  status=$(curl -s -o "$BENCH_TMP/check.json" -w '%{http_code}' -H "$TRACE_COOKIE" "$2$LIST")
  if [ "$status" != 200 ] || ! grep -q "\"totalTasks\": *$TRACE_TASKS" "$BENCH_TMP/check.json"; then
    bench_die "$1: GET $LIST answered $status: $(head -c 300 "$BENCH_TMP/check.json")"
  fi
  if [ "$WRK_WARMUP" != 0 ]; then
    WRK_DURATION=$WRK_WARMUP bench_wrk "$2$LIST" "$TRACE_COOKIE"
  fi
  echo "bench: measuring tracing $1, round $round ($2$LIST) for $WRK_DURATION ..." >&2
  t0=$(cpu_ticks "$3")
  bench_wrk "$2$LIST" "$TRACE_COOKIE"
  t1=$(cpu_ticks "$3")
  requests=$(sed -n 's/^BENCH .* requests=\([0-9]*\).*/\1/p' "$BENCH_TMP/wrk.out")
  RUNS+=("$1|$round|$WRK_RPS|$WRK_P50|$WRK_P99|$WRK_ERRORS|$(awk -v t=$((t1 - t0)) -v hz="$CLK_TCK" -v n="$requests" \
    'BEGIN { printf "%.1f", (n > 0 ? 1e6 * t / hz / n : 0) }')")
}

# exported_spans <url>: trace_spans_exported_total of the server at url.
exported_spans() {
  curl -s "$1/metrics" -H "Authorization: Bearer $METRICS_TOKEN" | sed -n 's/^trace_spans_exported_total \([0-9]*\)$/\1/p'
}

RUNS=()
bench_setup
trace_seed
sink_start
METRICS_TOKEN=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
cp "$BENCH_TMP/seed.db" "$BENCH_TMP/on.db"
cp "$BENCH_TMP/seed.db" "$BENCH_TMP/off.db"
trace_start on "$BENCH_TMP/on.db" OTEL_EXPORTER_OTLP_ENDPOINT="$SINK_URL" OTEL_TRACES_SAMPLER_ARG="$TRACE_RATIO" \
  METRICS_TOKEN="$METRICS_TOKEN"
ON_URL=$TRACE_URL ON_PID=$BENCH_LAST_PID
trace_start off "$BENCH_TMP/off.db" METRICS_TOKEN="$METRICS_TOKEN"
OFF_URL=$TRACE_URL OFF_PID=$BENCH_LAST_PID
for round in $(seq "$TRACE_ROUNDS"); do
  if [ $((round % 2)) = 1 ]; then
    trace_measure on "$ON_URL" "$ON_PID"
    trace_measure off "$OFF_URL" "$OFF_PID"
  else
    trace_measure off "$OFF_URL" "$OFF_PID"
    trace_measure on "$ON_URL" "$ON_PID"
  fi
done
sleep 1 # the exporter's last batch
exported=$(exported_spans "$ON_URL")

echo
echo "## Cost of tracing"
echo
echo "GET $LIST ($TRACE_TASKS tasks), $TRACE_ROUNDS rounds of one $WRK_DURATION run each way (on/off, then off/on, ...);"
echo "on: OTEL_EXPORTER_OTLP_ENDPOINT set (a local sink), OTEL_TRACES_SAMPLER_ARG=$TRACE_RATIO; off: no endpoint."
echo
echo "| run | round | requests/s | p50 (ms) | p99 (ms) | errors | server CPU µs/request |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for row in "${RUNS[@]}"; do echo "$row"; done |
  awk -F'|' '{ printf "| %s | %d | %.0f | %.3f | %.3f | %d | %s |\n", $1, $2, $3, $4 / 1000, $5 / 1000, $6, $7 }'
echo
for row in "${RUNS[@]}"; do echo "$row"; done | awk -F'|' -v aim=$AIM_COST -v exported="${exported:-0}" '
  function median(a, k,   i, j, t) {
    for (i = 2; i <= k; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
    return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
  }
  { rps[$1, $2] = $3; cpu[$1, $2] = $7; errors += $6; rounds = $2 > rounds ? $2 : rounds }
  END {
    for (r = 1; r <= rounds; r++) {
      ratio[r] = rps["on", r] / rps["off", r]; cpu_ratio[r] = cpu["on", r] / cpu["off", r]
      on[r] = rps["on", r]; off[r] = rps["off", r]; con[r] = cpu["on", r]; coff[r] = cpu["off", r]
    }
    m = median(ratio, rounds); c = median(cpu_ratio, rounds)
    printf "Medians: on %.0f requests/s, %.1f CPU µs/request; off %.0f requests/s, %.1f CPU µs/request.\n",
      median(on, rounds), median(con, rounds), median(off, rounds), median(coff, rounds)
    printf "Per round on/off: requests/s %.3f (median), CPU per request %.3f (median).\n", m, c
    printf "The on server exported %d spans.\n", exported
    printf "Aim: at most %.0f%% fewer requests/s with tracing on at %s sampling: %.1f%% %s",
      100 * aim, "'"$TRACE_RATIO"'", 100 * (1 - m), (1 - m <= aim && errors == 0 && exported > 0) ? "(met)" : "(MISSED)"
    printf "; CPU per request on/off %+.1f%%.\n", 100 * (c - 1)
    if (errors > 0) printf "%d errors: measurement invalid\n", errors
    if (exported == 0) printf "no span was exported: the on server did not trace\n"
    exit !(1 - m <= aim && errors == 0 && exported > 0)
  }' || if [ "${BENCH_STRICT:-0}" = 1 ]; then exit 1; fi
echo
bench_note_machine
