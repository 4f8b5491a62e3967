#!/usr/bin/env bash
# Seed a migrated lsf-server SQLite database with bench data, using the
# sqlite3 CLI only (recursive CTEs, no server involved):
#   - SEED_USERS - 1 other users (dummy password hash: they cannot log in),
#   - SEED_TASKS tasks in all, SEED_BIG_TASKS of them (every k-th, spread over
#     the whole year) for the existing user <big user id>, the rest spread
#     at random over the other users.
# Task ids are UUIDv7 whose 48-bit ms prefix is the task's created_at, and
# every task gets its own millisecond (created over the last 365 days), so id
# order is created_at order as the API expects. Status, priority, due dates,
# tags (0-3 of 16, JSON arrays) and completion follow a fixed mix; titles are
# "<verb> the <noun> <n>" with 100 nouns, so a noun matches ~1% of a user's
# tasks (the bench searches "budget"). The triggers of migration 0002 are
# bypassed during the bulk insert and the tag table, the per-user counters
# and the full-text index are then filled in one pass each, exactly as the
# triggers would have made them (checked at the end; the full-text index was
# also compared entry for entry, through fts5vocab, with one built by the
# triggers), and the full-text index is optimized into one segment. About a
# minute for the default sizes; the file is about 1.2 GB.
#
# Usage: bench/seed.sh <db> <big user id>
# Environment: SEED_USERS (10000), SEED_TASKS (1000000), SEED_BIG_TASKS (100000),
#   SEED_NOW_MS (now): the end of the year of tasks.
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: $0 <db> <big user id>" >&2; exit 2; }
DB=$1
BIG=$2
USERS=${SEED_USERS:-10000}
TASKS=${SEED_TASKS:-1000000}
BIG_TASKS=${SEED_BIG_TASKS:-100000}
NOW_MS=${SEED_NOW_MS:-$(($(date +%s) * 1000))}
command -v sqlite3 >/dev/null || { echo "seed: needs sqlite3 (apt-get install sqlite3)" >&2; exit 1; }
[ -f "$DB" ] || { echo "seed: $DB: no such database (run lsf-server migrate first)" >&2; exit 1; }
[[ $BIG =~ ^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$ ]] ||
  { echo "seed: $BIG is not a lowercase UUIDv7" >&2; exit 2; }
if [ "$USERS" -lt 2 ] || [ "$BIG_TASKS" -lt 1 ] || [ "$TASKS" -lt "$BIG_TASKS" ] || [ $((TASKS % BIG_TASKS)) -ne 0 ]; then
  echo "seed: need SEED_USERS >= 2 and SEED_TASKS a multiple of SEED_BIG_TASKS" >&2
  exit 2
fi
# a year of creation times, each task its own millisecond
STEP=$((365 * 86400000 / TASKS))
[ "$STEP" -ge 1 ] || { echo "seed: at most 31536000000 tasks" >&2; exit 2; }

# The trigger definitions, to put back exactly as the migration wrote them.
TRIGGERS=$(sqlite3 "$DB" "SELECT sql || ';' FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = 'tasks'")
[ -n "$TRIGGERS" ] || { echo "seed: $DB has no tasks triggers (not migrated?)" >&2; exit 1; }
sqlite3 "$DB" "SELECT 1 FROM users WHERE id = '$BIG'" | grep -q 1 ||
  { echo "seed: user $BIG is not in $DB" >&2; exit 1; }
sqlite3 "$DB" "SELECT count(*) FROM tasks" | grep -qx 0 || { echo "seed: $DB already has tasks" >&2; exit 1; }

sqlite3 "$DB" >/dev/null <<SQL
.bail on
PRAGMA journal_mode = DELETE;
PRAGMA synchronous = OFF;
PRAGMA cache_size = -1048576;
PRAGMA temp_store = MEMORY;
BEGIN;

