#!/usr/bin/env bash
# `lsf-server import` speed into SQLite (issue 13, docs/PERFORMANCE.md,
# "Import"): the 100,000-task, 100-user fixture of tests/import/fixtures.mjs
# (relaxed Extended JSON, one document per line) imported ROUNDS times
# (default 3), each into a fresh database; prints each round's line of the
# importer ("inserted N tasks in W ms (C ms of CPU): ... tasks/s, ... per
# CPU second": the insert phase, after reading and sorting) and the whole
# command's wall time. The per-CPU-second figure does not depend on what else
# the machine runs; the wall one does.
# Usage: bench/import.sh <lsf-server> [TASKS]
set -euo pipefail
bin=$1
tasks=${2:-100000}
rounds=${ROUNDS:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
chmod 700 "$dir"
node "$root/tests/import/fixtures.mjs" "$dir" "$tasks" >/dev/null
for i in $(seq "$rounds"); do
  rm -f "$dir"/lsf.db*
  start=$(date +%s%N)
  LSF_ENV=test DATABASE_URL="sqlite:$dir/lsf.db" DATA_DIR="$dir" JWT_SECRET=$(head -c 48 /dev/urandom | base64) \
    "$bin" import --users "$dir/big-users.json" --tasks "$dir/big-tasks.json" --rejects "$dir/rejects.jsonl" \
    --no-progress 2>/dev/null | grep '^import: inserted' | sed "s/^/round $i: /"
  echo "round $i: whole command $(( ($(date +%s%N) - start) / 1000000 )) ms"
done
