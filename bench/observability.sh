#!/usr/bin/env bash
# What metrics and request logging cost (issue 5's benchmark): the task list
# endpoint (GET /api/tasks?page=1&limit=10, as bench/run.sh's tasks_list) on
# two lsf-servers over copies of one database:
#   on:  as deployed: access log to a file, metrics recorded (METRICS=on)
#   off: ACCESS_LOG=off METRICS=off
# measured in turns, on/off then off/on (ABBA), so a drift of the shared
# machine weighs on both alike. Each round gives two ratios on/off: of the
# server's CPU time per request (utime + stime from /proc over the run,
# divided by wrk's request count) and of requests/s. The aim (under 5%) is
# judged on the median CPU ratio: a CPU-bound server's throughput is the
# inverse of its CPU per request, and that ratio stays within a few percent
# between identical runs where requests/s swings by tens of percent when
# other processes take the shared cores. The requests/s ratio is printed too.
#
# Usage: bench/observability.sh <path to lsf-server>   (run.sh calls it after its table)
# Environment: OBS_ROUNDS (6; each round is one "on" and one "off" run),
#   OBS_DURATION (5s a run), OBS_TASKS (200 tasks for the bench user),
#   WRK_WARMUP (1s before each run), WRK_CONNS, WRK_THREADS,
#   BENCH_STRICT=1 (exit 1 when the aim is missed).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"

AIM_COST=0.05
OBS_ROUNDS=${OBS_ROUNDS:-6}
OBS_TASKS=${OBS_TASKS:-200}
WRK_DURATION=${OBS_DURATION:-5s}
WRK_WARMUP=${WRK_WARMUP:-1s}
CLK_TCK=$(getconf CLK_TCK)
LSF_BIN=${1:-}
if [ -z "$LSF_BIN" ] || [ ! -x "$LSF_BIN" ]; then
  bench_die "usage: $0 <path to lsf-server>"
fi
bench_need wrk:wrk curl:curl python3:python3
JWT_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
LIST='/api/tasks?page=1&limit=10'

# obs_start <name> <db> [VAR=value ...]: lsf-server on a free port; sets OBS_URL.
obs_start() {
  local name=$1 db=$2 port
  shift 2
  port=$(bench_free_port)
  mkdir -p "$BENCH_TMP/$name-data"
  bench_start "$name" env HOST=127.0.0.1 PORT="$port" DATA_DIR="$BENCH_TMP/$name-data" \
    DATABASE_URL="sqlite:$db" WEB_DIR="$BENCH_TMP/no-web" RATE_LIMIT=off LSF_ENV=test \
    METRICS_PORT=0 JWT_SECRET="$JWT_SECRET" "$@" "$LSF_BIN" serve
  OBS_URL=http://127.0.0.1:$port
  bench_wait_http "$name" "$OBS_URL/health/live"
}

# One user with OBS_TASKS tasks in $BENCH_TMP/seed.db; sets OBS_COOKIE.
obs_seed() {
  local token i
  obs_start seed "$BENCH_TMP/seed.db" ACCESS_LOG=off
  token=$(curl -s -D - -o /dev/null -H 'Content-Type: application/json' \
    --data '{"name":"Bench User","email":"bench-obs@example.com","password":"bench-password-1"}' \
    "$OBS_URL/api/auth/register" | sed -n 's/^[Ss]et-[Cc]ookie: *token=\([^;[:space:]]*\).*/\1/p' | head -1)
  [ -n "$token" ] || bench_die "register gave no token cookie (see $BENCH_TMP/seed.log)"
  OBS_COOKIE="Cookie: token=$token"
  for i in $(seq "$OBS_TASKS"); do
    printf '{"title":"Observability task %d","priority":"medium","tags":["bench"]}\n' "$i"
  done | while read -r body; do
    curl -sf -o /dev/null -H "$OBS_COOKIE" -H 'Content-Type: application/json' --data "$body" \
      "$OBS_URL/api/tasks" || exit 1
  done || bench_die "creating the tasks failed"
  bench_stop "$BENCH_LAST_PID"
}

