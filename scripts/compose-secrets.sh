#!/bin/sh
# Write the secrets deploy/compose.yaml reads into DIR (default deploy/secrets,
# ignored by git), each only if it is missing: a random JWT secret, the
# PostgreSQL password (and the URLs that carry it), the replication password.
# The directory is 0700; the files are 0644, since the containers' users
# (postgres, lsf-server's uid 10001) read them through bind mounts.
# Usage: scripts/compose-secrets.sh [DIR]
set -eu
dir=${1:-"$(dirname "$0")/../deploy/secrets"}
umask 077
mkdir -p "$dir"
chmod 0700 "$dir"

random() { od -An -N32 -tx1 /dev/urandom | tr -d ' \n'; }

write() { # name content: create DIR/name unless it exists
  [ -e "$dir/$1" ] && return 0
  printf '%s\n' "$2" > "$dir/$1.tmp"
  chmod 0644 "$dir/$1.tmp"
  mv "$dir/$1.tmp" "$dir/$1"
}

write pg_password "$(random)"
write pg_replication_password "$(random)"
pg=$(cat "$dir/pg_password")
write lsf.env "# lsf-server settings that must not be in compose.yaml (ENV_FILE)
JWT_SECRET=$(random)
DATABASE_URL=postgres://lsf:$pg@postgres:5432/lsf
DATABASE_REPLICA_URLS=postgres://lsf:$pg@postgres-replica:5432/lsf"
echo "compose-secrets: $dir"
