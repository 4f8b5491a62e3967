#!/bin/sh
# Entry point of the lsf-server containers of deploy/compose.yaml:
#   lsf.sh migrate     apply the migrations, retrying until PostgreSQL answers, then exit
#   lsf.sh serve ...   the same, then run `lsf-server serve ...` in its place
# podman-compose 1.0.3 starts every service at once (it ignores depends_on
# conditions), so a service waits here for the database instead, for at most
# LSF_DB_WAIT_S seconds (default 180). Migrating again is cheap and safe: an
# advisory lock lets one process apply a migration, the others see it done.
set -eu
wait_s=${LSF_DB_WAIT_S:-180}
deadline=$(($(date +%s) + wait_s))
until lsf-server migrate; do
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "lsf.sh: no database within $wait_s s" >&2
    exit 1
  fi
  sleep 2
done
if [ "${1:-migrate}" = migrate ]; then
  exit 0
fi
exec lsf-server "$@"