# cpu_ticks <pid>: utime + stime of a process, in clock ticks.
cpu_ticks() {
  awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# obs_measure <on|off> <url> <pid>: one warmed-up wrk run; appends
# "<on|off>|round|rps|p50|p99|errors|cpu µs per request" to RUNS.
obs_measure() {
  local status t0 t1 requests
  status=$(curl -s -o "$BENCH_TMP/check.json" -w '%{http_code}' -H "$OBS_COOKIE" "$2$LIST")
  if [ "$status" != 200 ] || ! grep -q "\"totalTasks\": *$OBS_TASKS" "$BENCH_TMP/check.json"; then
    bench_die "$1: GET $LIST answered $status: $(head -c 300 "$BENCH_TMP/check.json")"
  fi
  if [ "$WRK_WARMUP" != 0 ]; then
    WRK_DURATION=$WRK_WARMUP bench_wrk "$2$LIST" "$OBS_COOKIE"
  fi
  echo "bench: measuring $1, round $round ($2$LIST) for $WRK_DURATION ..." >&2
  t0=$(cpu_ticks "$3")
  bench_wrk "$2$LIST" "$OBS_COOKIE"
  t1=$(cpu_ticks "$3")
  requests=$(sed -n 's/^BENCH .* requests=\([0-9]*\).*/\1/p' "$BENCH_TMP/wrk.out")
  RUNS+=("$1|$round|$WRK_RPS|$WRK_P50|$WRK_P99|$WRK_ERRORS|$(awk -v t=$((t1 - t0)) -v hz="$CLK_TCK" -v n="$requests" \
    'BEGIN { printf "%.1f", (n > 0 ? 1e6 * t / hz / n : 0) }')")
}

RUNS=()
bench_setup
obs_seed
cp "$BENCH_TMP/seed.db" "$BENCH_TMP/on.db"
cp "$BENCH_TMP/seed.db" "$BENCH_TMP/off.db"
obs_start on "$BENCH_TMP/on.db" ACCESS_LOG="$BENCH_TMP/access.log" METRICS=on
ON_URL=$OBS_URL ON_PID=$BENCH_LAST_PID
obs_start off "$BENCH_TMP/off.db" ACCESS_LOG=off METRICS=off
OFF_URL=$OBS_URL OFF_PID=$BENCH_LAST_PID
for round in $(seq "$OBS_ROUNDS"); do
  if [ $((round % 2)) = 1 ]; then
    obs_measure on "$ON_URL" "$ON_PID"
    obs_measure off "$OFF_URL" "$OFF_PID"
  else
    obs_measure off "$OFF_URL" "$OFF_PID"
    obs_measure on "$ON_URL" "$ON_PID"
  fi
done
logged=$(wc -l <"$BENCH_TMP/access.log")

echo
echo "## Cost of metrics and request logging"
echo
echo "GET $LIST ($OBS_TASKS tasks), $OBS_ROUNDS rounds of one $WRK_DURATION run each way (on/off, then off/on, ...);"
echo "on: access log to a file and metrics recorded (the defaults); off: ACCESS_LOG=off METRICS=off."
echo
echo "| run | round | requests/s | p50 (ms) | p99 (ms) | errors | server CPU µs/request |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for row in "${RUNS[@]}"; do echo "$row"; done |
  awk -F'|' '{ printf "| %s | %d | %.0f | %.3f | %.3f | %d | %s |\n", $1, $2, $3, $4 / 1000, $5 / 1000, $6, $7 }'
echo
for row in "${RUNS[@]}"; do echo "$row"; done | awk -F'|' -v aim=$AIM_COST -v logged="$logged" '
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
    printf "The on server wrote %d access log lines.\n", logged
    printf "Aim: metrics and request logging cost under %.0f%% of throughput: %.1f%% more CPU per request %s",
      100 * aim, 100 * (c - 1), (c - 1 < aim && errors == 0) ? "(met)" : "(MISSED)"
    printf "; requests/s on/off %.1f%% (median of the rounds; noisy on a shared machine).\n", 100 * (m - 1)
    if (errors > 0) printf "%d errors: measurement invalid\n", errors
    exit !(c - 1 < aim && errors == 0)
  }' || if [ "${BENCH_STRICT:-0}" = 1 ]; then exit 1; fi
echo
bench_note_machine
