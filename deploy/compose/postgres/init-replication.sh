#!/bin/sh
# Run once by the postgres image's entry point when it initialises the
# primary (/docker-entrypoint-initdb.d): the role the replica streams with,
# its password from the pg_replication_password secret, and a pg_hba line
# that lets it connect for replication with that password.
set -eu
psql -v ON_ERROR_STOP=1 -q --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  --set password="$(cat /run/secrets/pg_replication_password)" <<'SQL'
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD :'password';
SQL
echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"
