#!/bin/bash
# LSF_BIN for `make tsan-test`: runs the ThreadSanitizer build, build/tsan/lsf-server,
# with two event loops and two workers (unless the test sets them), so concurrent
# requests meet on different threads whatever the machine's CPU count, and with
# TSan told to stop the server at its first report with exit status 66: the test
# then fails on the dead server or on its exit status. The server's stderr also
# goes, through tee, to build/tsan/server-stderr.log, which `make tsan-test`
# searches for reports after the suites (one while shutting down, in a test that
# does not look at the exit status, is caught there). tests/support/server.mjs
# passes the server no TSAN_OPTIONS, HTTP_THREADS or WORKER_THREADS of the
# caller's, which is why they are set here. A stderr that is a terminal (a test
# of what the server shows on one, through script(1)) stays one: no tee then,
# and a report still ends the server with status 66, which that test checks.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
export HTTP_THREADS="${HTTP_THREADS:-2}"
export WORKER_THREADS="${WORKER_THREADS:-2}"
export TSAN_OPTIONS="halt_on_error=1:exitcode=66:second_deadlock_stack=1:history_size=4:suppressions=$root/tests/tsan/suppressions.txt${TSAN_OPTIONS:+:$TSAN_OPTIONS}"
mkdir -p "$root/build/tsan"
[ -t 2 ] || exec 2> >(tee -a "$root/build/tsan/server-stderr.log" >&2)
exec "$root/build/tsan/lsf-server" "$@"
