# shellcheck shell=bash
# Helpers of bench/scale.sh, sourced after lib.sh and tasks.sh: a throwaway
# PostgreSQL with the default (durable) settings, a throwaway Redis, any
# number of lsf-server instances on one DATABASE_URL, the SQLite seed of
# tasks.sh copied into PostgreSQL, nginx running deploy/nginx/lb.conf as it
# is from a temp prefix (only local/*.conf written, as tests/scale does), and
# the CPU time each group of processes spends per measured request.
#
# Everything lives under $BENCH_TMP; scale_cleanup (the EXIT trap of
# scale.sh) stops PostgreSQL, which pg_ctl runs detached, then calls
# bench_cleanup for the rest.

PGBIN=${PGBIN:-$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)}
PG_DIR=""
declare -A SCALE_CPU=()   # row name -> "lsf|pg|redis|lb" CPU µs per request
declare -A SCALE_GROUP=() # group name -> root pids (their descendants count too)

scale_cleanup() {
  if [ -n "$PG_DIR" ] && [ -f "$PG_DIR/data/postmaster.pid" ]; then
    scale_as_pg "$PGBIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  bench_cleanup
}

# As root, PostgreSQL runs as the postgres user (it refuses root).
scale_as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# scale_pg_start: initdb and start on a free loopback port with PostgreSQL's
# default durability (fsync on, synchronous_commit on, full_page_writes on)
# and shared_buffers=256MB; sets PG_URL and PG_DIR, and the "pg" CPU group.
scale_pg_start() {
  local port try
  if [ ! -x "$PGBIN/initdb" ] || [ ! -x "$PGBIN/pg_ctl" ]; then
    bench_die "PostgreSQL server binaries not found (apt-get install postgresql)"
  fi
  PG_DIR=$BENCH_TMP/pg
  mkdir -p "$PG_DIR"
  chmod 755 "$BENCH_TMP" "$PG_DIR"
  [ "$(id -u)" != 0 ] || chown postgres: "$PG_DIR"
  scale_as_pg "$PGBIN/initdb" -D "$PG_DIR/data" -U lsf --auth=trust -E UTF8 --locale=C.UTF-8 \
    >"$PG_DIR/initdb.log" 2>&1 || { cat "$PG_DIR/initdb.log" >&2; bench_die "initdb failed"; }
  for try in 1 2 3 4 5; do
    port=$(bench_free_port)
    if scale_as_pg "$PGBIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 30 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $PG_DIR -c shared_buffers=256MB" start >/dev/null 2>&1; then
      PG_URL=postgres://lsf@127.0.0.1:$port/postgres
      SCALE_GROUP[pg]=$(head -1 "$PG_DIR/data/postmaster.pid")
      return 0
    fi
    echo "bench: PostgreSQL did not start on port $port (try $try)" >&2
  done
  cat "$PG_DIR/server.log" >&2
  bench_die "PostgreSQL did not start"
}

# scale_psql <psql arguments...>: as the superuser, stop at the first error.
scale_psql() {
  psql -X -q -v ON_ERROR_STOP=1 "$PG_URL" "$@"
}

# scale_pg_set <setting> <value>: change a setting for every session (new
# transactions of existing ones included) without a restart.
scale_pg_set() {
  scale_psql -c "ALTER SYSTEM SET $1 = '$2'" -c 'SELECT pg_reload_conf()' >/dev/null
  sleep 0.5
}

# scale_redis_start: redis-server on a free loopback port, no persistence;
# sets REDIS_URL and the "redis" CPU group.
# shellcheck disable=SC2034 # REDIS_URL is read by scale.sh
scale_redis_start() {
  local port _
  port=$(bench_free_port)
  mkdir -p "$BENCH_TMP/redis"
  bench_start redis redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$BENCH_TMP/redis"
  SCALE_GROUP[redis]="${SCALE_GROUP[redis]:-} $BENCH_LAST_PID"
  REDIS_URL=redis://127.0.0.1:$port
  for _ in $(seq 50); do
    [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ] && return 0
    sleep 0.1
  done
  bench_die "redis-server did not answer on port $port"
}

