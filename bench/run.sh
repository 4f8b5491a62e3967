#!/usr/bin/env bash
# `make bench`: throughput and latency of lsf-server against an nginx that only
# does `return 200` with the same kind of JSON and against the Express
# reference implementation in bench/express/ (the users' current stack), on
# this machine. With task sections (the default) lsf-server and Express each
# get a copy of a seeded database (1,000,000 tasks, 10,000 users, one with
# 100,000: see tasks.sh and seed.sh; built once, cached under build/bench-seed)
# and the big user's cookie; without them, a fresh database and one new user.
# Each row is wrk -t2 -c32 -d10s after a 2 s warm-up. Prints a markdown table
# and the aims (see README.md). Then, with their own servers: observability.sh
# (what metrics and the access log cost on the list endpoint), tracing.sh (what
# tracing at 10% sampling costs there), web.mjs (the
# web app's gzipped JS+CSS and its board's load time in headless Chromium),
# reset_timing.mjs (send-reset-otp for a known versus an unknown email),
# scale.sh (PostgreSQL + Redis, and 1 versus 3 instances behind nginx) and
# scaled.sh (the scaled path against SQLite, through a 1 ms delay proxy, and
# /health/live while Redis is frozen).
#
# Usage: bench/run.sh <path to lsf-server>     all sections
#        bench/run.sh --nginx-only             only the nginx reference (no server needed)
# Environment: BENCH_SECTIONS (default: user_data and every tasks_* section),
#   BENCH_EXPRESS (1; 0 = no Express rows), BENCH_ROUNDS (1: with more, every row is
#   measured once a round and the table gives medians), WRK_DURATION, WRK_CONNS, WRK_THREADS,
#   WRK_WARMUP (2s; 0 = none), BENCH_STRICT=1 (exit 1 when an aim is missed),
#   BENCH_OBSERVABILITY (1; 0 = skip observability.sh), BENCH_TRACING (1; 0 = skip
#   tracing.sh), BENCH_WEB (1; 0 = skip
#   web.mjs), BENCH_RESET (1; 0 = skip reset_timing.mjs), BENCH_SCALE (1; 0 =
#   skip scale.sh), BENCH_SCALED (1; 0 = skip scaled.sh); more in tasks.sh,
#   observability.sh, web.mjs, reset_timing.mjs, scale.sh and scaled.sh.
#
# A new section is a function section_<name> that calls
#   measure "<row name>" <url> [header]   (or measure_both, tasks.sh)
# plus its name in BENCH_SECTIONS.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"
# shellcheck source-path=SCRIPTDIR source=tasks.sh
. "$HERE/tasks.sh"

AIM_RATIO=0.40   # of nginx's requests/s
AIM_P99_US=2000  # microseconds
WRK_WARMUP=${WRK_WARMUP:-2s}
BENCH_SECTIONS=${BENCH_SECTIONS:-user_data tasks_list tasks_page tasks_cursor tasks_search tasks_search_common tasks_stats tasks_small tasks_create}
BENCH_JWT_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')

case "${1:-}" in
  --nginx-only) LSF_BIN="" ;;
  "" | -h | --help)
    sed -n '2,31p' "$0" | sed 's/^# \{0,1\}//'
    [ -n "${1:-}" ] && exit 0
    exit 2
    ;;
  *)
    LSF_BIN=$1
    [ -x "$LSF_BIN" ] || bench_die "$LSF_BIN: not an executable (build it with make all)"
    ;;
esac
bench_need wrk:wrk nginx:nginx-light curl:curl python3:python3

# Warm up (unmeasured), then measure: keeps first-request costs out of the numbers.
warm_and_measure() {
  if [ "$WRK_WARMUP" != 0 ]; then
    WRK_DURATION=$WRK_WARMUP bench_wrk "$2" "${3:-}"
  fi
  measure "$@"
}

