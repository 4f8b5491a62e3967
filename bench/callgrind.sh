#!/usr/bin/env bash
# Instructions lsf-server executes per request, counted by callgrind: a
# machine-independent cost figure for small changes on the request path (the
# access phase's account check cost this many instructions on the list page),
# where wrk's requests/s on a shared 2-core machine would drown the change in
# noise. Not part of `make bench`; run it on two builds and compare.
#
# Usage: bench/callgrind.sh <lsf-server> [path] [requests] [tasks]
#   path (default /api/tasks): GET with the session cookie of a new user who
#   owns `tasks` tasks (default 10); requests (default 2000) on one
#   keep-alive connection, after 200 unmeasured ones. One event loop, one
#   worker. Prints instructions per request (every thread of the process:
#   the mail sender polls, so a few thousand in total are not the request's).
# Needs valgrind (callgrind_control) and node.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"

LSF_BIN=${1:?usage: bench/callgrind.sh <lsf-server> [path] [requests] [tasks]}
REQ_PATH=${2:-/api/tasks}
REQUESTS=${3:-2000}
TASKS=${4:-10}
bench_need valgrind:valgrind callgrind_control:valgrind node:nodejs curl:curl

bench_setup
port=$(bench_free_port)
out=$BENCH_TMP/callgrind.out
bench_start lsf env HOST=127.0.0.1 PORT="$port" DATA_DIR="$BENCH_TMP/data" \
  DATABASE_URL="sqlite:$BENCH_TMP/lsf.db" WEB_DIR="$BENCH_TMP/no-web" RATE_LIMIT=off ACCESS_LOG=off \
  LOG_LEVEL=warn LSF_ENV=test METRICS_PORT=0 USER=lsfbench HTTP_THREADS=1 WORKER_THREADS=1 \
  ARGON2_MEMLIMIT=8mb ARGON2_OPSLIMIT=1 JWT_SECRET="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
  valgrind --tool=callgrind --vgdb-prefix="$BENCH_TMP/vgdb" --callgrind-out-file="$out" "$LSF_BIN" serve
pid=$BENCH_LAST_PID
for _ in $(seq 300); do
  curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/health" && break
  sleep 0.2
done

# node: register, create the tasks, warm up, then zero the counters, run the
# measured requests, dump. callgrind_control talks to the process through
# vgdb's pipe, named after a prefix, $USER and $HOST: the same on both sides
# (the server's HOST is 127.0.0.1).
node - "http://127.0.0.1:$port" "$REQ_PATH" "$REQUESTS" "$TASKS" "$pid" "$BENCH_TMP/vgdb" <<'EOF'
const [, , base, path, n, tasks, pid, prefix] = process.argv;
const { execFileSync } = require('node:child_process');
const http = require('node:http');
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
function request(method, p, { cookie, json } = {}) {
  return new Promise((resolve, reject) => {
    const body = json === undefined ? undefined : JSON.stringify(json);
    const headers = { ...(cookie ? { cookie } : {}), ...(body ? { 'content-type': 'application/json' } : {}) };
    const req = http.request(base + p, { method, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
(async () => {
  const reg = await request('POST', '/api/auth/register', { json: { name: 'Bench', email: 'cg@example.com', password: 'bench-password-1' } });
  const cookie = (reg.headers['set-cookie'] || []).map((c) => c.split(';')[0]).find((c) => c.startsWith('token='));
  if (!cookie) throw new Error(`register: ${reg.status} ${reg.body}`);
  for (let i = 0; i < Number(tasks); i++) await request('POST', '/api/tasks', { cookie, json: { title: `task ${i}`, tags: ['a', 'b'] } });
  const check = await request('GET', path, { cookie });
  if (check.status !== 200) throw new Error(`GET ${path}: ${check.status} ${check.body}`);
  for (let i = 0; i < 200; i++) await request('GET', path, { cookie });
  const control = (arg) => execFileSync('callgrind_control', [`--vgdb-prefix=${prefix}`, arg, pid],
    { stdio: 'ignore', env: { ...process.env, USER: 'lsfbench', HOST: '127.0.0.1' } });
  control('--zero');
  for (let i = 0; i < Number(n); i++) await request('GET', path, { cookie });
  control('--dump=measured');
  agent.destroy();
})().catch((err) => { console.error(err); process.exit(1); });
EOF

total=0
for f in "$out"*; do
  grep -q '^desc: Trigger: .*measured' "$f" 2>/dev/null || continue
  n=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$f" | head -1)
  total=$((total + ${n:-0}))
done
bench_stop "$pid"
[ "$total" -gt 0 ] || bench_die "no callgrind dump for the measured requests (valgrind log: $(tail -5 "$BENCH_TMP/lsf.log"))"
echo "GET $REQ_PATH: $((total / REQUESTS)) instructions per request ($REQUESTS requests, $TASKS tasks, $("$LSF_BIN" version))"
