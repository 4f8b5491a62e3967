#!/usr/bin/env bash
# Measure the HTTP library candidates for lsf-server against nginx.
# Builds h2o.c, mhd.c and libevent.c (cc -O2, pkg-config) into a temp dir,
# starts them and an nginx `return 200` on free loopback ports, runs
# wrk -t2 -c32 -d10s against each for ROUNDS rounds (default 2), rotating the
# order every round, and prints a markdown table of the per-server medians.
# Usage: bench/http-candidates/run.sh   (ROUNDS, WRK_DURATION, WRK_CONNS override)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$HERE/../lib.sh"
ROUNDS=${ROUNDS:-2}

bench_need cc:build-essential pkg-config:pkg-config wrk:wrk nginx:nginx-light curl:curl python3:python3
missing=""
for spec in libh2o-evloop:libh2o-evloop-dev libmicrohttpd:libmicrohttpd-dev libevent:libevent-dev; do
  pkg-config --exists "${spec%%:*}" || missing="$missing ${spec#*:}"
done
[ -z "$missing" ] || bench_die "missing libraries; install with: apt-get install$missing"

bench_setup
# shellcheck disable=SC2046 # pkg-config output is meant to be split into words
cc -O2 -Wall -Wextra -o "$BENCH_TMP/h2o" "$HERE/h2o.c" \
  $(pkg-config --cflags --libs libh2o-evloop) -lssl -lcrypto -lz -lpthread
# shellcheck disable=SC2046
cc -O2 -Wall -Wextra -o "$BENCH_TMP/mhd" "$HERE/mhd.c" $(pkg-config --cflags --libs libmicrohttpd) -lpthread
# shellcheck disable=SC2046
cc -O2 -Wall -Wextra -o "$BENCH_TMP/libevent" "$HERE/libevent.c" $(pkg-config --cflags --libs libevent) -lpthread

declare -A URL
for name in h2o mhd libevent; do
  port=$(bench_free_port)
  bench_start "$name" "$BENCH_TMP/$name" "$port"
  URL[$name]=http://127.0.0.1:$port/
  bench_wait_http "$name" "${URL[$name]}"
done
bench_nginx_start
URL[nginx]=$NGINX_URL

# Every server must send the same JSON with the right type before it is measured.
for name in h2o mhd libevent nginx; do
  headers=$(curl -s -D - -o "$BENCH_TMP/body" "${URL[$name]}")
  grep -qi '^content-type: application/json' <<<"$headers" || bench_die "$name: no application/json Content-Type"
  [ "$(cat "$BENCH_TMP/body")" = "$BENCH_BODY" ] || bench_die "$name: wrong body: $(cat "$BENCH_TMP/body")"
done

# median <numbers...>
median() {
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

order=(h2o mhd libevent nginx)
declare -A RPS P50 P99 ERR
for round in $(seq 0 $((ROUNDS - 1))); do
  for i in 0 1 2 3; do
    name=${order[$(((i + round) % 4))]}
    echo "bench: round $((round + 1))/$ROUNDS: $name ..." >&2
    bench_wrk "${URL[$name]}"
    echo "bench:   $WRK_RPS req/s, p50 $WRK_P50 us, p99 $WRK_P99 us, errors $WRK_ERRORS" >&2
    RPS[$name]="${RPS[$name]:-} $WRK_RPS"
    P50[$name]="${P50[$name]:-} $WRK_P50"
    P99[$name]="${P99[$name]:-} $WRK_P99"
    ERR[$name]=$((${ERR[$name]:-0} + WRK_ERRORS))
  done
done

for name in h2o mhd libevent nginx; do
  # shellcheck disable=SC2086 # word splitting of the value lists is wanted
  bench_row_add "$name" "$(median ${RPS[$name]})" "$(median ${P50[$name]})" "$(median ${P99[$name]})" "${ERR[$name]}"
done

echo
echo "## HTTP library candidates: GET / -> $BENCH_BODY"
echo
bench_table_print nginx
echo
echo "Median of $ROUNDS rounds (with 2 rounds the median is the mean), order rotated each round;"
echo "errors = socket errors + non-2xx responses over all rounds."
bench_note_machine
echo "Versions: $(dpkg-query -W -f='${Package} ${Version}, ' libh2o-evloop-dev libmicrohttpd-dev libevent-dev nginx-light wrk | sed 's/, $//')."
echo "Threads: h2o and libevent 2 event loops with SO_REUSEPORT listeners; libmicrohttpd" \
  "MHD_USE_INTERNAL_POLLING_THREAD|MHD_USE_EPOLL with a pool of 2; nginx 2 workers."