# lsf_start [database file] [log name]: sets LSF_URL (and BENCH_LAST_PID).
lsf_start() {
  local port db=${1:-$BENCH_TMP/lsf.db} name=${2:-lsf}
  port=$(bench_free_port)
  mkdir -p "$BENCH_TMP/$name-data"
  bench_start "$name" env HOST=127.0.0.1 PORT="$port" DATA_DIR="$BENCH_TMP/$name-data" \
    DATABASE_URL="sqlite:$db" WEB_DIR="$BENCH_TMP/no-web" \
    RATE_LIMIT=off ACCESS_LOG=off LOG_LEVEL=warn LSF_ENV=test \
    JWT_SECRET="$BENCH_JWT_SECRET" \
    "$LSF_BIN" serve
  LSF_URL=http://127.0.0.1:$port
  bench_wait_http "$name" "$LSF_URL/api/health"
}

# Register the bench user; sets LSF_COOKIE ("Cookie: token=...").
lsf_register() {
  local status token
  status=$(curl -s -o "$BENCH_TMP/register.json" -D "$BENCH_TMP/register.head" -w '%{http_code}' \
    -H 'Content-Type: application/json' \
    --data '{"name":"Bench User","email":"bench@example.com","password":"bench-password-1"}' \
    "$LSF_URL/api/auth/register")
  token=$(sed -n 's/^[Ss]et-[Cc]ookie: *token=\([^;[:space:]]*\).*/\1/p' "$BENCH_TMP/register.head" | head -1)
  [ -n "$token" ] || bench_die "register answered $status without a token cookie: $(cat "$BENCH_TMP/register.json")"
  LSF_COOKIE="Cookie: token=$token"
}

# GET <path> with the cookie must answer 200 with "success":true, or the numbers mean nothing.
lsf_check() {
  local status
  status=$(curl -s -o "$BENCH_TMP/check.json" -w '%{http_code}' -H "$LSF_COOKIE" "$LSF_URL$1")
  if [ "$status" != 200 ] || ! grep -q '"success": *true' "$BENCH_TMP/check.json"; then
    bench_die "GET $1 answered $status: $(cat "$BENCH_TMP/check.json")"
  fi
}

section_nginx() {
  warm_and_measure nginx "$NGINX_URL"
}

section_user_data() {
  lsf_check /api/user/data
  warm_and_measure "lsf GET /api/user/data" "$LSF_URL/api/user/data" "$LSF_COOKIE"
  if [ -n "${EXPRESS_URL:-}" ]; then
    warm_and_measure "express GET /api/user/data" "$EXPRESS_URL/api/user/data" "$LSF_COOKIE"
  fi
}

# Aims for every "lsf GET ..." row (the task rows have their own, tasks.sh);
# sets AIMS_MISSED=1 when one is missed.
print_aims() {
  local row name rps p99 errors nginx_rps
  AIMS_MISSED=0
  nginx_rps=$(bench_row_get nginx 2)
  echo "Aims: lsf GET rows: requests/s >= $(awk -v r=$AIM_RATIO 'BEGIN { print r * 100 }')% of nginx, p99 < $((AIM_P99_US / 1000)) ms."
  for row in "${BENCH_ROWS[@]}"; do
    IFS='|' read -r name rps _ p99 errors <<<"$row"
    case "$name" in "lsf GET "*) ;; *) continue ;; esac
    awk -v n="$name" -v rps="$rps" -v ref="$nginx_rps" -v r=$AIM_RATIO -v p99="$p99" -v a=$AIM_P99_US -v e="$errors" 'BEGIN {
      ok1 = rps >= r * ref; ok2 = p99 < a
      printf "- %s: %.0f%% of nginx %s, p99 %.3f ms %s%s\n", n, 100 * rps / ref, ok1 ? "(met)" : "(MISSED)",
        p99 / 1000, ok2 ? "(met)" : "(MISSED)", (e > 0 ? sprintf("; %d errors: measurement invalid", e) : "")
      exit !(ok1 && ok2 && e == 0)
    }' || AIMS_MISSED=1
  done
}

