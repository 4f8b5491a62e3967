#!/usr/bin/env bash
# The scale-out benchmark (docs/SCALING.md): lsf-server on PostgreSQL + Redis
# next to SQLite on the same data, and 1 against 3 instances behind nginx
# (deploy/nginx/lb.conf as it is), all in one run with the nginx `return 200`
# reference, so the rows compare as ratios.
#
# Data: tasks.sh seeds a SQLite file with bench/seed.sh (100,000 tasks over
# 1,000 users, 10,000 of them for the big user registered through the API;
# cached under build/bench-seed-scale), and the same users and tasks are
# copied into a PostgreSQL database migrated by `lsf-server migrate`, through
# the normal insert path (triggers, generated search column, every index).
# Before measuring, both backends must give the big user the same first page.
#
# Processes, all on loopback: a throwaway PostgreSQL 15 (default durability:
# fsync and synchronous_commit on; shared_buffers 256MB), redis-server without
# persistence, lsf-server "sqlite" (a copy of the seed, in-process kv),
# lsf-server pg1, pg2, pg3 (PostgreSQL + Redis, TRUST_PROXY=127.0.0.1; rows
# "pg+redis"), nginx lb1 over pg1 and nginx lb3 over pg1..pg3. Every row:
# wrk -t2 -c32 -d10s after a 2 s warm-up, the big user's cookie. Besides requests/s and latency,
# each row gives the CPU time lsf-server, PostgreSQL, Redis and the nginx
# load balancer spent per request (from /proc), the input of the capacity
# model. The nginx rows without "create" in their name are reads; the create
# rows through nginx run with synchronous_commit=on. About 3.5 minutes.
# Prints markdown tables.
#
# Usage: bench/scale.sh <path to lsf-server>
# Environment: SCALE_USERS (1000), SCALE_TASKS (100000), SCALE_BIG_TASKS
#   (10000), SCALE_CACHE (build/bench-seed-scale), and lib.sh's WRK_DURATION,
#   WRK_CONNS, WRK_THREADS, WRK_TIMEOUT, WRK_WARMUP (2s; 0 = none).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)

case "${1:-}" in
  "" | -h | --help)
    sed -n '2,29p' "$0" | sed 's/^# \{0,1\}//'
    [ -n "${1:-}" ] && exit 0
    exit 2
    ;;
esac
LSF_BIN=$1
[ -x "$LSF_BIN" ] || { echo "bench: $LSF_BIN: not an executable (build it with make all)" >&2; exit 1; }

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"
# The seed of tasks.sh at this size, in a cache of its own: tasks_template
# deletes every other key in its cache dir (run.sh's 1M-task file among them).
BENCH_CACHE=${SCALE_CACHE:-$(cd "$HERE/.." && pwd)/build/bench-seed-scale}
SEED_USERS=${SCALE_USERS:-1000}
SEED_TASKS=${SCALE_TASKS:-100000}
SEED_BIG_TASKS=${SCALE_BIG_TASKS:-10000}
# shellcheck source-path=SCRIPTDIR source=tasks.sh
. "$HERE/tasks.sh"
# shellcheck source-path=SCRIPTDIR source=lib_scale.sh
. "$HERE/lib_scale.sh"

WRK_WARMUP=${WRK_WARMUP:-2s}
BENCH_JWT_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
LIST='/api/tasks?page=1&limit=10'
bench_need wrk:wrk nginx:nginx-light curl:curl python3:python3 sqlite3:sqlite3 psql:postgresql-client \
  redis-server:redis-server redis-cli:redis-tools

# What tasks_template calls to register the big user: an instance on a SQLite file.
lsf_start() {
  scale_lsf_start "${2:-lsf}" "sqlite:${1:-$BENCH_TMP/lsf.db}"
}

# check_same <a.json> <b.json> <what>: the same tasks and pagination.
check_same() {
  [ "$(json_get "$1" '[j["tasks"], {k: v for k, v in j["pagination"].items() if k != "nextCursor"}]')" = "$(json_get "$2" '[j["tasks"], {k: v for k, v in j["pagination"].items() if k != "nextCursor"}]')" ] ||
    bench_die "$3 disagree: see $1 and $2"
}

bench_setup
trap scale_cleanup EXIT
start=$(date +%s)

