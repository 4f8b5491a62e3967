# shellcheck shell=bash
# The task sections of bench/run.sh (sourced after lib.sh): the seeded
# database, the Express reference server, and one section per measured
# request, each run against lsf-server and (unless BENCH_EXPRESS=0) Express.
#
# The database: 1,000,000 tasks over 10,000 users, 100,000 of them for one
# "big" user who is registered through the API (so it has a real password)
# before bench/seed.sh fills the rest in with the sqlite3 CLI. It is built
# once into $BENCH_CACHE/<key>/tasks.db, the key hashing the migrations, the
# seed script and the sizes, and every run works on copies (one for each
# server: creation writes to them).
#
# Knobs (environment): BENCH_CACHE (build/bench-seed), BENCH_EXPRESS (1),
#   EXPRESS_WORKERS (1), EXPRESS_SQL (naive | lsf), SEED_USERS, SEED_TASKS,
#   SEED_BIG_TASKS (see seed.sh), BENCH_SEARCH (budget), BENCH_SEARCH_COMMON
#   (talk), BENCH_SEARCH_WORDS (talk,about,the,tal,abou,abo: the uncached
#   rotation), SEARCH_DEEP_PAGE (4000), SMALL_TASKS (50: the small file's user).

BENCH_ROOT=$(cd "$BENCH_DIR/.." && pwd)
BENCH_CACHE=${BENCH_CACHE:-$BENCH_ROOT/build/bench-seed}
BENCH_EXPRESS=${BENCH_EXPRESS:-1}
BENCH_SEARCH=${BENCH_SEARCH:-budget}
BENCH_SEARCH_COMMON=${BENCH_SEARCH_COMMON:-talk}
BENCH_SEARCH_WORDS=${BENCH_SEARCH_WORDS:-talk,about,the,tal,abou,abo}
export BENCH_SEARCH_WORDS
SEARCH_DEEP_PAGE=${SEARCH_DEEP_PAGE:-4000}
SEARCH_COMMON_TOTAL=""
SEED_USERS=${SEED_USERS:-10000}
SEED_TASKS=${SEED_TASKS:-1000000}
SEED_BIG_TASKS=${SEED_BIG_TASKS:-100000}
SMALL_TASKS=${SMALL_TASKS:-50}
export SEED_USERS SEED_TASKS SEED_BIG_TASKS
BIG_EMAIL=bench-big@example.com
BIG_PASSWORD=bench-big-password-1
# the deepest full page of the big user at 20 a page: page 5,000 of 100,000 tasks
DEEP_LIMIT=20
DEEP_PAGE=$((SEED_BIG_TASKS / DEEP_LIMIT))
declare -A CURSOR=()
SEARCH_TOTAL=""
CREATE_CLOSES=""

