#!/bin/sh
# Run a command with a throwaway PostgreSQL and Redis on loopback, for the
# "scaled" configuration of the API suite:
#   tests/support/with-pg-redis.sh node --test ... tests/api/
# The command sees LSF_DATABASE_URL_TEMPLATE (each test server gets its own
# database, see server.mjs) and LSF_REDIS_URL. Both servers are stopped and
# their directories deleted afterwards, whatever the command's outcome.
set -eu
here=$(cd "$(dirname "$0")" && pwd)

pg=$("$here/postgres.sh" start)
pgdir=${pg%% *}
redisdir=$(mktemp -d /tmp/lsf-redis-XXXXXX)
redisport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --port "$redisport" --bind 127.0.0.1 --save '' --appendonly no --dir "$redisdir" \
  --maxmemory-policy noeviction >"$redisdir/redis.log" 2>&1 &
redispid=$!
cleanup() {
  kill "$redispid" 2>/dev/null || true
  "$here/postgres.sh" stop "$pgdir" >/dev/null 2>&1 || true
  rm -rf "$redisdir"
}
trap cleanup EXIT INT TERM
for i in $(seq 1 50); do
  redis-cli -p "$redisport" ping >/dev/null 2>&1 && break
  sleep 0.1
done

export LSF_DATABASE_URL_TEMPLATE="${pg#* }"
export LSF_REDIS_URL="redis://127.0.0.1:$redisport"
"$@"
