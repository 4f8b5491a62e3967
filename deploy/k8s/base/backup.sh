#!/bin/sh
# Scheduled backups: the entry point of the `backup` service of
# deploy/compose.yaml, and what the CronJob lsf-backup (backup-cronjob.yaml,
# beside this file, which kustomize needs) runs once (LSF_BACKUP_ONCE=1). Each round: `lsf-server backup --gzip` into
# LSF_BACKUP_DIR (default /data, the lsf-backups volume) as
# lsf-YYYYmmddTHHMMSSZ.lsfbak (0600), `lsf-server restore --check` of that
# file, then only the newest LSF_BACKUP_KEEP (default 14) of those files are
# kept. A round runs at start and then every LSF_BACKUP_INTERVAL_S seconds
# (default 86400). A failed round (the database still starting, say) is
# logged, leaves the earlier files alone and is tried again after
# LSF_BACKUP_RETRY_S (default 60); with LSF_BACKUP_ONCE=1 it is the exit
# status instead (the Job retries). Settings (DATABASE_URL, ENV_FILE) are lsf-server's own.
# docs/OPERATIONS.md, "Scheduled backups"; tests/ops/backup_schedule.test.mjs.
set -eu
dir=${LSF_BACKUP_DIR:-/data}
keep=${LSF_BACKUP_KEEP:-14}
interval=${LSF_BACKUP_INTERVAL_S:-86400}
once=${LSF_BACKUP_ONCE:-0}
retry=${LSF_BACKUP_RETRY_S:-60}
case "$keep-$interval-$retry" in
  *[!0-9-]* | -* | *--* | *-) echo "backup.sh: LSF_BACKUP_KEEP, LSF_BACKUP_INTERVAL_S and LSF_BACKUP_RETRY_S are whole numbers" >&2; exit 2 ;;
esac
if [ "$keep" -lt 1 ] || [ "$interval" -lt 1 ] || [ "$retry" -lt 1 ]; then
  echo "backup.sh: LSF_BACKUP_KEEP, LSF_BACKUP_INTERVAL_S and LSF_BACKUP_RETRY_S are at least 1" >&2
  exit 2
fi

# SIGTERM (compose stop) ends a wait at once
sleeper=
trap '[ -z "$sleeper" ] || kill "$sleeper" 2>/dev/null; exit 0' TERM INT
nap() {
  sleep "$1" &
  sleeper=$!
  wait "$sleeper" || true
  sleeper=
}

round() {
  file="$dir/lsf-$(date -u +%Y%m%dT%H%M%SZ).lsfbak"
  lsf-server backup --gzip --out "$file" || return 1
  lsf-server restore --check "$file" || return 1
  # names sort by time: drop all but the newest $keep of this script's names
  for f in "$dir"/lsf-*.lsfbak; do
    case ${f##*/} in
      lsf-[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]T[0-9][0-9][0-9][0-9][0-9][0-9]Z.lsfbak) echo "$f" ;;
    esac
  done | sort -r | tail -n +"$((keep + 1))" |
    while read -r old; do rm -f -- "$old" && echo "backup.sh: removed $old"; done
}

while :; do
  if round; then
    [ "$once" = 1 ] && exit 0
    nap "$interval"
  else
    echo "backup.sh: backup failed; earlier backups are kept; again in $retry s" >&2
    [ "$once" = 1 ] && exit 1
    nap "$retry"
  fi
done
