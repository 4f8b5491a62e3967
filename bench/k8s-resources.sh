#!/usr/bin/env bash
# The numbers behind the lsf-server container's resource requests and limits
# (deploy/k8s/base/deployment.yaml, docs/DEPLOY.md "Kubernetes"): one
# lsf-server with the pod's settings (HTTP_THREADS=2, WORKER_THREADS=2,
# DB_POOL_MAX=8, production password hashing: argon2id 64 MB, 2 passes) on a
# throwaway PostgreSQL and Redis, driven by wrk through phases, each for
# WRK_DURATION (default 20s) at WRK_CONNS connections (default 32):
#   idle        nothing (10 s after the first request)
#   list        GET /api/tasks (one user with 500 tasks)
#   create      POST /api/tasks
#   login       POST /api/auth/login (argon2id: the memory peak)
#   health      GET /health/ready (what the probes cost)
#   list-512    GET /api/tasks?limit=100 at 512 connections (memory per connection)
# For each phase it prints requests/s, the process's CPU in cores (user+system
# ticks over the phase) and its largest resident set (VmRSS sampled every
# 0.2 s), then the peak of the whole run (VmHWM). wrk runs on the same cores
# as the server, so the CPU figures are what the server got, not all it could use.
#
# Usage: bench/k8s-resources.sh <path to lsf-server>
set -euo pipefail
WRK_DURATION=${WRK_DURATION:-20s}
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"
# shellcheck source-path=SCRIPTDIR source=lib_scale.sh
. "$HERE/lib_scale.sh"

LSF_BIN=${1:-}
[ -x "$LSF_BIN" ] || bench_die "usage: bench/k8s-resources.sh <path to lsf-server> (build it with make all)"
bench_need wrk:wrk curl:curl python3:python3 redis-server:redis-server psql:postgresql-client
BENCH_JWT_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
bench_setup
trap scale_cleanup EXIT

scale_pg_start
scale_redis_start
scale_psql -c 'CREATE DATABASE lsf'
db_url=${PG_URL%/postgres}/lsf
port=$(bench_free_port)
mkdir -p "$BENCH_TMP/lsf-data"
bench_start lsf env HOST=127.0.0.1 PORT="$port" DATA_DIR="$BENCH_TMP/lsf-data" \
  DATABASE_URL="$db_url" REDIS_URL="$REDIS_URL" WEB_DIR="$BENCH_TMP/no-web" ENV_FILE="$BENCH_TMP/no.env" \
  LSF_ENV=test RATE_LIMIT=off ACCESS_LOG=- LOG_LEVEL=info METRICS_PORT=0 \
  HTTP_THREADS=2 WORKER_THREADS=2 DB_POOL_MAX=8 DB_POOL_MIN=2 \
  JWT_SECRET="$BENCH_JWT_SECRET" "$LSF_BIN" serve
LSF_PID=$BENCH_LAST_PID
LSF_URL=http://127.0.0.1:$port
bench_wait_http lsf "$LSF_URL/health"

email=bench-k8s@example.com password=bench-password-1
curl -sf -o /dev/null -H 'Content-Type: application/json' \
  --data "{\"name\":\"Bench\",\"email\":\"$email\",\"password\":\"$password\"}" "$LSF_URL/api/auth/register"
token=$(curl -sf -D - -o /dev/null -H 'Content-Type: application/json' \
  --data "{\"email\":\"$email\",\"password\":\"$password\"}" "$LSF_URL/api/auth/login" |
  sed -n 's/^[Ss]et-[Cc]ookie: *token=\([^;[:space:]]*\).*/\1/p' | head -1)
[ -n "$token" ] || bench_die "login gave no token"
cookie="Cookie: token=$token"
for i in $(seq 500); do
  printf '{"title":"Task %d","description":"resource measurement","priority":"high","tags":["k8s"]}' "$i" |
    curl -sf -o /dev/null -H "$cookie" -H 'Content-Type: application/json' --data @- "$LSF_URL/api/tasks"
done

cat >"$BENCH_TMP/login.lua" <<EOF
dofile("$HERE/latency.lua")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"email":"$email","password":"$password"}'
EOF

ticks() { awk '{ print $14 + $15 }' "/proc/$LSF_PID/stat"; }
hz=$(getconf CLK_TCK)

# phase <name> [wrk url [header]]: run it while sampling VmRSS; print a row.
phase() {
  local name=$1 url=${2:-} header=${3:-} t0 t1 c0 c1 sampler rss
  : >"$BENCH_TMP/rss"
  (while :; do awk '/^VmRSS/ { print $2 }' "/proc/$LSF_PID/status" >>"$BENCH_TMP/rss"; sleep 0.2; done) &
  sampler=$!
  c0=$(ticks) t0=$(date +%s.%N)
  if [ -n "$url" ]; then
    bench_wrk "$url" "$header"
  else
    sleep 10
    WRK_RPS=0 WRK_ERRORS=0
  fi
  c1=$(ticks) t1=$(date +%s.%N)
  kill "$sampler"
  wait "$sampler" 2>/dev/null || true
  rss=$(sort -n "$BENCH_TMP/rss" | tail -1)
  awk -v n="$name" -v r="$WRK_RPS" -v e="$WRK_ERRORS" -v c="$((c1 - c0))" -v hz="$hz" -v t0="$t0" -v t1="$t1" -v rss="$rss" \
    'BEGIN { printf "| %-9s | %8s | %6s | %5.2f | %6.1f |\n", n, r, e, c / hz / (t1 - t0), rss / 1024 }'
}

echo "lsf-server $("$LSF_BIN" version 2>/dev/null || true), wrk -t$WRK_THREADS -c$WRK_CONNS -d$WRK_DURATION, $(nproc) cores"
echo
echo '| phase   | requests/s | errors | CPU (cores) | max RSS (MiB) |'
echo '| ---     | ---: | ---: | ---: | ---: |'
phase idle
phase list "$LSF_URL/api/tasks?limit=20" "$cookie"
WRK_SCRIPT=$HERE/create.lua phase create "$LSF_URL/api/tasks" "$cookie"
WRK_SCRIPT=$BENCH_TMP/login.lua phase login "$LSF_URL/api/auth/login"
phase health "$LSF_URL/health/ready"
WRK_CONNS=512 phase list-512 "$LSF_URL/api/tasks?limit=100" "$cookie"
echo
echo "peak RSS of the whole run (VmHWM): $(awk '/^VmHWM/ { printf "%.1f MiB", $2 / 1024 }' "/proc/$LSF_PID/status")"
