#!/bin/sh
# Entry point of the postgres-replica service (as the postgres user): on an
# empty data directory, copy the primary (PRIMARY_HOST) with pg_basebackup,
# retrying until it accepts, and let -R write the standby settings; then run
# postgres as a hot standby streaming from it. Works with the official image
# and with tests' stand-in (deploy/test-images).
set -eu
: "${PGDATA:=/var/lib/postgresql/data}"
: "${PRIMARY_HOST:=postgres}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  PGPASSWORD=$(cat /run/secrets/pg_replication_password)
  export PGPASSWORD
  until pg_basebackup -h "$PRIMARY_HOST" -U replicator -D "$PGDATA" -R -X stream -c fast -w; do
    echo "replica.sh: waiting for the primary at $PRIMARY_HOST" >&2
    find "$PGDATA" -mindepth 1 -delete
    sleep 2
  done
  unset PGPASSWORD
  chmod 0700 "$PGDATA"
fi
exec postgres -D "$PGDATA" -c hot_standby=on
