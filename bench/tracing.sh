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
# shellcheck source-path=SCRIPTDIR source=lib_abba.sh
. "$HERE/lib_abba.sh"

AIM_COST=0.05
TRACE_ROUNDS=${TRACE_ROUNDS:-6}
ABBA_TASKS=${TRACE_TASKS:-200}
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

# exported_spans <url>: trace_spans_exported_total of the server at url.
exported_spans() {
  curl -s "$1/metrics" -H "Authorization: Bearer $METRICS_TOKEN" | sed -n 's/^trace_spans_exported_total \([0-9]*\)$/\1/p'
}

RUNS=()
bench_setup
abba_seed bench-trace@example.com "Tracing task"
sink_start
METRICS_TOKEN=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
cp "$BENCH_TMP/seed.db" "$BENCH_TMP/on.db"
cp "$BENCH_TMP/seed.db" "$BENCH_TMP/off.db"
abba_start on "$BENCH_TMP/on.db" ACCESS_LOG=off OTEL_EXPORTER_OTLP_ENDPOINT="$SINK_URL" \
  OTEL_TRACES_SAMPLER_ARG="$TRACE_RATIO" METRICS_TOKEN="$METRICS_TOKEN"
ON_URL=$ABBA_URL ON_PID=$BENCH_LAST_PID
abba_start off "$BENCH_TMP/off.db" ACCESS_LOG=off METRICS_TOKEN="$METRICS_TOKEN"
OFF_URL=$ABBA_URL OFF_PID=$BENCH_LAST_PID
abba_rounds "$TRACE_ROUNDS" "$ON_URL" "$ON_PID" "$OFF_URL" "$OFF_PID"
sleep 1 # the exporter's last batch
exported=$(exported_spans "$ON_URL")

echo
echo "## Cost of tracing"
echo
echo "GET $LIST ($ABBA_TASKS tasks), $TRACE_ROUNDS rounds of one $WRK_DURATION run each way (on/off, then off/on, ...);"
echo "on: OTEL_EXPORTER_OTLP_ENDPOINT set (a local sink), OTEL_TRACES_SAMPLER_ARG=$TRACE_RATIO; off: no endpoint."
echo
abba_table
echo
abba_medians >"$BENCH_TMP/medians"
head -n 2 "$BENCH_TMP/medians"
read -r m c errors < <(tail -n 1 "$BENCH_TMP/medians")
echo "The on server exported ${exported:-0} spans."
awk -v aim=$AIM_COST -v m="$m" -v c="$c" -v errors="$errors" -v exported="${exported:-0}" -v ratio="$TRACE_RATIO" 'BEGIN {
    printf "Aim: at most %.0f%% fewer requests/s with tracing on at %s sampling: %.1f%% %s",
      100 * aim, ratio, 100 * (1 - m), (1 - m <= aim && errors == 0 && exported > 0) ? "(met)" : "(MISSED)"
    printf "; CPU per request on/off %+.1f%%.\n", 100 * (c - 1)
    if (errors > 0) printf "%d errors: measurement invalid\n", errors
    if (exported == 0) printf "no span was exported: the on server did not trace\n"
    exit !(1 - m <= aim && errors == 0 && exported > 0)
  }' || if [ "${BENCH_STRICT:-0}" = 1 ]; then exit 1; fi
echo
bench_note_machine
