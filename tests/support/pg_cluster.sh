#!/bin/sh
# A throwaway PostgreSQL primary with one streaming replica, for tests: both
# in one temp dir (/tmp/lsf-pgc-*), on free loopback ports.
#   pg_cluster.sh start              -> prints "DIR PRIMARY_URL REPLICA_URL"
#   pg_cluster.sh stop DIR           -> stops both servers and deletes DIR
#   pg_cluster.sh stop-primary DIR   -> stops the primary only (fast shutdown)
#   pg_cluster.sh start-primary DIR  -> starts it again on the same port
#   pg_cluster.sh promote DIR        -> promotes the replica to a primary (failover)
# The replica is a pg_basebackup of the primary (-R: it streams from the
# primary's port and reconnects by itself after the primary comes back).
# URLs are postgres://lsf@127.0.0.1:PORT/postgres; DIR/pgbin names the
# directory of the server binaries (and psql). Trust auth on 127.0.0.1
# only, replication included. Exit status 77 (with a message on stderr) when
# the server binaries are missing, so callers can skip. As root the servers
# run as the `postgres` user, in a directory that user owns.
set -eu
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
# Test settings: no durability (the machine is not going to crash under us).
OPTS="-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
OPTS="$OPTS -c max_connections=200 -c wal_level=replica -c max_wal_senders=4 -c hot_standby=on"
# the replica notices a restarted primary within a fraction of a second
OPTS="$OPTS -c wal_retrieve_retry_interval=200ms"

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# server DATA_DIR PORT LOG: start one server and wait until it accepts connections.
server_start() {
  as_owner "$PGBIN/pg_ctl" -D "$1" -l "$3" -w -t 30 -o "$OPTS -p $2 -k $dir" start >/dev/null 2>&1
}

# start_anywhere NAME: start DIR/NAME on a free port (another process may
# take a probed port first: up to 5 tries) and write the port to DIR/NAME.port.
start_anywhere() {
  for try in 1 2 3 4 5; do
    p=$(free_port)
    if server_start "$dir/$1" "$p" "$dir/$1.log"; then echo "$p" >"$dir/$1.port"; return 0; fi
  done
  return 1
}

checked_dir() {
  dir=${1:?usage: pg_cluster.sh stop|stop-primary|start-primary DIR}
  case "$dir" in /tmp/lsf-pgc-*) ;; *) echo "pg_cluster.sh: refusing to touch $dir" >&2; exit 2 ;; esac
  [ -d "$dir" ] || { echo "pg_cluster.sh: no such cluster $dir" >&2; exit 2; }
}

fail() {
  for f in "$dir"/*.log; do [ -f "$f" ] && { echo "== $f" >&2; tail -n 20 "$f" >&2; }; done
  as_owner "$PGBIN/pg_ctl" -D "$dir/replica" -m immediate -w stop >/dev/null 2>&1 || true
  as_owner "$PGBIN/pg_ctl" -D "$dir/primary" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
  exit 1
}

case "${1:-}" in
start)
  for b in initdb pg_ctl pg_basebackup; do
    if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/$b" ]; then
      echo "pg_cluster.sh: PostgreSQL server binaries not found (apt-get install postgresql)" >&2
      exit 77
    fi
  done
  dir=$(mktemp -d /tmp/lsf-pgc-XXXXXX)
  chmod 755 "$dir"
  [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  as_owner "$PGBIN/initdb" -D "$dir/primary" -U lsf --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
    fail
  # initdb's file has these already with --auth=trust; say it anyway, first
  sed -i '1i host replication all 127.0.0.1/32 trust' "$dir/primary/pg_hba.conf"
  start_anywhere primary || fail
  port=$(cat "$dir/primary.port")
  as_owner "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$port" -U lsf -D "$dir/replica" -R -X stream -c fast \
    >"$dir/basebackup.log" 2>&1 || fail
  start_anywhere replica || fail
  rport=$(cat "$dir/replica.port")
  echo "$PGBIN" >"$dir/pgbin" # for callers that want psql from the same version
  echo "$dir postgres://lsf@127.0.0.1:$port/postgres postgres://lsf@127.0.0.1:$rport/postgres"
  ;;
stop)
  checked_dir "${2:-}"
  as_owner "$PGBIN/pg_ctl" -D "$dir/replica" -m immediate -w stop >/dev/null 2>&1 || true
  as_owner "$PGBIN/pg_ctl" -D "$dir/primary" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
  ;;
stop-primary)
  checked_dir "${2:-}"
  as_owner "$PGBIN/pg_ctl" -D "$dir/primary" -m fast -w -t 30 stop >/dev/null
  ;;
start-primary)
  checked_dir "${2:-}"
  server_start "$dir/primary" "$(cat "$dir/primary.port")" "$dir/primary.log" ||
    { tail -n 20 "$dir/primary.log" >&2; exit 1; }
  ;;
promote)
  checked_dir "${2:-}"
  as_owner "$PGBIN/pg_ctl" -D "$dir/replica" -w -t 30 promote >/dev/null
  ;;
*)
  echo "usage: pg_cluster.sh start | stop DIR | stop-primary DIR | start-primary DIR | promote DIR" >&2
  exit 2
  ;;
esac
