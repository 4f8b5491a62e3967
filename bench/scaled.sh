#!/usr/bin/env bash
# The scaled path benchmark (docs/SCALING.md, "The scaled path never
# blocks"): the list page on PostgreSQL + Redis against SQLite on the same
# data, the same through a delay proxy adding 0 and 1 ms each way between
# lsf-server and PostgreSQL/Redis (bench/delay_proxy.py: a network hop on
# one machine), and the worst latency of /health/live on new connections
# while Redis is frozen (SIGSTOP) and thawed under load. All in one run with
# the nginx `return 200` reference, so the rows compare as ratios.
#
# Data and processes as bench/scale.sh (its seed cache, the same rows copied
# into PostgreSQL): lsf-server "sqlite", "pg" (PostgreSQL + Redis directly),
# "pg+0ms" and "pg+1ms" (both through their own delay proxies). Every row:
# wrk -t2 -c32 -d10s after a 2 s warm-up with the big user's cookie; the CPU
# each group of processes spent per request (lsf-server, PostgreSQL, Redis;
# the proxies are not counted). Then the freeze row: wrk on the pg list page
# for FREEZE_SECONDS while bench/live_probe.py opens a connection every 5 ms
# and Redis is stopped for 1 s and continued for 1 s in turn. About 2.5
# minutes. Prints markdown tables.
#
# Usage: bench/scaled.sh <path to lsf-server>
# Environment: FREEZE_SECONDS (12), DELAY_MS (1), and those of scale.sh
#   (SCALE_USERS, SCALE_TASKS, SCALE_BIG_TASKS, SCALE_CACHE) and lib.sh
#   (WRK_DURATION, WRK_CONNS, WRK_THREADS, WRK_TIMEOUT, WRK_WARMUP).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)

case "${1:-}" in
  "" | -h | --help)
    sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'
    [ -n "${1:-}" ] && exit 0
    exit 2
    ;;
esac
LSF_BIN=$1
[ -x "$LSF_BIN" ] || { echo "bench: $LSF_BIN: not an executable (build it with make all)" >&2; exit 1; }

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"
BENCH_CACHE=${SCALE_CACHE:-$(cd "$HERE/.." && pwd)/build/bench-seed-scale}
SEED_USERS=${SCALE_USERS:-1000}
SEED_TASKS=${SCALE_TASKS:-100000}
SEED_BIG_TASKS=${SCALE_BIG_TASKS:-10000}
# shellcheck source-path=SCRIPTDIR source=tasks.sh
. "$HERE/tasks.sh"
# shellcheck source-path=SCRIPTDIR source=lib_scale.sh
. "$HERE/lib_scale.sh"

WRK_WARMUP=${WRK_WARMUP:-2s}
FREEZE_SECONDS=${FREEZE_SECONDS:-12}
DELAY_MS=${DELAY_MS:-1}
BENCH_JWT_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
LIST='/api/tasks?page=1&limit=10'
bench_need wrk:wrk nginx:nginx-light curl:curl python3:python3 sqlite3:sqlite3 psql:postgresql-client \
  redis-server:redis-server redis-cli:redis-tools

lsf_start() {
  scale_lsf_start "${2:-lsf}" "sqlite:${1:-$BENCH_TMP/lsf.db}"
}

# proxy_start <name> <host:port> <delay ms>: a delay proxy; sets PROXY_PORT.
proxy_start() {
  local _
  bench_start "$1" python3 "$HERE/delay_proxy.py" 0 "$2" "$3"
  for _ in $(seq 50); do
    PROXY_PORT=$(sed -n 's/^port //p' "$BENCH_TMP/$1.log")
    [ -n "$PROXY_PORT" ] && return 0
    sleep 0.1
  done
  bench_die "delay proxy $1 did not start"
}

# url_via <url> <port>: the URL with its host:port replaced by 127.0.0.1:<port>.
url_via() {
  sed -E "s#^([a-z]+://([^@/]*@)?)[^/]+#\\1127.0.0.1:$2#" <<<"$1"
}

bench_setup
trap scale_cleanup EXIT
start=$(date +%s)

tasks_template
tasks_copy "$BENCH_TMP/lsf.db"
scale_pg_start
scale_redis_start
echo "bench: copying the seed into PostgreSQL ..." >&2
env DATABASE_URL="$PG_URL" LOG_LEVEL=warn ENV_FILE="$BENCH_TMP/no.env" JWT_SECRET="$BENCH_JWT_SECRET" \
  "$LSF_BIN" migrate >"$BENCH_TMP/migrate.log" 2>&1 || { cat "$BENCH_TMP/migrate.log" >&2; bench_die "migrate failed"; }
scale_pg_load "$TEMPLATE_DB"