# scale_lsf_start <name> <DATABASE_URL> [VAR=value ...]: one lsf-server with
# the bench settings of run.sh (and no metrics listener, so that several can
# run); sets LSF_URL and BENCH_LAST_PID and adds the pid to the "lsf" group.
scale_lsf_start() {
  local name=$1 url=$2 port
  shift 2
  port=$(bench_free_port)
  mkdir -p "$BENCH_TMP/$name-data"
  bench_start "$name" env HOST=127.0.0.1 PORT="$port" DATA_DIR="$BENCH_TMP/$name-data" \
    DATABASE_URL="$url" WEB_DIR="$BENCH_TMP/no-web" ENV_FILE="$BENCH_TMP/no.env" \
    RATE_LIMIT=off ACCESS_LOG=off LOG_LEVEL=warn LSF_ENV=test METRICS_PORT=0 \
    JWT_SECRET="$BENCH_JWT_SECRET" "$@" \
    "$LSF_BIN" serve
  SCALE_GROUP[lsf]="${SCALE_GROUP[lsf]:-} $BENCH_LAST_PID"
  LSF_URL=http://127.0.0.1:$port
  bench_wait_http "$name" "$LSF_URL/api/health"
}

# scale_pg_load <sqlite db>: copy the users and tasks of a seeded SQLite
# database (bench/seed.sh, through tasks_template) into the migrated
# PostgreSQL database. The tasks go through the normal insert path, so the
# counter trigger, the generated search column and every index are built as
# the server would have built them; then ANALYZE, as autovacuum would.
scale_pg_load() {
  local db=$1
  scale_psql -c 'CREATE UNLOGGED TABLE seed_tasks (id text, user_id text, title text, description text,
    status smallint, priority smallint, due_date bigint, tags text, completed_at bigint, created_at bigint,
    updated_at bigint)'
  # sqlite3 writes NULL as nothing and '' as "", as PostgreSQL's CSV reads them
  sqlite3 -csv "$db" \
    'SELECT id, name, email, password_hash, is_account_verified = 1, created_at, updated_at FROM users' |
    scale_psql -c "\\copy users (id, name, email, password_hash, is_account_verified, created_at, updated_at)
      FROM STDIN (FORMAT csv)"
  sqlite3 -csv "$db" \
    'SELECT id, user_id, title, description, status, priority, due_date, tags, completed_at, created_at,
            updated_at FROM tasks ORDER BY seq' |
    scale_psql -c "\\copy seed_tasks FROM STDIN (FORMAT csv)"
  scale_psql <<'SQL'
INSERT INTO tasks (id, user_id, title, description, status, priority, due_date, tags, completed_at, created_at,
                   updated_at)
SELECT id, user_id, title, description, status, priority, due_date,
       ARRAY(SELECT e FROM jsonb_array_elements_text(tags::jsonb) WITH ORDINALITY AS a(e, n) ORDER BY n),
       completed_at, created_at, updated_at
FROM seed_tasks ORDER BY id;
DROP TABLE seed_tasks;
VACUUM ANALYZE;
SQL
}

# scale_pg_count <sql>: one number from PostgreSQL.
scale_pg_count() {
  scale_psql -At -c "$1"
}

# scale_lb_start <name> <lsf url...>: nginx with deploy/nginx/lb.conf
# unchanged (its access log included) over the given instances; sets LB_URL
# and adds the master to the "lb" group (workers count as descendants).
scale_lb_start() {
  local name=$1 dir=$BENCH_TMP/$1 port url f
  shift
  port=$(bench_free_port)
  mkdir -p "$dir/conf/local" "$dir/logs"
  for f in "$BENCH_ROOT"/deploy/nginx/*.conf "$BENCH_ROOT"/deploy/nginx/*.js; do
    ln -s "$f" "$dir/conf/${f##*/}"
  done
  : >"$dir/conf/local/app-servers.conf"
  for url in "$@"; do
    echo "server ${url#http://} max_fails=1 fail_timeout=2s;" >>"$dir/conf/local/app-servers.conf"
  done
  echo "listen 127.0.0.1:$port;" >"$dir/conf/local/listen.conf"
  nginx -p "$dir/" -c "$dir/conf/lb.conf" -t -q || bench_die "nginx -t failed for $dir/conf/lb.conf"
  bench_start "$name" nginx -p "$dir/" -c "$dir/conf/lb.conf" -g 'daemon off;'
  SCALE_GROUP[lb]="${SCALE_GROUP[lb]:-} $BENCH_LAST_PID"
  LB_URL=http://127.0.0.1:$port
  bench_wait_http "$name" "$LB_URL/health"
}

