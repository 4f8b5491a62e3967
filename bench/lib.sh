# shellcheck shell=bash
# Helpers shared by bench/run.sh (make bench) and bench/http-candidates/run.sh.
# Sourced, not run. They keep one temp dir and a list of started processes
# (removed and stopped by bench_cleanup, which the callers install as a trap),
# start the nginx `return 200` reference, run wrk with latency.lua and collect
# the results as rows of a markdown table whose ratio column is relative to
# one reference row (nginx).
#
# Knobs (environment): WRK_THREADS (2), WRK_CONNS (32), WRK_DURATION (10s),
# WRK_TIMEOUT (10s: a slower answer counts as an error), WRK_SCRIPT
# (latency.lua; another script must define the same `done`).

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BENCH_BODY='{"success":true,"message":"ok"}'
WRK_THREADS=${WRK_THREADS:-2}
WRK_CONNS=${WRK_CONNS:-32}
WRK_DURATION=${WRK_DURATION:-10s}
WRK_SCRIPT=${WRK_SCRIPT:-}
WRK_TIMEOUT=${WRK_TIMEOUT:-10s}
BENCH_TMP=""
BENCH_PIDS=()
BENCH_ROWS=()

bench_die() {
  echo "bench: $*" >&2
  exit 1
}

# bench_need "cmd:debian-package" ...: exit with one clear message naming every
# missing command and the Debian package that provides it.
bench_need() {
  local spec missing=""
  for spec in "$@"; do
    command -v "${spec%%:*}" >/dev/null 2>&1 || missing="$missing ${spec#*:}"
  done
  [ -z "$missing" ] || bench_die "missing tools; install with: apt-get install$missing"
}

bench_setup() {
  BENCH_TMP=$(mktemp -d /tmp/lsf-bench.XXXXXX)
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}

bench_cleanup() {
  local pid
  for pid in "${BENCH_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${BENCH_PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  BENCH_PIDS=()
  if [ -n "$BENCH_TMP" ]; then
    rm -rf "$BENCH_TMP"
  fi
}

bench_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# bench_start <name> <command...>: run in the background, output to $BENCH_TMP/<name>.log;
# sets BENCH_LAST_PID.
bench_start() {
  local name=$1
  shift
  "$@" >"$BENCH_TMP/$name.log" 2>&1 &
  BENCH_LAST_PID=$!
  BENCH_PIDS+=("$BENCH_LAST_PID")
}

# bench_stop <pid>: SIGTERM one process that bench_start started and wait for it.
bench_stop() {
  local pid rest=()
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  for pid in "${BENCH_PIDS[@]}"; do
    [ "$pid" = "$1" ] || rest+=("$pid")
  done
  BENCH_PIDS=("${rest[@]}")
}

# bench_wait_http <name> <url>: wait up to 10 s for any HTTP answer.
bench_wait_http() {
  local _
  for _ in $(seq 100); do
    curl -s -o /dev/null --max-time 1 "$2" && return 0
    sleep 0.1
  done
  cat "$BENCH_TMP/$1.log" >&2 2>/dev/null
  bench_die "$1 did not answer at $2 within 10 s (log above)"
}

# bench_nginx_start: nginx answering every request with the fixed JSON body;
# sets NGINX_URL. Two workers, no access log, everything under $BENCH_TMP/nginx.
bench_nginx_start() {
  local dir=$BENCH_TMP/nginx port
  port=$(bench_free_port)
  mkdir -p "$dir/logs"
  cat >"$dir/nginx.conf" <<EOF
worker_processes 2;
daemon off;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  default_type application/json;
  client_body_temp_path $dir/body;
  proxy_temp_path $dir/proxy;
  fastcgi_temp_path $dir/fastcgi;
  uwsgi_temp_path $dir/uwsgi;
  scgi_temp_path $dir/scgi;
  server {
    listen 127.0.0.1:$port;
    location / { return 200 '$BENCH_BODY'; }
  }
}
EOF
  bench_start nginx nginx -c "$dir/nginx.conf" -p "$dir"
  NGINX_URL=http://127.0.0.1:$port/
  bench_wait_http nginx "$NGINX_URL"
}