# Data: the SQLite seed, a copy for the SQLite instance, the same rows in PostgreSQL.
tasks_template
tasks_copy "$BENCH_TMP/lsf.db"
scale_pg_start
scale_redis_start
echo "bench: copying the seed into PostgreSQL ..." >&2
t0=$(date +%s)
env DATABASE_URL="$PG_URL" LOG_LEVEL=warn ENV_FILE="$BENCH_TMP/no.env" JWT_SECRET="$BENCH_JWT_SECRET" \
  "$LSF_BIN" migrate >"$BENCH_TMP/migrate.log" 2>&1 || { cat "$BENCH_TMP/migrate.log" >&2; bench_die "migrate failed"; }
scale_pg_load "$TEMPLATE_DB"
load_secs=$(($(date +%s) - t0))
[ "$(scale_pg_count 'SELECT count(*) FROM tasks')" = "$SEED_TASKS" ] || bench_die "PostgreSQL: wrong task count"
[ "$(scale_pg_count "SELECT sum(n) FROM task_counts c JOIN users u ON u.id = c.user_id
  WHERE u.email = '$BIG_EMAIL'")" = "$SEED_BIG_TASKS" ] || bench_die "PostgreSQL: task_counts wrong for the big user"
pg_size=$(scale_pg_count "SELECT pg_size_pretty(pg_database_size(current_database()))")

# Servers.
scale_lsf_start sqlite "sqlite:$BENCH_TMP/lsf.db"
SQLITE_URL=$LSF_URL
pg_env=(REDIS_URL="$REDIS_URL" TRUST_PROXY=127.0.0.1)
scale_lsf_start pg3 "$PG_URL" "${pg_env[@]}"
PG3_URL=$LSF_URL
scale_lsf_start pg2 "$PG_URL" "${pg_env[@]}"
PG2_URL=$LSF_URL
scale_lsf_start pg1 "$PG_URL" "${pg_env[@]}"
PG1_URL=$LSF_URL
scale_lb_start lb1 "$PG1_URL"
LB1_URL=$LB_URL
scale_lb_start lb3 "$PG1_URL" "$PG2_URL" "$PG3_URL"
LB3_URL=$LB_URL
bench_nginx_start

# The big user logs in on PostgreSQL (its password hash was copied from SQLite);
# the cookie is good on every instance (one JWT_SECRET).
LSF_URL=$PG1_URL
lsf_login_big
get_ok "$SQLITE_URL$LIST" "$BENCH_TMP/sqlite-page1.json"
for u in pg1:"$PG1_URL" pg2:"$PG2_URL" pg3:"$PG3_URL" lb1:"$LB1_URL" lb3:"$LB3_URL"; do
  get_ok "${u#*:}$LIST" "$BENCH_TMP/${u%%:*}-page1.json"
  check_same "$BENCH_TMP/sqlite-page1.json" "$BENCH_TMP/${u%%:*}-page1.json" "SQLite and ${u%%:*}: page 1"
  get_ok "${u#*:}/api/user/data" "$BENCH_TMP/${u%%:*}-user.json"
done
[ "$(json_get "$BENCH_TMP/pg1-page1.json" 'j["pagination"]["totalTasks"]')" = "$SEED_BIG_TASKS" ] ||
  bench_die "the big user does not have $SEED_BIG_TASKS tasks on PostgreSQL"
: >"$BENCH_TMP/lb3/logs/access.log" # the spread below counts the measured requests only

# Reads first, writes last (they add tasks to the big user).
scale_measure nginx "$NGINX_URL"
scale_measure "sqlite: list page 1" "$SQLITE_URL$LIST" "$LSF_COOKIE"
scale_measure "pg+redis: list page 1" "$PG1_URL$LIST" "$LSF_COOKIE"
scale_measure "sqlite: GET /api/user/data" "$SQLITE_URL/api/user/data" "$LSF_COOKIE"
scale_measure "pg+redis: GET /api/user/data" "$PG1_URL/api/user/data" "$LSF_COOKIE"
scale_measure "nginx -> 1 instance: GET /api/user/data" "$LB1_URL/api/user/data" "$LSF_COOKIE"
scale_measure "nginx -> 3 instances: GET /api/user/data" "$LB3_URL/api/user/data" "$LSF_COOKIE"
scale_measure "nginx -> 1 instance: list page 1" "$LB1_URL$LIST" "$LSF_COOKIE"
scale_measure "nginx -> 3 instances: list page 1" "$LB3_URL$LIST" "$LSF_COOKIE"
spread=$(scale_lb_spread lb3)
WRK_SCRIPT=$BENCH_DIR/create.lua scale_measure "sqlite: create" "$SQLITE_URL/api/tasks" "$LSF_COOKIE"
WRK_SCRIPT=$BENCH_DIR/create.lua scale_measure "pg+redis: create (synchronous_commit=on)" "$PG1_URL/api/tasks" "$LSF_COOKIE"
# a commit waits for its WAL flush while its event loop waits for libpq: more loops, more commits per flush
WRK_SCRIPT=$BENCH_DIR/create.lua scale_measure "nginx -> 1 instance: create" "$LB1_URL/api/tasks" "$LSF_COOKIE"
WRK_SCRIPT=$BENCH_DIR/create.lua scale_measure "nginx -> 3 instances: create" "$LB3_URL/api/tasks" "$LSF_COOKIE"
scale_pg_set synchronous_commit off
WRK_SCRIPT=$BENCH_DIR/create.lua scale_measure "pg+redis: create (synchronous_commit=off)" "$PG1_URL/api/tasks" "$LSF_COOKIE"
scale_pg_set synchronous_commit on