bench_setup
if [ -n "$LSF_BIN" ]; then
  case " $BENCH_SECTIONS" in
    *" tasks_"*)
      tasks_template
      tasks_copy "$BENCH_TMP/lsf.db"
      lsf_start
      lsf_login_big
      if [ "$BENCH_EXPRESS" = 1 ]; then
        tasks_copy "$BENCH_TMP/express.db"
        express_start "$BENCH_TMP/express.db"
      fi
      tasks_prepare
      ;;
    *)
      lsf_start
      lsf_register
      ;;
  esac
  sections="nginx $BENCH_SECTIONS"
else
  sections=nginx
fi
bench_nginx_start
BENCH_ROUNDS=${BENCH_ROUNDS:-1}
for round in $(seq "$BENCH_ROUNDS"); do
  [ "$BENCH_ROUNDS" = 1 ] || echo "bench: round $round of $BENCH_ROUNDS" >&2
  for section in $sections; do
    "section_$section"
  done
done
bench_rows_median

echo
echo "## lsf-server benchmark"
echo
[ "$BENCH_ROUNDS" = 1 ] || echo "Medians of $BENCH_ROUNDS rounds (errors: the sum)."
[ "$BENCH_ROUNDS" = 1 ] || echo
bench_table_print nginx
echo
bench_note_machine
if [ -n "$LSF_BIN" ]; then
  echo "lsf-server: $("$LSF_BIN" version 2>/dev/null || echo "$LSF_BIN"), SQLite" \
    "$(sqlite3 --version 2>/dev/null | cut -d' ' -f1) (system), RATE_LIMIT=off, ACCESS_LOG=off."
  if [ -n "${EXPRESS_URL:-}" ]; then
    echo "Express: node $(node --version), $(node -p 'const m = (n) => require(process.argv[1] + "/" + n + "/package.json");
      ["express", "jsonwebtoken", "better-sqlite3"].map((n) => n + " " + m(n).version).join(", ")' \
      "$BENCH_DIR/express/node_modules") (SQLite $(node -p 'require(process.argv[1])(":memory:").prepare(
      "SELECT sqlite_version() AS v").get().v' "$BENCH_DIR/express/node_modules/better-sqlite3")," \
      "bundled), EXPRESS_WORKERS=${EXPRESS_WORKERS:-1}, EXPRESS_SQL=${EXPRESS_SQL:-naive}."
  fi
  print_aims
  print_task_aims
  for pid in "${BENCH_PIDS[@]}"; do
    bench_stop "$pid" # the servers above are done: the scripts below start their own
  done
  if [ "${BENCH_OBSERVABILITY:-1}" = 1 ]; then
    "$HERE/observability.sh" "$LSF_BIN" || AIMS_MISSED=1
  fi
  if [ "${BENCH_TRACING:-1}" = 1 ]; then
    "$HERE/tracing.sh" "$LSF_BIN" || AIMS_MISSED=1
  fi
  if [ "${BENCH_WEB:-1}" = 1 ]; then
    LSF_BIN=$LSF_BIN node "$HERE/web.mjs" || AIMS_MISSED=1
  fi
  if [ "${BENCH_RESET:-1}" = 1 ]; then
    LSF_BIN=$LSF_BIN node "$HERE/reset_timing.mjs" || AIMS_MISSED=1
  fi
  if [ "${BENCH_SCALE:-1}" = 1 ]; then
    "$HERE/scale.sh" "$LSF_BIN" || AIMS_MISSED=1
  fi
  if [ "${BENCH_SCALED:-1}" = 1 ]; then
    "$HERE/scaled.sh" "$LSF_BIN" || AIMS_MISSED=1
  fi
  if [ "$AIMS_MISSED" = 1 ] && [ "${BENCH_STRICT:-0}" = 1 ]; then
    exit 1
  fi
fi