CREATE TEMP TABLE verb (i INTEGER PRIMARY KEY, w TEXT);
INSERT INTO verb (w) VALUES ('Review'), ('Write'), ('Call about'), ('Fix'), ('Plan'), ('Prepare'), ('Send'),
  ('Book'), ('Clean'), ('Update'), ('Check'), ('Buy'), ('Schedule'), ('Finish'), ('Draft'), ('Organize'),
  ('Pay'), ('Renew'), ('Test'), ('Order');
-- 100 nouns; none is a prefix of another word of the data, so "budget" finds only budgets
CREATE TEMP TABLE noun (i INTEGER PRIMARY KEY, w TEXT);
INSERT INTO noun (w) VALUES ('budget'), ('invoice'), ('report'), ('presentation'), ('contract'), ('website'),
  ('newsletter'), ('roadmap'), ('backlog'), ('release'), ('database'), ('server'), ('laptop'), ('printer'),
  ('kitchen'), ('garage'), ('bathroom'), ('windows'), ('fence'), ('roof'), ('garden'), ('lawn'), ('dentist'),
  ('doctor'), ('pharmacy'), ('insurance'), ('taxes'), ('mortgage'), ('rent'), ('groceries'), ('birthday'),
  ('wedding'), ('vacation'), ('flights'), ('hotel'), ('passport'), ('visa'), ('luggage'), ('tickets'),
  ('concert'), ('library'), ('homework'), ('thesis'), ('exam'), ('course'), ('interview'), ('resume'),
  ('portfolio'), ('proposal'), ('estimate'), ('quote'), ('supplier'), ('shipment'), ('warehouse'),
  ('inventory'), ('payroll'), ('audit'), ('compliance'), ('license'), ('subscription'), ('domain'),
  ('certificate'), ('firewall'), ('router'), ('backup'), ('migration'), ('deployment'), ('pipeline'),
  ('dashboard'), ('metrics'), ('survey'), ('feedback'), ('workshop'), ('agenda'), ('minutes'), ('offsite'),
  ('onboarding'), ('handbook'), ('policy'), ('refund'), ('receipt'), ('warranty'), ('bicycle'), ('tires'),
  ('oil'), ('battery'), ('charger'), ('headphones'), ('camera'), ('photos'), ('album'), ('piano'), ('guitar'),
  ('recipe'), ('dinner'), ('picnic'), ('party'), ('gift'), ('flowers'), ('letter');
CREATE TEMP TABLE person (i INTEGER PRIMARY KEY, w TEXT);
INSERT INTO person (w) VALUES ('Alice'), ('Bob'), ('Carol'), ('Dave'), ('Erin'), ('Frank'), ('Grace'),
  ('Heidi'), ('Ivan'), ('Judy'), ('Mallory'), ('Niaj'), ('Olivia'), ('Peggy'), ('Rupert'), ('Sybil'), ('Trent'),
  ('Victor'), ('Walter'), ('Xena'), ('Yusuf'), ('Zoe'), ('Marta'), ('Kenji'), ('Lucia'), ('Omar'), ('Priya'),
  ('Quentin'), ('Sofia'), ('Tomas'), ('Ursula'), ('Wei'), ('Amara'), ('Bruno'), ('Chloe'), ('Diego'), ('Elena'),
  ('Farah'), ('Gustav'), ('Hana');
CREATE TEMP TABLE topic (i INTEGER PRIMARY KEY, w TEXT);
INSERT INTO topic (w) VALUES ('schedule'), ('costs'), ('details'), ('timeline'), ('next steps'), ('options'),
  ('numbers'), ('plan'), ('changes'), ('feedback loop'), ('priorities'), ('risks'), ('open questions'),
  ('paperwork'), ('logistics'), ('deadline'), ('scope'), ('design'), ('layout'), ('results');
CREATE TEMP TABLE place (i INTEGER PRIMARY KEY, w TEXT);
INSERT INTO place (w) VALUES ('the office'), ('home'), ('lunch'), ('the standup'), ('the weekly sync'),
  ('the cafe'), ('the gym'), ('school'), ('the station'), ('the market'), ('the call'), ('the meetup');
