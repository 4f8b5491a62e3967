# shellcheck shell=bash
# Helpers of the on/off cost benchmarks (observability.sh, tracing.sh),
# sourced after lib.sh: two lsf-servers over copies of one seeded database,
# measured in turns on/off then off/on (ABBA), so a drift of the shared
# machine weighs on both alike, each run giving requests/s and the server's
# CPU time per request (utime + stime of all its threads from /proc over the
# run, divided by wrk's request count).
#
# The caller sets LSF_BIN, JWT_SECRET, ABBA_TASKS (tasks of the bench user),
# LIST (the path measured) and CLK_TCK, and collects RUNS, one
# "<on|off>|round|rps|p50|p99|errors|cpu µs per request" row a run.

# abba_start <name> <db> [VAR=value ...]: lsf-server on a free port; sets ABBA_URL.
abba_start() {
  local name=$1 db=$2 port
  shift 2
  port=$(bench_free_port)
  mkdir -p "$BENCH_TMP/$name-data"
  bench_start "$name" env HOST=127.0.0.1 PORT="$port" DATA_DIR="$BENCH_TMP/$name-data" \
    DATABASE_URL="sqlite:$db" WEB_DIR="$BENCH_TMP/no-web" RATE_LIMIT=off LSF_ENV=test \
    METRICS_PORT=0 JWT_SECRET="$JWT_SECRET" "$@" "$LSF_BIN" serve
  ABBA_URL=http://127.0.0.1:$port
  bench_wait_http "$name" "$ABBA_URL/health/live"
}

# abba_seed <email> <title>: one user with ABBA_TASKS tasks ("<title> <n>") in
# $BENCH_TMP/seed.db; sets ABBA_COOKIE.
abba_seed() {
  local token i
  abba_start seed "$BENCH_TMP/seed.db" ACCESS_LOG=off
  token=$(curl -s -D - -o /dev/null -H 'Content-Type: application/json' \
    --data "{\"name\":\"Bench User\",\"email\":\"$1\",\"password\":\"bench-password-1\"}" \
    "$ABBA_URL/api/auth/register" | sed -n 's/^[Ss]et-[Cc]ookie: *token=\([^;[:space:]]*\).*/\1/p' | head -1)
  [ -n "$token" ] || bench_die "register gave no token cookie (see $BENCH_TMP/seed.log)"
  ABBA_COOKIE="Cookie: token=$token"
  for i in $(seq "$ABBA_TASKS"); do
    printf '{"title":"%s %d","priority":"medium","tags":["bench"]}\n' "$2" "$i"
  done | while read -r body; do
    curl -sf -o /dev/null -H "$ABBA_COOKIE" -H 'Content-Type: application/json' --data "$body" \
      "$ABBA_URL/api/tasks" || exit 1
  done || bench_die "creating the tasks failed"
  bench_stop "$BENCH_LAST_PID"
}

# cpu_ticks <pid>: utime + stime of a process, in clock ticks.
cpu_ticks() {
  awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# abba_measure <on|off> <url> <pid> <round>: one warmed-up wrk run, appended to RUNS.
abba_measure() {
  local status t0 t1 requests
  status=$(curl -s -o "$BENCH_TMP/check.json" -w '%{http_code}' -H "$ABBA_COOKIE" "$2$LIST")
  if [ "$status" != 200 ] || ! grep -q "\"totalTasks\": *$ABBA_TASKS" "$BENCH_TMP/check.json"; then
    bench_die "$1: GET $LIST answered $status: $(head -c 300 "$BENCH_TMP/check.json")"
  fi
  if [ "$WRK_WARMUP" != 0 ]; then
    WRK_DURATION=$WRK_WARMUP bench_wrk "$2$LIST" "$ABBA_COOKIE"
  fi
  echo "bench: measuring $1, round $4 ($2$LIST) for $WRK_DURATION ..." >&2
  t0=$(cpu_ticks "$3")
  bench_wrk "$2$LIST" "$ABBA_COOKIE"
  t1=$(cpu_ticks "$3")
  requests=$(sed -n 's/^BENCH .* requests=\([0-9]*\).*/\1/p' "$BENCH_TMP/wrk.out")
  RUNS+=("$1|$4|$WRK_RPS|$WRK_P50|$WRK_P99|$WRK_ERRORS|$(awk -v t=$((t1 - t0)) -v hz="$CLK_TCK" -v n="$requests" \
    'BEGIN { printf "%.1f", (n > 0 ? 1e6 * t / hz / n : 0) }')")
}

# abba_rounds <rounds> <on url> <on pid> <off url> <off pid>: on/off, then off/on, ...
abba_rounds() {
  local round
  for round in $(seq "$1"); do
    if [ $((round % 2)) = 1 ]; then
      abba_measure on "$2" "$3" "$round"
      abba_measure off "$4" "$5" "$round"
    else
      abba_measure off "$4" "$5" "$round"
      abba_measure on "$2" "$3" "$round"
    fi
  done
}

# abba_table: the markdown table of RUNS.
abba_table() {
  echo "| run | round | requests/s | p50 (ms) | p99 (ms) | errors | server CPU µs/request |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  for row in "${RUNS[@]}"; do echo "$row"; done |
    awk -F'|' '{ printf "| %s | %d | %.0f | %.3f | %.3f | %d | %s |\n", $1, $2, $3, $4 / 1000, $5 / 1000, $6, $7 }'
}

# abba_medians: prints the medians of each side and of the per-round ratios,
# then a last line "<requests/s on/off> <CPU on/off> <errors>" for the caller's aim.
abba_medians() {
  for row in "${RUNS[@]}"; do echo "$row"; done | awk -F'|' '
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
      printf "%.6f %.6f %d\n", m, c, errors
    }'
}
