#!/usr/bin/env bash
# `make soak` (not part of make test): a bounded soak of one lsf-server on
# SQLite. Mixed traffic (bench/soak.lua: lists, deeper pages, searches over
# rotating words, stats, creates, logins) first at full speed for
# SOAK_PROBE to measure capacity, then for SOAK_MINUTES at about
# SOAK_SHARE of it (each connection pauses between requests). Every minute
# one row: requests/s, p50, p99, errors, and (sampled in the middle of the
# minute, its 32 connections open) the server's RSS, open files and threads,
# and the WAL's and the database's size. All must stay flat: a
# leak shows as a slope. Writes the table to stdout, and with SOAK_OUT=DIR
# also DIR/soak.csv and DIR/soak.svg (bench/soak_plot.py).
#
# The database is a copy of tasks.sh's seed at SOAK_TASKS tasks over
# SOAK_USERS users, SOAK_BIG_TASKS of them the soak user's (built once,
# cached under build/bench-seed like the bench's).
#
# Usage: bench/soak.sh <path to lsf-server>
# Environment: SOAK_MINUTES (30), SOAK_SHARE (0.5), SOAK_PROBE (20s),
#   SOAK_CONNS (32), SOAK_THREADS (2), SOAK_OUT (none), SOAK_TASKS (200000),
#   SOAK_USERS (2000), SOAK_BIG_TASKS (20000).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"
SEED_USERS=${SOAK_USERS:-2000}
SEED_TASKS=${SOAK_TASKS:-200000}
SEED_BIG_TASKS=${SOAK_BIG_TASKS:-20000}
# shellcheck source-path=SCRIPTDIR source=tasks.sh
. "$HERE/tasks.sh"
# shellcheck source-path=SCRIPTDIR source=lib_scale.sh
. "$HERE/lib_scale.sh"

MINUTES=${SOAK_MINUTES:-30}
SHARE=${SOAK_SHARE:-0.5}
PROBE=${SOAK_PROBE:-20s}
CONNS=${SOAK_CONNS:-32}
THREADS=${SOAK_THREADS:-2}
OUT=${SOAK_OUT:-}
BENCH_JWT_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')

case "${1:-}" in
  "" | -h | --help)
    sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
    [ -n "${1:-}" ] && exit 0
    exit 2
    ;;
esac
LSF_BIN=$1
[ -x "$LSF_BIN" ] || bench_die "$LSF_BIN: not an executable (build it with make all)"
[[ $MINUTES =~ ^[1-9][0-9]*$ ]] || bench_die "SOAK_MINUTES must be a whole number of minutes, not '$MINUTES'"
bench_need wrk:wrk curl:curl python3:python3 sqlite3:sqlite3

# What tasks_template calls to register the big user: an instance on a SQLite file.
lsf_start() {
  scale_lsf_start "${2:-lsf}" "sqlite:${1:-$BENCH_TMP/lsf.db}"
}

# soak_wrk <seconds> <delay ms>: one wrk run of the mix; sets WRK_* as bench_wrk does.
soak_wrk() {
  WRK_THREADS=$THREADS WRK_CONNS=$CONNS WRK_DURATION=$1 WRK_SCRIPT=$HERE/soak.lua \
    SOAK_DELAY_MS=$2 SOAK_EMAIL=$BIG_EMAIL SOAK_PASSWORD=$BIG_PASSWORD bench_wrk "$LSF_URL/" "$LSF_COOKIE"
}

# sample: the server's RSS (MiB), open files, threads, and the WAL's and the database's size (MiB).
sample() {
  local rss threads fds wal db
  rss=$(awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$PID/status")
  threads=$(awk '/^Threads:/ { print $2 }' "/proc/$PID/status")
  fds=$(find "/proc/$PID/fd" -mindepth 1 -maxdepth 1 | wc -l)
  wal=$(stat -c %s "$DB-wal" 2>/dev/null || echo 0)
  db=$(stat -c %s "$DB")
  echo "$rss $fds $threads $(awk -v w="$wal" -v d="$db" 'BEGIN { printf "%.1f %.1f", w / 1048576, d / 1048576 }')"
}

bench_setup
trap 'scale_cleanup' EXIT
tasks_template
DB=$BENCH_TMP/soak.db
tasks_copy "$DB"
lsf_start "$DB" lsf
PID=$BENCH_LAST_PID
lsf_login_big

echo "bench: soak: measuring capacity of the mix for $PROBE ..." >&2
soak_wrk "$PROBE" 0
capacity=$WRK_RPS
[ "$WRK_ERRORS" = 0 ] || bench_die "the capacity run had $WRK_ERRORS errors (see $BENCH_TMP)"
# each connection: one request, then the pause; at SHARE of capacity a
# request waits about as long as at full speed divided by the share
delay=$(awk -v c="$CONNS" -v r="$capacity" -v s="$SHARE" 'BEGIN { d = c * 1000 / (r * s) - c * 1000 / r; printf "%d", d < 1 ? 1 : d }')
echo "bench: soak: capacity $capacity requests/s; $MINUTES minutes with a ${delay} ms pause per request and connection" >&2

csv=$BENCH_TMP/soak.csv
echo "minute,rps,p50_ms,p99_ms,errors,rss_mib,open_files,threads,wal_mib,db_mib" >"$csv"
sleep 1 # the probe's connections closed
read -r rss fds threads wal db <<<"$(sample)"
echo "0,,,,,$rss,$fds,$threads,$wal,$db" >>"$csv"
echo "| minute | requests/s | p50 (ms) | p99 (ms) | errors | RSS (MiB) | open files | threads | WAL (MiB) | database (MiB) |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
echo "| 0 | | | | | $rss | $fds | $threads | $wal | $db |"
errors=0
for minute in $(seq 1 "$MINUTES"); do
  # sampled in the middle of the minute, with the connections open: right
  # after wrk exits, the count raced the server closing 32 sockets (30 to 59
  # open files in one run, all of them the finished run's connections)
  (sleep 30 && sample >"$BENCH_TMP/sample") &
  sampler=$!
  soak_wrk 60s "$delay"
  wait "$sampler" || bench_die "lsf-server could not be sampled in minute $minute"
  kill -0 "$PID" 2>/dev/null || bench_die "lsf-server died in minute $minute (log: $BENCH_TMP/lsf.log)"
  read -r rss fds threads wal db <"$BENCH_TMP/sample"
  p50=$(awk -v v="$WRK_P50" 'BEGIN { printf "%.2f", v / 1000 }')
  p99=$(awk -v v="$WRK_P99" 'BEGIN { printf "%.2f", v / 1000 }')
  errors=$((errors + WRK_ERRORS))
  echo "$minute,$WRK_RPS,$p50,$p99,$WRK_ERRORS,$rss,$fds,$threads,$wal,$db" >>"$csv"
  echo "| $minute | $WRK_RPS | $p50 | $p99 | $WRK_ERRORS | $rss | $fds | $threads | $wal | $db |"
done
echo
echo "Capacity of the mix: $capacity requests/s (${PROBE}, full speed); soak at $SHARE of it, $CONNS connections, $MINUTES minutes, $errors errors."
if [ -n "$OUT" ]; then
  mkdir -p "$OUT"
  cp "$csv" "$OUT/soak.csv"
  python3 "$HERE/soak_plot.py" "$csv" "$OUT/soak.svg"
  echo "bench: soak: $OUT/soak.csv and $OUT/soak.svg" >&2
fi
[ "$errors" = 0 ] || bench_die "$errors requests failed during the soak"