CREATE TEMP TABLE tag (i INTEGER PRIMARY KEY, w TEXT);
INSERT INTO tag (w) VALUES ('work'), ('home'), ('urgent'), ('errand'), ('finance'), ('health'), ('family'),
  ('shopping'), ('travel'), ('study'), ('project'), ('meeting'), ('phone'), ('email'), ('outdoors'), ('car');

DROP TRIGGER tasks_ai;
DROP TRIGGER tasks_ad;
DROP TRIGGER tasks_au_counts;
DROP TRIGGER tasks_au_tags;
DROP TRIGGER tasks_au_fts;

-- the other users, created in the year before the first task, one a second
INSERT INTO users (id, name, email, password_hash, is_account_verified, created_at, updated_at)
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $USERS - 1),
u(i, t) AS MATERIALIZED (SELECT i, $NOW_MS - 2 * 365 * 86400000 + i * 1000 FROM n)
SELECT printf('%08x-%04x-7%03x-%04x-%012x', t >> 16, t & 65535, random() & 4095, 32768 | (random() & 16383),
              random() & 281474976710655),
       'Bench User ' || i, 'bench-user-' || i || '@example.com',
       '\$argon2id\$v=19\$m=19456,t=2,p=1\$YmVuY2hzZWVk\$bm90IGEgcmVhbCBoYXNoIG5vdCBhIHJlYWwgaGFzaA',
       1, t, t
FROM u;
CREATE TEMP TABLE other (i INTEGER PRIMARY KEY, id TEXT);
INSERT INTO other (id) SELECT id FROM users WHERE id != '$BIG' ORDER BY id;

-- r1..r4: independent random numbers per task, 0..2^31-1
INSERT INTO tasks (id, user_id, title, description, status, priority, due_date, tags, completed_at, created_at,
                   updated_at)
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $TASKS - 1),
r AS MATERIALIZED (SELECT i, $NOW_MS - 365 * 86400000 + i * $STEP AS t,
             random() & 2147483647 AS r1, random() & 2147483647 AS r2,
             random() & 2147483647 AS r3, random() & 2147483647 AS r4 FROM n),
f AS (SELECT *,
        CASE WHEN r1 % 100 < 45 THEN 0 WHEN r1 % 100 < 65 THEN 1 ELSE 2 END AS status,
        CASE WHEN r2 % 100 < 30 THEN 0 WHEN r2 % 100 < 80 THEN 1 ELSE 2 END AS priority,
        CASE WHEN r3 % 100 < 70 THEN (t / 86400000 + 1 + (r3 / 100) % 30) * 86400000 END AS due,
        (r4 / 7) % 4 AS ntags, (r4 / 29) % 16 AS tag0
      FROM r),
g AS (SELECT *, CASE WHEN status = 2 THEN min(t + (r1 / 100) * 29 % (7 * 86400000), $NOW_MS) END AS done FROM f)
SELECT printf('%08x-%04x-7%03x-%04x-%012x', t >> 16, t & 65535, random() & 4095, 32768 | (random() & 16383),
              random() & 281474976710655),
       CASE WHEN i % ($TASKS / $BIG_TASKS) = 0 THEN '$BIG'
            ELSE (SELECT id FROM other WHERE other.i = 1 + (r4 / 1031) % ($USERS - 1)) END,
       (SELECT w FROM verb WHERE verb.i = 1 + (r2 / 100) % 20) || ' the '
         || (SELECT w FROM noun WHERE noun.i = 1 + (r3 / 3000) % 100) || ' ' || (1 + i % 97),
       CASE WHEN r1 % 5 = 0 THEN '' ELSE
         'Talk to ' || (SELECT w FROM person WHERE person.i = 1 + (r1 / 1000) % 40) || ' about the '
         || (SELECT w FROM topic WHERE topic.i = 1 + (r2 / 10000) % 20) || ' at '
         || (SELECT w FROM place WHERE place.i = 1 + (r4 / 100000) % 12) || '.' END,
       status, priority, due,
       CASE ntags WHEN 0 THEN '[]'
         WHEN 1 THEN json_array((SELECT w FROM tag WHERE tag.i = 1 + tag0))
         WHEN 2 THEN json_array((SELECT w FROM tag WHERE tag.i = 1 + tag0),
                                (SELECT w FROM tag WHERE tag.i = 1 + (tag0 + 5) % 16))
         ELSE json_array((SELECT w FROM tag WHERE tag.i = 1 + tag0),
                         (SELECT w FROM tag WHERE tag.i = 1 + (tag0 + 5) % 16),
                         (SELECT w FROM tag WHERE tag.i = 1 + (tag0 + 10) % 16)) END,
       done, t, coalesce(done, min(t + (r3 / 7) % (3 * 86400000), $NOW_MS))