# tasks_template: the seeded database, built when missing; sets TEMPLATE_DB.
tasks_template() {
  local key dir tmp pid id start
  key=$({
    cat "$BENCH_ROOT"/src/store/migrations/sqlite/*.sql "$BENCH_DIR/seed.sh"
    echo "$SEED_USERS $SEED_TASKS $SEED_BIG_TASKS"
  } | sha256sum | cut -c1-16)
  dir=$BENCH_CACHE/$key
  TEMPLATE_DB=$dir/tasks.db
  if [ -f "$TEMPLATE_DB" ]; then
    echo "bench: seeded database $TEMPLATE_DB (cached)" >&2
    return 0
  fi
  bench_need sqlite3:sqlite3
  echo "bench: seeding $SEED_TASKS tasks over $SEED_USERS users into $dir (once) ..." >&2
  start=$(date +%s)
  tmp=$dir.tmp.$$
  rm -rf "$tmp"
  mkdir -p "$tmp"
  lsf_start "$tmp/tasks.db" seed-lsf
  pid=$BENCH_LAST_PID
  curl -sf -o /dev/null -H 'Content-Type: application/json' \
    --data "{\"name\":\"Bench Big User\",\"email\":\"$BIG_EMAIL\",\"password\":\"$BIG_PASSWORD\"}" \
    "$LSF_URL/api/auth/register" || bench_die "could not register $BIG_EMAIL"
  bench_stop "$pid"
  id=$(sqlite3 "$tmp/tasks.db" "SELECT id FROM users WHERE email = '$BIG_EMAIL'")
  "$BENCH_DIR/seed.sh" "$tmp/tasks.db" "$id" || bench_die "seeding failed"
  sqlite3 "$tmp/tasks.db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
  rm -f "$tmp/tasks.db-wal" "$tmp/tasks.db-shm"
  # only the current key is kept: each is about a gigabyte
  find "$BENCH_CACHE" -mindepth 1 -maxdepth 1 -type d ! -name "$key" ! -name '*.tmp.*' -exec rm -rf {} +
  mv "$tmp" "$dir"
  echo "bench: seeded in $(($(date +%s) - start)) s, $(du -h "$TEMPLATE_DB" | cut -f1)" >&2
}

# tasks_copy <dest>: a private copy of the seeded database.
tasks_copy() {
  cp --reflink=auto "$TEMPLATE_DB" "$1"
}

# Log in as the big user on lsf-server; sets LSF_COOKIE.
lsf_login_big() {
  local status token
  status=$(curl -s -o "$BENCH_TMP/login.json" -D "$BENCH_TMP/login.head" -w '%{http_code}' \
    -H 'Content-Type: application/json' \
    --data "{\"email\":\"$BIG_EMAIL\",\"password\":\"$BIG_PASSWORD\"}" "$LSF_URL/api/auth/login")
  token=$(sed -n 's/^[Ss]et-[Cc]ookie: *token=\([^;[:space:]]*\).*/\1/p' "$BENCH_TMP/login.head" | head -1)
  [ -n "$token" ] || bench_die "login answered $status without a token cookie: $(cat "$BENCH_TMP/login.json")"
  LSF_COOKIE="Cookie: token=$token"
}

# express_start <db>: the Express reference on a free port, with the same JWT
# secret (so lsf-server's cookie is valid there); sets EXPRESS_URL.
express_start() {
  local dir=$BENCH_DIR/express port stamp
  bench_need node:nodejs npm:npm
  stamp=$dir/node_modules/.lsf-installed
  if [ ! -f "$stamp" ] || [ "$dir/package-lock.json" -nt "$stamp" ]; then
    echo "bench: npm ci in bench/express (builds better-sqlite3 from source: about a minute) ..." >&2
    # node-gyp finds the headers of the installed node there instead of downloading them
    if [ -d /usr/include/node ]; then
      export npm_config_nodedir=${npm_config_nodedir:-/usr}
    fi
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) >&2 || bench_die "npm ci in $dir failed"
    touch "$stamp"
  fi
  port=$(bench_free_port)
  bench_start express env PORT="$port" HOST=127.0.0.1 DB="$1" JWT_SECRET="$BENCH_JWT_SECRET" \
    EXPRESS_WORKERS="${EXPRESS_WORKERS:-1}" EXPRESS_SQL="${EXPRESS_SQL:-naive}" NODE_ENV=production \
    node "$dir/server.js"
  EXPRESS_URL=http://127.0.0.1:$port
  bench_wait_http express "$EXPRESS_URL/api/health"
}

# GET <url> with the cookie into <file>; 200 with "success":true or the run stops.
get_ok() {
  local status
  status=$(curl -s -o "$2" -w '%{http_code}' -H "$LSF_COOKIE" "$1")
  if [ "$status" != 200 ] || ! grep -q '"success": *true' "$2"; then
    bench_die "GET $1 answered $status: $(head -c 500 "$2")"
  fi
}

# json_get <file> <python expression on j>: one value out of a JSON answer.
json_get() {
  python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# Before measuring: both servers answer every measured request, the cursor at
# depth returns exactly page DEEP_PAGE, and lsf-server and Express (reading
# copies of one database) return the same tasks and totals.
tasks_prepare() {
  local server url f
  for server in lsf express; do
    [ "$server" = express ] && [ "$BENCH_EXPRESS" != 1 ] && continue
    url=$LSF_URL
    [ "$server" = express ] && url=$EXPRESS_URL
    f=$BENCH_TMP/$server
    get_ok "$url/api/tasks?page=1&limit=10" "$f-page1.json"
    get_ok "$url/api/tasks?page=$DEEP_PAGE&limit=$DEEP_LIMIT" "$f-deep.json"
    get_ok "$url/api/tasks?page=$((DEEP_PAGE - 1))&limit=$DEEP_LIMIT" "$f-before.json"
    get_ok "$url/api/tasks?search=$BENCH_SEARCH" "$f-search.json"
    get_ok "$url/api/tasks/stats" "$f-stats.json"
    get_ok "$url/api/user/data" "$f-user.json"
    [ "$(json_get "$f-page1.json" 'j["pagination"]["totalTasks"]')" = "$SEED_BIG_TASKS" ] ||
      bench_die "$server: the bench user does not have $SEED_BIG_TASKS tasks: $(head -c 300 "$f-page1.json")"
    [ "$(json_get "$f-deep.json" 'len(j["tasks"])')" = "$DEEP_LIMIT" ] ||
      bench_die "$server: page $DEEP_PAGE is not full"
    CURSOR[$server]=$(json_get "$f-before.json" 'j["pagination"]["nextCursor"]')
    get_ok "$url/api/tasks?limit=$DEEP_LIMIT&cursor=${CURSOR[$server]}" "$f-cursor.json"
    [ "$(json_get "$f-deep.json" '[t["_id"] for t in j["tasks"]]')" = \
      "$(json_get "$f-cursor.json" '[t["_id"] for t in j["tasks"]]')" ] ||
      bench_die "$server: the cursor after page $((DEEP_PAGE - 1)) does not give page $DEEP_PAGE"
  done
  SEARCH_TOTAL=$(json_get "$BENCH_TMP/lsf-search.json" 'j["pagination"]["totalTasks"]')
  [ "$BENCH_EXPRESS" = 1 ] || return 0
  for f in page1 deep cursor search; do
    [ "$(json_get "$BENCH_TMP/lsf-$f.json" '[j["tasks"], j["pagination"]["totalTasks"]]')" = \
      "$(json_get "$BENCH_TMP/express-$f.json" '[j["tasks"], j["pagination"]["totalTasks"]]')" ] ||
      bench_die "lsf-server and Express disagree on $f: see $BENCH_TMP/{lsf,express}-$f.json"
  done
  [ "$(json_get "$BENCH_TMP/lsf-stats.json" '[j["stats"][k] for k in ("total", "byStatus", "byPriority")]')" = \
    "$(json_get "$BENCH_TMP/express-stats.json" '[j["stats"][k] for k in ("total", "byStatus", "byPriority")]')" ] ||
    bench_die "lsf-server and Express disagree on stats"
}

# measure_both <row> <path>: the same request on lsf-server, then on Express.
measure_both() {
  warm_and_measure "lsf $1" "$LSF_URL$2" "$LSF_COOKIE"
  if [ "$BENCH_EXPRESS" = 1 ]; then
    warm_and_measure "express $1" "$EXPRESS_URL$2" "$LSF_COOKIE"
  fi
}

section_tasks_list() {
  measure_both "list page 1" "/api/tasks?page=1&limit=10"
}

section_tasks_page() {
  measure_both "list page $DEEP_PAGE" "/api/tasks?page=$DEEP_PAGE&limit=$DEEP_LIMIT"
}

# With page 1 at the same limit, for the aim: cursor at depth within 1.5x of it.
section_tasks_cursor() {
  measure_both "list page 1, limit $DEEP_LIMIT" "/api/tasks?page=1&limit=$DEEP_LIMIT"
  warm_and_measure "lsf list cursor $DEEP_PAGE" "$LSF_URL/api/tasks?limit=$DEEP_LIMIT&cursor=${CURSOR[lsf]}" \
    "$LSF_COOKIE"
  if [ "$BENCH_EXPRESS" = 1 ]; then
    warm_and_measure "express list cursor $DEEP_PAGE" \
      "$EXPRESS_URL/api/tasks?limit=$DEEP_LIMIT&cursor=${CURSOR[express]}" "$LSF_COOKIE"
  fi
}

section_tasks_search() {
  measure_both "search" "/api/tasks?search=$BENCH_SEARCH"
  # the latency of one search at a time, without queueing behind 31 others
  WRK_THREADS=1 WRK_CONNS=1 measure_both "search, 1 connection" "/api/tasks?search=$BENCH_SEARCH"
}

# Searches for a word in about half of the big user's tasks or more
# (BENCH_SEARCH_COMMON, "talk": 80% of them): page 1 and a cursor page
# SEARCH_DEEP_PAGE pages deep, whose totals come from the count cache after
# the first request, and the same page 1 for words in turn whose totals are
# never cached (bench/search_rotate.lua): the full count on every request.
section_tasks_search_common() {
  local body=$BENCH_TMP/lsf-search-common.json cursor
  get_ok "$LSF_URL/api/tasks?search=$BENCH_SEARCH_COMMON&limit=10" "$body"
  SEARCH_COMMON_TOTAL=$(json_get "$body" 'j["pagination"]["totalTasks"]')
  get_ok "$LSF_URL/api/tasks?search=$BENCH_SEARCH_COMMON&limit=10&page=$((SEARCH_DEEP_PAGE - 1))" "$body"
  cursor=$(json_get "$body" 'j["pagination"]["nextCursor"]')
  [ "$cursor" != None ] || bench_die "search $BENCH_SEARCH_COMMON: no page $SEARCH_DEEP_PAGE"
  warm_and_measure "lsf search common, page 1" "$LSF_URL/api/tasks?search=$BENCH_SEARCH_COMMON&limit=10" \
    "$LSF_COOKIE"
  warm_and_measure "lsf search common, cursor $SEARCH_DEEP_PAGE" \
    "$LSF_URL/api/tasks?search=$BENCH_SEARCH_COMMON&limit=10&cursor=$cursor" "$LSF_COOKIE"
  WRK_SCRIPT=$BENCH_DIR/search_rotate.lua \
    warm_and_measure "lsf search rotating words, uncached" "$LSF_URL/api/tasks" "$LSF_COOKIE"
  WRK_THREADS=1 WRK_CONNS=1 WRK_SCRIPT=$BENCH_DIR/search_rotate.lua \
    warm_and_measure "lsf search rotating words, uncached, 1 connection" "$LSF_URL/api/tasks" "$LSF_COOKIE"
}

section_tasks_stats() {
  measure_both "stats" "/api/tasks/stats"
}

# The small file: a fresh database whose one user has SMALL_TASKS (50)
# tasks, made through lsf-server's API, and Express on a copy of it (sqlite3
# .backup); list page 1 and creation there, next to the same rows on the
# seeded file. Its servers stop at the end; the seeded file's carry on.
section_tasks_small() {
  local keep_url=$LSF_URL keep_cookie=$LSF_COOKIE keep_express=${EXPRESS_URL:-} dir=$BENCH_TMP/small pids=() i
  rm -rf "$dir"
  mkdir -p "$dir"
  lsf_start "$dir/lsf.db" small-lsf
  pids+=("$BENCH_LAST_PID")
  lsf_register
  for i in $(seq "$SMALL_TASKS"); do
    curl -sf -o /dev/null -H "$LSF_COOKIE" -H 'Content-Type: application/json' \
      --data "{\"title\":\"Small task $i\",\"description\":\"On the small file\",\"priority\":\"medium\",\"tags\":[\"small\",\"t$((i % 4))\"]}" \
      "$LSF_URL/api/tasks" || bench_die "small file: creating task $i failed"
  done
  get_ok "$LSF_URL/api/tasks?page=1&limit=10" "$dir/page1.json"
  [ "$(json_get "$dir/page1.json" 'j["pagination"]["totalTasks"]')" = "$SMALL_TASKS" ] ||
    bench_die "small file: the user does not have $SMALL_TASKS tasks"
  EXPRESS_URL=""
  if [ "$BENCH_EXPRESS" = 1 ]; then
    sqlite3 "$dir/lsf.db" ".backup '$dir/express.db'"
    express_start "$dir/express.db"
    pids+=("$BENCH_LAST_PID")
  fi
  measure_both "list page 1, $SMALL_TASKS tasks" "/api/tasks?page=1&limit=10"
  WRK_SCRIPT=$BENCH_DIR/create.lua measure_both "create, small file" "/api/tasks"
  for i in "${pids[@]}"; do
    bench_stop "$i"
  done
  LSF_URL=$keep_url LSF_COOKIE=$keep_cookie EXPRESS_URL=$keep_express
}

# Last: it adds tasks (to the copies only). A server that closes the
# connection after its answer costs wrk a reconnect (counted as a read error)
# per task: said in the aims, since the rate then includes it.
section_tasks_create() {
  local url
  CREATE_CLOSES=""
  for url in "$LSF_URL" ${EXPRESS_URL:+"$EXPRESS_URL"}; do
    if curl -s -o /dev/null -D - -H "$LSF_COOKIE" -H 'Content-Type: application/json' \
      --data '{"title":"Connection check"}' "$url/api/tasks" | grep -qi '^connection: *close'; then
      CREATE_CLOSES="$CREATE_CLOSES ${url/#$LSF_URL/lsf}"
    fi
  done
  WRK_SCRIPT=$BENCH_DIR/create.lua measure_both "create" "/api/tasks"
}

# The issue's aims for the task rows; sets AIMS_MISSED=1 when one is missed.
# shellcheck disable=SC2153 # BENCH_ROWS is lib.sh's
print_task_aims() {
  local nginx nginx99 p1 p99 p1_p50 ex cur cur_p50 s99 cr e name errors
  nginx=$(bench_row_get nginx 2)
  nginx99=$(bench_row_get nginx 4)
  for name in "list page 1" "list page 1, $SMALL_TASKS tasks"; do
    p1=$(bench_row_get "lsf $name" 2) || continue
    p99=$(bench_row_get "lsf $name" 4)
    aim "$name >= 50% of nginx, p99 no worse than nginx's" \
      "$(awk -v a="$p1" -v b="$nginx" -v c="$p99" -v d="$nginx99" \
        'BEGIN { printf "%.0f%%, p99 %.2f ms (nginx %.2f ms)", 100 * a / b, c / 1000, d / 1000 }')" \
      "$(awk -v a="$p1" -v b="$nginx" -v c="$p99" -v d="$nginx99" 'BEGIN { print (a >= 0.50 * b && c <= d) }')"
    if ex=$(bench_row_get "express $name" 2); then
      aim "$name >= 30x Express" "$(awk -v a="$p1" -v b="$ex" 'BEGIN { printf "%.1fx", a / b }')" \
        "$(awk -v a="$p1" -v b="$ex" 'BEGIN { print (a >= 30 * b) }')"
    fi
  done
  # the cursor rows fetch DEEP_LIMIT tasks a page: compare with page 1 at that limit
  if p1=$(bench_row_get "lsf list page 1, limit $DEEP_LIMIT" 2) &&
    cur=$(bench_row_get "lsf list cursor $DEEP_PAGE" 2); then
    p1_p50=$(bench_row_get "lsf list page 1, limit $DEEP_LIMIT" 3)
    cur_p50=$(bench_row_get "lsf list cursor $DEEP_PAGE" 3)
    aim "cursor page $DEEP_PAGE within 1.5x of page 1 at limit $DEEP_LIMIT (requests/s and p50)" \
      "$(awk -v a="$p1" -v b="$cur" -v c="$cur_p50" -v d="$p1_p50" \
        'BEGIN { printf "page 1 / cursor: %.2fx requests/s, %.2fx p50", a / b, c / d }')" \
      "$(awk -v a="$p1" -v b="$cur" -v c="$cur_p50" -v d="$p1_p50" 'BEGIN { print (a <= 1.5 * b && c <= 1.5 * d) }')"
  fi
  if s99=$(bench_row_get "lsf search" 4); then
    aim "search p99 < 10 ms at $WRK_CONNS connections (\"$BENCH_SEARCH\": ${SEARCH_TOTAL:-?} of the user's tasks)" \
      "$(awk -v a="$s99" 'BEGIN { printf "%.2f ms", a / 1000 }')" "$(awk -v a="$s99" 'BEGIN { print (a < 10000) }')"
  fi
  if s99=$(bench_row_get "lsf search, 1 connection" 4); then
    aim "search p99 < 10 ms at 1 connection" \
      "$(awk -v a="$s99" 'BEGIN { printf "%.2f ms", a / 1000 }')" "$(awk -v a="$s99" 'BEGIN { print (a < 10000) }')"
  fi
  for name in "lsf search common, page 1" "lsf search common, cursor $SEARCH_DEEP_PAGE" \
    "lsf search rotating words, uncached" "lsf search rotating words, uncached, 1 connection"; do
    if s99=$(bench_row_get "$name" 4); then
      aim "${name#lsf }: p99 < 10 ms (\"$BENCH_SEARCH_COMMON\": ${SEARCH_COMMON_TOTAL:-?} of the user's tasks)" \
        "$(awk -v a="$s99" 'BEGIN { printf "%.2f ms", a / 1000 }')" "$(awk -v a="$s99" 'BEGIN { print (a < 10000) }')"
    fi
  done
  for name in "create" "create, small file"; do
    cr=$(bench_row_get "lsf $name" 2) || continue
    aim "$name >= 10,000 tasks/s, durable (synchronous=FULL, group commit)" "$(printf '%.0f/s' "$cr")" \
      "$(awk -v a="$cr" 'BEGIN { print (a >= 10000) }')"
  done
  if bench_row_get "lsf create" 2 >/dev/null; then
    case " ${CREATE_CLOSES:-} " in
      *" lsf "*) echo "- note: lsf-server answered POST /api/tasks with Connection: close, so every task cost wrk a" \
        "new connection (its errors below are those reconnects; the tasks were created)" ;;
    esac
  fi
  for e in "${BENCH_ROWS[@]}"; do
    IFS='|' read -r name _ _ _ errors <<<"$e"
    if [ "${errors:-0}" != 0 ]; then
      echo "- $name: $errors errors: measurement invalid"
      AIMS_MISSED=1
    fi
  done
}

# aim <text> <value> <1 = met>
# shellcheck disable=SC2034 # AIMS_MISSED is read by run.sh
aim() {
  if [ "$3" = 1 ]; then
    echo "- $1: $2 (met)"
  else
    echo "- $1: $2 (MISSED)"
    AIMS_MISSED=1
  fi
}