# scale_lb_spread <name>: "host:port=count ..." of the upstreams in its access log.
scale_lb_spread() {
  sed -n 's/.* upstream=\([^ ]*\) .*/\1/p' "$BENCH_TMP/$1/logs/access.log" | sort | uniq -c |
    awk '{ printf "%s%s=%d", (NR > 1 ? " " : ""), $2, $1 }'
}

# scale_cpu_ticks: "group ticks ..." for every group of SCALE_GROUP: user +
# system CPU of its root processes, every descendant, and the children they
# have reaped, in clock ticks.
scale_cpu_ticks() {
  local g spec=()
  for g in "${!SCALE_GROUP[@]}"; do
    spec+=("$g:$(tr -s ' ' ',' <<<"${SCALE_GROUP[$g]# }")")
  done
  python3 - "${spec[@]}" <<'PY'
import os, sys
procs = {}
for d in os.listdir('/proc'):
    if not d.isdigit():
        continue
    try:
        with open(f'/proc/{d}/stat') as f:
            s = f.read()
    except OSError:
        continue
    fields = s[s.rindex(')') + 2:].split()
    procs[int(d)] = (int(fields[1]), sum(int(x) for x in fields[11:15]))
children = {}
for pid, (ppid, _) in procs.items():
    children.setdefault(ppid, []).append(pid)
out = []
for arg in sys.argv[1:]:
    group, pids = arg.split(':')
    total, stack = 0, [int(p) for p in pids.split(',') if p]
    while stack:
        pid = stack.pop()
        if pid in procs:
            total += procs[pid][1]
            stack += children.get(pid, [])
    out.append(f'{group} {total}')
print(' '.join(out))
PY
}

# scale_measure <row> <url> [header]: warm up (unmeasured), then measure the
# row (lib.sh's measure) and record each group's CPU µs per request in
# SCALE_CPU[row] as "lsf|pg|redis|lb".
scale_measure() {
  local before after hz
  if [ "$WRK_WARMUP" != 0 ]; then
    WRK_DURATION=$WRK_WARMUP bench_wrk "$2" "${3:-}"
  fi
  before=$(scale_cpu_ticks)
  measure "$@"
  after=$(scale_cpu_ticks)
  hz=$(getconf CLK_TCK)
  SCALE_CPU[$1]=$(awk -v b="$before" -v a="$after" -v rps="$WRK_RPS" -v d="$WRK_DURATION" -v hz="$hz" 'BEGIN {
    n = split(b, x, " "); for (i = 1; i < n; i += 2) t0[x[i]] = x[i + 1]
    n = split(a, x, " "); for (i = 1; i < n; i += 2) t1[x[i]] = x[i + 1]
    secs = d + 0; if (d ~ /m$/) secs *= 60
    req = rps * secs
    split("lsf pg redis lb", g, " ")
    for (i = 1; i <= 4; i++) {
      v = (g[i] in t1 && req > 0) ? sprintf("%.0f", (t1[g[i]] - t0[g[i]]) * 1e6 / hz / req) : "-"
      printf "%s%s", (i > 1 ? "|" : ""), v
    }
  }')
}

# scale_table_print: the results with the CPU each group spent per request
# (rows measured by scale_measure), and the ratio to nginx's requests/s.
scale_table_print() {
  local ref row name cpu
  ref=$(bench_row_get nginx 2) || ref=0
  echo "| row | requests/s | p50 (ms) | p99 (ms) | ratio to nginx | CPU µs/req: lsf-server | PostgreSQL | Redis | nginx LB | errors |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for row in "${BENCH_ROWS[@]}"; do
    name=${row%%|*}
    cpu=${SCALE_CPU[$name]:--|-|-|-}
    awk -F'|' -v ref="$ref" -v cpu="$cpu" '{
      split(cpu, c, "|")
      printf "| %s | %.0f | %.3f | %.3f | %.2f | %s | %s | %s | %s | %d |\n",
        $1, $2, $3 / 1000, $4 / 1000, (ref > 0 ? $2 / ref : 0), c[1], c[2], c[3], c[4], $5
    }' <<<"$row"
  done
}