FROM g ORDER BY i;

-- what the triggers would have written, row for row
INSERT INTO task_counts (user_id, status, priority, n)
  SELECT user_id, status, priority, count(*) FROM tasks GROUP BY user_id, status, priority;
INSERT INTO task_tags (user_id, tag, task_seq) SELECT user_id, value, seq FROM tasks, json_each(tasks.tags);
INSERT INTO tasks_fts (rowid, owner, title, description, tags)
  SELECT seq, replace(user_id, '-', ''), title, description,
         (SELECT coalesce(group_concat(value, ' '), '') FROM json_each(tasks.tags))
  FROM tasks ORDER BY seq;
-- one segment, as after a long life of automerges: a bulk load leaves merge
-- work that the next writers would pay (3x slower inserts until it is done)
INSERT INTO tasks_fts (tasks_fts) VALUES ('optimize');

$TRIGGERS

COMMIT;
PRAGMA journal_mode = WAL;
SQL

# The checks: every number below must be what the triggers would have kept.
checks=$(sqlite3 "$DB" <<SQL
.bail on
SELECT iif((SELECT count(*) FROM tasks) = $TASKS, 'ok', 'FAIL') || ' tasks';
SELECT iif((SELECT count(*) FROM users) = $USERS, 'ok', 'FAIL') || ' users';
SELECT iif((SELECT count(*) FROM tasks WHERE user_id = '$BIG') = $BIG_TASKS, 'ok', 'FAIL') || ' big user tasks';
SELECT iif((SELECT count(*) FROM (SELECT user_id, status, priority, count(*) AS c FROM tasks GROUP BY 1, 2, 3) a
            FULL JOIN task_counts b USING (user_id, status, priority) WHERE a.c IS NOT b.n) = 0,
           'ok', 'FAIL') || ' task_counts';
SELECT iif((SELECT count(*) FROM task_tags) = (SELECT count(*) FROM tasks, json_each(tasks.tags)),
           'ok', 'FAIL') || ' task_tags';
SELECT iif((SELECT count(*) FROM tasks_fts WHERE tasks_fts MATCH 'owner : "' || replace('$BIG', '-', '') || '"')
           = $BIG_TASKS, 'ok', 'FAIL') || ' tasks_fts owner';
SELECT iif((SELECT count(*) FROM tasks_fts WHERE tasks_fts MATCH 'budget*')
           = (SELECT count(*) FROM tasks WHERE title LIKE '% budget %'), 'ok', 'FAIL') || ' tasks_fts budget';
SELECT iif((SELECT count(*) FROM tasks a JOIN tasks b ON b.seq = a.seq + 1
            WHERE b.id <= a.id OR b.created_at <= a.created_at
               OR substr(a.id, 1, 8) || substr(a.id, 10, 4) != printf('%012x', a.created_at)) = 0,
           'ok', 'FAIL') || ' id order = created_at order';
SELECT iif((SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = 'tasks') = 5,
           'ok', 'FAIL') || ' triggers';
INSERT INTO tasks_fts (tasks_fts) VALUES ('integrity-check');
SELECT iif((SELECT group_concat(quick_check) FROM pragma_quick_check) = 'ok', 'ok', 'FAIL') || ' quick_check';
SQL
) || { echo "seed: checks could not run" >&2; exit 1; }
while IFS= read -r line; do echo "seed: $line" >&2; done <<<"$checks"
if grep -qv '^ok ' <<<"$checks"; then
  echo "seed: $DB failed its checks" >&2
  exit 1
fi
