#!/bin/sh
# Run each cmocka unit-test binary given as an argument; fail if any fails.
set -u
failed=0
for t in "$@"; do
  if ! "$t"; then
    echo "FAILED: $t" >&2
    failed=1
  fi
done
exit $failed
