#!/bin/sh
# A throwaway PostgreSQL for tests, in a temp dir on a free loopback port.
#   postgres.sh start        -> prints "DIR URL" (URL: postgres://lsf@127.0.0.1:PORT/postgres)
#   postgres.sh stop DIR     -> stops the server and deletes DIR
# Exit status 77 (with a message on stderr) when the server binaries are
# missing, so callers can skip. As root the server runs as the `postgres`
# user (it refuses root), in a directory that user owns. Trust auth, on
# 127.0.0.1 only; the superuser is `lsf`.
set -eu
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

case "${1:-}" in
start)
  if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ] || [ ! -x "$PGBIN/pg_ctl" ]; then
    echo "postgres.sh: PostgreSQL server binaries not found (apt-get install postgresql)" >&2
    exit 77
  fi
  dir=$(mktemp -d /tmp/lsf-pg-XXXXXX)
  chmod 755 "$dir"
  [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  as_owner "$PGBIN/initdb" -D "$dir/data" -U lsf --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; rm -rf "$dir"; exit 1; }
  for try in 1 2 3 4 5; do
    port=$(free_port)
    if as_owner "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
         -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
         start >/dev/null 2>&1; then
      echo "$dir postgres://lsf@127.0.0.1:$port/postgres"
      exit 0
    fi
  done
  cat "$dir/server.log" >&2 || true
  rm -rf "$dir"
  exit 1
  ;;
stop)
  dir=${2:?usage: postgres.sh stop DIR}
  case "$dir" in /tmp/lsf-pg-*) ;; *) echo "postgres.sh: refusing to delete $dir" >&2; exit 2 ;; esac
  as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
  ;;
*)
  echo "usage: postgres.sh start | stop DIR" >&2
  exit 2
  ;;
esac