pg_hostport=${PG_URL#*@}
pg_hostport=${pg_hostport%%/*}
redis_hostport=${REDIS_URL#redis://}
proxy_start pg-proxy0 "$pg_hostport" 0
PG0_URL=$(url_via "$PG_URL" "$PROXY_PORT")
proxy_start redis-proxy0 "$redis_hostport" 0
REDIS0_URL=redis://127.0.0.1:$PROXY_PORT
proxy_start pg-proxy1 "$pg_hostport" "$DELAY_MS"
PG1_URL=$(url_via "$PG_URL" "$PROXY_PORT")
proxy_start redis-proxy1 "$redis_hostport" "$DELAY_MS"
REDIS1_URL=redis://127.0.0.1:$PROXY_PORT

scale_lsf_start sqlite "sqlite:$BENCH_TMP/lsf.db"
SQLITE_URL=$LSF_URL
scale_lsf_start pg "$PG_URL" REDIS_URL="$REDIS_URL"
PG_LSF_URL=$LSF_URL
scale_lsf_start pg0 "$PG0_URL" REDIS_URL="$REDIS0_URL"
PG0_LSF_URL=$LSF_URL
scale_lsf_start pg1 "$PG1_URL" REDIS_URL="$REDIS1_URL"
PG1_LSF_URL=$LSF_URL
bench_nginx_start

LSF_URL=$PG_LSF_URL
lsf_login_big
get_ok "$SQLITE_URL$LIST" "$BENCH_TMP/sqlite-page1.json"
for u in pg:"$PG_LSF_URL" pg0:"$PG0_LSF_URL" pg1:"$PG1_LSF_URL"; do
  get_ok "${u#*:}$LIST" "$BENCH_TMP/${u%%:*}-page1.json"
  [ "$(json_get "$BENCH_TMP/sqlite-page1.json" '[j["tasks"], {k: v for k, v in j["pagination"].items() if k != "nextCursor"}]')" = \
    "$(json_get "$BENCH_TMP/${u%%:*}-page1.json" '[j["tasks"], {k: v for k, v in j["pagination"].items() if k != "nextCursor"}]')" ] ||
    bench_die "SQLite and ${u%%:*} disagree on page 1: $(head -c 600 "$BENCH_TMP/sqlite-page1.json") against $(head -c 600 "$BENCH_TMP/${u%%:*}-page1.json")"
done

row_pg0="pg+redis via proxy +0 ms: list page 1"
row_pg1="pg+redis via proxy +$DELAY_MS ms: list page 1"
scale_measure nginx "$NGINX_URL"
scale_measure "sqlite: list page 1" "$SQLITE_URL$LIST" "$LSF_COOKIE"
scale_measure "pg+redis: list page 1" "$PG_LSF_URL$LIST" "$LSF_COOKIE"
scale_measure "$row_pg0" "$PG0_LSF_URL$LIST" "$LSF_COOKIE"
scale_measure "$row_pg1" "$PG1_LSF_URL$LIST" "$LSF_COOKIE"

# /health/live while Redis is frozen and thawed under load.
redis_pid=${SCALE_GROUP[redis]# }
port=${PG_LSF_URL##*:}
echo "bench: /health/live under load while Redis is frozen and thawed, $FREEZE_SECONDS s ..." >&2
WRK_DURATION=${FREEZE_SECONDS}s bench_wrk "$PG_LSF_URL$LIST" "$LSF_COOKIE" &
wrk_pid=$!
python3 "$HERE/live_probe.py" 127.0.0.1 "$port" "$FREEZE_SECONDS" 5 >"$BENCH_TMP/probe.out" &
probe_pid=$!
freezes=0
end=$(($(date +%s) + FREEZE_SECONDS - 2))
while [ "$(date +%s)" -lt "$end" ]; do
  sleep 1
  kill -STOP "$redis_pid"
  freezes=$((freezes + 1))
  sleep 1
  kill -CONT "$redis_pid"
done
wait "$probe_pid"
wait "$wrk_pid" || true
kill -CONT "$redis_pid" 2>/dev/null || true
probe=$(cat "$BENCH_TMP/probe.out")

echo
echo "## lsf-server scaled-path benchmark"
echo
scale_table_print
echo
ratio() {
  local a b
  a=$(bench_row_get "$2" 2) && b=$(bench_row_get "$3" 2) &&
    awk -v t="$1" -v a="$a" -v b="$b" 'BEGIN { printf "- %s: %.2f\n", t, a / b }'
}
echo "Ratios of requests/s in this run:"
ratio "PostgreSQL + Redis / SQLite, list page 1 (aim >= 0.6)" "pg+redis: list page 1" "sqlite: list page 1"
ratio "+$DELAY_MS ms each way / +0 ms, list page 1 (aim >= 0.5)" "$row_pg1" "$row_pg0"
echo
echo "/health/live on new connections, every 5 ms for $FREEZE_SECONDS s under wrk load on the pg list page," \
  "Redis stopped $freezes times for 1 s (aim: max < 50 ms): $probe"
echo
bench_note_machine
echo "Data: $SEED_TASKS tasks over $SEED_USERS users, $SEED_BIG_TASKS for the measured user (bench/seed.sh)."
echo "lsf-server: $("$LSF_BIN" version 2>/dev/null || echo "$LSF_BIN"); HTTP_THREADS and WORKER_THREADS default" \
  "($(nproc) each), RATE_LIMIT=off, ACCESS_LOG=off; PostgreSQL $(scale_pg_count 'SHOW server_version' | cut -d' ' -f1)" \
  "(fsync on, shared_buffers 256MB), Redis $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/') without persistence."
echo "CPU µs/req: user+system time of each group of processes during the row over the requests served;" \
  "wrk's and the delay proxies' CPU is not counted."
echo "Total time: $(($(date +%s) - start)) s."
