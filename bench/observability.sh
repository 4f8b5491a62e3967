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
# shellcheck source-path=SCRIPTDIR source=lib_abba.sh
. "$HERE/lib_abba.sh"

AIM_COST=0.05
OBS_ROUNDS=${OBS_ROUNDS:-6}
ABBA_TASKS=${OBS_TASKS:-200}
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

RUNS=()
bench_setup
abba_seed bench-obs@example.com "Observability task"
cp "$BENCH_TMP/seed.db" "$BENCH_TMP/on.db"
cp "$BENCH_TMP/seed.db" "$BENCH_TMP/off.db"
abba_start on "$BENCH_TMP/on.db" ACCESS_LOG="$BENCH_TMP/access.log" METRICS=on
ON_URL=$ABBA_URL ON_PID=$BENCH_LAST_PID
abba_start off "$BENCH_TMP/off.db" ACCESS_LOG=off METRICS=off
OFF_URL=$ABBA_URL OFF_PID=$BENCH_LAST_PID
abba_rounds "$OBS_ROUNDS" "$ON_URL" "$ON_PID" "$OFF_URL" "$OFF_PID"
logged=$(wc -l <"$BENCH_TMP/access.log")

echo
echo "## Cost of metrics and request logging"
echo
echo "GET $LIST ($ABBA_TASKS tasks), $OBS_ROUNDS rounds of one $WRK_DURATION run each way (on/off, then off/on, ...);"
echo "on: access log to a file and metrics recorded (the defaults); off: ACCESS_LOG=off METRICS=off."
echo
abba_table
echo
abba_medians >"$BENCH_TMP/medians"
head -n 2 "$BENCH_TMP/medians"
read -r m c errors < <(tail -n 1 "$BENCH_TMP/medians")
echo "The on server wrote $logged access log lines."
awk -v aim=$AIM_COST -v m="$m" -v c="$c" -v errors="$errors" 'BEGIN {
    printf "Aim: metrics and request logging cost under %.0f%% of throughput: %.1f%% more CPU per request %s",
      100 * aim, 100 * (c - 1), (c - 1 < aim && errors == 0) ? "(met)" : "(MISSED)"
    printf "; requests/s on/off %.1f%% (median of the rounds; noisy on a shared machine).\n", 100 * (m - 1)
    if (errors > 0) printf "%d errors: measurement invalid\n", errors
    exit !(c - 1 < aim && errors == 0)
  }' || if [ "${BENCH_STRICT:-0}" = 1 ]; then exit 1; fi
echo
bench_note_machine
