#!/bin/sh
# Build lsf-server as it was just before the newest database migration was
# added, and print the binary's path: the "previous release" whose binary
# must keep serving on a database the current one migrated (expand, then
# contract: docs/DEPLOY.md, "Rollback"; tests/k8s/rollback.test.mjs).
#   scripts/previous-release.sh            build once, cached in build/previous/<commit>/
#   scripts/previous-release.sh --commit   only print that commit
# The commit is the parent of the newest commit on the first-parent line
# (main as it was merged) that added a file under
# src/store/migrations/ (found in git history, so the clone must have it: a
# shallow clone does not). Its tree is exported with `git archive` and built
# with its own Makefile; build output goes to stderr, the path to stdout.
set -eu
cd "$(dirname "$0")/.."

added=$(git log -1 --first-parent --diff-filter=A --format=%H -- src/store/migrations) || added=""
if [ -z "$added" ]; then
  echo "previous-release: no commit adding a migration in this clone's history (a shallow clone? git fetch --unshallow)" >&2
  exit 1
fi
commit=$(git rev-parse "$added^") || {
  echo "previous-release: the parent of $added is not in this clone (a shallow clone? git fetch --unshallow)" >&2
  exit 1
}
if [ "${1:-}" = --commit ]; then
  echo "$commit"
  exit 0
fi

dir=build/previous/$commit
bin=$dir/build/release/lsf-server
if [ ! -x "$bin" ]; then
  echo "previous-release: building $commit (the parent of $(git log -1 --format='%h %s' "$added"))" >&2
  rm -rf "$dir"
  mkdir -p "$dir"
  git archive "$commit" Makefile scripts src | tar -x -C "$dir"
  make -C "$dir" -j"$(nproc)" all GIT_REV="$(git rev-parse --short "$commit")" >&2
fi
echo "$(pwd)/$bin"