# bench_wrk <url> [header]: one wrk run; sets WRK_RPS, WRK_P50, WRK_P99 (µs), WRK_ERRORS.
bench_wrk() {
  local out=$BENCH_TMP/wrk.out line
  local args=(-t"$WRK_THREADS" -c"$WRK_CONNS" -d"$WRK_DURATION" --timeout "$WRK_TIMEOUT"
    -s "${WRK_SCRIPT:-$BENCH_DIR/latency.lua}")
  [ $# -ge 2 ] && [ -n "$2" ] && args+=(-H "$2")
  wrk "${args[@]}" "$1" >"$out" 2>&1
  line=$(grep '^BENCH ' "$out") || { cat "$out" >&2; bench_die "wrk gave no result for $1"; }
  WRK_RPS=${line#* rps=} WRK_RPS=${WRK_RPS%% *}
  WRK_P50=${line#* p50=} WRK_P50=${WRK_P50%% *}
  WRK_P99=${line#* p99=} WRK_P99=${WRK_P99%% *}
  WRK_ERRORS=$(awk '{ split($6, a, "="); split($7, b, "="); print a[2] + b[2] }' <<<"$line")
}

# bench_row_add <name> <rps> <p50 µs> <p99 µs> [errors]
bench_row_add() {
  BENCH_ROWS+=("$1|$2|$3|$4|${5:-0}")
}

# measure <name> <url> [header]: one wrk run, appended as a row of the results table.
measure() {
  echo "bench: measuring $1 ($2) for $WRK_DURATION ..." >&2
  bench_wrk "$2" "${3:-}"
  bench_row_add "$1" "$WRK_RPS" "$WRK_P50" "$WRK_P99" "$WRK_ERRORS"
}

# bench_row_get <name> <field 2..5>: a field of the first row with that name.
bench_row_get() {
  local row
  for row in "${BENCH_ROWS[@]}"; do
    [ "${row%%|*}" = "$1" ] && { cut -d'|' -f"$2" <<<"$row"; return 0; }
  done
  return 1
}

# bench_rows_median: collapse rows of the same name (one per round) into one:
# the median of each of requests/s, p50 and p99, and the sum of the errors.
bench_rows_median() {
  local row name names=() out=()
  local -A seen=()
  for row in "${BENCH_ROWS[@]}"; do
    name=${row%%|*}
    [ -n "${seen[$name]:-}" ] || names+=("$name")
    seen[$name]=1
  done
  for name in "${names[@]}"; do
    out+=("$(for row in "${BENCH_ROWS[@]}"; do if [ "${row%%|*}" = "$name" ]; then echo "$row"; fi; done |
      awk -F'|' -v n="$name" '
        function median(a, k,   i, j, t) {
          for (i = 2; i <= k; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
          return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
        }
        { k++; r[k] = $2; p[k] = $3; q[k] = $4; e += $5 }
        END { printf "%s|%.1f|%d|%d|%d\n", n, median(r, k), median(p, k), median(q, k), e }')")
  done
  BENCH_ROWS=("${out[@]}")
}

# bench_table_print <reference row name>: the markdown table of every row. When
# some row is named "express <x>", a column gives each "lsf <x>" row's
# requests/s divided by that row's.
bench_table_print() {
  local ref row name pair other
  ref=$(bench_row_get "$1" 2) || ref=0
  pair=0
  for row in "${BENCH_ROWS[@]}"; do
    case "$row" in express\ *) pair=1 ;; esac
  done
  if [ "$pair" = 1 ]; then
    echo "| server | requests/s | p50 (ms) | p99 (ms) | ratio to $1 | lsf / express | errors |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
  else
    echo "| server | requests/s | p50 (ms) | p99 (ms) | ratio to $1 | errors |"
    echo "|---|---:|---:|---:|---:|---:|"
  fi
  for row in "${BENCH_ROWS[@]}"; do
    name=${row%%|*}
    other=""
    if [ "$pair" = 1 ]; then
      other=-
      case "$name" in lsf\ *) other=$(bench_row_get "express ${name#lsf }" 2) || other=- ;; esac
    fi
    awk -F'|' -v ref="$ref" -v other="$other" '{
      ratio = ref > 0 ? sprintf("%.2f", $2 / ref) : "n/a"
      col = other == "" ? "" : (other == "-" || other == 0 ? " - |" : sprintf(" %.1fx |", $2 / other))
      printf "| %s | %.0f | %.3f | %.3f | %s |%s %d |\n", $1, $2, $3 / 1000, $4 / 1000, ratio, col, $5
    }' <<<"$row"
  done
}

bench_note_machine() {
  echo "Machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(uname -sr)."
  echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC')."
  echo "wrk $WRK_THREADS threads, $WRK_CONNS connections, $WRK_DURATION, keep-alive, over loopback;" \
    "wrk and the server share the same $(nproc) cores, so absolute numbers are lower than on" \
    "separate machines: compare the ratios."
}