# Every task a 201 announced is in PostgreSQL (the counters agree with the rows).
[ "$(scale_pg_count "SELECT (SELECT count(*) FROM tasks) = (SELECT sum(n) FROM task_counts)")" = t ] ||
  bench_die "PostgreSQL: task_counts disagree with the tasks after the create rows"

echo
echo "## lsf-server scale-out benchmark"
echo
scale_table_print
echo
ratio() {
  local a b
  a=$(bench_row_get "$2" 2) && b=$(bench_row_get "$3" 2) &&
    awk -v t="$1" -v a="$a" -v b="$b" 'BEGIN { printf "- %s: %.2f\n", t, a / b }'
}
echo "Ratios of requests/s in this run:"
ratio "PostgreSQL / SQLite, list page 1" "pg+redis: list page 1" "sqlite: list page 1"
ratio "PostgreSQL / SQLite, GET /api/user/data" "pg+redis: GET /api/user/data" "sqlite: GET /api/user/data"
ratio "PostgreSQL (synchronous_commit=on) / SQLite, create" "pg+redis: create (synchronous_commit=on)" "sqlite: create"
ratio "PostgreSQL (synchronous_commit=off) / SQLite, create" "pg+redis: create (synchronous_commit=off)" "sqlite: create"
ratio "3 instances / 1 instance behind nginx, GET /api/user/data" \
  "nginx -> 3 instances: GET /api/user/data" "nginx -> 1 instance: GET /api/user/data"
ratio "3 instances / 1 instance behind nginx, list page 1" \
  "nginx -> 3 instances: list page 1" "nginx -> 1 instance: list page 1"
ratio "3 instances / 1 instance behind nginx, create (synchronous_commit=on)" \
  "nginx -> 3 instances: create" "nginx -> 1 instance: create"
ratio "nginx -> 1 instance / direct, GET /api/user/data" \
  "nginx -> 1 instance: GET /api/user/data" "pg+redis: GET /api/user/data"
echo
bench_note_machine
echo "Data: $SEED_TASKS tasks over $SEED_USERS users, $SEED_BIG_TASKS for the measured user (bench/seed.sh);" \
  "PostgreSQL copy loaded in ${load_secs} s, database $pg_size."
echo "lsf-server: $("$LSF_BIN" version 2>/dev/null || echo "$LSF_BIN"); SQLite $(sqlite3 --version | cut -d' ' -f1)" \
  "(WAL, synchronous=NORMAL, in-process kv); $(scale_pg_count 'SHOW server_version' | cut -d' ' -f1 | sed 's/^/PostgreSQL /')" \
  "(fsync on, shared_buffers 256MB) + Redis $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/')" \
  "for pg rows; HTTP_THREADS and WORKER_THREADS default ($(nproc) each), DB_POOL_MAX default (10 a process)," \
  "RATE_LIMIT=off, ACCESS_LOG=off."
echo "nginx $(nginx -v 2>&1 | sed 's/.*nginx\///'): deploy/nginx/lb.conf as shipped (worker_processes auto," \
  "keepalive 64, access log on). Requests per instance through nginx -> 3 during its two rows, warm-ups included: $spread."
echo "CPU µs/req: user+system time of each group of processes during the row over the requests served;" \
  "wrk's own CPU is not counted."
echo "Total time: $(($(date +%s) - start)) s."
